//! Strings of the audit log panel: the chain check, the entries, their objects, details
//! and actions.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
    // ----- audit log
    ("admin.audit.title", "Journal d'audit", "Audit log"),
    (
        "admin.audit.intro",
        "Qui a fait quoi et quand, sans aucun contenu de pli. Chaque entrée est chaînée à la précédente\u{a0}: une entrée modifiée ou supprimée est détectée.",
        "Who did what and when, without any exchange content. Every entry is chained to the previous one: an edited or removed entry is detected.",
    ),
    ("admin.audit.valid", "Chaîne intègre", "Chain intact"),
    (
        "admin.audit.broken",
        "Chaîne d'audit rompue à l'entrée {seq}.",
        "Audit chain broken at entry {seq}.",
    ),
    (
        "admin.audit.broken.help",
        "Le journal a été modifié ou tronqué à partir de cette entrée. Conservez un export et prévenez l'administrateur de la plateforme.",
        "The log was edited or truncated from this entry on. Keep an export and tell the platform administrator.",
    ),
    (
        "admin.audit.head",
        "Empreinte de la dernière entrée (à noter pour comparer plus tard)\u{a0}:",
        "Hash of the last entry (note it to compare later):",
    ),
    (
        "admin.audit.verify",
        "Vérifier et actualiser",
        "Verify and refresh",
    ),
    ("admin.audit.refresh", "Actualiser", "Refresh"),
    (
        "admin.audit.export",
        "Exporter tout le journal (JSON Lines)",
        "Export the whole log (JSON Lines)",
    ),
    (
        "admin.audit.caption",
        "Dernières entrées du journal, la plus récente en premier",
        "Latest log entries, newest first",
    ),
    ("admin.audit.seq", "N°", "No."),
    ("admin.audit.date", "Date", "Date"),
    ("admin.audit.actor", "Auteur", "Actor"),
    ("admin.audit.action", "Action", "Action"),
    ("admin.audit.object", "Objet", "Object"),
    ("admin.audit.detail", "Détails", "Details"),
    ("admin.audit.system", "Système", "System"),
    (
        "admin.audit.empty",
        "Le journal est vide.",
        "The log is empty.",
    ),
    (
        "admin.audit.older",
        "Afficher des entrées plus anciennes",
        "Show older entries",
    ),
    ("admin.audit.object.user", "compte {id}", "account {id}"),
    (
        "admin.audit.object.organisation",
        "service {id}",
        "service {id}",
    ),
    ("admin.audit.object.exchange", "pli {id}", "exchange {id}"),
    (
        "admin.audit.object.log_entry",
        "entrée n°\u{a0}{id} du journal public des clés",
        "entry {id} of the public key log",
    ),
    ("admin.audit.detail.witnesses", "témoins", "witnesses"),
    (
        "admin.audit.detail.quorum",
        "témoins exigés",
        "witnesses required",
    ),
    (
        "admin.audit.detail.pair",
        "{name}\u{a0}: {value}",
        "{name}: {value}",
    ),
    ("admin.audit.detail.days", "durée (jours)", "days"),
    ("admin.audit.detail.fingerprint", "empreinte", "fingerprint"),
    (
        "admin.audit.detail.generations",
        "générations",
        "generations",
    ),
    ("admin.audit.detail.kind", "type", "kind"),
    ("admin.audit.detail.role", "rôle", "role"),
    (
        "admin.audit.detail.root_fingerprint",
        "empreinte de l'autorité",
        "authority fingerprint",
    ),
    ("admin.audit.detail.bytes", "taille", "size"),
    ("admin.audit.detail.files", "fichiers", "files"),
    ("admin.audit.detail.recipient", "destinataire", "recipient"),
    ("admin.audit.detail.urgent", "urgent", "urgent"),
    ("admin.audit.urgent.true", "oui", "yes"),
    ("admin.audit.urgent.false", "non", "no"),
    (
        "admin.audit.action.log.policy_changed",
        "Nouvelle politique des témoins du journal public",
        "New witness policy of the public log",
    ),
    (
        "admin.audit.action.platform.setup",
        "Mise en service de la plateforme",
        "Platform set-up",
    ),
    (
        "admin.audit.action.org.created",
        "Service créé",
        "Service created",
    ),
    (
        "admin.audit.action.org.retention",
        "Durée de conservation modifiée",
        "Retention changed",
    ),
    (
        "admin.audit.action.org.second_factor",
        "Règle de double authentification des membres modifiée",
        "Members' two-factor rule changed",
    ),
    (
        "admin.audit.action.member.invited",
        "Membre invité",
        "Member invited",
    ),
    (
        "admin.audit.action.member.joined",
        "Invitation acceptée (compte à certifier)",
        "Invitation accepted (account to certify)",
    ),
    (
        "admin.audit.action.member.certified",
        "Membre certifié",
        "Member certified",
    ),
    (
        "admin.audit.action.member.key_upgrade_requested",
        "Clé post-quantique demandée",
        "Post-quantum key requested",
    ),
    (
        "admin.audit.action.member.recertified",
        "Membre certifié à nouveau (clé post-quantique ou renouvellement)",
        "Member certified again (post-quantum key or renewal)",
    ),
    (
        "admin.audit.action.member.granted",
        "Clés transmises à un membre",
        "Keys granted to a member",
    ),
    (
        "admin.audit.action.member.removed",
        "Membre retiré",
        "Member removed",
    ),
    (
        "admin.audit.action.member.reset_issued",
        "Lien de recréation d'accès émis",
        "Access re-creation link issued",
    ),
    (
        "admin.audit.action.member.reset_accepted",
        "Accès recréé (compte à certifier)",
        "Access re-created (account to certify)",
    ),
    (
        "admin.audit.action.key.published",
        "Clé du service publiée",
        "Service key published",
    ),
    (
        "admin.audit.action.key.suspended",
        "Clé du service suspendue",
        "Service key suspended",
    ),
    (
        "admin.audit.action.login.succeeded",
        "Connexion réussie",
        "Successful login",
    ),
    (
        "admin.audit.action.login.failed",
        "Échec de connexion",
        "Failed login",
    ),
    (
        "admin.audit.action.password.changed",
        "Mot de passe changé",
        "Password changed",
    ),
    (
        "admin.audit.action.totp.enabled",
        "Double authentification activée",
        "Two-factor authentication turned on",
    ),
    (
        "admin.audit.action.totp.disabled",
        "Double authentification désactivée",
        "Two-factor authentication turned off",
    ),
    (
        "admin.audit.action.passkey.added",
        "Clé d'accès ajoutée",
        "Passkey added",
    ),
    (
        "admin.audit.action.passkey.removed",
        "Clé d'accès retirée",
        "Passkey removed",
    ),
    (
        "admin.audit.action.exchange.created",
        "Envoi de pli commencé",
        "Exchange upload started",
    ),
    (
        "admin.audit.action.exchange.sent",
        "Pli envoyé",
        "Exchange sent",
    ),
    (
        "admin.audit.action.exchange.delivered",
        "Pli remis",
        "Exchange delivered",
    ),
    (
        "admin.audit.action.exchange.read",
        "Pli lu (accusé de lecture)",
        "Exchange read (read receipt)",
    ),
    (
        "admin.audit.action.exchange.cancelled",
        "Envoi de pli annulé",
        "Exchange upload cancelled",
    ),
    (
        "admin.audit.action.exchange.purged",
        "Pli expiré et supprimé",
        "Exchange expired and deleted",
    ),
];

pub(in crate::i18n) const PLURALS: &[crate::i18n::PluralEntry] = &[(
    "admin.audit.valid.detail",
    [
        "{count} entrée vérifiée\u{a0}: aucune n'a été modifiée, supprimée ou déplacée.",
        "{count} entrées vérifiées\u{a0}: aucune n'a été modifiée, supprimée ou déplacée.",
    ],
    [
        "{count} entry checked: it was not edited, removed or moved.",
        "{count} entries checked: none was edited, removed or moved.",
    ],
)];
