//! Strings shared across the app: its name, navigation, generic actions.

pub(super) const ENTRIES: &[super::Entry] = &[
    ("app.name", "Pli", "Pli"),
    (
        "app.tagline",
        "Échanges chiffrés entre les services de protection de l'enfance et les juridictions",
        "Encrypted exchanges between child-welfare services and the courts",
    ),
    ("nav.inbox", "Plis reçus", "Inbox"),
    ("nav.outbox", "Plis envoyés", "Sent"),
    ("nav.send", "Envoyer un pli", "Send an exchange"),
    ("nav.admin", "Administration", "Administration"),
    ("nav.platform", "Plateforme", "Platform"),
    ("nav.settings", "Mon compte", "My account"),
    ("nav.logout", "Se déconnecter", "Log out"),
    ("nav.main", "Navigation principale", "Main navigation"),
    ("nav.skip", "Aller au contenu", "Skip to content"),
    ("lang.switch", "English", "Français"),
    (
        "lang.switch.label",
        "Switch to English",
        "Passer en français",
    ),
    ("action.cancel", "Annuler", "Cancel"),
    ("action.confirm", "Confirmer", "Confirm"),
    ("action.continue", "Continuer", "Continue"),
    ("action.retry", "Réessayer", "Retry"),
    ("action.close", "Fermer", "Close"),
    ("state.loading", "Chargement…", "Loading…"),
    ("state.working", "Traitement en cours…", "Please wait…"),
    (
        "fingerprint.help",
        "Comparez cette empreinte avec celle que voit votre interlocuteur, par un autre moyen que Pli (par téléphone, par exemple).",
        "Compare this fingerprint with the one your contact sees, by some other means than Pli (by phone, for example).",
    ),
    (
        "fingerprint.help.many",
        "Comparez ces empreintes avec celles que voit votre interlocuteur, par un autre moyen que Pli (par téléphone, par exemple).",
        "Compare these fingerprints with the ones your contact sees, by some other means than Pli (by phone, for example).",
    ),
    (
        "fingerprint.mine.signing",
        "Empreinte de ma clé de signature",
        "My signing key fingerprint",
    ),
    (
        "fingerprint.mine.encryption",
        "Empreinte de ma clé de chiffrement",
        "My encryption key fingerprint",
    ),
    (
        "fingerprint.root",
        "Empreinte de la plateforme",
        "Platform fingerprint",
    ),
    (
        "progress.derive",
        "Calcul de la clé à partir du mot de passe",
        "Deriving the key from the password",
    ),
    ("progress.encrypt", "Chiffrement", "Encrypting"),
    ("progress.upload", "Envoi", "Uploading"),
    (
        "progress.download",
        "Téléchargement et déchiffrement",
        "Downloading and decrypting",
    ),
    (
        "footer.security",
        "Les fichiers sont chiffrés dans votre navigateur\u{a0}; le serveur ne peut pas les lire.",
        "Files are encrypted in your browser; the server cannot read them.",
    ),
];
