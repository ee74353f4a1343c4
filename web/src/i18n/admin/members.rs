//! Strings of the members panel (the admin page's first): roles and states, the members
//! table, certification, removal and the password-loss reset.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
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
    ("admin.members.service", "logiciel", "program"),
    (
        "admin.totp.service",
        "Sans objet (son secret reste sur sa machine)",
        "Not applicable (its secret stays on its machine)",
    ),
    ("admin.members.no_generation", "aucune", "none"),
    (
        "admin.members.lacks_latest",
        "N'a pas la clé actuelle",
        "Lacks the current key",
    ),
    (
        "admin.members.empty",
        "Aucun membre pour l'instant\u{a0}: invitez-en un ci-dessous.",
        "No members yet: invite one below.",
    ),
    (
        "admin.members.empty.invited",
        "Aucun membre n'a encore créé son accès\u{a0}: les invitations ci-dessous attendent leur destinataire.",
        "Nobody has created their access yet: the invitations below are waiting for their recipients.",
    ),
    (
        "admin.members.pending",
        "Comptes en attente de certification\u{a0}: {count}. Certifiez-les après avoir comparé leur empreinte par téléphone.",
        "Accounts awaiting certification: {count}. Certify them after comparing their fingerprint by phone.",
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
        "Appelez cette personne à un numéro que vous connaissez déjà (pas un numéro reçu par courriel). Demandez-lui de lire les empreintes affichées sur son écran «\u{a0}En attente de certification\u{a0}», y compris celle de la plateforme. Ne certifiez que si elles sont identiques à celles-ci, caractère par caractère.",
        "Call this person on a number you already know (not one received by e-mail). Ask them to read the fingerprints shown on their “Awaiting certification” screen, including the platform's. Certify only if they match these, character by character.",
    ),
    (
        "admin.fingerprint.root",
        "Plateforme (la même des deux côtés)",
        "Platform (the same on both sides)",
    ),
    (
        "admin.certify.compared",
        "J'ai comparé ces empreintes avec {name} par téléphone\u{a0}: elles sont identiques.",
        "I compared these fingerprints with {name} by phone: they match.",
    ),
    (
        "admin.certify.confirm",
        "Certifier et transmettre les clés",
        "Certify and grant the keys",
    ),
    (
        "admin.certified",
        "Certification de {name} effectuée\u{a0}: cette personne a reçu les clés du service et peut désormais lire les plis du service.",
        "{name} is certified and has received the service keys: they can now read the service's exchanges.",
    ),
    (
        "admin.certified.nokey",
        "Certification de {name} effectuée. Le service n'a pas encore de clé\u{a0}: créez-la dans la section «\u{a0}Clé du service\u{a0}».",
        "{name} is certified. The service has no key yet: create it in the “Service key” section.",
    ),
    (
        "admin.certified.admin",
        "Certification de {name} effectuée par l'autorité de la plateforme. Dès que cette personne actualise sa page d'attente (ou à sa prochaine connexion), elle active la double authentification, puis peut créer la clé du service et inviter les membres.",
        "{name} is certified by the platform authority. As soon as they refresh their waiting page (or at their next login), they turn on two-factor authentication, then can create the service key and invite members.",
    ),
    // ----- removal
    ("admin.remove", "Retirer", "Remove"),
    (
        "admin.remove.title",
        "Retirer {name} du service\u{a0}?",
        "Remove {name} from the service?",
    ),
    (
        "admin.remove.help",
        "Ses sessions sont fermées et ses clés du service supprimées immédiatement. Cette personne ne pourra plus rien lire ni envoyer. Elle a pu conserver une copie de la clé\u{a0}: renouvelez ensuite la clé du service.",
        "Their sessions are ended and their service keys deleted at once. This person can no longer read or send anything. They may have kept a copy of the key: renew the service key afterwards.",
    ),
    (
        "admin.remove.confirm",
        "Retirer le membre",
        "Remove the member",
    ),
    (
        "admin.removed",
        "Membre retiré\u{a0}: sessions fermées, clés retirées. Il est recommandé de renouveler la clé du service.",
        "Member removed: sessions ended, keys withdrawn. Renewing the service key is recommended.",
    ),
    (
        "admin.removed.detail",
        "{name}\u{a0}: {sessions}, {grants}.",
        "{name}: {sessions}, {grants}.",
    ),
    (
        "admin.removed.rotate",
        "Renouveler la clé maintenant",
        "Renew the key now",
    ),
    (
        "admin.removed.rotated",
        "Membre retiré, et la clé du service a été renouvelée depuis (génération {generation})\u{a0}: {name} ne pourra lire aucun des prochains plis.",
        "Member removed, and the service key has been renewed since (generation {generation}): {name} cannot read any later exchange.",
    ),
    // ----- password-loss reset
    ("admin.reset", "Mot de passe perdu", "Lost password"),
    (
        "admin.reset.title",
        "Recréer l'accès de {name}\u{a0}?",
        "Re-create the access of {name}?",
    ),
    (
        "admin.reset.help",
        "Un nouveau lien de création d'accès sera émis. En l'utilisant, la personne choisit un nouveau mot de passe et obtient de nouvelles clés\u{a0}; les anciennes ne serviront plus. Vous devrez ensuite la certifier à nouveau, en comparant sa nouvelle empreinte par téléphone, pour lui rendre l'accès aux plis. Aucun pli n'est perdu.",
        "A new access link will be issued. Using it, the person chooses a new password and gets new keys; the old ones stop working. You will then certify them again, comparing their new fingerprint by phone, to give back access to the exchanges. No exchange is lost.",
    ),
    (
        "admin.reset.notified",
        "Un courriel préviendra {name} que vous avez émis ce lien, puis quand il aura servi. L'émission et l'utilisation du lien figurent au journal d'audit.",
        "{name} will be told by e-mail that you issued this link, and again when it is used. Both are in the audit log.",
    ),
    (
        "admin.reset.second_factor",
        "La double authentification de {name} est conservée\u{a0}: le lien ne sert qu'avec un code de son application d'authentification.",
        "{name}'s two-factor authentication is kept: the link works only with a code from their authenticator app.",
    ),
    (
        "admin.reset.second_factor.passkey",
        "{name} se connecte avec une clé d'accès (passkey)\u{a0}: elle lui permet d'entrer sans mot de passe, puis d'en choisir un nouveau dans «\u{a0}Mon compte\u{a0}». Ne réinitialisez son accès que si {name} a perdu aussi cette clé\u{a0}: le lien ne pourrait pas la demander.",
        "{name} logs in with a passkey: it lets them in without their password, and then to choose a new one in “My account”. Reset their access only if {name} lost that passkey too: the link could not ask for it.",
    ),
    (
        "admin.reset.clear_second_factor.passkey",
        "{name} a aussi perdu sa clé d'accès\u{a0}: la retirer",
        "{name} also lost their passkey: remove it",
    ),
    (
        "admin.reset.clear_second_factor",
        "{name} a aussi perdu son application d'authentification\u{a0}: retirer sa double authentification",
        "{name} also lost their authenticator app: remove their two-factor authentication",
    ),
    (
        "admin.reset.clear_second_factor.help",
        "À cocher seulement si la personne vous l'a dit elle-même, de vive voix. Le courriel qu'elle recevra et le journal d'audit le mentionneront.",
        "Tick only if the person told you so themselves, in person or by phone. The e-mail they receive and the audit log will say so.",
    ),
    (
        "admin.reset.confirm",
        "Émettre un nouveau lien",
        "Issue a new link",
    ),
    (
        "admin.reset.done",
        "Nouveau lien émis pour {name}. Une fois son nouveau mot de passe choisi, {name} apparaîtra «\u{a0}À certifier\u{a0}»\u{a0}: certifiez à nouveau cette personne après avoir comparé sa nouvelle empreinte.",
        "New link issued for {name}. Once they have chosen a new password, {name} will show as “To certify”: certify them again after comparing their new fingerprint.",
    ),
];

pub(in crate::i18n) const PLURALS: &[crate::i18n::PluralEntry] = &[
    (
        "admin.removed.sessions",
        ["{count} session fermée", "{count} sessions fermées"],
        ["{count} session ended", "{count} sessions ended"],
    ),
    (
        "admin.removed.grants",
        ["{count} clé supprimée", "{count} clés supprimées"],
        ["{count} key deleted", "{count} keys deleted"],
    ),
];
