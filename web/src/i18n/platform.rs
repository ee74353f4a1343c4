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
