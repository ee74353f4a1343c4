//! Strings of logging in, setting up, accepting an invitation, unlocking, TOTP, and
//! choosing a password (the rule, the hint under the field as it is typed).

pub(super) const ENTRIES: &[super::Entry] = &[
    ("login.title", "Connexion", "Log in"),
    ("login.email", "Adresse électronique", "E-mail address"),
    ("login.password", "Mot de passe", "Password"),
    (
        "login.totp",
        "Code de vérification (6 chiffres)",
        "Verification code (6 digits)",
    ),
    ("login.submit", "Se connecter", "Log in"),
    (
        "login.deriving",
        "Vérification du mot de passe… (quelques secondes)",
        "Checking the password… (a few seconds)",
    ),
    ("unlock.title", "Déverrouiller mes clés", "Unlock my keys"),
    (
        "unlock.help",
        "Votre session est ouverte, mais vos clés ne sont gardées qu'en mémoire : saisissez votre mot de passe pour les déverrouiller.",
        "Your session is open, but your keys are only kept in memory: enter your password to unlock them.",
    ),
    ("unlock.submit", "Déverrouiller", "Unlock"),
    (
        "unlock.other",
        "Se connecter avec un autre compte",
        "Log in with another account",
    ),
    (
        "password.new",
        "Choisissez un mot de passe",
        "Choose a password",
    ),
    (
        "password.repeat",
        "Répétez le mot de passe",
        "Repeat the password",
    ),
    (
        "password.rules",
        "Au moins 12 caractères, et difficile à deviner : ni mot de passe courant, ni nom, ni date, ni votre adresse. Une phrase de plusieurs mots peu communs est plus sûre et plus facile à retenir. Il ne quitte jamais votre navigateur.",
        "At least 12 characters, and hard to guess: no common password, name, date or your address. A phrase of several uncommon words is safer and easier to remember. It never leaves your browser.",
    ),
    (
        "password.strength.good",
        "Difficile à deviner : ce mot de passe convient.",
        "Hard to guess: this password will do.",
    ),
    (
        "password.strength.weak",
        "Trop facile à deviner.",
        "Too easy to guess.",
    ),
    (
        "password.strength.weak_because",
        "Trop facile à deviner : {reason}.",
        "Too easy to guess: {reason}.",
    ),
    (
        "password.warning.common_password",
        "il ressemble à un mot de passe très utilisé",
        "it resembles a very common password",
    ),
    (
        "password.warning.common_word",
        "c'est un mot courant",
        "it is a common word",
    ),
    (
        "password.warning.name",
        "c'est un prénom ou un nom de famille courant",
        "it is a common first name or surname",
    ),
    (
        "password.warning.personal_details",
        "il reprend votre nom, votre adresse ou le nom de votre organisation",
        "it contains your name, your address or your organisation's name",
    ),
    (
        "password.warning.keyboard_pattern",
        "ce sont des touches voisines sur le clavier",
        "these are neighbouring keys on the keyboard",
    ),
    (
        "password.warning.repeat",
        "il répète des caractères ou des groupes de caractères",
        "it repeats characters or groups of characters",
    ),
    (
        "password.warning.sequence",
        "c'est une suite comme abc ou 6543",
        "it is a sequence like abc or 6543",
    ),
    (
        "password.warning.date",
        "les dates et les années se devinent facilement",
        "dates and years are easy to guess",
    ),
    (
        "password.suggestion.add_words",
        "Ajoutez des mots peu communs.",
        "Add uncommon words.",
    ),
    (
        "password.suggestion.capitals",
        "Les majuscules n'aident pas beaucoup.",
        "Capital letters hardly help.",
    ),
    (
        "password.suggestion.reversed",
        "Un mot écrit à l'envers ne se devine guère moins vite.",
        "A word written backwards is hardly harder to guess.",
    ),
    (
        "password.suggestion.substitutions",
        "Remplacer des lettres par des signes qui leur ressemblent (@ pour a, 0 pour o) n'aide guère.",
        "Swapping letters for look-alike signs (@ for a, 0 for o) hardly helps.",
    ),
    (
        "password.suggestion.avoid_keyboard_patterns",
        "Évitez les rangées de touches du clavier.",
        "Avoid rows of keyboard keys.",
    ),
    (
        "password.suggestion.avoid_repeats",
        "Évitez de répéter des mots ou des caractères.",
        "Avoid repeating words or characters.",
    ),
    (
        "password.suggestion.avoid_sequences",
        "Évitez les suites de lettres ou de chiffres.",
        "Avoid sequences of letters or digits.",
    ),
    (
        "password.suggestion.avoid_dates",
        "Évitez les dates et les années, surtout celles qui vous concernent.",
        "Avoid dates and years, above all those associated with you.",
    ),
    (
        "error.password_too_short",
        "Le mot de passe doit contenir au moins 12 caractères.",
        "The password must be at least 12 characters long.",
    ),
    (
        "error.password_weak",
        "Ce mot de passe est trop facile à deviner. Choisissez une phrase de plusieurs mots peu communs.",
        "This password is too easy to guess. Choose a phrase of several uncommon words.",
    ),
    (
        "error.password_check_unavailable",
        "Le contrôle du mot de passe n'a pas pu être chargé, et rien n'a été envoyé. Vérifiez votre connexion, puis rechargez la page.",
        "The password check could not be loaded, and nothing was sent. Check your connection, then reload the page.",
    ),
    (
        "error.password_mismatch",
        "Les deux mots de passe ne sont pas identiques.",
        "The two passwords differ.",
    ),
    (
        "setup.title",
        "Mise en service de la plateforme",
        "Platform set-up",
    ),
    (
        "setup.log.title",
        "Journal public des clés",
        "Public key log",
    ),
    (
        "setup.log.help",
        "Chaque changement de l'annuaire des clés est inscrit dans un journal que des témoins indépendants contresignent. En créant la plateforme, vous signez avec la clé d'autorité la liste des témoins que tous les navigateurs exigeront : vérifiez leurs empreintes auprès de leurs opérateurs.",
        "Every change to the key directory is written to a log that independent witnesses countersign. By creating the platform, you sign with the authority key the list of witnesses every browser will require: check their fingerprints with their operators.",
    ),
    (
        "setup.log.quorum",
        "Témoins exigés :",
        "Witnesses required:",
    ),
    (
        "setup.log.none",
        "Ce serveur ne déclare aucun témoin : le journal ne sera attesté par personne d'autre que lui, et un serveur malveillant pourrait montrer des annuaires différents à différentes personnes. Ne continuez que pour un essai.",
        "This server names no witness: nobody but itself will vouch for the log, and a malicious server could show different directories to different people. Continue only for a trial.",
    ),
    (
        "setup.help",
        "Vous créez le compte de l'administrateur de la plateforme. Votre navigateur va générer la clé de l'autorité de la plateforme et vos clés personnelles.",
        "You are creating the platform administrator's account. Your browser will generate the platform authority key and your personal keys.",
    ),
    ("setup.name", "Votre nom", "Your name"),
    (
        "setup.submit",
        "Créer le compte et les clés",
        "Create the account and keys",
    ),
    (
        "setup.generating",
        "Génération des clés dans votre navigateur…",
        "Generating keys in your browser…",
    ),
    ("invitation.title", "Invitation", "Invitation"),
    (
        "invitation.intro",
        "Vous êtes invité(e) à rejoindre {org} en tant que {role}.",
        "You are invited to join {org} as {role}.",
    ),
    (
        "invitation.reset",
        "Votre administrateur vous permet de recréer votre accès à {org}. Vos anciens plis resteront lisibles une fois vos nouvelles clés certifiées.",
        "Your administrator lets you re-create your access to {org}. Your former exchanges will be readable again once your new keys are certified.",
    ),
    ("invitation.submit", "Créer mon accès", "Create my access"),
    ("role.member", "membre", "member"),
    (
        "role.org_admin",
        "administrateur du service",
        "service administrator",
    ),
    (
        "role.platform_admin",
        "administrateur de la plateforme",
        "platform administrator",
    ),
    (
        "pending.title",
        "En attente de certification",
        "Awaiting certification",
    ),
    (
        "pending.help",
        "Vos clés sont créées. Votre administrateur doit maintenant les certifier. Communiquez-lui par téléphone l'empreinte ci-dessous : il doit voir la même.",
        "Your keys are created. Your administrator must now certify them. Read them the fingerprint below over the phone: they must see the same one.",
    ),
    (
        "pending.refresh",
        "J'ai été certifié(e) : actualiser",
        "I have been certified: refresh",
    ),
    (
        "totp.title",
        "Double authentification",
        "Two-factor authentication",
    ),
    (
        "totp.required",
        "Les administrateurs doivent activer la double authentification avant toute action d'administration.",
        "Administrators must enable two-factor authentication before any administrative action.",
    ),
    (
        "totp.start",
        "Activer la double authentification",
        "Enable two-factor authentication",
    ),
    (
        "totp.scan",
        "Scannez ce code avec votre application d'authentification, ou saisissez-y le secret à la main, puis saisissez le code qu'elle affiche.",
        "Scan this code with your authenticator app, or type the secret into it by hand, then enter the code it shows.",
    ),
    (
        "totp.qr",
        "Code QR à scanner avec votre application d'authentification",
        "QR code to scan with your authenticator app",
    ),
    ("totp.secret", "Secret", "Secret"),
    (
        "totp.code",
        "Code affiché par l'application",
        "Code shown by the app",
    ),
    ("totp.confirm", "Activer", "Enable"),
    (
        "totp.enabled",
        "La double authentification est activée.",
        "Two-factor authentication is on.",
    ),
    (
        "totp.off.title",
        "Désactiver la double authentification",
        "Turn two-factor authentication off",
    ),
    (
        "totp.off.lead",
        "Sans elle, votre mot de passe et votre clé de compte suffiront pour vous connecter. Pour la désactiver, saisissez votre mot de passe et un code actuel. Vous pourrez la réactiver ici, avec un nouveau code QR.",
        "Without it, your password and account key will be enough to log in. To turn it off, type your password and a current code. You can turn it on again here, with a new QR code.",
    ),
    ("totp.off.password", "Mot de passe", "Password"),
    ("totp.off.submit", "Désactiver", "Turn off"),
    (
        "reauth.title",
        "Confirmez votre identité",
        "Confirm your identity",
    ),
    (
        "reauth.help",
        "Cette action sensible demande votre mot de passe (et votre code).",
        "This sensitive action requires your password (and your code).",
    ),
    (
        "login.forgot",
        "Mot de passe oublié ? Personne ne peut le retrouver, pas même Pli : demandez à l'administrateur de votre service un nouveau lien d'accès. Vos plis ne sont pas perdus ; ils redeviendront lisibles une fois vos nouvelles clés certifiées.",
        "Forgot your password? Nobody can recover it, not even Pli: ask your service's administrator for a new access link. Your exchanges are not lost; they become readable again once your new keys are certified.",
    ),
    (
        "invitation.reset.title",
        "Recréer votre accès",
        "Re-create your access",
    ),
    (
        "session.ended.title",
        "Votre session a pris fin",
        "Your session ended",
    ),
    (
        "session.ended.help",
        "Vous vous êtes peut-être déconnecté(e) depuis un autre endroit, votre session a expiré après une période d'inactivité, ou votre administrateur a retiré votre accès. Saisissez votre mot de passe pour reprendre là où vous en étiez : la page reste telle quelle, rien n'est perdu. Refaites ensuite la dernière action.",
        "You may have logged out somewhere else, your session expired after a period of inactivity, or your administrator removed your access. Enter your password to carry on where you were: the page stays as it is, nothing is lost. Then do the last action again.",
    ),
    (
        "session.ended.refused",
        "Connexion refusée : le mot de passe est incorrect, ou votre administrateur a retiré votre accès. Réessayez, ou contactez votre administrateur.",
        "Log-in refused: the password is wrong, or your administrator removed your access. Try again, or contact your administrator.",
    ),
    ("session.ended.submit", "Se reconnecter", "Log in again"),
    (
        "session.ended.other",
        "Se connecter avec un autre compte",
        "Log in with another account",
    ),
    // ----- account key and kit de secours
    ("login.account_key", "Clé de compte", "Account key"),
    (
        "login.account_key.help",
        "Elle figure sur votre kit de secours (PLI1-…). Elle n'est demandée qu'une fois par appareil, et le serveur ne la voit jamais : sans elle, votre mot de passe seul n'ouvre rien.",
        "It is on your recovery kit (PLI1-…). It is asked once per device, and the server never sees it: without it, your password alone opens nothing.",
    ),
    ("kit.title", "Kit de secours", "Recovery kit"),
    (
        "kit.lead",
        "Votre clé de compte protège vos clés avec votre mot de passe. Cet appareil la garde ; pour vous connecter depuis un autre appareil, ou si ce navigateur est effacé, il vous faudra ce kit. Personne d'autre ne l'a, pas même les administrateurs de Pli : sans lui et sans votre mot de passe, vos clés sont perdues.",
        "Your account key protects your keys together with your password. This device keeps it; to log in from another device, or if this browser is cleared, you will need this kit. Nobody else has it, not even Pli's administrators: without it and your password, your keys are lost.",
    ),
    ("kit.address", "Adresse de Pli", "Pli's address"),
    ("kit.account", "Compte", "Account"),
    ("kit.key", "Clé de compte", "Account key"),
    (
        "kit.root",
        "Empreinte de la plateforme",
        "Platform fingerprint",
    ),
    (
        "kit.qr",
        "La clé de compte en code QR",
        "The account key as a QR code",
    ),
    (
        "kit.password",
        "Votre mot de passe n'est pas sur ce kit : ne l'y écrivez pas.",
        "Your password is not on this kit: do not write it here.",
    ),
    (
        "kit.advice.print",
        "Imprimez cette page (ou enregistrez-la en PDF) et rangez-la en lieu sûr, comme un document d'identité.",
        "Print this page (or save it as PDF) and keep it somewhere safe, like an identity document.",
    ),
    (
        "kit.advice.apart",
        "Gardez-la à l'écart de votre mot de passe : l'un sans l'autre n'ouvre rien.",
        "Keep it apart from your password: one without the other opens nothing.",
    ),
    (
        "kit.advice.lost",
        "Kit perdu et navigateur effacé ? Votre administrateur peut réinitialiser votre compte : vous aurez de nouvelles clés et relirez les plis de votre service.",
        "Kit lost and browser cleared? Your administrator can reset your account: you will get new keys and read your service's exchanges again.",
    ),
    ("kit.print", "Imprimer le kit", "Print the kit"),
    (
        "kit.done",
        "J'ai mis mon kit en lieu sûr",
        "I have put my kit somewhere safe",
    ),
    ("account.password.title", "Mot de passe", "Password"),
    (
        "account.password.current",
        "Mot de passe actuel",
        "Current password",
    ),
    (
        "account.password.submit",
        "Changer le mot de passe",
        "Change the password",
    ),
    (
        "account.password.done",
        "Mot de passe changé. Vos sessions sur les autres appareils ont été fermées ; votre clé de compte ne change pas.",
        "Password changed. Your sessions on other devices were closed; your account key stays the same.",
    ),
    (
        "account.sessions.title",
        "Sessions ouvertes",
        "Open sessions",
    ),
    (
        "account.sessions.help",
        "Les appareils où votre compte est ouvert. Fermez une session que vous ne reconnaissez pas, puis changez votre mot de passe.",
        "The devices where your account is open. Close a session you do not recognise, then change your password.",
    ),
    (
        "account.sessions.caption",
        "Vos sessions, de la plus récemment utilisée à la plus ancienne",
        "Your sessions, most recently used first",
    ),
    ("account.sessions.device", "Appareil", "Device"),
    ("account.sessions.opened", "Ouverte le", "Opened"),
    (
        "account.sessions.seen",
        "Dernière activité",
        "Last activity",
    ),
    (
        "account.sessions.unknown",
        "Appareil non identifié",
        "Unidentified device",
    ),
    ("account.sessions.this", "Cette session", "This session"),
    (
        "account.sessions.end",
        "Fermer la session",
        "Close the session",
    ),
    (
        "attempts.none",
        "C'était le dernier essai : la connexion depuis ce poste est suspendue {minutes} minutes.",
        "That was the last attempt: logging in from this computer is suspended for {minutes} minutes.",
    ),
    (
        "link.incomplete",
        "Ce lien est incomplet : une partie a été coupée en le copiant ou par la messagerie. Ouvrez-le depuis le message reçu, ou recopiez-le en entier.",
        "This link is incomplete: part of it was cut when copied or by the mail client. Open it from the message you received, or copy it whole.",
    ),
    (
        "setup.used",
        "Ce lien de mise en service a déjà servi ou a expiré : la plateforme est sans doute déjà en service. Connectez-vous avec le compte créé alors ; s'il n'a jamais été créé, l'exploitant du relais obtient un nouveau lien en redémarrant le relais, qui l'affiche tant que la plateforme n'est pas en service.",
        "This set-up link was already used or has expired: the platform is most likely set up already. Log in with the account made then; if none was made, the relay's operator gets a new link by restarting the relay, which prints one as long as the platform is not set up.",
    ),
    ("setup.used.login", "Se connecter", "Log in"),
    (
        "account.kit",
        "Revoir mon kit de secours",
        "See my recovery kit again",
    ),
    (
        "invitation.root",
        "Empreinte de la plateforme",
        "Platform fingerprint",
    ),
    (
        "invitation.root.help",
        "Ce lien ne contient pas l'empreinte de la plateforme : saisissez celle que votre administrateur vous a communiquée (huit groupes de quatre caractères). Elle garantit que vos clés seront certifiées par la vraie plateforme, et non par un serveur qui s'en ferait passer pour elle.",
        "This link does not carry the platform's fingerprint: type the one your administrator gave you (eight groups of four characters). It guarantees your keys will be certified by the real platform, not by a server pretending to be it.",
    ),
];

