//! Strings of the retention panel: how long the relay keeps the exchanges.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
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
        "De 1 à 3650 jours (30 jours par défaut). Passé ce délai, les plis et leurs fichiers chiffrés sont supprimés du serveur\u{a0}; le journal d'audit est conservé.",
        "From 1 to 3650 days (30 by default). After that, exchanges and their encrypted files are deleted from the server; the audit log is kept.",
    ),
    (
        "admin.retention.invalid",
        "Saisissez un nombre entier de jours entre 1 et 3650.",
        "Enter a whole number of days between 1 and 3650.",
    ),
    ("admin.retention.submit", "Enregistrer", "Save"),
];

pub(in crate::i18n) const PLURALS: &[crate::i18n::PluralEntry] = &[(
    "admin.retention.saved",
    [
        "Enregistré\u{a0}: les plis sont conservés {count} jour.",
        "Enregistré\u{a0}: les plis sont conservés {count} jours.",
    ],
    [
        "Saved: exchanges are kept {count} day.",
        "Saved: exchanges are kept {count} days.",
    ],
)];
