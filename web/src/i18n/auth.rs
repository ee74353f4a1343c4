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
        "Checking your password… (a few seconds)",
    ),
    ("unlock.title", "Déverrouiller mes clés", "Unlock my keys"),
    (
        "unlock.help",
        "Votre session est toujours ouverte, mais vos clés ne sont conservées qu'en mémoire\u{a0}: après un rechargement de la page, saisissez votre mot de passe pour les déverrouiller.",
        "Your session is still open, but your keys are only kept in memory: after the page is reloaded, enter your password to unlock them.",
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
        "Confirmez le mot de passe",
        "Confirm the password",
    ),
    (
        "password.rules",
        "Au moins 12 caractères, difficile à deviner\u{a0}: ni mot de passe courant, ni nom, ni date, ni votre adresse électronique. Une phrase de plusieurs mots peu communs est plus sûre et plus facile à retenir. Votre mot de passe ne quitte jamais votre navigateur.",
        "At least 12 characters, and hard to guess: not a common password, a name, a date or your e-mail address. A phrase of several uncommon words is safer and easier to remember. Your password never leaves your browser.",
    ),
    (
        "password.strength.good",
        "Difficile à deviner\u{a0}: ce mot de passe convient.",
        "Hard to guess: this password will do.",
    ),
    (
        "password.strength.weak",
        "Trop facile à deviner.",
        "Too easy to guess.",
    ),
    (
        "password.strength.weak_because",
        "Trop facile à deviner\u{a0}: {reason}.",
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
        "il reprend votre nom, votre adresse électronique ou le nom de votre service",
        "it contains your name, your e-mail address or your service's name",
    ),
    (
        "password.warning.keyboard_pattern",
        "ce sont des touches voisines sur le clavier",
        "it is a row of neighbouring keys on the keyboard",
    ),
    (
        "password.warning.repeat",
        "il répète des caractères ou des groupes de caractères",
        "it repeats characters or groups of characters",
    ),
    (
        "password.warning.sequence",
        "c'est une suite comme abc ou 6543",
        "it is a sequence such as abc or 6543",
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
        "Capital letters do not help much.",
    ),
    (
        "password.suggestion.reversed",
        "Un mot écrit à l'envers ne se devine guère moins vite.",
        "A word spelt backwards is hardly any harder to guess.",
    ),
    (
        "password.suggestion.substitutions",
        "Remplacer des lettres par des signes qui leur ressemblent (@ pour a, 0 pour o) n'aide guère.",
        "Replacing letters with look-alike symbols (@ for a, 0 for o) hardly helps.",
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
        "Avoid dates and years, especially those that relate to you.",
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
        "The two passwords do not match.",
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
        "Chaque modification de l'annuaire des clés est inscrite dans un journal public, contresigné par des témoins indépendants. En créant la plateforme, vous signez avec sa clé racine la liste des témoins que tous les navigateurs exigeront\u{a0}: vérifiez leurs empreintes auprès de leurs exploitants.",
        "Every change to the key directory is recorded in a public log, countersigned by independent witnesses. By creating the platform, you sign with its root key the list of witnesses that every browser will require: check their fingerprints with their operators.",
    ),
    (
        "setup.log.quorum",
        "Témoins exigés\u{a0}:",
        "Witnesses required:",
    ),
    (
        "setup.log.none",
        "Ce serveur ne déclare aucun témoin\u{a0}: personne d'autre que lui n'attestera le journal, et un serveur malveillant pourrait montrer des annuaires différents à des personnes différentes. Ne continuez que s'il s'agit d'un essai.",
        "This server names no witnesses: nobody but the server itself will vouch for the log, and a malicious server could show different directories to different people. Continue only if this is a trial.",
    ),
    (
        "setup.help",
        "Vous créez le compte de l'administrateur de la plateforme. Votre navigateur va générer la clé racine de la plateforme et vos clés personnelles.",
        "You are creating the platform administrator's account. Your browser will generate the platform root key and your personal keys.",
    ),
    ("setup.name", "Vos prénom et nom", "Your full name"),
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
        "invitation.service",
        "Ce lien crée le compte de service «\u{a0}{name}\u{a0}» du service «\u{a0}{org}\u{a0}», pour un logiciel\u{a0}: il ne s'ouvre pas dans un navigateur. Sur la machine du logiciel, inscrivez-le avec la commande «\u{a0}pli service enrol\u{a0}» (le lien dans la variable PLI_LINK)\u{a0}; voir le guide d'intégration.",
        "This link creates the service account “{name}” of {org}, for a program: it does not open in a browser. On the program's machine, enrol it with the command “pli service enrol” (the link in the PLI_LINK variable); see the integration guide.",
    ),
    (
        "invitation.intro",
        "Vous avez reçu une invitation à rejoindre le service «\u{a0}{org}\u{a0}» {role}.",
        "You have been invited to join {org} {role}.",
    ),
    (
        "invitation.reset",
        "Votre administrateur vous permet de recréer votre accès au service «\u{a0}{org}\u{a0}». Les plis de votre service redeviendront lisibles une fois vos nouvelles clés certifiées.",
        "Your administrator lets you re-create your access to {org}. Your service's exchanges will be readable again once your new keys are certified.",
    ),
    ("invitation.submit", "Créer mon accès", "Create my access"),
    ("role.member", "en tant que membre", "as a member"),
    (
        "role.org_admin",
        "en tant qu'administrateur du service",
        "as a service administrator",
    ),
    (
        "role.platform_admin",
        "en tant qu'administrateur de la plateforme",
        "as the platform administrator",
    ),
    (
        "pending.title",
        "En attente de certification",
        "Awaiting certification",
    ),
    (
        "pending.help",
        "Vos clés sont créées. Votre administrateur doit maintenant les certifier. Lisez-lui par téléphone les empreintes ci-dessous\u{a0}: il doit voir les mêmes, caractère par caractère.",
        "Your keys have been created. Your administrator must now certify them. Read them the fingerprints below over the phone: they must see the same ones, character by character.",
    ),
    (
        "pending.refresh",
        "Mes clés sont certifiées\u{a0}: actualiser",
        "My keys are certified: refresh",
    ),
    (
        "totp.title",
        "Double authentification",
        "Two-factor authentication",
    ),
    (
        "totp.required",
        "Les administrateurs doivent activer la double authentification avant toute action d'administration.",
        "Administrators must turn on two-factor authentication before any administrative action.",
    ),
    (
        "totp.required.org",
        "Votre service exige la double authentification\u{a0}: activez-la ci-dessous pour envoyer et lire des plis.",
        "Your service requires two-factor authentication: turn it on below to send and read exchanges.",
    ),
    (
        "totp.start",
        "Activer la double authentification",
        "Turn on two-factor authentication",
    ),
    (
        "totp.scan",
        "Scannez ce code QR avec votre application d'authentification (ou saisissez-y le secret ci-dessous), puis indiquez le code à six chiffres qu'elle affiche.",
        "Scan this QR code with your authenticator app (or type the secret below into it), then enter the six-digit code it shows.",
    ),
    (
        "totp.qr",
        "Code QR à scanner avec votre application d'authentification",
        "QR code to scan with your authenticator app",
    ),
    ("totp.secret", "Secret\u{a0}:", "Secret:"),
    (
        "totp.code",
        "Code affiché par l'application",
        "Code shown by the app",
    ),
    ("totp.confirm", "Activer", "Turn on"),
    (
        "totp.enabled",
        "La double authentification est activée.",
        "Two-factor authentication is on.",
    ),
    (
        "totp.off.title",
        "Désactiver la double authentification",
        "Turn off two-factor authentication",
    ),
    (
        "totp.off.lead",
        "Sans elle, votre mot de passe et votre clé de compte suffiront pour vous connecter. Pour la désactiver, saisissez votre mot de passe et le code qu'affiche actuellement votre application. Vous pourrez la réactiver ici, avec un nouveau code QR.",
        "Without it, your password and account key will be enough to log in. To turn it off, enter your password and the code your app currently shows. You can turn it on again here, with a new QR code.",
    ),
    ("totp.off.password", "Mot de passe", "Password"),
    (
        "totp.off.mandatory",
        "Votre service exige la double authentification\u{a0}: elle ne peut pas être désactivée.",
        "Your service requires two-factor authentication: it cannot be turned off.",
    ),
    ("totp.off.submit", "Désactiver", "Turn off"),
    (
        "reauth.title",
        "Confirmez votre identité",
        "Confirm your identity",
    ),
    (
        "reauth.help",
        "Pour cette action sensible, confirmez votre mot de passe (et votre code de vérification, s'il vous est demandé).",
        "For this sensitive action, confirm your password (and your verification code, if asked).",
    ),
    (
        "login.forgot",
        "Mot de passe oublié\u{a0}? Personne ne peut le retrouver, pas même Pli\u{a0}: demandez à l'administrateur de votre service un nouveau lien d'accès. Les plis de votre service ne sont pas perdus\u{a0}: ils redeviendront lisibles une fois vos nouvelles clés certifiées.",
        "Forgotten your password? Nobody can recover it, not even Pli: ask your service's administrator for a new access link. Your service's exchanges are not lost: they will be readable again once your new keys are certified.",
    ),
    (
        "invitation.reset.title",
        "Recréer votre accès",
        "Re-create your access",
    ),
    (
        "invitation.reset.totp",
        "Votre double authentification est conservée\u{a0}: saisissez aussi un code de votre application d'authentification. Si vous l'avez perdue, demandez à votre administrateur un nouveau lien qui la retire.",
        "Your two-factor authentication is kept: enter a code from your authenticator app too. If you lost it, ask your administrator for a new link that removes it.",
    ),
    (
        "session.ended.title",
        "Votre session a pris fin",
        "Your session has ended",
    ),
    (
        "session.ended.help",
        "Votre session a peut-être été fermée depuis un autre appareil, elle a pu expirer après une période d'inactivité, ou votre administrateur a retiré votre accès. Saisissez votre mot de passe pour reprendre là où vous en étiez\u{a0}: la page reste telle quelle, rien n'est perdu. Refaites ensuite votre dernière action.",
        "Your session may have been closed from another device, it may have expired after a period of inactivity, or your administrator may have removed your access. Enter your password to carry on where you left off: the page stays as it is and nothing is lost. Then repeat your last action.",
    ),
    (
        "session.ended.refused",
        "Connexion refusée\u{a0}: le mot de passe est incorrect, ou votre administrateur a retiré votre accès. Réessayez, ou contactez votre administrateur.",
        "Login refused: the password is wrong, or your administrator has removed your access. Try again, or contact your administrator.",
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
        "Elle figure sur votre kit de secours (PLI1-…). Elle n'est demandée qu'une fois par appareil, et le serveur ne la voit jamais\u{a0}: sans elle, votre mot de passe seul n'ouvre rien.",
        "It is on your recovery kit (PLI1-…). It is only asked for once per device, and the server never sees it: without it, your password alone opens nothing.",
    ),
    ("kit.title", "Kit de secours", "Recovery kit"),
    (
        "kit.lead",
        "Votre clé de compte protège vos clés, avec votre mot de passe. Cet appareil la conserve\u{a0}; pour vous connecter depuis un autre appareil, ou si les données de ce navigateur sont effacées, il vous faudra ce kit. Personne d'autre ne l'a, pas même les administrateurs de Pli\u{a0}: sans lui et sans votre mot de passe, vos clés sont perdues.",
        "Your account key protects your keys, together with your password. This device keeps it; to log in from another device, or if this browser's data is cleared, you will need this kit. Nobody else has it, not even Pli's administrators: without it and your password, your keys are lost.",
    ),
    ("kit.address", "Adresse de Pli", "Pli's web address"),
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
        "Votre mot de passe ne figure pas sur ce kit\u{a0}: ne l'y écrivez pas.",
        "Your password is not on this kit: do not write it here.",
    ),
    (
        "kit.advice.print",
        "Imprimez cette page (ou enregistrez-la en PDF) et rangez-la en lieu sûr, comme une pièce d'identité.",
        "Print this page (or save it as a PDF) and keep it somewhere safe, like an identity document.",
    ),
    (
        "kit.advice.apart",
        "Rangez-la séparément de votre mot de passe\u{a0}: l'un sans l'autre n'ouvre rien.",
        "Keep it separate from your password: one without the other opens nothing.",
    ),
    (
        "kit.advice.lost",
        "Kit perdu et données du navigateur effacées\u{a0}? Votre administrateur peut recréer votre accès\u{a0}: vous obtiendrez de nouvelles clés et pourrez de nouveau lire les plis de votre service.",
        "Lost the kit and your browser's data? Your administrator can re-create your access: you will get new keys and be able to read your service's exchanges again.",
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
        "Mot de passe changé. Vos sessions sur les autres appareils ont été fermées\u{a0}; votre clé de compte ne change pas.",
        "Password changed. Your sessions on other devices have been closed; your account key stays the same.",
    ),
    ("account.passkeys.title", "Clés d'accès", "Passkeys"),
    (
        "account.passkeys.help",
        "Une clé d'accès (l'empreinte ou le code de cet appareil, ou une clé de sécurité) ouvre Pli et déverrouille vos clés sans mot de passe ni clé de compte. Ce qui déverrouille vos clés reste dans la clé d'accès\u{a0}: le serveur ne le voit jamais.",
        "A passkey (this device's fingerprint or PIN, or a security key) opens Pli and unlocks your keys without your password or account key. What unlocks your keys stays in the passkey: the server never sees it.",
    ),
    (
        "account.passkeys.none",
        "Aucune clé d'accès pour l'instant.",
        "No passkey yet.",
    ),
    (
        "account.passkeys.add",
        "Ajouter une clé d'accès",
        "Add a passkey",
    ),
    (
        "account.passkeys.working",
        "Suivez les instructions de votre navigateur…",
        "Follow your browser's instructions…",
    ),
    (
        "account.passkeys.added",
        "Clé d'accès ajoutée. À la prochaine connexion, choisissez «\u{a0}Se connecter avec une clé d'accès\u{a0}».",
        "Passkey added. Next time, choose “Log in with a passkey”.",
    ),
    (
        "account.passkeys.caption",
        "Vos clés d'accès, de la plus ancienne à la plus récente",
        "Your passkeys, oldest first",
    ),
    ("account.passkeys.device", "Ajoutée depuis", "Added from"),
    ("account.passkeys.created", "Ajoutée le", "Added"),
    ("account.passkeys.used", "Dernière connexion", "Last login"),
    ("account.passkeys.never", "Jamais", "Never"),
    ("account.passkeys.remove", "Retirer", "Remove"),
    (
        "login.passkey",
        "Se connecter avec une clé d'accès",
        "Log in with a passkey",
    ),
    (
        "login.passkey.email",
        "Saisissez d'abord votre adresse électronique, puis choisissez la clé d'accès.",
        "Enter your e-mail address first, then choose the passkey.",
    ),
    (
        "login.passkey.none",
        "La connexion par clé d'accès n'a pas abouti\u{a0}: la demande a été annulée, ou cet appareil n'a pas de clé d'accès de ce compte. Connectez-vous avec votre mot de passe.",
        "Logging in with a passkey did not go through: the request was cancelled, or this device has no passkey for this account. Log in with your password.",
    ),
    ("login.or", "ou", "or"),
    (
        "unlock.passkey",
        "Déverrouiller avec une clé d'accès",
        "Unlock with a passkey",
    ),
    (
        "account.sessions.title",
        "Sessions ouvertes",
        "Open sessions",
    ),
    (
        "account.sessions.help",
        "Les appareils sur lesquels votre compte est ouvert. Fermez toute session que vous ne reconnaissez pas, puis changez votre mot de passe.",
        "The devices where your account is open. Close any session you do not recognise, then change your password.",
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
        "C'était le dernier essai\u{a0}: la connexion depuis cet appareil est suspendue pendant {minutes} minutes.",
        "That was the last attempt: logging in from this device is suspended for {minutes} minutes.",
    ),
    (
        "link.incomplete",
        "Ce lien est incomplet\u{a0}: une partie a été coupée lors de la copie ou par votre messagerie. Ouvrez-le depuis le message reçu, ou recopiez-le en entier.",
        "This link is incomplete: part of it was cut off when it was copied, or by your e-mail program. Open it from the message you received, or copy it in full.",
    ),
    (
        "setup.used",
        "Ce lien de mise en service a déjà servi ou a expiré\u{a0}: la plateforme est sans doute déjà en service. Connectez-vous avec le compte créé à ce moment-là\u{a0}; si aucun compte n'a été créé, l'exploitant du relais peut obtenir un nouveau lien en redémarrant le relais, qui en affiche un tant que la plateforme n'est pas en service.",
        "This set-up link has already been used or has expired: the platform is most likely set up already. Log in with the account created then; if no account was created, the relay's operator can get a new link by restarting the relay, which prints one for as long as the platform is not set up.",
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
        "Ce lien ne contient pas l'empreinte de la plateforme\u{a0}: saisissez celle que votre administrateur vous a communiquée (huit groupes de quatre caractères). Elle garantit que vos clés seront certifiées par la vraie plateforme, et non par un serveur qui se ferait passer pour elle.",
        "This link does not include the platform fingerprint: enter the one your administrator gave you (eight groups of four characters). It guarantees that your keys will be certified by the real platform, not by a server pretending to be it.",
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
            "Attention\u{a0}: il vous reste {count} essai\u{a0}; ensuite, la connexion depuis cet appareil sera suspendue pendant {minutes} minutes.",
            "Attention\u{a0}: il vous reste {count} essais\u{a0}; ensuite, la connexion depuis cet appareil sera suspendue pendant {minutes} minutes.",
        ],
        [
            "Warning: {count} attempt left; after that, logging in from this device will be suspended for {minutes} minutes.",
            "Warning: {count} attempts left; after that, logging in from this device will be suspended for {minutes} minutes.",
        ],
    ),
];