pub(super) const PLURALS: &[super::PluralEntry] = &[
    (
        "password.strength.short",
        [
            "Encore {count} caractère au moins.",
            "Encore {count} caractères au moins.",
        ],
        [
            "At least {count} more character.",
            "At least {count} more characters.",
        ],
    ),
    (
        "attempts.wait.minutes",
        [
            "Réessayez dans {count} minute.",
            "Réessayez dans {count} minutes.",
        ],
        [
            "Try again in {count} minute.",
            "Try again in {count} minutes.",
        ],
    ),
    (
        "attempts.wait.seconds",
        [
            "Réessayez dans {count} seconde.",
            "Réessayez dans {count} secondes.",
        ],
        [
            "Try again in {count} second.",
            "Try again in {count} seconds.",
        ],
    ),
    (
        "attempts.left",
        [
            "Attention : il vous reste {count} essai ; ensuite, la connexion depuis ce poste sera suspendue {minutes} minutes.",
            "Attention : il vous reste {count} essais ; ensuite, la connexion depuis ce poste sera suspendue {minutes} minutes.",
        ],
        [
            "Careful: {count} attempt left; after that, logging in from this computer is suspended for {minutes} minutes.",
            "Careful: {count} attempts left; after that, logging in from this computer is suspended for {minutes} minutes.",
        ],
    ),
];
