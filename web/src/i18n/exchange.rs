//! Strings of the exchange pages.

pub(super) const ENTRIES: &[super::Entry] = &[
    ("exchange.title", "Pli", "Exchange"),
    (
        "exchange.loading",
        "Ouverture du pli\u{a0}: vérification de l'expéditeur et déchiffrement…",
        "Opening the exchange: verifying the sender and decrypting…",
    ),
    (
        "exchange.back.inbox",
        "Retour aux plis reçus",
        "Back to the inbox",
    ),
    (
        "exchange.back.outbox",
        "Retour aux plis envoyés",
        "Back to sent exchanges",
    ),
    (
        "exchange.back.platform",
        "Retour à la plateforme",
        "Back to the platform",
    ),
    (
        "exchange.verified",
        "Expéditeur vérifié\u{a0}: {name}, {org}",
        "Verified sender: {name}, {org}",
    ),
    (
        "exchange.sender_service",
        "Envoyé par le logiciel du service, pas par une personne",
        "Sent by the service's software, not by a person",
    ),
    (
        "exchange.fingerprint",
        "Empreinte de la clé de signature de l'expéditeur",
        "Sender's signing key fingerprint",
    ),
    (
        "exchange.keys_renewed",
        "Les clés de {name} ont été renouvelées le {date}. Si vous ne vous y attendiez pas, vérifiez auprès de cette personne, par un autre moyen (le téléphone par exemple), que ce pli vient bien d'elle.",
        "{name}'s keys were renewed on {date}. If you did not expect it, check with them by other means (by phone, for instance) that this exchange does come from them.",
    ),
    (
        "exchange.unverified.title",
        "Attention\u{a0}: ce pli n'a pas pu être vérifié",
        "Warning: this exchange could not be verified",
    ),
    (
        "exchange.unverified.help",
        "Son expéditeur ou son contenu ne peut pas être authentifié\u{a0}: rien n'en est affiché. Ne vous fiez pas à ce pli\u{a0}: demandez à l'expéditeur de vous le renvoyer par un autre moyen, et prévenez l'administrateur de votre service.",
        "Its sender or its content cannot be authenticated: none of it is shown. Do not rely on this exchange: ask the sender to send it again by other means, and tell your service's administrator.",
    ),
    (
        "exchange.uploading",
        "Ce pli est en cours d'envoi\u{a0}: son destinataire le verra quand tous ses fichiers seront arrivés sur le serveur.",
        "This exchange is being sent: its recipient will see it once all its files have reached the server.",
    ),
    (
        "exchange.unauthenticated.help",
        "Reconnectez-vous\u{a0}: ce pli se rouvrira ici même.",
        "Log in again: this exchange will open again right here.",
    ),
    (
        "exchange.forbidden.help",
        "Votre accès a peut-être été retiré ou suspendu. Contactez l'administrateur de votre service.",
        "Your access may have been removed or suspended. Contact your service's administrator.",
    ),
    (
        "exchange.not_found.help",
        "Vérifiez le lien, ou retrouvez le pli dans la liste des plis reçus ou envoyés.",
        "Check the link, or find the exchange in the list of received or sent exchanges.",
    ),
    (
        "exchange.expired.help",
        "Demandez à l'expéditeur de vous l'envoyer de nouveau s'il vous est encore utile.",
        "Ask the sender to send it again if you still need it.",
    ),
    (
        "exchange.file.corrupted.help",
        "N'utilisez pas ce fichier\u{a0}: demandez à l'expéditeur de vous le renvoyer. Les autres fichiers de ce pli peuvent être enregistrés normalement.",
        "Do not use this file: ask the sender to send it again. The other files of this exchange can be saved as usual.",
    ),
    ("exchange.expired.title", "Pli expiré", "Expired exchange"),
    (
        "exchange.expired.help.sender",
        "Envoyez-le de nouveau si le destinataire en a encore besoin.",
        "Send it again if the recipient still needs it.",
    ),
    ("exchange.expired_at", "Expiré le", "Expired on"),
    ("exchange.relogin", "Se reconnecter", "Log in again"),
    (
        "exchange.subject.none",
        "Pli sans objet",
        "Exchange with no subject",
    ),
    ("exchange.category", "Catégorie", "Category"),
    (
        "exchange.category.signalement",
        "Signalement",
        "Report to the prosecutor",
    ),
    ("exchange.category.rapport", "Rapport", "Report"),
    ("exchange.category.decision", "Décision", "Decision"),
    (
        "exchange.category.demande_evaluation",
        "Demande d'évaluation",
        "Request for an assessment",
    ),
    ("exchange.category.autre", "Autre", "Other"),
    ("exchange.urgency", "Urgence", "Urgency"),
    ("exchange.normal", "Normale", "Normal"),
    (
        "exchange.case_reference",
        "Référence du dossier",
        "Case reference",
    ),
    ("exchange.none", "Aucune", "None"),
    ("exchange.from", "Service expéditeur", "Sending service"),
    ("exchange.to", "Service destinataire", "Recipient service"),
    ("exchange.received_at", "Reçu le", "Received on"),
    ("exchange.delivered_at", "Remis le", "Delivered on"),
    (
        "exchange.expires_at",
        "Disponible jusqu'au",
        "Available until",
    ),
    ("exchange.in_reply_to", "En réponse à", "In reply to"),
    (
        "exchange.in_reply_to.link",
        "un pli précédent",
        "an earlier exchange",
    ),
    ("exchange.message", "Message", "Message"),
    ("exchange.message.none", "Pas de message.", "No message."),
    ("exchange.files", "Fichiers", "Files"),
    ("exchange.file.save", "Enregistrer", "Save"),
    (
        "exchange.file.save_named",
        "Enregistrer {name}",
        "Save {name}",
    ),
    (
        "exchange.file.cancel_named",
        "Annuler l'enregistrement de {name}",
        "Cancel saving {name}",
    ),
    ("exchange.file.default_name", "fichier", "file"),
    (
        "exchange.file.preparing",
        "Préparation de l'enregistrement…",
        "Preparing to save…",
    ),
    (
        "exchange.file.saved",
        "Fichier déchiffré, vérifié et enregistré.",
        "File decrypted, verified and saved.",
    ),
    (
        "exchange.file.saved_downloads",
        "Fichier déchiffré, vérifié et remis à votre navigateur, qui l'enregistre dans vos téléchargements.",
        "File decrypted, verified and handed to your browser, which saves it in your downloads.",
    ),
    (
        "exchange.file.cancelled",
        "Enregistrement annulé.",
        "Saving cancelled.",
    ),
    (
        "exchange.file.picker_closed",
        "Enregistrement annulé\u{a0}: la fenêtre de choix du fichier a été fermée, rien n'a été enregistré.",
        "Saving cancelled: the file chooser was closed and nothing was saved.",
    ),
    (
        "exchange.file.picker_unavailable",
        "Le sélecteur de fichier n'a pas pu s'ouvrir\u{a0}: rien n'a été enregistré.",
        "The file chooser could not open: nothing was saved.",
    ),
    (
        "exchange.file.download_instead.help",
        "Vous pouvez plutôt le télécharger\u{a0}: il sera déchiffré, vérifié, puis enregistré dans le dossier des téléchargements de votre navigateur.",
        "You can download it instead: it will be decrypted, verified, then saved in your browser's downloads folder.",
    ),
    (
        "exchange.file.download_instead",
        "Télécharger plutôt",
        "Download instead",
    ),
    (
        "exchange.file.download_instead_named",
        "Télécharger plutôt {name}",
        "Download {name} instead",
    ),
    (
        "exchange.file.renamed",
        "Renommé\u{a0}: un autre fichier de ce pli porte le même nom.",
        "Renamed: another file of this exchange has the same name.",
    ),
    (
        "exchange.file.discarded",
        "L'enregistrement a été interrompu\u{a0}: aucun fichier incomplet n'a été conservé.",
        "Saving was stopped: no incomplete file was kept.",
    ),
    (
        "error.save_unsupported",
        "Ce navigateur ne permet pas d'enregistrer un fichier de cette taille. Utilisez une version récente de Firefox, Chromium, Edge ou Safari, ou l'outil en ligne de commande pli.",
        "This browser cannot save a file of this size. Use a recent version of Firefox, Chromium, Edge or Safari, or the pli command-line tool.",
    ),
    (
        "error.save_blocked",
        "Le navigateur n'a pas démarré le téléchargement. Autorisez les téléchargements pour ce site, puis réessayez.",
        "The browser did not start the download. Allow downloads for this site, then try again.",
    ),
    ("exchange.receipts", "Accusés de lecture", "Read receipts"),
    (
        "exchange.receipts.none",
        "Pas encore lu par le destinataire.",
        "Not read by the recipient yet.",
    ),
    (
        "exchange.receipt",
        "Lu par {name} le {date}",
        "Read by {name} on {date}",
    ),
    (
        "exchange.receipts.hint",
        "Chaque accusé de lecture est signé par la personne qui a lu le pli, et vérifié par votre navigateur.",
        "Each read receipt is signed by the person who read the exchange, and verified by your browser.",
    ),
    (
        "exchange.ack.sending",
        "Envoi de l'accusé de lecture…",
        "Sending the read receipt…",
    ),
    (
        "exchange.ack.sent",
        "Accusé de lecture envoyé.",
        "Read receipt sent.",
    ),
    (
        "exchange.ack.failed",
        "L'accusé de lecture n'a pas pu être envoyé\u{a0}; il le sera la prochaine fois que vous ouvrirez ce pli.",
        "The read receipt could not be sent; it will be sent the next time you open this exchange.",
    ),
    ("exchange.reply", "Répondre", "Reply"),
];

pub(super) const PLURALS: &[super::PluralEntry] = &[(
    "exchange.expired.files",
    [
        "{count} fichier, {size} — supprimé",
        "{count} fichiers, {size} — supprimés",
    ],
    [
        "{count} file, {size} — deleted",
        "{count} files, {size} — deleted",
    ],
)];
