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
        "Les fichiers sont chiffrés dans votre navigateur pour le service destinataire (et pour votre service, qui pourra les relire) avant de partir\u{a0}: le serveur ne peut pas les lire.",
        "Files are encrypted in your browser for the recipient service (and for your own service, so that it can read them again) before they leave: the server cannot read them.",
    ),
    (
        "compose.reply.loading",
        "Chargement du pli auquel vous répondez…",
        "Loading the exchange you are replying to…",
    ),
    (
        "compose.reply.to",
        "Réponse au pli «\u{a0}{subject}\u{a0}».",
        "Reply to the exchange “{subject}”.",
    ),
    (
        "compose.reply.unknown",
        "Réponse à un pli\u{a0}: le pli d'origine n'a pas pu être lu, choisissez vous-même le destinataire.",
        "Reply to an exchange: the original exchange could not be read, so choose the recipient yourself.",
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
        "Départements (aide sociale à l'enfance)",
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
        "compose.recipient.refused_entries",
        "Attention\u{a0}: le journal public contient, pour ce service, des modifications que personne d'habilité n'a signées (par exemple une clé publiée par un administrateur retiré). Elles ont été écartées\u{a0}: votre envoi est chiffré pour la génération vérifiée ci-dessus, jamais pour elles. Quelqu'un tente peut-être de se faire passer pour ce service\u{a0}: prévenez son administrateur et le vôtre.",
        "Warning: the public log holds changes for this service that nobody entitled signed (a key published by a removed admin, for instance). They were set aside: what you send is encrypted for the generation verified above, never for them. Someone may be trying to pass for this service: tell its administrator and yours.",
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
        "Ces services ne peuvent pas recevoir de pli pour l'instant (grisés dans la liste)\u{a0}:",
        "These services cannot receive exchanges for now (greyed out in the list):",
    ),
    (
        "compose.recipient.problems.help",
        "«\u{a0}Clé non vérifiable\u{a0}»\u{a0}: la clé que le serveur présente pour ce service n'est pas certifiée par l'autorité de la plateforme, ou le journal public des clés ne la confirme pas comme sa clé actuelle (substitution ou retour en arrière). Chiffrer le pli avec cette clé pourrait le livrer à quelqu'un d'autre\u{a0}: l'envoi est refusé. Prévenez votre administrateur.",
        "“Key cannot be verified”: the key the server presents for this service is not certified by the platform authority, or the public key log does not confirm it as the service's current key (substitution or rollback). Encrypting the exchange with it could deliver it to someone else: sending is refused. Tell your administrator.",
    ),
    (
        "compose.recipient.none",
        "Aucun service ne peut recevoir de pli pour l'instant\u{a0}:",
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
        "Request for an assessment",
    ),
    ("compose.category.autre", "Autre", "Other"),
    ("compose.urgent.label", "Urgent", "Urgent"),
    (
        "compose.urgent.help",
        "Un pli urgent apparaît en tête des plis reçus par le destinataire. Cette mention n'est pas chiffrée\u{a0}: le serveur la voit.",
        "An urgent exchange appears at the top of the recipient's inbox. This flag is not encrypted: the server can see it.",
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
        "Facultative\u{a0}: numéro de dossier, référence du parquet… Chiffrée avec les fichiers.",
        "Optional: case number, prosecutor's reference… Encrypted with the files.",
    ),
    ("compose.required", "obligatoire", "required"),
    // ----- files
    ("compose.files.legend", "Fichiers", "Files"),
    (
        "compose.files.drop",
        "Glissez-déposez vos fichiers ici",
        "Drag and drop your files here",
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
        "No files chosen.",
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
        "Déjà dans la liste, non ajouté\u{a0}: {name}",
        "Already in the list, not added: {name}",
    ),
    ("compose.files.quoted", "«\u{a0}{name}\u{a0}»", "“{name}”"),
    (
        "compose.files.empty_one",
        "Le fichier {name} est vide (0 octet). L'envoyer quand même\u{a0}?",
        "The file {name} is empty (0 bytes). Send it anyway?",
    ),
    (
        "compose.files.empty_help",
        "Un fichier vide ne contient rien\u{a0}: il s'agit souvent d'un document mal enregistré ou d'une copie interrompue. Vérifiez-le avant de l'envoyer.",
        "An empty file holds nothing: it is often a document that was not saved properly, or a copy that was interrupted. Check it before sending it.",
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
        "Envoi en cours\u{a0}: vous pouvez continuer à utiliser la page. Ne la fermez pas et ne la rechargez pas avant la fin.",
        "Sending: you can keep using the page. Do not close or reload it until sending has finished.",
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
        "Connexion interrompue\u{a0}: votre appareil est hors ligne — nouvelle tentative dès son retour…",
        "Connection interrupted: your device is offline — retrying when it is back…",
    ),
    (
        "compose.cancelled",
        "Envoi annulé\u{a0}: rien n'a été remis au destinataire. Les parties déjà transmises sont effacées du serveur.",
        "Sending cancelled: nothing was delivered to the recipient. The parts already transmitted have been erased from the server.",
    ),
    ("compose.sent.title", "Pli envoyé", "Exchange sent"),
    (
        "compose.sent.text",
        "Le pli a été chiffré, signé et remis au service destinataire. La page «\u{a0}Plis envoyés\u{a0}» vous indiquera quand il aura été lu.",
        "The exchange has been encrypted, signed and delivered to the recipient service. The “Sent” page will show when it has been read.",
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
        "«\u{a0}Réessayer\u{a0}» reprend l'envoi là où il s'est arrêté\u{a0}: les fichiers sont chiffrés de nouveau, mais seules les parties manquantes sont transmises.",
        "“Retry” resumes sending where it stopped: the files are encrypted again, but only the missing parts are transmitted.",
    ),
    (
        "compose.leave",
        "Un envoi est en cours\u{a0}: quitter la page l'interromprait.",
        "An exchange is being sent: leaving the page would interrupt it.",
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
        "Ajoutez au moins un fichier\u{a0}: un pli sans fichier ne peut pas être envoyé.",
        "Add at least one file: an exchange without a file cannot be sent.",
    ),
    (
        "compose.check.too_many",
        "Un pli peut contenir au plus {max} fichiers. Retirez-en, ou répartissez-les sur plusieurs plis.",
        "An exchange can hold at most {max} files. Remove some, or spread them over several exchanges.",
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
        "Le nom de ce fichier est trop long ({max} octets au plus)\u{a0}; renommez-le\u{a0}: {name}",
        "This file's name is too long (at most {max} bytes); rename it: {name}",
    ),
    (
        "compose.check.title",
        "Le pli n'est pas prêt\u{a0}:",
        "The exchange is not ready:",
    ),
    // ----- errors specific to sending
    (
        "compose.error.verification",
        "La clé du service destinataire n'a pas pu être vérifiée\u{a0}: le serveur présente une clé qui n'est pas certifiée, ou plus ancienne qu'une clé déjà vue (substitution ou retour en arrière). Le pli n'a pas été envoyé. Prévenez votre administrateur.",
        "The recipient service's key could not be verified: the server presents a key that is not certified, or older than a key already seen (substitution or rollback). The exchange was not sent. Tell your administrator.",
    ),
    (
        "error.file_changed",
        "Un fichier a changé pendant l'envoi\u{a0}: le pli n'a pas été remis. Vérifiez le fichier, puis réessayez.",
        "A file changed while it was being sent: the exchange was not delivered. Check the file, then try again.",
    ),
    (
        "compose.error.network",
        "La connexion au serveur a été perdue et l'envoi n'a pas pu reprendre\u{a0}: le pli n'a pas été remis. Vérifiez votre connexion réseau, puis réessayez.",
        "The connection to the server was lost and sending could not resume: the exchange was not delivered. Check your network connection, then try again.",
    ),
    (
        "compose.error.io",
        "Un fichier n'a pas pu être lu (déplacé, supprimé ou modifié depuis que vous l'avez choisi). Retirez-le, puis ajoutez-le de nouveau.",
        "A file could not be read (moved, deleted or changed since you chose it). Remove it, then add it again.",
    ),
    (
        "resume.title",
        "Un envoi a été interrompu",
        "Sending was interrupted",
    ),
    (
        "resume.lead",
        "L'envoi du pli «\u{a0}{subject}\u{a0}» n'est pas allé jusqu'au bout (page rechargée, onglet fermé ou connexion perdue). Rien n'a été remis au destinataire. Choisissez de nouveau les mêmes fichiers pour le reprendre\u{a0}: seules les parties manquantes seront envoyées.",
        "Sending the exchange “{subject}” did not finish (page reloaded, tab closed or connection lost). Nothing was delivered to the recipient. Choose the same files again to resume: only the missing parts will be sent.",
    ),
    ("resume.pick", "Les mêmes fichiers", "The same files"),
    (
        "resume.picked",
        "Fichiers choisis\u{a0}: {names}",
        "Chosen files: {names}",
    ),
    ("resume.send", "Reprendre l'envoi", "Resume sending"),
    ("resume.abandon", "Abandonner cet envoi", "Abandon sending"),
    (
        "resume.done",
        "Envoi repris et terminé\u{a0}: le pli a été remis au destinataire.",
        "Sending resumed and completed: the exchange has been delivered to the recipient.",
    ),
    (
        "resume.abandoned",
        "Envoi abandonné\u{a0}: ce qui avait été transmis a été effacé du serveur.",
        "Sending abandoned: what had been transmitted has been erased from the server.",
    ),
    (
        "error.resume_files",
        "Ce ne sont pas les fichiers de l'envoi interrompu\u{a0}: choisissez exactement les fichiers indiqués (mêmes noms, mêmes tailles).",
        "These are not the files of the interrupted exchange: choose exactly the files listed (same names, same sizes).",
    ),
    (
        "error.plan_outdated",
        "Cet envoi interrompu a été préparé par une version précédente de Pli et ne peut pas être repris sans risque\u{a0}: abandonnez-le, puis envoyez le pli de nouveau.",
        "This interrupted exchange was prepared by an earlier version of Pli and cannot be resumed safely: abandon it, then send the exchange again.",
    ),
    (
        "resume.error.changed",
        "Le contenu d'un fichier a changé depuis le début de l'envoi\u{a0}: celui-ci ne peut pas être repris. Abandonnez-le, puis envoyez le pli de nouveau.",
        "A file's content has changed since sending began: it cannot be resumed. Abandon it, then send the exchange again.",
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
            "{count} fichier est vide (0 octet)\u{a0}: {names}. L'envoyer quand même\u{a0}?",
            "{count} fichiers sont vides (0 octet)\u{a0}: {names}. Les envoyer quand même\u{a0}?",
        ],
        [
            "{count} file is empty (0 bytes): {names}. Send it anyway?",
            "{count} files are empty (0 bytes): {names}. Send them anyway?",
        ],
    ),
];
