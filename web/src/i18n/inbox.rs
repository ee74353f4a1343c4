//! Strings of the inbox pages.

pub(super) const ENTRIES: &[super::Entry] = &[
    // Shared by both listings.
    ("mailbox.filters", "Filtrer la liste", "Filter the list"),
    ("mailbox.col.files", "Fichiers", "Files"),
    ("mailbox.col.size", "Taille", "Size"),
    ("mailbox.unread", "non lu", "unread"),
    ("mailbox.urgent", "Urgent", "Urgent"),
    ("mailbox.sender_service", "logiciel", "software"),
    ("mailbox.reply", "Réponse", "Reply"),
    ("mailbox.more", "Plus anciens", "Older"),
    ("mailbox.col.subject", "Objet", "Subject"),
    ("mailbox.case", "dossier {case}", "case {case}"),
    ("mailbox.size.about", "environ {size}", "about {size}"),
    ("mailbox.preview.pending", "Envoi en cours", "Being sent"),
    (
        "mailbox.preview.sealed",
        "Aperçu indisponible\u{a0}: ouvrez le pli",
        "No preview: open the exchange",
    ),
    (
        "mailbox.preview.unverified",
        "Aperçu non vérifiable",
        "Preview cannot be verified",
    ),
    (
        "mailbox.unverified",
        "à vérifier en ouvrant le pli",
        "check by opening the exchange",
    ),
    ("mailbox.search", "Rechercher", "Search"),
    (
        "mailbox.search.hint",
        "Objet, numéro de dossier, expéditeur ou service\u{a0}; les accents sont facultatifs.",
        "Subject, case number, sender or service; accents are optional.",
    ),
    ("mailbox.category", "Catégorie", "Category"),
    ("mailbox.category.all", "Toutes", "All"),
    ("mailbox.sort", "Trier par", "Sort by"),
    ("mailbox.sort.urgent", "Urgents d'abord", "Urgent first"),
    (
        "mailbox.sort.newest",
        "Plus récents d'abord",
        "Newest first",
    ),
    (
        "mailbox.sort.oldest",
        "Plus anciens d'abord",
        "Oldest first",
    ),
    ("mailbox.sort.subject", "Objet (A à Z)", "Subject (A to Z)"),
    ("mailbox.sort.case", "Numéro de dossier", "Case number"),
    (
        "mailbox.found.loading",
        "Chargement des plis plus anciens…",
        "Loading older exchanges…",
    ),
    ("mailbox.unknown_org", "Service inconnu", "Unknown service"),
    // The inbox.
    ("inbox.title", "Plis reçus", "Inbox"),
    (
        "inbox.lead",
        "Les plis reçus par votre service, les urgents en premier. La liste se met à jour automatiquement.",
        "Exchanges received by your service, urgent ones first. The list updates automatically.",
    ),
    (
        "inbox.caption",
        "Plis reçus par votre service, les urgents en premier",
        "Exchanges received by your service, urgent ones first",
    ),
    ("inbox.col.sender", "Expéditeur", "Sender"),
    ("inbox.col.received", "Reçu le", "Received"),
    ("inbox.filter.urgent", "Urgents seulement", "Urgent only"),
    ("inbox.filter.unread", "Non lus seulement", "Unread only"),
    (
        "inbox.empty",
        "Aucun pli reçu pour l'instant. Les nouveaux plis apparaîtront ici dès leur arrivée.",
        "No exchange received yet. New exchanges will appear here as soon as they arrive.",
    ),
    (
        "inbox.empty.filtered",
        "Aucun pli ne correspond à ces filtres.",
        "No exchange matches these filters.",
    ),
    (
        "inbox.live.new",
        "Nouveau pli reçu.",
        "New exchange received.",
    ),
    // The outbox.
    ("outbox.title", "Plis envoyés", "Sent"),
    (
        "outbox.lead",
        "Les plis envoyés par votre service, avec leur remise et leur lecture par le destinataire.",
        "Exchanges sent by your service, with their delivery and whether the recipient has read them.",
    ),
    (
        "outbox.caption",
        "Plis envoyés par votre service, les urgents en premier",
        "Exchanges sent by your service, urgent ones first",
    ),
    ("outbox.col.recipient", "Destinataire", "Recipient"),
    ("outbox.col.sent", "Envoyé le", "Sent"),
    ("outbox.col.state", "État", "Status"),
    ("outbox.state.uploading", "Envoi en cours", "Sending"),
    ("outbox.state.delivered", "Remis", "Delivered"),
    ("outbox.state.read", "Lu", "Read"),
    ("outbox.state.expired", "Expiré", "Expired"),
    (
        "outbox.read_by",
        "lu par {name} le {date}",
        "read by {name} on {date}",
    ),
    ("outbox.read_on", "lu le {date}", "read on {date}"),
    (
        "outbox.receipt.unverified",
        "accusé non vérifiable",
        "receipt cannot be verified",
    ),
    (
        "outbox.empty",
        "Votre service n'a encore envoyé aucun pli.",
        "Your service has not sent any exchange yet.",
    ),
    ("outbox.send", "Envoyer un pli", "Send an exchange"),
];

pub(super) const PLURALS: &[super::PluralEntry] = &[(
    "mailbox.found",
    [
        "{count} pli correspond sur {total}.",
        "{count} plis correspondent sur {total}.",
    ],
    [
        "{count} exchange matches out of {total}.",
        "{count} exchanges match out of {total}.",
    ],
)];
