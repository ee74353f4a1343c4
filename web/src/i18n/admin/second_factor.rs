//! Strings of the panel where an organisation's admin decides whether its members must
//! use two-factor authentication.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
    (
        "admin.second_factor.title",
        "Double authentification des membres",
        "Members' two-factor authentication",
    ),
    (
        "admin.second_factor.legend",
        "Pour les membres du service",
        "For the service's members",
    ),
    (
        "admin.second_factor.required",
        "Exigée (recommandé)\u{a0}: chaque membre l'active avant d'envoyer ou de lire des plis",
        "Required (recommended): each member turns it on before sending or reading exchanges",
    ),
    (
        "admin.second_factor.optional",
        "Laissée au choix de chaque membre",
        "Left to each member",
    ),
    (
        "admin.second_factor.everyone",
        "Tous les membres actifs l'ont activée.",
        "Every active member has turned it on.",
    ),
    ("admin.second_factor.submit", "Enregistrer", "Save"),
    (
        "admin.second_factor.saved.required",
        "Enregistré\u{a0}: la double authentification est désormais exigée des membres.",
        "Saved: members must now use two-factor authentication.",
    ),
    (
        "admin.second_factor.saved.optional",
        "Enregistré\u{a0}: la double authentification est désormais laissée au choix des membres.",
        "Saved: two-factor authentication is now left to each member.",
    ),
];

pub(in crate::i18n) const PLURALS: &[crate::i18n::PluralEntry] = &[(
    "admin.second_factor.without",
    [
        "{count} membre actif ne l'a pas encore activée\u{a0}: si elle est exigée, il devra le faire à sa prochaine connexion.",
        "{count} membres actifs ne l'ont pas encore activée\u{a0}: si elle est exigée, ils devront le faire à leur prochaine connexion.",
    ],
    [
        "{count} active member has not turned it on yet: if it is required, they will have to at their next login.",
        "{count} active members have not turned it on yet: if it is required, they will have to at their next login.",
    ],
)];
