//! Strings of the invitations panel: inviting a member, the open invitations and their
//! withdrawal.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
    // ----- invitations
    ("admin.invite.title", "Inviter un membre", "Invite a member"),
    (
        "admin.invite.help",
        "Le membre reçoit un lien à usage unique pour créer son accès\u{a0}; vous le certifierez ensuite.",
        "The member gets a one-time link to create their access; you certify them afterwards.",
    ),
    ("admin.invite.name", "Prénom et nom", "Full name"),
    (
        "admin.invite.email",
        "Adresse électronique professionnelle",
        "Work e-mail address",
    ),
    ("admin.invite.submit", "Inviter", "Invite"),
    (
        "admin.invite.service",
        "Compte de service, pour un logiciel (pas une personne)",
        "Service account, for a program (not a person)",
    ),
    (
        "admin.invite.service.help",
        "Pour le logiciel métier du service, qui envoie et reçoit les plis sans personne au clavier. Ses clés et son secret sont créés sur la machine qui l'héberge\u{a0}: ni vous ni le serveur ne les voyez. L'adresse est celle de l'équipe qui l'exploite.",
        "For the service's case-management software, which sends and receives exchanges with nobody at the keyboard. Its keys and secret are made on the machine that runs it: neither you nor the server see them. The address is that of the team that runs it.",
    ),
    (
        "admin.invite.service.done",
        "Donnez ce lien à la personne qui installe le logiciel\u{a0}: elle l'inscrit sur sa machine avec la commande «\u{a0}pli service enrol\u{a0}», qui affiche l'empreinte de sa clé. Certifiez ensuite ce compte ici en comparant cette empreinte avec elle, par téléphone.",
        "Give this link to the person who installs the program: they enrol it on its machine with the command “pli service enrol”, which prints its key's fingerprint. Then certify the account here, comparing that fingerprint with them by phone.",
    ),
    (
        "admin.invite.done",
        "Invitation créée pour {name}.",
        "Invitation created for {name}.",
    ),
    (
        "admin.invite.used",
        "{name} a utilisé son lien et créé son accès (voir la liste des membres).",
        "{name} used their link and created their access (see the member list).",
    ),
    (
        "admin.invite.withdrawn",
        "L'invitation de {name} a été annulée\u{a0}: son lien ne fonctionne plus.",
        "{name}'s invitation has been withdrawn: their link no longer works.",
    ),
    (
        "admin.link.label",
        "Lien à usage unique pour {name}\u{a0}:",
        "One-time link for {name}:",
    ),
    ("admin.link.copy", "Copier le lien", "Copy the link"),
    ("admin.link.copied", "Lien copié.", "Link copied."),
    (
        "admin.link.help",
        "Transmettez ce lien à {name} par un canal sûr (en main propre ou par la messagerie interne). Il ne sert qu'une fois et expire le {date}.",
        "Give this link to {name} through a safe channel (in person or by internal mail). It works once and expires on {date}.",
    ),
    (
        "admin.link.mail",
        "Si le serveur est configuré pour envoyer des courriels, ce lien a aussi été envoyé à {email}.",
        "If the server is set up to send e-mail, this link was also sent to {email}.",
    ),
    (
        "admin.invitations.caption",
        "Invitations en cours (lien pas encore utilisé)",
        "Open invitations (link not used yet)",
    ),
    ("admin.invitations.kind", "Type", "Kind"),
    ("admin.invitations.expires", "Expire le", "Expires"),
    ("admin.invitation.join", "Nouvel accès", "New access"),
    (
        "admin.invitation.reset",
        "Accès recréé",
        "Access re-created",
    ),
    (
        "admin.invitation.setup",
        "Mise en service",
        "Platform set-up",
    ),
    (
        "admin.invitation.withdraw",
        "Annuler l'invitation",
        "Withdraw the invitation",
    ),
    (
        "admin.invitation.withdrawn",
        "Invitation de {email} annulée\u{a0}: son lien ne fonctionne plus.",
        "Invitation for {email} withdrawn: its link no longer works.",
    ),
];
