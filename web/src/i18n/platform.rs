//! Strings of the platform pages: organisations, their first admin, the platform audit log.

pub(super) const ENTRIES: &[super::Entry] = &[
    (
        "platform.title",
        "Administration de la plateforme",
        "Platform administration",
    ),
    (
        "platform.intro",
        "Créez les services des juridictions et des Départements, invitez leur premier administrateur et certifiez-le avec la clé racine de la plateforme. Vous ne voyez jamais le contenu des plis.",
        "Create the services of the courts and Départements, invite their first administrator and certify them with the platform root key. You never see the content of exchanges.",
    ),
    // ----- the platform root
    (
        "root.title",
        "Clé racine de la plateforme",
        "Platform root key",
    ),
    (
        "root.intro",
        "La clé racine certifie les services et leurs administrateurs. Le relais n'en garde aucune copie\u{a0}: elle reste dans votre navigateur et dans le fichier que vous enregistrez, protégé par une phrase de passe, à conserver hors ligne (par exemple sur une clé USB rangée dans un coffre).",
        "The root key certifies services and their administrators. The relay keeps no copy of it: it stays in your browser and in the file you save, protected by a passphrase, which you keep offline (for example on a USB stick in a safe).",
    ),
    (
        "root.absent",
        "Ce navigateur ne détient pas la clé racine, nécessaire pour créer un service ou certifier un administrateur. Importez le fichier de la clé racine ci-dessous.",
        "This browser does not hold the root key, which is needed to create a service or certify an administrator. Import the root key file below.",
    ),
    (
        "root.unsaved",
        "La clé racine n'existe que dans ce navigateur. Enregistrez-la maintenant dans un fichier\u{a0}: si les données de ce navigateur étaient effacées, elle serait perdue et plus aucun service ne pourrait être certifié.",
        "The root key exists only in this browser. Save it to a file now: if this browser's data were cleared, it would be lost and no service could ever be certified again.",
    ),
    (
        "root.on_relay",
        "Le relais conserve encore une copie de la clé racine, chiffrée avec votre mot de passe et votre clé de compte (mise en service antérieure). Le fichier étant enregistré, retirez-la du relais.",
        "The relay still keeps a copy of the root key, encrypted with your password and account key (from an earlier set-up). Now that the file is saved, take it off the relay.",
    ),
    (
        "root.ok",
        "La clé racine est dans ce navigateur et dans le fichier enregistré\u{a0}; le relais n'en a aucune copie.",
        "The root key is in this browser and in the saved file; the relay has no copy of it.",
    ),
    (
        "root.passphrase",
        "Phrase de passe du fichier",
        "File passphrase",
    ),
    (
        "root.passphrase.rules",
        "Au moins 12 caractères, difficile à deviner et différente de votre mot de passe\u{a0}: plusieurs mots sans lien entre eux font une bonne phrase de passe. Notez-la à part, loin du fichier.",
        "At least 12 characters, hard to guess and different from your password: several unrelated words make a good passphrase. Write it down and keep it apart from the file.",
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
        "Le fichier est chiffré avec la phrase de passe que vous choisissez ici. Sans elle, il est illisible\u{a0}; sans lui, la clé racine ne peut pas être importée dans un autre navigateur.",
        "The file is encrypted with the passphrase you choose here. Without the passphrase the file is unreadable; without the file, the root key cannot be imported into another browser.",
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
        "Fichier «\u{a0}{file}\u{a0}» enregistré dans vos téléchargements\u{a0}: conservez-le hors ligne, et la phrase de passe à un autre endroit.",
        "File “{file}” saved to your downloads: keep it offline, and the passphrase somewhere else.",
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
        "Fichier choisi\u{a0}: {file}",
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
        "Votre trousseau de clés est chiffré de nouveau, sans la clé racine. Confirmez avec votre mot de passe\u{a0}; vos sessions sur les autres appareils seront fermées.",
        "Your key bundle is encrypted again, without the root key. Confirm with your password; your sessions on other devices will be closed.",
    ),
    (
        "root.off.submit",
        "Retirer du relais",
        "Take it off the relay",
    ),
    (
        "platform.only",
        "Cette page est réservée à l'administrateur de la plateforme.",
        "This page is for the platform administrator only.",
    ),
    (
        "platform.root.help",
        "Les administrateurs des services peuvent comparer cette empreinte avec celle qu'affiche leur page «\u{a0}Mon compte\u{a0}».",
        "Service administrators can compare this fingerprint with the one shown on their “My account” page.",
    ),
    // ----- organisations
    ("platform.orgs.title", "Services", "Services"),
    (
        "platform.orgs.caption",
        "Services de la plateforme, par ordre alphabétique",
        "Services on the platform, in alphabetical order",
    ),
    (
        "platform.orgs.empty",
        "Aucun service pour l'instant\u{a0}: créez le premier ci-dessous.",
        "No services yet: create the first one below.",
    ),
    ("platform.org.name", "Nom", "Name"),
    (
        "platform.org.name.help",
        "Tel que les utilisateurs le connaissent, par exemple «\u{a0}Tribunal judiciaire de Meaux — Parquet\u{a0}» ou «\u{a0}Département de Seine-et-Marne — ASE\u{a0}».",
        "As users know it, for example “Tribunal judiciaire de Meaux — Parquet” or “Département de Seine-et-Marne — ASE”.",
    ),
    ("platform.org.code", "Code", "Code"),
    (
        "platform.org.code.help",
        "Court et unique\u{a0}: lettres, chiffres et tirets (32 caractères au plus), par exemple «\u{a0}TJ-MEAUX-PARQUET\u{a0}».",
        "Short and unique: letters, digits and hyphens (32 characters at most), for example “TJ-MEAUX-PARQUET”.",
    ),
    ("platform.org.kind", "Type", "Type"),
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
        "Créer un service",
        "Create a service",
    ),
    (
        "platform.create.submit",
        "Créer le service",
        "Create the service",
    ),
    (
        "platform.create.done",
        "Service créé\u{a0}: {name}. Invitez maintenant son premier administrateur.",
        "Service created: {name}. Now invite its first administrator.",
    ),
    // ----- one organisation
    (
        "platform.admins.title",
        "Administrateurs et membres",
        "Administrators and members",
    ),
    (
        "platform.admins.help",
        "Vous certifiez les administrateurs du service\u{a0}; ce sont eux qui certifient ses membres.",
        "You certify the service's administrators; they certify its members.",
    ),
    (
        "platform.invite.title",
        "Inviter un administrateur",
        "Invite an administrator",
    ),
    (
        "platform.invite.first",
        "Le service «\u{a0}{org}\u{a0}» n'a pas encore d'administrateur\u{a0}: invitez le premier.",
        "{org} has no administrator yet: invite the first one.",
    ),
    (
        "platform.invite.submit",
        "Inviter l'administrateur",
        "Invite the administrator",
    ),
    (
        "platform.keys.help",
        "La clé du service est créée par ses administrateurs. Vous pouvez suspendre une génération de clé compromise.",
        "The service key is created by the service's administrators. You can suspend a compromised key generation.",
    ),
    // ----- audit
    (
        "platform.audit.title",
        "Journal de la plateforme",
        "Platform log",
    ),
    (
        "platform.audit.intro",
        "Créations de services, suspensions de clés et mise en service de la plateforme, les plus récentes en premier.",
        "Service creations, key suspensions and the platform set-up, newest first.",
    ),
];

pub(super) const PLURALS: &[super::PluralEntry] = &[(
    "platform.org.days",
    ["{count} jour", "{count} jours"],
    ["{count} day", "{count} days"],
)];
