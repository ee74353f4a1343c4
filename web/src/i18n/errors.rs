//! What each error code means, for people.

pub(super) const ENTRIES: &[super::Entry] = &[
    (
        "error.unknown",
        "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, prévenez votre administrateur.",
        "An unexpected error occurred. Retry; if it persists, tell your administrator.",
    ),
    (
        "error.invalid_credentials",
        "Adresse électronique, mot de passe ou clé de compte incorrect.",
        "Wrong e-mail address, password or account key.",
    ),
    (
        "error.wrong_password",
        "Mot de passe incorrect.",
        "Wrong password.",
    ),
    (
        "error.account_key_needed",
        "Ce compte est protégé par une clé de compte, que cet appareil ne connaît pas encore : saisissez-la (elle figure sur votre kit de secours).",
        "This account is protected by an account key this device does not know yet: type it in (it is on your recovery kit).",
    ),
    (
        "error.account_key_typo",
        "Ce n'est pas une clé de compte : un caractère manque, est en trop ou a été mal recopié. Elle commence par PLI1- et compte 28 caractères après.",
        "This is not an account key: a character is missing, extra or mistyped. It starts with PLI1- followed by 28 characters.",
    ),
    (
        "error.root_absent",
        "Cette action demande la clé racine de la plateforme, que ce navigateur ne détient pas : importez le fichier de la clé racine (section « Clé racine » de la page Plateforme).",
        "This action needs the platform's root key, which this browser does not hold: import the root key file (« Root key » section of the Platform page).",
    ),
    (
        "error.root_file_invalid",
        "Ce fichier n'est pas un fichier de clé racine Pli complet : choisissez le fichier enregistré lors de la mise en service (pli-cle-racine-….txt), sans le modifier.",
        "This is not a complete Pli root key file: choose the file saved at set-up (pli-cle-racine-….txt), unmodified.",
    ),
    (
        "error.root_passphrase",
        "Cette phrase de passe n'ouvre pas ce fichier de clé racine (ou le fichier a été modifié).",
        "This passphrase does not open this root key file (or the file was modified).",
    ),
    (
        "error.root_file_other",
        "Ce fichier contient la clé racine d'une autre plateforme, pas celle-ci : il n'a pas été importé.",
        "This file holds another platform's root key, not this one's: it was not imported.",
    ),
    (
        "error.root_not_saved",
        "Enregistrez d'abord le fichier de la clé racine : la retirer du relais sans copie la ferait perdre.",
        "Save the root key file first: taking it off the relay without a copy would lose it.",
    ),
    (
        "error.totp_required",
        "Saisissez le code à six chiffres de votre application d'authentification.",
        "Enter the six-digit code from your authenticator app.",
    ),
    (
        "error.totp_invalid",
        "Code de vérification incorrect ou déjà utilisé. Attendez le code suivant.",
        "Wrong or already used verification code. Wait for the next code.",
    ),
    (
        "error.totp_setup_required",
        "Activez d'abord la double authentification (Mon compte).",
        "Enable two-factor authentication first (My account).",
    ),
    (
        "error.reauth_required",
        "Confirmez votre mot de passe pour continuer.",
        "Confirm your password to continue.",
    ),
    (
        "error.unauthenticated",
        "La session avait pris fin : cette action n'a pas abouti. Reconnectez-vous si ce n'est pas déjà fait, puis recommencez ; rien n'est perdu.",
        "The session had ended: this action did not go through. Log in again if you have not yet, then retry; nothing is lost.",
    ),
    (
        "error.locked",
        "Déverrouillez vos clés avec votre mot de passe.",
        "Unlock your keys with your password.",
    ),
    (
        "error.forbidden",
        "Vous n'avez pas les droits pour cette action.",
        "You are not allowed to do this.",
    ),
    (
        "error.not_found",
        "Introuvable : ce pli ou cet élément n'existe pas ou ne vous est pas destiné.",
        "Not found: this exchange or item does not exist or is not for you.",
    ),
    (
        "error.expired",
        "Ce pli a expiré : ses fichiers ont été supprimés du serveur.",
        "This exchange has expired: its files were deleted from the server.",
    ),
    (
        "error.rate_limited",
        "Trop de tentatives depuis ce poste : la connexion y est suspendue un moment.",
        "Too many attempts from this computer: logging in from it is suspended for a while.",
    ),
    (
        "error.network",
        "Connexion au serveur impossible. Vérifiez votre réseau ; l'envoi reprendra où il s'est arrêté.",
        "Cannot reach the server. Check your network; the transfer resumes where it stopped.",
    ),
    (
        "error.unavailable",
        "Le service est momentanément indisponible. Réessayez dans quelques instants.",
        "The service is temporarily unavailable. Retry in a moment.",
    ),
    (
        "error.storage_full",
        "Le stockage du serveur est plein. Réessayez plus tard ; rien n'a été perdu.",
        "The server's storage is full. Retry later; nothing was lost.",
    ),
    (
        "error.quota_exceeded",
        "Le quota de stockage de votre service est atteint.",
        "Your service's storage quota is reached.",
    ),
    (
        "error.exchange_too_large",
        "Ce pli dépasse la taille maximale autorisée.",
        "This exchange is larger than allowed.",
    ),
    (
        "error.key_not_latest",
        "Attention : le serveur présente pour ce destinataire une clé que le journal public des clés ne confirme pas comme sa clé actuelle (une clé ancienne, suspendue ou jamais publiée). Un pli chiffré pour elle pourrait être lu par quelqu'un d'autre : rien n'a été envoyé. Prévenez votre administrateur.",
        "Warning: the server presents for this recipient a key the public key log does not confirm as its current one (an old, suspended or never published key). A pli encrypted to it could be read by someone else: nothing was sent. Tell your administrator.",
    ),
    (
        "error.key_expired",
        "Cette clé a expiré : l'administrateur du service doit en publier une nouvelle (ou certifier à nouveau la personne) avant tout nouvel envoi.",
        "This key has expired: the service's administrator must publish a new one (or certify the person again) before anything more is sent.",
    ),
    (
        "error.log_inconsistent",
        "Attention : le journal public des clés présenté par le serveur n'est pas cohérent (il n'est pas attesté par les témoins, il diffère de celui que vous avez déjà vu, ou il a été raccourci). Le serveur pourrait montrer des clés différentes à différentes personnes : n'envoyez rien et prévenez votre administrateur.",
        "Warning: the public key log the server presents does not hold together (the witnesses do not vouch for it, it differs from the one you already saw, or it was shortened). The server could be showing different keys to different people: send nothing and tell your administrator.",
    ),
    (
        "error.root_changed",
        "Attention : ce serveur présente une autre clé d'autorité de la plateforme que celle que vous avez reçue (dans votre lien, de votre administrateur, ou scellée avec vos clés). Il pourrait se faire passer pour la plateforme : rien de ce qu'il sert ne peut être vérifié. Ne continuez pas et prévenez votre administrateur.",
        "Warning: this server presents another platform authority key than the one you were given (in your link, by your administrator, or sealed with your keys). It could be impersonating the platform: nothing it serves can be verified. Do not continue and tell your administrator.",
    ),
    (
        "error.verification",
        "Vérification cryptographique impossible : n'utilisez pas ce contenu et prévenez votre administrateur.",
        "Cryptographic verification failed: do not use this content and tell your administrator.",
    ),
    (
        "error.decryption",
        "Le fichier est corrompu ou tronqué : il ne peut pas être déchiffré.",
        "The file is corrupted or truncated: it cannot be decrypted.",
    ),
    (
        "error.stale_key_generation",
        "La clé du destinataire vient de changer. Renvoyez le pli : il sera chiffré avec la nouvelle clé.",
        "The recipient's key just changed. Send again: it will be encrypted with the new key.",
    ),
    (
        "error.key_generation_suspended",
        "La clé du destinataire est suspendue. Renvoyez le pli vers sa clé actuelle.",
        "The recipient's key is suspended. Send again to its current key.",
    ),
    (
        "error.unknown_recipient",
        "Ce destinataire n'existe pas ou n'a pas encore de clé.",
        "This recipient does not exist or has no key yet.",
    ),
    (
        "error.invitation_invalid",
        "Ce lien n'est plus valable : il a déjà servi ou il a expiré. Demandez-en un nouveau à votre administrateur.",
        "This link is no longer valid: it was used or it expired. Ask your administrator for a new one.",
    ),
    (
        "error.already_exists",
        "Cet élément existe déjà (adresse ou code déjà utilisé).",
        "This already exists (address or code already used).",
    ),
    (
        "error.grants_incomplete",
        "La nouvelle clé doit être transmise à tous les membres actifs.",
        "The new key must be granted to every active member.",
    ),
    (
        "error.bad_request",
        "La demande est incomplète ou invalide.",
        "The request is incomplete or invalid.",
    ),
    (
        "error.invalid_json",
        "La demande est incomplète ou invalide.",
        "The request is incomplete or invalid.",
    ),
    (
        "error.wrong_state",
        "Cette action n'est pas possible dans l'état actuel.",
        "This action is not possible in the current state.",
    ),
    (
        "error.origin_mismatch",
        "Requête refusée : elle ne provient pas de Pli.",
        "Request refused: it does not come from Pli.",
    ),
    (
        "error.io",
        "Lecture ou écriture du fichier impossible.",
        "The file could not be read or written.",
    ),
    (
        "error.cancelled",
        "Opération annulée.",
        "Operation cancelled.",
    ),
    (
        "error.internal",
        "Erreur interne. Réessayez ; si elle persiste, prévenez votre administrateur.",
        "Internal error. Retry; if it persists, tell your administrator.",
    ),
    (
        "error.conflict",
        "Cette action entre en conflit avec une modification récente. Rechargez la page puis recommencez.",
        "This action conflicts with a recent change. Reload the page, then retry.",
    ),
    (
        "error.idempotency_mismatch",
        "Cet envoi a déjà été commencé avec d'autres fichiers ou un autre destinataire. Recommencez l'envoi depuis le début.",
        "This send was already begun with other files or another recipient. Start the send again from the beginning.",
    ),
    (
        "error.bad_certificate",
        "Le certificat présenté n'est pas valide : l'opération est refusée. Prévenez votre administrateur.",
        "The certificate presented is not valid: the operation is refused. Tell your administrator.",
    ),
    (
        "error.bad_signature",
        "La signature ne correspond pas : l'opération est refusée. Prévenez votre administrateur.",
        "The signature does not match: the operation is refused. Tell your administrator.",
    ),
    (
        "error.envelope_mismatch",
        "Le pli reçu par le serveur ne correspond pas à ce qui a été signé : il n'a pas été remis. Envoyez-le de nouveau.",
        "What the server received does not match what was signed: the exchange was not delivered. Send it again.",
    ),
    (
        "error.receipt_mismatch",
        "L'accusé de lecture ne correspond pas à ce pli : il n'a pas été enregistré.",
        "The read receipt does not match this exchange: it was not recorded.",
    ),
    (
        "error.upload_incomplete",
        "Tous les fichiers ne sont pas encore transmis : l'envoi reprendra où il s'est arrêté.",
        "Not every file has been transmitted yet: the send resumes where it stopped.",
    ),
    (
        "error.part_out_of_order",
        "Une partie du fichier est arrivée dans le désordre : l'envoi reprendra où il s'est arrêté.",
        "A part of the file arrived out of order: the send resumes where it stopped.",
    ),
    (
        "error.part_too_large",
        "Une partie du fichier est plus grande qu'annoncé : elle a été refusée. Réessayez l'envoi.",
        "A part of the file is larger than announced: it was refused. Retry the send.",
    ),
    (
        "error.part_incomplete",
        "Une partie du fichier est arrivée incomplète : l'envoi reprendra où il s'est arrêté.",
        "A part of the file arrived incomplete: the send resumes where it stopped.",
    ),
    (
        "error.part_hash_mismatch",
        "Une partie du fichier a été altérée en route : elle a été refusée et sera envoyée de nouveau.",
        "A part of the file was altered on the way: it was refused and will be sent again.",
    ),
    (
        "error.part_interrupted",
        "La transmission d'une partie a été interrompue : l'envoi reprendra où il s'est arrêté.",
        "The transfer of a part was interrupted: the send resumes where it stopped.",
    ),
    (
        "error.missing_digest",
        "Une partie du fichier est arrivée sans son empreinte de contrôle : elle a été refusée.",
        "A part of the file arrived without its checksum: it was refused.",
    ),
    (
        "error.range_not_satisfiable",
        "La partie demandée est en dehors du fichier. Recommencez l'enregistrement.",
        "The part asked for is outside the file. Start saving again.",
    ),
    (
        "error.recipient_no_key",
        "Ce destinataire n'a pas encore de clé : aucun pli ne peut lui être envoyé pour l'instant.",
        "This recipient has no key yet: nothing can be sent to it for now.",
    ),
    (
        "error.recipient_key_suspended",
        "La clé de ce destinataire est suspendue : aucun pli ne peut lui être envoyé tant qu'il n'en a pas publié une nouvelle.",
        "This recipient's key is suspended: nothing can be sent to it until it publishes a new one.",
    ),
];
