//! What each error code means, for people.

pub(super) const ENTRIES: &[super::Entry] = &[
    (
        "error.unknown",
        "Une erreur inattendue s'est produite. Réessayez\u{a0}; si elle persiste, prévenez votre administrateur.",
        "An unexpected error occurred. Try again; if it persists, tell your administrator.",
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
        "Ce compte est protégé par une clé de compte, que cet appareil ne connaît pas encore\u{a0}: saisissez-la (elle figure sur votre kit de secours).",
        "This account is protected by an account key that this device does not know yet: enter it (it is on your recovery kit).",
    ),
    (
        "error.account_key_typo",
        "Ce n'est pas une clé de compte\u{a0}: un caractère manque, est en trop ou a été mal recopié. Une clé de compte commence par PLI1-, suivi de 28 caractères.",
        "This is not an account key: a character is missing, extra or mistyped. An account key starts with PLI1-, followed by 28 characters.",
    ),
    (
        "error.password_only_ended",
        "Ce compte s'ouvrirait avec le seul mot de passe, ce que Pli n'accepte plus depuis le 1er\u{a0}mars\u{a0}2027\u{a0}: saisissez votre clé de compte (elle figure sur votre kit de secours). Si vous n'en avez jamais reçu, demandez à votre administrateur un lien de réinitialisation.",
        "This account would open with the password alone, which Pli no longer accepts since 1 March 2027: enter your account key (it is on your recovery kit). If you never received one, ask your administrator for a reset link.",
    ),
    (
        "error.root_absent",
        "Cette action demande la clé racine de la plateforme, que ce navigateur ne détient pas\u{a0}: importez le fichier de la clé racine (section «\u{a0}Clé racine de la plateforme\u{a0}» de la page «\u{a0}Plateforme\u{a0}»).",
        "This action needs the platform root key, which this browser does not hold: import the root key file (“Platform root key” section of the “Platform” page).",
    ),
    (
        "error.root_file_invalid",
        "Ce fichier n'est pas un fichier de clé racine Pli complet\u{a0}: choisissez le fichier enregistré depuis la page «\u{a0}Plateforme\u{a0}» (pli-cle-racine-….txt), sans le modifier.",
        "This is not a complete Pli root key file: choose the file saved from the “Platform” page (pli-cle-racine-….txt), without changing it.",
    ),
    (
        "error.root_passphrase",
        "Cette phrase de passe n'ouvre pas ce fichier de clé racine (ou le fichier a été modifié).",
        "This passphrase does not open this root key file (or the file has been modified).",
    ),
    (
        "error.root_file_other",
        "Ce fichier contient la clé racine d'une autre plateforme, et non celle-ci\u{a0}: il n'a pas été importé.",
        "This file holds another platform's root key, not this one's: it has not been imported.",
    ),
    (
        "error.root_not_saved",
        "Enregistrez d'abord le fichier de la clé racine\u{a0}: la retirer du relais sans en avoir de copie la ferait perdre.",
        "Save the root key file first: taking the key off the relay without a copy would lose it.",
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
        "Activez d'abord la double authentification (page «\u{a0}Mon compte\u{a0}»).",
        "Turn on two-factor authentication first (“My account” page).",
    ),
    (
        "error.second_factor_is_passkey",
        "Ce membre se connecte avec une clé d'accès (passkey), qui lui permet d'entrer sans mot de passe puis d'en choisir un nouveau\u{a0}: son accès n'est réinitialisé que s'il a perdu aussi cette clé. Si c'est le cas, cochez la case qui le dit.",
        "This member logs in with a passkey, which lets them in without their password and then to choose a new one: their access is reset only if they lost that passkey too. If so, tick the box that says it.",
    ),
    (
        "error.reauth_required",
        "Confirmez votre mot de passe pour continuer.",
        "Confirm your password to continue.",
    ),
    (
        "error.unauthenticated",
        "Votre session avait pris fin\u{a0}: cette action n'a pas abouti. Reconnectez-vous si ce n'est pas déjà fait, puis recommencez\u{a0}; rien n'est perdu.",
        "Your session had ended: this action did not go through. Log in again if you have not already done so, then try again; nothing is lost.",
    ),
    (
        "error.locked",
        "Déverrouillez vos clés avec votre mot de passe.",
        "Unlock your keys with your password.",
    ),
    (
        "error.forbidden",
        "Vous n'avez pas les droits nécessaires pour cette action.",
        "You are not allowed to do this.",
    ),
    (
        "error.not_found",
        "Introuvable\u{a0}: ce pli ou cet élément n'existe pas ou ne vous est pas destiné.",
        "Not found: this exchange or item does not exist or is not for you.",
    ),
    (
        "error.expired",
        "Ce pli a expiré\u{a0}: ses fichiers ont été supprimés du serveur.",
        "This exchange has expired: its files have been deleted from the server.",
    ),
    (
        "error.rate_limited",
        "Trop de tentatives depuis cet appareil\u{a0}: la connexion est temporairement suspendue.",
        "Too many attempts from this device: logging in is temporarily suspended.",
    ),
    (
        "error.network",
        "Connexion au serveur impossible. Vérifiez votre connexion réseau\u{a0}; l'envoi reprendra là où il s'est arrêté.",
        "Cannot reach the server. Check your network connection; the transfer will resume where it stopped.",
    ),
    (
        "error.unavailable",
        "Le service est momentanément indisponible. Réessayez dans quelques instants.",
        "The service is temporarily unavailable. Try again in a moment.",
    ),
    (
        "error.busy",
        "Le serveur est très sollicité en ce moment. Réessayez dans quelques secondes.",
        "The server is very busy right now. Try again in a few seconds.",
    ),
    (
        "error.passkey_invalid",
        "La clé d'accès n'a pas été acceptée (demande expirée, déjà utilisée, ou clé d'un autre compte). Recommencez.",
        "The passkey was not accepted (the request expired or was already used, or the passkey is another account's). Try again.",
    ),
    (
        "error.passkey_unavailable",
        "Les clés d'accès ne fonctionnent que si Pli est ouvert par son nom de domaine, pas par une adresse IP.",
        "Passkeys only work when Pli is opened by its domain name, not an IP address.",
    ),
    (
        "error.passkey_unsupported",
        "Ce navigateur ou cette clé ne sait pas déverrouiller des clés de chiffrement (extension PRF absente)\u{a0}: connectez-vous avec votre mot de passe et votre clé de compte.",
        "This browser or authenticator cannot unlock encryption keys (no PRF extension): log in with your password and account key.",
    ),
    (
        "error.passkey_unlock",
        "Cette clé d'accès ne déverrouille pas vos clés\u{a0}: elle a peut-être été remplacée. Connectez-vous avec votre mot de passe et votre clé de compte.",
        "This passkey does not unlock your keys: it may have been replaced. Log in with your password and account key.",
    ),
    (
        "error.totp_mandatory",
        "Votre service exige la double authentification\u{a0}: elle ne peut pas être désactivée.",
        "Your service requires two-factor authentication: it cannot be turned off.",
    ),
    (
        "error.storage_full",
        "L'espace de stockage du serveur est plein. Réessayez plus tard\u{a0}; rien n'a été perdu.",
        "The server's storage is full. Try again later; nothing has been lost.",
    ),
    (
        "error.quota_exceeded",
        "Le quota de stockage de votre service est atteint.",
        "Your service has reached its storage quota.",
    ),
    (
        "error.exchange_too_large",
        "Ce pli dépasse la taille maximale autorisée.",
        "This exchange is larger than allowed.",
    ),
    (
        "error.key_not_latest",
        "Attention\u{a0}: le serveur présente pour ce destinataire une clé que le journal public des clés ne confirme pas comme sa clé actuelle (une clé ancienne, suspendue ou jamais publiée). Un pli chiffré avec elle pourrait être lu par quelqu'un d'autre\u{a0}: rien n'a été envoyé. Prévenez votre administrateur.",
        "Warning: the server presents for this recipient a key that the public key log does not confirm as its current one (an old, suspended or never published key). An exchange encrypted with it could be read by someone else: nothing was sent. Tell your administrator.",
    ),
    (
        "error.plan_not_latest",
        "Cet envoi a avancé ailleurs (dans un autre onglet ou une autre fenêtre) depuis que cette page l'a lu, ou ce navigateur n'en garde plus l'état\u{a0}: rechargez la page pour le reprendre où il en est, ou abandonnez-le.",
        "This send moved on elsewhere (in another tab or window) since this page read it, or this browser no longer keeps its state: reload the page to resume it where it stands, or abandon it.",
    ),
    (
        "error.send_under_way",
        "Cet envoi est déjà en cours dans un autre onglet ou une autre fenêtre\u{a0}: laissez-le finir là-bas (ou annulez-le là-bas) avant de le reprendre ici.",
        "This send is already under way in another tab or window: let it finish there (or cancel it there) before resuming it here.",
    ),
    (
        "error.certificate_revoked",
        "Attention\u{a0}: le serveur présente comme valide une personne dont le journal public des clés montre le certificat révoqué ou remplacé (un membre retiré, par exemple). Rien ne lui a été donné ni envoyé. Le serveur pourrait tenter de lui faire remettre une clé\u{a0}: prévenez votre administrateur.",
        "Warning: the server presents as valid a person whose certificate the public key log shows revoked or replaced (a removed member, for instance). Nothing was given or sent to them. The server may be trying to have a key handed to them: tell your administrator.",
    ),
    (
        "error.key_expired",
        "Cette clé a expiré\u{a0}: l'administrateur du service doit en publier une nouvelle (ou certifier à nouveau la personne) avant tout nouvel envoi.",
        "This key has expired: the service's administrator must publish a new one (or certify the person again) before anything else can be sent.",
    ),
    (
        "error.log_policy_refused",
        "Attention\u{a0}: le serveur présente une politique des témoins du journal public que la clé racine de la plateforme n'a pas signée, ou revient à d'anciens témoins alors qu'une politique plus récente est inscrite au journal. Il pourrait montrer des clés différentes à des personnes différentes\u{a0}: n'envoyez rien et prévenez l'administrateur de la plateforme.",
        "Warning: the server presents a witness policy for the public log that the platform root key did not sign, or goes back to former witnesses although a newer policy is in the log. It could be showing different keys to different people: send nothing and tell the platform administrator.",
    ),
    (
        "error.log_policy_invalid",
        "Cette politique des témoins ne peut pas être signée\u{a0}: elle ne suit pas la politique en vigueur (autre journal, quorum de 0 ou supérieur au nombre de témoins, ou identique à celle en vigueur), ou ne correspond pas à la configuration du serveur. Corrigez la configuration des témoins du serveur (PLI_WITNESSES, PLI_WITNESS_QUORUM).",
        "This witness policy cannot be signed: it does not follow the policy in force (another log, a quorum of 0 or above the number of witnesses, or the same as the one in force), or does not match the server's configuration. Fix the server's witness configuration (PLI_WITNESSES, PLI_WITNESS_QUORUM).",
    ),
    (
        "error.log_inconsistent",
        "Attention\u{a0}: le journal public des clés présenté par le serveur n'est pas cohérent (il n'est pas attesté par les témoins, il diffère de celui que vous avez déjà vu, il a été raccourci, ou il ne contient pas la modification que le serveur vient de confirmer). Le serveur pourrait montrer des clés différentes à des personnes différentes\u{a0}: n'envoyez rien et prévenez votre administrateur.",
        "Warning: the public key log presented by the server is not consistent (the witnesses do not vouch for it, it differs from the one you have already seen, it has been shortened, or it lacks the change the server has just confirmed). The server could be showing different keys to different people: send nothing and tell your administrator.",
    ),
    (
        "error.root_changed",
        "Attention\u{a0}: ce serveur présente une clé racine de la plateforme différente de celle que vous avez reçue (dans votre lien, de votre administrateur, ou scellée avec vos clés). Il pourrait se faire passer pour la plateforme\u{a0}: rien de ce qu'il transmet ne peut être vérifié. N'allez pas plus loin et prévenez votre administrateur.",
        "Warning: this server presents a platform root key different from the one you were given (in your link, by your administrator, or sealed with your keys). It could be impersonating the platform: nothing it serves can be verified. Go no further and tell your administrator.",
    ),
    (
        "error.verification",
        "La vérification cryptographique a échoué\u{a0}: n'utilisez pas ce contenu et prévenez votre administrateur.",
        "Cryptographic verification failed: do not use this content, and tell your administrator.",
    ),
    (
        "error.decryption",
        "Le fichier est corrompu ou tronqué\u{a0}: il ne peut pas être déchiffré.",
        "The file is corrupted or truncated: it cannot be decrypted.",
    ),
    (
        "error.stale_key_generation",
        "La clé du destinataire vient de changer. Renvoyez le pli\u{a0}: il sera chiffré avec la nouvelle clé.",
        "The recipient's key has just changed. Send the exchange again: it will be encrypted with the new key.",
    ),
    (
        "error.key_generation_suspended",
        "La clé du destinataire est suspendue. Renvoyez le pli\u{a0}: il sera chiffré avec sa clé actuelle.",
        "The recipient's key is suspended. Send the exchange again: it will be encrypted with its current key.",
    ),
    (
        "error.unknown_recipient",
        "Ce destinataire n'existe pas ou n'a pas encore de clé.",
        "This recipient does not exist or has no key yet.",
    ),
    (
        "error.invitation_invalid",
        "Ce lien n'est plus valable\u{a0}: il a déjà servi ou il a expiré. Demandez-en un nouveau à votre administrateur.",
        "This link is no longer valid: it has already been used or has expired. Ask your administrator for a new one.",
    ),
    (
        "error.already_exists",
        "Cet élément existe déjà (adresse ou code déjà utilisé).",
        "This already exists (address or code already in use).",
    ),
    (
        "error.grants_incomplete",
        "La nouvelle clé doit être transmise à tous les membres actifs.",
        "The new key must be granted to every active member.",
    ),
    (
        "error.post_quantum_required",
        "La plateforme exige une clé de service post-quantique\u{a0}: chaque membre actif doit d'abord avoir une clé post-quantique (voir «\u{a0}Clés post-quantiques\u{a0}» sur cette page).",
        "The platform requires a post-quantum service key: every active member must first have a post-quantum key (see “Post-quantum keys” on this page).",
    ),
    (
        "error.bad_request",
        "La demande est incomplète ou n'est pas valide.",
        "The request is incomplete or not valid.",
    ),
    (
        "error.invalid_json",
        "La demande est incomplète ou n'est pas valide.",
        "The request is incomplete or not valid.",
    ),
    (
        "error.wrong_state",
        "Cette action n'est pas possible en l'état actuel.",
        "This action is not possible at this stage.",
    ),
    (
        "error.origin_mismatch",
        "Requête refusée\u{a0}: elle ne provient pas de Pli.",
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
        "Erreur interne. Réessayez\u{a0}; si elle persiste, prévenez votre administrateur.",
        "Internal error. Try again; if it persists, tell your administrator.",
    ),
    (
        "error.conflict",
        "Cette action entre en conflit avec une modification récente. Rechargez la page, puis recommencez.",
        "This action conflicts with a recent change. Reload the page, then try again.",
    ),
    (
        "error.idempotency_mismatch",
        "Cet envoi a déjà été commencé avec d'autres fichiers ou un autre destinataire. Recommencez l'envoi depuis le début.",
        "This transfer was already started with other files or another recipient. Start it again from the beginning.",
    ),
    (
        "error.bad_certificate",
        "Le certificat présenté n'est pas valide\u{a0}: l'opération est refusée. Prévenez votre administrateur.",
        "The certificate presented is not valid: the operation has been refused. Tell your administrator.",
    ),
    (
        "error.bad_signature",
        "La signature ne correspond pas\u{a0}: l'opération est refusée. Prévenez votre administrateur.",
        "The signature does not match: the operation has been refused. Tell your administrator.",
    ),
    (
        "error.envelope_mismatch",
        "Le pli reçu par le serveur ne correspond pas à ce qui a été signé\u{a0}: il n'a pas été remis. Envoyez-le de nouveau.",
        "What the server received does not match what was signed: the exchange was not delivered. Send it again.",
    ),
    (
        "error.receipt_mismatch",
        "L'accusé de lecture ne correspond pas à ce pli\u{a0}: il n'a pas été enregistré.",
        "The read receipt does not match this exchange: it was not recorded.",
    ),
    (
        "error.upload_incomplete",
        "Les fichiers n'ont pas encore tous été transmis\u{a0}: l'envoi reprendra là où il s'est arrêté.",
        "Not all the files have been transmitted yet: the transfer will resume where it stopped.",
    ),
    (
        "error.part_out_of_order",
        "Une partie du fichier est arrivée dans le désordre\u{a0}: l'envoi reprendra là où il s'est arrêté.",
        "A part of the file arrived out of order: the transfer will resume where it stopped.",
    ),
    (
        "error.part_too_large",
        "Une partie du fichier est plus grande qu'annoncé\u{a0}: elle a été refusée. Relancez l'envoi.",
        "A part of the file is larger than announced: it has been refused. Start the transfer again.",
    ),
    (
        "error.part_incomplete",
        "Une partie du fichier est arrivée incomplète\u{a0}: l'envoi reprendra là où il s'est arrêté.",
        "A part of the file arrived incomplete: the transfer will resume where it stopped.",
    ),
    (
        "error.part_hash_mismatch",
        "Une partie du fichier a été altérée pendant le transfert\u{a0}: elle a été refusée et sera envoyée de nouveau.",
        "A part of the file was altered in transit: it has been refused and will be sent again.",
    ),
    (
        "error.part_interrupted",
        "La transmission d'une partie du fichier a été interrompue\u{a0}: l'envoi reprendra là où il s'est arrêté.",
        "The transmission of a part of the file was interrupted: the transfer will resume where it stopped.",
    ),
    (
        "error.too_slow",
        "Les données arrivaient trop lentement\u{a0}: le serveur a interrompu leur réception. Vérifiez votre connexion réseau\u{a0}; l'envoi reprendra là où il s'est arrêté.",
        "The data was arriving too slowly: the server stopped receiving it. Check your network connection; the transfer will resume where it stopped.",
    ),
    (
        "error.missing_digest",
        "Une partie du fichier est arrivée sans son empreinte de contrôle\u{a0}: elle a été refusée.",
        "A part of the file arrived without its checksum: it has been refused.",
    ),
    (
        "error.range_not_satisfiable",
        "La partie demandée se trouve en dehors du fichier. Recommencez l'enregistrement.",
        "The part requested is outside the file. Start saving again.",
    ),
    (
        "error.recipient_no_key",
        "Ce destinataire n'a pas encore de clé\u{a0}: aucun pli ne peut lui être envoyé pour l'instant.",
        "This recipient has no key yet: no exchange can be sent to it for now.",
    ),
    (
        "error.recipient_key_suspended",
        "La clé de ce destinataire est suspendue\u{a0}: aucun pli ne peut lui être envoyé tant que son administrateur n'en a pas publié une nouvelle.",
        "This recipient's key is suspended: no exchange can be sent to it until its administrator publishes a new one.",
    ),
];
