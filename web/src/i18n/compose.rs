//! Strings of the compose pages.

pub(super) const ENTRIES: &[super::Entry] = &[
    ("compose.title", "Envoyer un pli", "Send an exchange"),
    (
        "compose.title.reply",
        "Répondre à un pli",
        "Reply to an exchange",
    ),
    (
        "compose.lead",
        "Les fichiers sont chiffrés dans votre navigateur pour le service destinataire (et pour votre service, qui pourra les relire) avant de partir : le serveur ne peut pas les lire.",
        "Files are encrypted in your browser for the recipient service (and for your own service, which can re-read them) before they leave: the server cannot read them.",
    ),
    (
        "compose.reply.loading",
        "Chargement du pli auquel vous répondez…",
        "Loading the exchange you are replying to…",
    ),
    (
        "compose.reply.to",
        "Réponse au pli « {subject} ».",
        "Reply to the exchange “{subject}”.",
    ),
    (
        "compose.reply.unknown",
        "Réponse à un pli : choisissez vous-même le destinataire, le pli d'origine n'a pas pu être lu.",
        "Reply to an exchange: choose the recipient yourself, the original exchange could not be read.",
    ),
    ("compose.reply.prefix", "Re : ", "Re: "),
    // ----- recipient
    ("compose.recipient.legend", "Destinataire", "Recipient"),
    (
        "compose.recipient.label",
        "Service destinataire",
        "Recipient service",
    ),
    (
        "compose.recipient.choose",
        "— Choisissez un service —",
        "— Choose a service —",
    ),
    (
        "compose.recipient.loading",
        "Chargement de l'annuaire et vérification des clés…",
        "Loading the directory and verifying the keys…",
    ),
    ("compose.recipient.courts", "Juridictions", "Courts"),
    (
        "compose.recipient.departements",
        "Départements (Aide sociale à l'enfance)",
        "Départements (child welfare)",
    ),
    ("compose.recipient.others", "Autres", "Others"),
    (
        "compose.recipient.unverifiable",
        "Clé non vérifiable — envoi impossible",
        "Key cannot be verified — cannot send",
    ),
    (
        "compose.recipient.nokey",
        "Pas encore de clé — envoi impossible",
        "No key yet — cannot send",
    ),
    (
        "compose.recipient.not_latest",
        "Clé que le journal public ne confirme pas comme actuelle — envoi impossible",
        "Key the public log does not confirm as current — cannot send",
    ),
    (
        "compose.recipient.expired",
        "Clé expirée — envoi impossible",
        "Key expired — cannot send",
    ),
    (
        "compose.recipient.suspended",
        "Clé suspendue — envoi impossible",
        "Key suspended — cannot send",
    ),
    (
        "compose.recipient.problems",
        "Ces services ne peuvent pas recevoir de pli pour l'instant (grisés dans la liste) :",
        "These services cannot receive exchanges for now (greyed out in the list):",
    ),
    (
        "compose.recipient.problems.help",
        "« Clé non vérifiable » : la clé que le serveur présente pour ce service n'est pas certifiée par l'autorité de la plateforme, ou elle n'est pas sa clé actuelle selon le journal public des clés (substitution ou retour en arrière). Chiffrer pour cette clé pourrait livrer le pli à quelqu'un d'autre : l'envoi est refusé. Prévenez votre administrateur.",
        "“Key cannot be verified”: the key the server presents for this service is not certified by the platform authority, or the public key log does not hold it as its current key (substitution or rollback). Encrypting to it could deliver the exchange to someone else: sending is refused. Tell your administrator.",
    ),
    (
        "compose.recipient.none",
        "Aucun service ne peut recevoir de pli pour l'instant :",
        "No service can receive exchanges for now:",
    ),
    ("compose.recipient.verified", "Clé vérifiée", "Key verified"),
    (
        "compose.recipient.fingerprint",
        "Empreinte de la clé du service",
        "Service key fingerprint",
    ),
    (
        "compose.recipient.generation",
        "Génération de la clé",
        "Key generation",
    ),
    (
        "compose.recipient.reply_unavailable",
        "Le service qui vous a écrit ne peut pas recevoir de pli pour l'instant (clé non vérifiable).",
        "The service that wrote to you cannot receive exchanges for now (key cannot be verified).",
    ),
    // ----- details
    ("compose.details.legend", "Le pli", "The exchange"),
    ("compose.category.label", "Catégorie", "Category"),
    (
        "compose.category.choose",
        "— Choisissez une catégorie —",
        "— Choose a category —",
    ),
    (
        "compose.category.signalement",
        "Signalement",
        "Report to the prosecutor (signalement)",
    ),
    ("compose.category.rapport", "Rapport", "Report"),
    ("compose.category.decision", "Décision", "Decision"),
    (
        "compose.category.demande_evaluation",
        "Demande d'évaluation",
        "Request for an evaluation",
    ),
    ("compose.category.autre", "Autre", "Other"),
    ("compose.urgent.label", "Urgent", "Urgent"),
    (
        "compose.urgent.help",
        "Un pli urgent apparaît en tête de la boîte de réception du destinataire. Le serveur voit cette mention.",
        "An urgent exchange is shown first in the recipient's inbox. The server sees this flag.",
    ),
    ("compose.subject.label", "Objet", "Subject"),
    ("compose.message.label", "Message", "Message"),
    (
        "compose.message.help",
        "Facultatif. Chiffré avec les fichiers.",
        "Optional. Encrypted with the files.",
    ),
    (
        "compose.case.label",
        "Référence du dossier",
        "Case reference",
    ),
    (
        "compose.case.help",
        "Facultatif : numéro de dossier, référence parquet… Chiffrée avec les fichiers.",
        "Optional: file number, prosecutor's reference… Encrypted with the files.",
    ),
    ("compose.required", "obligatoire", "required"),
    // ----- files
    ("compose.files.legend", "Fichiers", "Files"),
    (
        "compose.files.drop",
        "Déposez vos fichiers ici",
        "Drop your files here",
    ),
    ("compose.files.or", "ou", "or"),
    ("compose.files.pick", "Choisir des fichiers", "Choose files"),
    (
        "compose.files.help",
        "Un ou plusieurs fichiers, de tout type. Leurs noms sont chiffrés eux aussi.",
        "One or more files, of any type. Their names are encrypted too.",
    ),
    (
        "compose.files.empty",
        "Aucun fichier choisi.",
        "No file chosen.",
    ),
    (
        "compose.files.list",
        "Fichiers du pli",
        "Files of the exchange",
    ),
    ("compose.files.remove", "Retirer", "Remove"),
    (
        "compose.files.remove.label",
        "Retirer {name}",
        "Remove {name}",
    ),
    ("compose.files.removed", "{name} retiré.", "{name} removed."),
    (
        "compose.files.duplicate",
        "Déjà dans la liste, non ajouté : {name}",
        "Already in the list, not added: {name}",
    ),
    ("compose.files.quoted", "« {name} »", "“{name}”"),
    (
        "compose.files.empty_one",
        "Le fichier {name} est vide (0 octet). L'envoyer quand même ?",
        "The file {name} is empty (0 bytes). Send it anyway?",
    ),
    (
        "compose.files.empty_help",
        "Un fichier vide ne contient rien : c'est souvent un document mal enregistré ou une copie interrompue. Vérifiez-le avant de l'envoyer.",
        "An empty file holds nothing: it is often a document that was not saved properly or a copy that was interrupted. Check it before sending.",
    ),
    (
        "compose.files.empty_confirm.one",
        "Envoyer quand même ce fichier vide",
        "Send this empty file anyway",
    ),
    (
        "compose.files.empty_confirm.many",
        "Envoyer quand même ces fichiers vides",
        "Send these empty files anyway",
    ),
    // ----- sending
    ("compose.send", "Chiffrer et envoyer", "Encrypt and send"),
    ("compose.cancel", "Annuler l'envoi", "Cancel sending"),
    ("compose.cancelling", "Annulation…", "Cancelling…"),
    (
        "compose.sending",
        "Envoi en cours : vous pouvez continuer à utiliser la page. Ne la fermez pas et ne la rechargez pas avant la fin.",
        "Sending: you can keep using the page. Do not close or reload it before the end.",
    ),
    (
        "compose.preparing",
        "Vérification de la clé du destinataire…",
        "Verifying the recipient's key…",
    ),
    (
        "compose.stalled",
        "Connexion interrompue ou très lente — nouvelle tentative…",
        "Connection interrupted or very slow — retrying…",
    ),
    (
        "compose.offline",
        "Connexion interrompue : votre appareil est hors ligne — nouvelle tentative dès son retour…",
        "Connection interrupted: your device is offline — retrying when it is back…",
    ),
    (
        "compose.cancelled",
        "Envoi annulé : rien n'a été remis au destinataire. Les parties déjà transmises sont effacées du serveur.",
        "Sending cancelled: nothing was delivered to the recipient. The parts already transmitted are erased from the server.",
    ),
    ("compose.sent.title", "Pli envoyé", "Exchange sent"),
    (
        "compose.sent.text",
        "Le pli a été chiffré, signé et remis au service destinataire. Vous verrez dans « Plis envoyés » quand il sera lu.",
        "The exchange was encrypted, signed and delivered to the recipient service. “Sent” shows when it is read.",
    ),
    ("compose.sent.view", "Voir le pli", "View the exchange"),
    ("compose.sent.outbox", "Plis envoyés", "Sent exchanges"),
    (
        "compose.sent.another",
        "Envoyer un autre pli",
        "Send another exchange",
    ),
    ("compose.retry", "Réessayer", "Retry"),
    (
        "compose.retry.help",
        "« Réessayer » reprend l'envoi là où il s'est arrêté : les fichiers sont chiffrés de nouveau, seules les parties manquantes sont transmises.",
        "“Retry” resumes the send where it stopped: the files are encrypted again, only the missing parts are transmitted.",
    ),
    (
        "compose.leave",
        "Un envoi est en cours : quitter la page l'interrompt.",
        "A transfer is in progress: leaving the page interrupts it.",
    ),
    // ----- checks before sending
    (
        "compose.check.recipient",
        "Choisissez le service destinataire.",
        "Choose the recipient service.",
    ),
    (
        "compose.check.category",
        "Choisissez une catégorie.",
        "Choose a category.",
    ),
    (
        "compose.check.subject",
        "Indiquez l'objet du pli.",
        "Enter the subject of the exchange.",
    ),
    (
        "compose.check.files",
        "Ajoutez au moins un fichier : un pli sans fichier ne peut pas être envoyé.",
        "Add at least one file: an exchange without a file cannot be sent.",
    ),
    (
        "compose.check.too_many",
        "Un pli contient au plus {max} fichiers. Retirez-en ou envoyez plusieurs plis.",
        "An exchange holds at most {max} files. Remove some or send several exchanges.",
    ),
    (
        "compose.check.subject_long",
        "L'objet est trop long ({max} octets au plus).",
        "The subject is too long (at most {max} bytes).",
    ),
    (
        "compose.check.message_long",
        "Le message est trop long ({max} octets au plus). Joignez-le plutôt comme fichier.",
        "The message is too long (at most {max} bytes). Attach it as a file instead.",
    ),
    (
        "compose.check.case_long",
        "La référence du dossier est trop longue ({max} octets au plus).",
        "The case reference is too long (at most {max} bytes).",
    ),
    (
        "compose.check.name_long",
        "Le nom de ce fichier est trop long ({max} octets au plus) : renommez-le. {name}",
        "This file's name is too long (at most {max} bytes): rename it. {name}",
    ),
    (
        "compose.check.title",
        "Le pli n'est pas prêt :",
        "The exchange is not ready:",
    ),
    // ----- errors specific to sending
    (
        "compose.error.verification",
        "La clé du service destinataire n'a pas pu être vérifiée : le serveur présente une clé qui n'est pas certifiée, ou plus ancienne qu'une clé déjà vue (substitution ou retour en arrière). Le pli n'a pas été envoyé. Prévenez votre administrateur.",
        "The recipient service's key could not be verified: the server presents a key that is not certified, or older than a key already seen (substitution or rollback). The exchange was not sent. Tell your administrator.",
    ),
    (
        "error.file_changed",
        "Un fichier a changé pendant l'envoi : le pli n'a pas été remis. Vérifiez le fichier puis réessayez.",
        "A file changed while being sent: the exchange was not delivered. Check the file and retry.",
    ),
    (
        "compose.error.network",
        "La connexion au serveur a été perdue et l'envoi n'a pas pu reprendre : le pli n'a pas été remis. Vérifiez votre réseau puis réessayez.",
        "The connection to the server was lost and the transfer could not resume: the exchange was not delivered. Check your network, then retry.",
    ),
    (
        "compose.error.io",
        "Un fichier n'a pas pu être lu (déplacé, supprimé ou modifié depuis qu'il a été choisi). Retirez-le et ajoutez-le de nouveau.",
        "A file could not be read (moved, deleted or changed since it was chosen). Remove it and add it again.",
    ),
    (
        "resume.title",
        "Un envoi a été interrompu",
        "A send was interrupted",
    ),
    (
        "resume.lead",
        "L'envoi « {subject} » n'est pas allé jusqu'au bout (page rechargée, onglet fermé ou connexion perdue). Rien n'a été remis au destinataire. Choisissez de nouveau les mêmes fichiers pour le reprendre : seules les parties manquantes seront envoyées.",
        "The send “{subject}” did not finish (page reloaded, tab closed or connection lost). Nothing was delivered to the recipient. Choose the same files again to resume it: only the missing parts will be sent.",
    ),
    ("resume.pick", "Les mêmes fichiers", "The same files"),
    ("resume.picked", "Choisis : {names}", "Chosen: {names}"),
    ("resume.send", "Reprendre l'envoi", "Resume sending"),
    (
        "resume.abandon",
        "Abandonner cet envoi",
        "Abandon this send",
    ),
    (
        "resume.done",
        "Envoi repris et terminé : le pli a été remis au destinataire.",
        "Send resumed and finished: the exchange was delivered to the recipient.",
    ),
    (
        "resume.abandoned",
        "Envoi abandonné : ce qui avait été transmis est effacé du serveur.",
        "Send abandoned: what had been transmitted is erased from the server.",
    ),
    (
        "error.resume_files",
        "Ce ne sont pas les fichiers de l'envoi interrompu : choisissez exactement les fichiers listés (mêmes noms, mêmes tailles).",
        "These are not the files of the interrupted send: choose exactly the files listed (same names, same sizes).",
    ),
    (
        "error.plan_outdated",
        "Cet envoi interrompu a été préparé par une version précédente de Pli et ne peut pas être repris sans risque : abandonnez-le, puis envoyez de nouveau.",
        "This interrupted send was prepared by an earlier version of Pli and cannot be resumed safely: abandon it, then send again.",
    ),
    (
        "resume.error.changed",
        "Le contenu d'un fichier a changé depuis le début de l'envoi : il ne peut pas être repris. Abandonnez-le, puis envoyez de nouveau.",
        "A file's content changed since the send began: it cannot be resumed. Abandon it, then send again.",
    ),
];

pub(super) const PLURALS: &[super::PluralEntry] = &[
    (
        "compose.files.count",
        [
            "{count} fichier, {size} au total",
            "{count} fichiers, {size} au total",
        ],
        [
            "{count} file, {size} in all",
            "{count} files, {size} in all",
        ],
    ),
    (
        "compose.files.added",
        ["{count} fichier ajouté.", "{count} fichiers ajoutés."],
        ["{count} file added.", "{count} files added."],
    ),
    (
        "compose.files.empty_many",
        [
            "{count} fichier est vide (0 octet) : {names}. L'envoyer quand même ?",
            "{count} fichiers sont vides (0 octet) : {names}. Les envoyer quand même ?",
        ],
        [
            "{count} file is empty (0 bytes): {names}. Send it anyway?",
            "{count} files are empty (0 bytes): {names}. Send them anyway?",
        ],
    ),
];
