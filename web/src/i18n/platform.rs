//! Strings of the platform pages: organisations, their first admin, the platform audit log.

pub(super) const ENTRIES: &[super::Entry] = &[
    (
        "platform.title",
        "Administration de la plateforme",
        "Platform administration",
    ),
    (
        "platform.intro",
        "Créez les organisations (juridictions et Départements), invitez leur premier administrateur et certifiez-le avec l'autorité de la plateforme. Vous ne voyez jamais le contenu des plis.",
        "Create organisations (courts and Départements), invite their first administrator and certify them with the platform authority. You never see the content of exchanges.",
    ),
    // ----- the platform root
    (
        "root.title",
        "Clé racine de la plateforme",
        "Platform root key",
    ),
    (
        "root.intro",
        "La clé racine certifie les organisations et leurs administrateurs. Le relais n'en garde aucune copie : elle reste dans votre navigateur et dans le fichier que vous enregistrez, protégé par une phrase de passe, à conserver hors ligne (clé USB dans un coffre).",
        "The root key certifies organisations and their administrators. The relay keeps no copy of it: it stays in your browser and in the file you save, protected by a passphrase, to keep offline (a USB stick in a safe).",
    ),
    (
        "root.absent",
        "Ce navigateur ne détient pas la clé racine : créer une organisation ou certifier un administrateur la demande. Importez le fichier de la clé racine ci-dessous.",
        "This browser does not hold the root key: creating an organisation or certifying an administrator needs it. Import the root key file below.",
    ),
    (
        "root.unsaved",
        "La clé racine n'existe que dans ce navigateur. Enregistrez-la maintenant dans un fichier : si ce navigateur est effacé, elle serait perdue et plus aucune organisation ne pourrait être certifiée.",
        "The root key exists only in this browser. Save it to a file now: if this browser is cleared it would be lost, and no organisation could be certified any more.",
    ),
    (
        "root.on_relay",
        "Le relais conserve encore une copie de la clé racine, chiffrée avec votre mot de passe et votre clé de compte (mise en service antérieure). Le fichier étant enregistré, retirez-la du relais.",
        "The relay still keeps a copy of the root key, encrypted with your password and account key (an earlier set-up). Now that the file is saved, take it off the relay.",
    ),
    (
        "root.ok",
        "La clé racine est dans ce navigateur et dans le fichier enregistré ; le relais n'en a aucune copie.",
        "The root key is in this browser and in the saved file; the relay has no copy of it.",
    ),
    (
        "root.passphrase",
        "Phrase de passe du fichier",
        "File passphrase",
    ),
    (
        "root.passphrase.rules",
        "Au moins 12 caractères, difficile à deviner, et différente de votre mot de passe : plusieurs mots sans lien entre eux font une bonne phrase de passe. Notez-la à part du fichier.",
        "At least 12 characters, hard to guess, and not your password: several unrelated words make a good passphrase. Write it down apart from the file.",
    ),
    (
        "root.passphrase.repeat",
        "Confirmez la phrase de passe",
        "Confirm the passphrase",
    ),
    (
        "root.export.title",
        "Enregistrer le fichier de la clé racine",
        "Save the root key file",
    ),
    (
        "root.export.help",
        "Le fichier est chiffré par la phrase de passe que vous choisissez ici. Sans elle, il est illisible ; sans lui, la clé racine ne peut pas être importée dans un autre navigateur.",
        "The file is encrypted with the passphrase you choose here. Without it the file is unreadable; without the file, the root key cannot be imported in another browser.",
    ),
    (
        "root.export.submit",
        "Enregistrer le fichier",
        "Save the file",
    ),
    (
        "root.export.again",
        "Enregistrer une autre copie du fichier de la clé racine",
        "Save another copy of the root key file",
    ),
    (
        "root.export.done",
        "Fichier « {file} » enregistré dans vos téléchargements : placez-le hors ligne, et la phrase de passe ailleurs.",
        "File \"{file}\" saved to your downloads: put it offline, and the passphrase somewhere else.",
    ),
    (
        "root.import.title",
        "Importer le fichier de la clé racine",
        "Import the root key file",
    ),
    (
        "root.import.file",
        "Fichier de la clé racine",
        "Root key file",
    ),
    (
        "root.import.picked",
        "Fichier choisi : {file}",
        "Chosen file: {file}",
    ),
    ("root.import.submit", "Importer", "Import"),
    (
        "root.off.title",
        "Retirer la clé racine du relais",
        "Take the root key off the relay",
    ),
    (
        "root.off.help",
        "Votre trousseau est chiffré à nouveau, sans la clé racine. Confirmez avec votre mot de passe ; vos sessions sur d'autres appareils seront fermées.",
        "Your key bundle is encrypted again, without the root key. Confirm with your password; your sessions on other devices will be closed.",
    ),
    ("root.off.submit", "Retirer du relais", "Take off the relay"),
    (
        "platform.only",
        "Cette page est réservée à l'administrateur de la plateforme.",
        "This page is for the platform administrator only.",
    ),
    (
        "platform.root.help",
        "Les administrateurs des organisations peuvent comparer cette empreinte avec celle de leur page « Mon compte ».",
        "Organisation administrators can compare this fingerprint with the one on their \"My account\" page.",
    ),
    // ----- organisations
    ("platform.orgs.title", "Organisations", "Organisations"),
    (
        "platform.orgs.caption",
        "Organisations de la plateforme, par ordre alphabétique",
        "Organisations of the platform, alphabetically",
    ),
    (
        "platform.orgs.empty",
        "Aucune organisation pour l'instant : créez la première ci-dessous.",
        "No organisation yet: create the first one below.",
    ),
    ("platform.org.name", "Nom", "Name"),
    (
        "platform.org.name.help",
        "Tel que les utilisateurs le connaissent, par exemple « Tribunal judiciaire de Meaux — Parquet » ou « Département de Seine-et-Marne — ASE ».",
        "As users know it, for example \"Tribunal judiciaire de Meaux — Parquet\" or \"Département de Seine-et-Marne — ASE\".",
    ),
    ("platform.org.code", "Code", "Code"),
    (
        "platform.org.code.help",
        "Court et unique : lettres, chiffres, tirets (au plus 32), par exemple « TJ-MEAUX-PARQUET ».",
        "Short and unique: letters, digits, dashes (32 at most), for example \"TJ-MEAUX-PARQUET\".",
    ),
    ("platform.org.kind", "Type", "Kind"),
    ("platform.org.retention", "Conservation", "Retention"),
    ("platform.org.manage", "Gérer", "Manage"),
    ("platform.kind.court", "Juridiction", "Court"),
    (
        "platform.kind.departement",
        "Département (ASE)",
        "Département (child welfare)",
    ),
    ("platform.kind.platform", "Plateforme", "Platform"),
    // ----- creation
    (
        "platform.create.title",
        "Créer une organisation",
        "Create an organisation",
    ),
    (
        "platform.create.submit",
        "Créer l'organisation",
        "Create the organisation",
    ),
    (
        "platform.create.done",
        "Organisation créée : {name}. Invitez maintenant son premier administrateur.",
        "Organisation created: {name}. Now invite its first administrator.",
    ),
    // ----- one organisation
    (
        "platform.admins.title",
        "Administrateurs et membres",
        "Administrators and members",
    ),
    (
        "platform.admins.help",
        "Vous certifiez les administrateurs de l'organisation ; ce sont eux qui certifient leurs membres.",
        "You certify the organisation's administrators; they certify their members.",
    ),
    (
        "platform.invite.title",
        "Inviter un administrateur",
        "Invite an administrator",
    ),
    (
        "platform.invite.first",
        "{org} n'a pas encore d'administrateur : invitez le premier.",
        "{org} has no administrator yet: invite the first one.",
    ),
    (
        "platform.invite.submit",
        "Inviter l'administrateur",
        "Invite the administrator",
    ),
    (
        "platform.keys.help",
        "Les clés sont créées par les administrateurs de l'organisation. Vous pouvez suspendre une génération compromise.",
        "Keys are created by the organisation's administrators. You can suspend a compromised generation.",
    ),
    // ----- audit
    (
        "platform.audit.title",
        "Journal de la plateforme",
        "Platform log",
    ),
    (
        "platform.audit.intro",
        "Créations d'organisations, suspensions de clés et mise en service, la plus récente en premier.",
        "Organisation creations, key suspensions and set-up, newest first.",
    ),
];

pub(super) const PLURALS: &[super::PluralEntry] = &[(
    "platform.org.days",
    ["{count} jour", "{count} jours"],
    ["{count} day", "{count} days"],
)];
