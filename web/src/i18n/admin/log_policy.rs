//! Strings of the platform page's log policy card: the witnesses and quorum in force,
//! what the relay proposes, and signing the new policy with the root.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
    (
        "admin.log_policy.title",
        "Témoins du journal public des clés",
        "Witnesses of the public key log",
    ),
    (
        "admin.log_policy.intro",
        "Les navigateurs n'acceptent le journal des clés que contresigné par ces témoins indépendants. Cette liste est signée par la clé racine de la plateforme et inscrite dans le journal lui-même.",
        "Browsers accept the key log only when countersigned by these independent witnesses. This list is signed by the platform root key and recorded in the log itself.",
    ),
    (
        "admin.log_policy.current",
        "Politique en vigueur",
        "Policy in force",
    ),
    (
        "admin.log_policy.proposed",
        "Politique proposée par le serveur",
        "Policy proposed by the server",
    ),
    (
        "admin.log_policy.differs",
        "La configuration du serveur ne correspond plus à la politique des témoins en vigueur (témoins, quorum ou ancienneté maximale des contresignatures)\u{a0}: comparez les deux politiques et vérifiez les empreintes des nouveaux témoins auprès de leurs exploitants avant de signer.",
        "The server's configuration no longer matches the witness policy in force (witnesses, quorum or maximum age of countersignatures): compare the two policies and check the new witnesses' fingerprints with their operators before signing.",
    ),
    (
        "admin.log_policy.same",
        "La configuration du serveur correspond à la politique en vigueur\u{a0}: rien à signer.",
        "The server's configuration matches the policy in force: nothing to sign.",
    ),
    (
        "admin.log_policy.quorum",
        "Témoins exigés\u{a0}:",
        "Witnesses required:",
    ),
    (
        "admin.log_policy.max_age",
        "Ancienneté maximale des contresignatures\u{a0}:",
        "Maximum age of countersignatures:",
    ),
    ("admin.log_policy.witnesses", "témoins", "witnesses"),
    ("admin.log_policy.witness", "Témoin", "Witness"),
    (
        "admin.log_policy.fingerprint",
        "Empreinte de sa clé",
        "Key fingerprint",
    ),
    (
        "admin.log_policy.sign.help",
        "La nouvelle politique est signée dans ce navigateur avec la clé racine, puis inscrite dans le journal public\u{a0}: à partir de cette inscription, tous les navigateurs n'acceptent le journal que contresigné par les nouveaux témoins.",
        "The new policy is signed in this browser with the root key, then recorded in the public log: from that entry on, every browser accepts the log only when countersigned by the new witnesses.",
    ),
    (
        "admin.log_policy.sign",
        "Signer la nouvelle politique des témoins",
        "Sign the new witness policy",
    ),
    (
        "admin.log_policy.signed",
        "Nouvelle politique signée et inscrite au journal public.",
        "New policy signed and recorded in the public log.",
    ),
];

pub(in crate::i18n) const PLURALS: &[crate::i18n::PluralEntry] = &[(
    "admin.log_policy.hours",
    ["{count} heure", "{count} heures"],
    ["{count} hour", "{count} hours"],
)];
