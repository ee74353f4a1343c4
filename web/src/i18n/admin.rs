//! Strings of the admin pages: members, invitations, certification, keys, retention, the
//! audit log, and the dialogs they share with the platform page.

pub(super) const ENTRIES: &[super::Entry] = &[
    (
        "admin.grant",
        "Transmettre la clé du service",
        "Grant the service key",
    ),
    // ----- page
    (
        "admin.title",
        "Administration du service",
        "Service administration",
    ),
    (
        "admin.intro",
        "Invitez et certifiez les membres, gérez la clé du service et consultez le journal d'audit. Les actions sensibles vous redemandent votre mot de passe et votre code.",
        "Invite and certify members, manage the service key and read the audit log. Sensitive actions ask for your password and code again.",
    ),
    (
        "admin.only",
        "Cette page est réservée aux administrateurs d'un service.",
        "This page is for service administrators only.",
    ),
    ("admin.refresh", "Actualiser", "Refresh"),
    // ----- roles and states
    ("admin.role.member", "Membre", "Member"),
    (
        "admin.role.org_admin",
        "Administrateur du service",
        "Service administrator",
    ),
    (
        "admin.role.platform_admin",
        "Administrateur de la plateforme",
        "Platform administrator",
    ),
    ("admin.status.pending", "À certifier", "To certify"),
    ("admin.status.active", "Actif", "Active"),
    ("admin.status.removed", "Retiré", "Removed"),
    ("admin.totp.on", "Activée", "On"),
    ("admin.totp.off", "Désactivée", "Off"),
    (
        "admin.fingerprint.signing",
        "Clé de signature",
        "Signing key",
    ),
    (
        "admin.fingerprint.encryption",
        "Clé de chiffrement",
        "Encryption key",
    ),
    // ----- members
    ("admin.members.title", "Membres", "Members"),
    (
        "admin.members.caption",
        "Membres du service, les comptes à certifier en premier",
        "Members of the service, accounts to certify first",
    ),
    ("admin.members.name", "Nom", "Name"),
    ("admin.members.member", "Membre", "Member"),
    (
        "admin.members.email",
        "Adresse électronique",
        "E-mail address",
    ),
    ("admin.members.role", "Rôle", "Role"),
    ("admin.members.status", "État", "Status"),
    (
        "admin.members.totp",
        "Double authentification",
        "Two-factor authentication",
    ),
    (
        "admin.members.fingerprints",
        "Empreintes des clés",
        "Key fingerprints",
    ),
    (
        "admin.members.generations",
        "Générations de la clé du service reçues",
        "Service key generations granted",
    ),
    ("admin.members.actions", "Actions", "Actions"),
    ("admin.members.you", "(vous)", "(you)"),
    ("admin.members.no_generation", "aucune", "none"),
    (
        "admin.members.lacks_latest",
        "N'a pas la clé actuelle",
        "Lacks the current key",
    ),
    (
        "admin.members.empty",
        "Aucun membre pour l'instant : invitez-en un ci-dessous.",
        "No members yet: invite one below.",
    ),
    (
        "admin.members.empty.invited",
        "Aucun membre n'a encore créé son accès : les invitations ci-dessous attendent leur destinataire.",
        "Nobody has created their access yet: the invitations below are waiting for their recipients.",
    ),
    (
        "admin.members.pending",
        "Comptes en attente de certification : {count}. Certifiez-les après avoir comparé leur empreinte par téléphone.",
        "Accounts awaiting certification: {count}. Certify them after comparing their fingerprint by phone.",
    ),
    // ----- invitations
    ("admin.invite.title", "Inviter un membre", "Invite a member"),
    (
        "admin.invite.help",
        "Le membre reçoit un lien à usage unique pour créer son accès ; vous le certifierez ensuite.",
        "The member gets a one-time link to create their access; you certify them afterwards.",
    ),
    ("admin.invite.name", "Nom et prénom", "Full name"),
    (
        "admin.invite.email",
        "Adresse électronique professionnelle",
        "Work e-mail address",
    ),
    ("admin.invite.submit", "Inviter", "Invite"),
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
        "admin.link.label",
        "Lien à usage unique pour {name} :",
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
        "Invitation de {email} annulée : son lien ne fonctionne plus.",
        "Invitation of {email} withdrawn: its link no longer works.",
    ),
    // ----- certification
    ("admin.certify", "Certifier", "Certify"),
    (
        "admin.certify.title",
        "Certifier les clés de {name}",
        "Certify the keys of {name}",
    ),
    (
        "admin.certify.help",
        "Appelez cette personne à un numéro que vous connaissez déjà (pas un numéro reçu par courriel). Demandez-lui de lire les empreintes affichées sur son écran « En attente de certification ». Certifiez seulement si elles sont identiques à celles-ci, caractère par caractère.",
        "Call this person on a number you already know (not one received by e-mail). Ask them to read the fingerprints shown on their \"Awaiting certification\" screen. Certify only if they match these, character by character.",
    ),
    (
        "admin.certify.compared",
        "J'ai comparé ces empreintes avec {name} par téléphone : elles sont identiques.",
        "I compared these fingerprints with {name} by phone: they match.",
    ),
    (
        "admin.certify.confirm",
        "Certifier et transmettre les clés",
        "Certify and grant the keys",
    ),
    (
        "admin.certified",
        "{name} est certifié(e) et a reçu les clés du service : ses plis sont désormais lisibles.",
        "{name} is certified and received the service keys: exchanges are now readable.",
    ),
    (
        "admin.certified.nokey",
        "{name} est certifié(e). Le service n'a pas encore de clé : créez-la dans « Clé du service ».",
        "{name} is certified. The service has no key yet: create it under \"Service key\".",
    ),
    (
        "admin.certified.admin",
        "{name} est certifié(e) par l'autorité de la plateforme. Dès qu'il ou elle actualise sa page d'attente (ou à sa prochaine connexion), il ou elle active la double authentification, puis peut créer la clé du service et inviter les membres.",
        "{name} is certified by the platform authority. As soon as they refresh their waiting page (or at their next login), they turn on two-factor authentication, then can create the service key and invite members.",
    ),
    // ----- removal
    ("admin.remove", "Retirer", "Remove"),
    (
        "admin.remove.title",
        "Retirer {name} du service ?",
        "Remove {name} from the service?",
    ),
    (
        "admin.remove.help",
        "Ses sessions sont fermées et ses clés du service supprimées immédiatement. Cette personne ne pourra plus rien lire ni envoyer. Elle a pu conserver une copie de la clé : faites ensuite tourner la clé du service.",
        "Their sessions are ended and their service keys deleted at once. This person can no longer read or send anything. They may have kept a copy of the key: rotate the service key afterwards.",
    ),
    (
        "admin.remove.confirm",
        "Retirer le membre",
        "Remove the member",
    ),
    (
        "admin.removed",
        "Membre retiré : sessions fermées, clés retirées. Il est recommandé de faire tourner la clé du service.",
        "Member removed: sessions ended, keys withdrawn. Rotating the service key is recommended.",
    ),
    (
        "admin.removed.detail",
        "{name} : {sessions} session(s) fermée(s), {grants} clé(s) supprimée(s).",
        "{name}: {sessions} session(s) ended, {grants} key(s) deleted.",
    ),
    (
        "admin.removed.rotate",
        "Faire tourner la clé maintenant",
        "Rotate the key now",
    ),
    (
        "admin.removed.rotated",
        "Membre retiré, et la clé du service a tourné depuis (génération {generation}) : {name} ne pourra lire aucun des prochains plis.",
        "Member removed, and the service key has turned since (generation {generation}): {name} cannot read any later exchange.",
    ),
    // ----- password-loss reset
    ("admin.reset", "Mot de passe perdu", "Lost password"),
    (
        "admin.reset.title",
        "Recréer l'accès de {name} ?",
        "Re-create the access of {name}?",
    ),
    (
        "admin.reset.help",
        "Un nouveau lien de création d'accès sera émis. En l'utilisant, la personne choisit un nouveau mot de passe et obtient de nouvelles clés ; les anciennes ne serviront plus. Vous devrez ensuite la certifier à nouveau, en comparant sa nouvelle empreinte par téléphone, pour lui rendre l'accès aux plis. Aucun pli n'est perdu.",
        "A new access link will be issued. Using it, the person chooses a new password and gets new keys; the old ones stop working. You will then certify them again, comparing their new fingerprint by phone, to give back access to the exchanges. No exchange is lost.",
    ),
    (
        "admin.reset.confirm",
        "Émettre un nouveau lien",
        "Issue a new link",
    ),
    (
        "admin.reset.done",
        "Nouveau lien émis pour {name}. Une fois son nouveau mot de passe choisi, {name} apparaîtra « À certifier » : certifiez à nouveau cette personne après avoir comparé sa nouvelle empreinte.",
        "New link issued for {name}. Once they chose a new password, {name} will show as \"To certify\": certify them again after comparing the new fingerprint.",
    ),
    // ----- keys
    ("admin.keys.title", "Clé du service", "Service key"),
    (
        "admin.keys.intro",
        "Les plis adressés au service sont chiffrés avec sa clé actuelle. Faites-la tourner régulièrement, après un départ, ou si vous soupçonnez une compromission : les anciens plis restent lisibles par les membres actuels.",
        "Exchanges sent to the service are encrypted to its current key. Rotate it regularly, after someone leaves, or if you suspect a compromise: older exchanges stay readable by current members.",
    ),
    (
        "admin.keys.none",
        "Le service n'a pas encore de clé : personne ne peut lui envoyer de pli. Créez-la maintenant.",
        "The service has no key yet: nobody can send it an exchange. Create it now.",
    ),
    (
        "admin.keys.create",
        "Créer la clé du service",
        "Create the service key",
    ),
    (
        "admin.keys.rotate",
        "Faire tourner la clé du service",
        "Rotate the service key",
    ),
    (
        "admin.keys.create.title",
        "Créer la clé du service ?",
        "Create the service key?",
    ),
    (
        "admin.keys.rotate.title",
        "Faire tourner la clé du service ?",
        "Rotate the service key?",
    ),
    (
        "admin.keys.rotate.help",
        "Une nouvelle clé (génération {generation}) est créée dans votre navigateur et transmise à chaque membre actif, après vérification de son certificat. Les nouveaux plis seront chiffrés avec elle ; les plis déjà reçus restent lisibles.",
        "A new key (generation {generation}) is created in your browser and granted to every active member, after checking their certificate. New exchanges are encrypted to it; exchanges already received stay readable.",
    ),
    (
        "admin.keys.rotate.confirm",
        "Créer la nouvelle clé",
        "Create the new key",
    ),
    (
        "admin.keys.working",
        "Création de la clé et transmission aux membres…",
        "Creating the key and granting it to members…",
    ),
    (
        "admin.keys.rotated",
        "Nouvelle clé du service publiée : génération {generation}, transmise à chaque membre actif. Les plis à venir sont chiffrés avec elle ; les précédents restent lisibles.",
        "New service key published: generation {generation}, handed to every active member. Exchanges from now on are encrypted with it; earlier ones stay readable.",
    ),
    (
        "admin.keys.caption",
        "Historique des générations de la clé, la plus récente en premier",
        "Key generations, newest first",
    ),
    ("admin.keys.generation", "Génération", "Generation"),
    (
        "admin.keys.generation.n",
        "génération {generation}",
        "generation {generation}",
    ),
    ("admin.keys.fingerprint", "Empreinte", "Fingerprint"),
    (
        "admin.keys.fingerprint.label",
        "Empreinte :",
        "Fingerprint:",
    ),
    ("admin.keys.issuer", "Créée par", "Issued by"),
    ("admin.keys.date", "Date", "Date"),
    ("admin.keys.state", "État", "State"),
    ("admin.keys.current", "Actuelle", "Current"),
    ("admin.keys.previous", "Ancienne", "Previous"),
    ("admin.keys.suspended", "Suspendue", "Suspended"),
    (
        "admin.keys.unverified",
        "Certificat non vérifié",
        "Certificate not verified",
    ),
    (
        "admin.keys.unverified.help",
        "Ce certificat ne se vérifie pas jusqu'à l'autorité de la plateforme : prévenez l'administrateur de la plateforme.",
        "This certificate does not verify up to the platform authority: tell the platform administrator.",
    ),
    (
        "admin.keys.empty",
        "Aucune génération de clé pour l'instant.",
        "No key generation yet.",
    ),
    ("admin.keys.suspend", "Suspendre", "Suspend"),
    (
        "admin.keys.suspend.title",
        "Suspendre la génération {generation} ?",
        "Suspend generation {generation}?",
    ),
    (
        "admin.keys.suspend.help",
        "Les nouveaux envois chiffrés avec cette clé seront refusés ; les plis déjà reçus restent lisibles. Si c'est la clé actuelle, plus personne ne pourra envoyer de pli au service avant la prochaine rotation. Une suspension est définitive.",
        "New exchanges encrypted to this key will be refused; exchanges already received stay readable. If it is the current key, nobody can send to the service until the next rotation. A suspension is final.",
    ),
    (
        "admin.keys.suspend.confirm",
        "Suspendre la clé",
        "Suspend the key",
    ),
    (
        "admin.keys.suspended.done",
        "Génération {generation} suspendue.",
        "Generation {generation} suspended.",
    ),
    // ----- retention
    (
        "admin.retention.title",
        "Conservation des plis",
        "Exchange retention",
    ),
    (
        "admin.retention.days",
        "Durée de conservation (en jours)",
        "Retention (days)",
    ),
    (
        "admin.retention.help",
        "De 1 à 3650 jours (30 jours par défaut). Passé ce délai, les plis et leurs fichiers chiffrés sont supprimés du serveur ; le journal d'audit est conservé.",
        "From 1 to 3650 days (30 by default). After that, exchanges and their encrypted files are deleted from the server; the audit log is kept.",
    ),
    (
        "admin.retention.invalid",
        "Saisissez un nombre entier de jours entre 1 et 3650.",
        "Enter a whole number of days between 1 and 3650.",
    ),
    ("admin.retention.submit", "Enregistrer", "Save"),
    (
        "admin.retention.saved",
        "Enregistré : les plis sont conservés {days} jours.",
        "Saved: exchanges are kept {days} days.",
    ),
    // ----- audit log
    ("admin.audit.title", "Journal d'audit", "Audit log"),
    (
        "admin.audit.intro",
        "Qui a fait quoi et quand, sans aucun contenu de pli. Chaque entrée est chaînée à la précédente : une entrée modifiée ou supprimée est détectée.",
        "Who did what and when, without any exchange content. Every entry is chained to the previous one: an edited or removed entry is detected.",
    ),
    ("admin.audit.valid", "Chaîne intègre", "Chain intact"),
    (
        "admin.audit.valid.detail",
        "{count} entrée(s) vérifiée(s) : aucune n'a été modifiée, supprimée ou déplacée.",
        "{count} entries checked: none was edited, removed or moved.",
    ),
    (
        "admin.audit.broken",
        "Chaîne d'audit rompue à l'entrée {seq}.",
        "Audit chain broken at entry {seq}.",
    ),
    (
        "admin.audit.broken.help",
        "Le journal a été modifié ou tronqué à partir de cette entrée. Conservez un export et prévenez l'administrateur de la plateforme.",
        "The log was edited or truncated from this entry on. Keep an export and tell the platform administrator.",
    ),
    (
        "admin.audit.head",
        "Empreinte de la dernière entrée (à noter pour comparer plus tard) :",
        "Hash of the last entry (note it to compare later):",
    ),
    (
        "admin.audit.verify",
        "Vérifier et actualiser",
        "Verify and refresh",
    ),
    ("admin.audit.refresh", "Actualiser", "Refresh"),
    (
        "admin.audit.export",
        "Exporter tout le journal (JSON Lines)",
        "Export the whole log (JSON Lines)",
    ),
    (
        "admin.audit.caption",
        "Dernières entrées du journal, la plus récente en premier",
        "Latest log entries, newest first",
    ),
    ("admin.audit.seq", "N°", "No."),
    ("admin.audit.date", "Date", "Date"),
    ("admin.audit.actor", "Auteur", "Actor"),
    ("admin.audit.action", "Action", "Action"),
    ("admin.audit.object", "Objet", "Object"),
    ("admin.audit.detail", "Détails", "Details"),
    ("admin.audit.system", "Système", "System"),
    (
        "admin.audit.empty",
        "Le journal est vide.",
        "The log is empty.",
    ),
    (
        "admin.audit.older",
        "Afficher des entrées plus anciennes",
        "Show older entries",
    ),
    ("admin.audit.object.user", "compte {id}", "account {id}"),
    (
        "admin.audit.actor.outside",
        "compte hors du service ({id})",
        "account outside the service ({id})",
    ),
    (
        "admin.audit.object.organisation",
        "organisation {id}",
        "organisation {id}",
    ),
    ("admin.audit.object.exchange", "pli {id}", "exchange {id}"),
    (
        "admin.audit.detail.pair",
        "{name} : {value}",
        "{name}: {value}",
    ),
    ("admin.audit.detail.days", "durée (jours)", "days"),
    ("admin.audit.detail.fingerprint", "empreinte", "fingerprint"),
    (
        "admin.audit.detail.generations",
        "générations",
        "generations",
    ),
    ("admin.audit.detail.kind", "type", "kind"),
    ("admin.audit.detail.role", "rôle", "role"),
    (
        "admin.audit.detail.root_fingerprint",
        "empreinte de l'autorité",
        "authority fingerprint",
    ),
    ("admin.audit.detail.bytes", "taille", "size"),
    ("admin.audit.detail.files", "fichiers", "files"),
    ("admin.audit.detail.recipient", "destinataire", "recipient"),
    ("admin.audit.detail.urgent", "urgent", "urgent"),
    ("admin.audit.urgent.true", "oui", "yes"),
    ("admin.audit.urgent.false", "non", "no"),
    (
        "admin.audit.action.platform.setup",
        "Mise en service de la plateforme",
        "Platform set up",
    ),
    (
        "admin.audit.action.org.created",
        "Organisation créée",
        "Organisation created",
    ),
    (
        "admin.audit.action.org.retention",
        "Durée de conservation modifiée",
        "Retention changed",
    ),
    (
        "admin.audit.action.member.invited",
        "Membre invité",
        "Member invited",
    ),
    (
        "admin.audit.action.member.joined",
        "Invitation acceptée (compte à certifier)",
        "Invitation accepted (account to certify)",
    ),
    (
        "admin.audit.action.member.certified",
        "Membre certifié",
        "Member certified",
    ),
    (
        "admin.audit.action.member.granted",
        "Clés transmises à un membre",
        "Keys granted to a member",
    ),
    (
        "admin.audit.action.member.removed",
        "Membre retiré",
        "Member removed",
    ),
    (
        "admin.audit.action.member.reset_issued",
        "Lien de recréation d'accès émis",
        "Access re-creation link issued",
    ),
    (
        "admin.audit.action.member.reset_accepted",
        "Accès recréé (compte à certifier)",
        "Access re-created (account to certify)",
    ),
    (
        "admin.audit.action.key.published",
        "Clé du service publiée",
        "Service key published",
    ),
    (
        "admin.audit.action.key.suspended",
        "Clé du service suspendue",
        "Service key suspended",
    ),
    (
        "admin.audit.action.login.succeeded",
        "Connexion réussie",
        "Successful login",
    ),
    (
        "admin.audit.action.login.failed",
        "Échec de connexion",
        "Failed login",
    ),
    (
        "admin.audit.action.password.changed",
        "Mot de passe changé",
        "Password changed",
    ),
    (
        "admin.audit.action.totp.enabled",
        "Double authentification activée",
        "Two-factor authentication enabled",
    ),
    (
        "admin.audit.action.exchange.created",
        "Envoi de pli commencé",
        "Exchange upload started",
    ),
    (
        "admin.audit.action.exchange.sent",
        "Pli envoyé",
        "Exchange sent",
    ),
    (
        "admin.audit.action.exchange.delivered",
        "Pli reçu",
        "Exchange delivered",
    ),
    (
        "admin.audit.action.exchange.read",
        "Pli lu (accusé de lecture)",
        "Exchange read (read receipt)",
    ),
    (
        "admin.audit.action.exchange.cancelled",
        "Envoi de pli annulé",
        "Exchange upload cancelled",
    ),
    (
        "admin.audit.action.exchange.purged",
        "Pli expiré et supprimé",
        "Exchange expired and deleted",
    ),
];
