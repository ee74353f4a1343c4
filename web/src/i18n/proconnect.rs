//! Strings of ProConnect sign-in: the login page's button and what follows it, why a
//! sign-in did not go through, and the admin's panel (SIRET numbers, the rule).

pub(super) const ENTRIES: &[super::Entry] = &[
    (
        "proconnect.button",
        "S'identifier avec ProConnect",
        "Sign in with ProConnect",
    ),
    (
        "proconnect.what",
        "Qu'est-ce que ProConnect\u{a0}?",
        "What is ProConnect?",
    ),
    (
        "proconnect.help",
        "ProConnect est l'identifiant des agents publics. Il confirme qui vous êtes\u{a0}; il ne voit jamais vos clés, que votre mot de passe et votre clé de compte (ou une clé d'accès) déverrouillent ensuite sur cet appareil.",
        "ProConnect is the sign-in of public agents. It confirms who you are; it never sees your keys, which your password and account key (or a passkey) then unlock on this device.",
    ),
    (
        "proconnect.signed_in.title",
        "Identifié avec ProConnect",
        "Signed in with ProConnect",
    ),
    (
        "proconnect.signed_in.help",
        "ProConnect a confirmé votre identité. Pour ouvrir vos plis, déverrouillez maintenant vos clés\u{a0}: ProConnect ne les voit jamais.",
        "ProConnect confirmed who you are. To open your exchanges, now unlock your keys: ProConnect never sees them.",
    ),
    ("proconnect.siret", "SIRET", "SIRET"),
    (
        "proconnect.invited",
        "Un lien Pli vous attend (une invitation, ou la réinitialisation de votre compte)\u{a0}: rouvrez maintenant le lien que vous avez reçu pour choisir votre mot de passe.",
        "A Pli link is waiting for you (an invitation, or your account's reset): now open the link you received again to choose your password.",
    ),
    (
        "invitation.proconnect",
        "Votre service exige une identification avec ProConnect\u{a0}: identifiez-vous d'abord, puis rouvrez ce lien tel que vous l'avez reçu.",
        "Your service requires signing in with ProConnect: sign in first, then open this link again as you received it.",
    ),
    (
        "invitation.proconnect.elsewhere",
        "Vous êtes identifié(e) avec ProConnect comme {email}, et non comme l'adresse de ce lien.",
        "You are signed in with ProConnect as {email}, not as this link's address.",
    ),
    (
        "invitation.proconnect.done",
        "Identifié(e) avec ProConnect\u{a0}: {name}.",
        "Signed in with ProConnect: {name}.",
    ),
    (
        "proconnect.not_me",
        "Ce n'est pas vous\u{a0}? Identifiez-vous de nouveau avec ProConnect.",
        "Not you? Sign in with ProConnect again.",
    ),
    (
        "proconnect.failure.title",
        "La connexion avec ProConnect n'a pas abouti",
        "Signing in with ProConnect did not go through",
    ),
    (
        "proconnect.failure.unavailable",
        "ProConnect n'est pas disponible pour le moment (ou n'est pas proposé sur cette plateforme). Réessayez plus tard, ou connectez-vous avec votre mot de passe si votre service le permet.",
        "ProConnect is not available right now (or not offered on this platform). Try again later, or log in with your password if your service allows it.",
    ),
    (
        "proconnect.failure.busy",
        "Trop de connexions ProConnect sont en cours depuis votre réseau ou sur la plateforme. Réessayez dans quelques minutes.",
        "Too many ProConnect sign-ins are under way from your network or on the platform. Try again in a few minutes.",
    ),
    (
        "proconnect.failure.state_unknown",
        "Ce retour de ProConnect ne correspond à aucune connexion en cours (il a déjà servi, ou ne vient pas de Pli). Recommencez depuis le bouton ProConnect.",
        "This return from ProConnect matches no sign-in under way (it was already used, or does not come from Pli). Start again from the ProConnect button.",
    ),
    (
        "proconnect.failure.state_expired",
        "La connexion avec ProConnect a pris trop de temps et a expiré. Recommencez depuis le bouton ProConnect.",
        "Signing in with ProConnect took too long and expired. Start again from the ProConnect button.",
    ),
    (
        "proconnect.failure.browser_mismatch",
        "Ce retour de ProConnect n'arrive pas dans le navigateur qui a commencé la connexion. Recommencez depuis le bouton ProConnect, dans ce navigateur.",
        "This return from ProConnect does not reach the browser that began the sign-in. Start again from the ProConnect button, in this browser.",
    ),
    (
        "proconnect.failure.provider_refused",
        "ProConnect n'a pas confirmé votre identité (connexion annulée ou refusée).",
        "ProConnect did not confirm who you are (sign-in cancelled or refused).",
    ),
    (
        "proconnect.failure.code_refused",
        "ProConnect a refusé de confirmer cette connexion (son code a déjà servi, ou n'a pas été émis pour elle). Recommencez depuis le bouton ProConnect.",
        "ProConnect refused to confirm this sign-in (its code was already used, or was not issued for it). Start again from the ProConnect button.",
    ),
    (
        "proconnect.failure.token_invalid",
        "La réponse de ProConnect n'a pas pu être vérifiée\u{a0}: la connexion est refusée par précaution.",
        "ProConnect's answer could not be verified: the sign-in is refused as a precaution.",
    ),
    (
        "proconnect.failure.nonce_mismatch",
        "La réponse de ProConnect a été émise pour une autre connexion que la vôtre\u{a0}: elle est refusée. Recommencez depuis le bouton ProConnect.",
        "ProConnect's answer was issued for another sign-in than yours: it is refused. Start again from the ProConnect button.",
    ),
    (
        "proconnect.failure.acr_insufficient",
        "ProConnect vous a identifié avec un niveau de garantie plus faible que celui que Pli demande.",
        "ProConnect identified you with a lower level of assurance than Pli asks for.",
    ),
    (
        "proconnect.failure.siret_refused",
        "ProConnect vous rattache à un établissement (SIRET) qui n'est pas celui de votre service dans Pli. Demandez à l'administrateur de votre service d'ajouter ce SIRET.",
        "ProConnect ties you to an establishment (SIRET) that is not your service's in Pli. Ask your service's administrator to add this SIRET.",
    ),
    (
        "proconnect.failure.unknown_account",
        "Aucun compte Pli n'existe pour l'adresse que ProConnect a donnée. Un compte se crée sur invitation de l'administrateur de votre service.",
        "No Pli account exists for the address ProConnect gave. Accounts are created when your service's administrator invites you.",
    ),
    (
        "proconnect.failure.linked_elsewhere",
        "Ce compte Pli est déjà rattaché à une autre identité ProConnect. Adressez-vous à l'administrateur de votre service.",
        "This Pli account is already tied to another ProConnect identity. Ask your service's administrator.",
    ),
    (
        "error.proconnect_required",
        "Votre service exige une identification avec ProConnect avant d'ouvrir vos clés\u{a0}: utilisez le bouton «\u{a0}S'identifier avec ProConnect\u{a0}».",
        "Your service requires signing in with ProConnect before your keys open: use the “Sign in with ProConnect” button.",
    ),
    (
        "error.proconnect_mismatch",
        "L'identification ProConnect faite dans ce navigateur concerne un autre compte\u{a0}: elle a été écartée. Recommencez avec le bon compte.",
        "The ProConnect sign-in made in this browser was for another account: it has been set aside. Start again with the right account.",
    ),
    (
        "admin.proconnect.title",
        "Identification ProConnect",
        "ProConnect sign-in",
    ),
    (
        "admin.proconnect.help",
        "Les agents de ces établissements peuvent s'identifier avec ProConnect. Leurs clés restent déverrouillées par leur mot de passe et leur clé de compte, ou une clé d'accès\u{a0}: ProConnect ne les voit jamais.",
        "Agents of these establishments can sign in with ProConnect. Their keys are still unlocked by their password and account key, or a passkey: ProConnect never sees them.",
    ),
    (
        "admin.proconnect.sirets",
        "SIRET du service (un par ligne)",
        "The service's SIRET numbers (one per line)",
    ),
    (
        "admin.proconnect.required",
        "Exiger ProConnect de chaque personne du service (les comptes de logiciel n'en ont pas besoin)",
        "Require ProConnect of every person of the service (software accounts do not need it)",
    ),
    ("admin.proconnect.submit", "Enregistrer", "Save"),
    ("admin.proconnect.saved", "Enregistré.", "Saved."),
    (
        "admin.proconnect.invalid",
        "Ce n'est pas un SIRET valide (14 chiffres, clé de contrôle comprise)\u{a0}:",
        "This is not a valid SIRET (14 digits, check key included):",
    ),
    (
        "admin.proconnect.needs_siret",
        "Pour exiger ProConnect, indiquez au moins un SIRET.",
        "To require ProConnect, give at least one SIRET.",
    ),
];
