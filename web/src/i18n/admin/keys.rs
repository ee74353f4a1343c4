//! Strings of the service key panel: generations, rotation, suspension.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
    // ----- keys
    ("admin.keys.title", "Clé du service", "Service key"),
    (
        "admin.keys.intro",
        "Les plis adressés au service sont chiffrés avec sa clé actuelle. Renouvelez-la régulièrement, après un départ, ou si vous soupçonnez une compromission\u{a0}: les anciens plis restent lisibles par les membres actuels.",
        "Exchanges sent to the service are encrypted to its current key. Renew it regularly, after someone leaves, or if you suspect a compromise: older exchanges stay readable by current members.",
    ),
    (
        "admin.keys.none",
        "Le service n'a pas encore de clé\u{a0}: personne ne peut lui envoyer de pli. Créez-la maintenant.",
        "The service has no key yet: nobody can send it an exchange. Create it now.",
    ),
    (
        "admin.keys.create",
        "Créer la clé du service",
        "Create the service key",
    ),
    (
        "admin.keys.rotate",
        "Renouveler la clé du service",
        "Renew the service key",
    ),
    (
        "admin.keys.create.title",
        "Créer la clé du service\u{a0}?",
        "Create the service key?",
    ),
    (
        "admin.keys.rotate.title",
        "Renouveler la clé du service\u{a0}?",
        "Renew the service key?",
    ),
    (
        "admin.keys.rotate.help",
        "Une nouvelle clé (génération {generation}) est créée dans votre navigateur et transmise à chaque membre actif, après vérification de son certificat. Les nouveaux plis seront chiffrés avec elle\u{a0}; les plis déjà reçus restent lisibles.",
        "A new key (generation {generation}) is created in your browser and granted to every active member, after checking their certificate. New exchanges are encrypted to it; exchanges already received stay readable.",
    ),
    (
        "admin.keys.rotate.confirm",
        "Créer la nouvelle clé",
        "Create the new key",
    ),
    (
        "admin.keys.working",
        "Création de la clé et transmission aux membres…",
        "Creating the key and granting it to members…",
    ),
    (
        "admin.keys.rotated",
        "Nouvelle clé du service publiée\u{a0}: génération {generation}, transmise à chaque membre actif. Les plis à venir sont chiffrés avec elle\u{a0}; les précédents restent lisibles.",
        "New service key published: generation {generation}, handed to every active member. Exchanges from now on are encrypted with it; earlier ones stay readable.",
    ),
    (
        "admin.keys.caption",
        "Historique des générations de la clé, la plus récente en premier",
        "Key generations, newest first",
    ),
    ("admin.keys.generation", "Génération", "Generation"),
    (
        "admin.keys.generation.n",
        "génération {generation}",
        "generation {generation}",
    ),
    ("admin.keys.fingerprint", "Empreinte", "Fingerprint"),
    (
        "admin.keys.fingerprint.label",
        "Empreinte\u{a0}:",
        "Fingerprint:",
    ),
    ("admin.keys.issuer", "Créée par", "Issued by"),
    ("admin.keys.date", "Date", "Date"),
    ("admin.keys.state", "État", "State"),
    ("admin.keys.current", "Actuelle", "Current"),
    ("admin.keys.post_quantum", "Post-quantique", "Post-quantum"),
    (
        "admin.keys.classic",
        "Classique (X25519)",
        "Classic (X25519)",
    ),
    (
        "admin.keys.classic.help",
        "Créée avant le passage aux clés post-quantiques (ML-KEM-768 + X25519)\u{a0}: ce qui lui est envoyé pourrait être lu un jour par un ordinateur quantique. Voir «\u{a0}Clés post-quantiques\u{a0}» plus bas\u{a0}: chaque membre y reçoit sa clé post-quantique, puis la clé du service est renouvelée en post-quantique.",
        "Made before the move to post-quantum keys (ML-KEM-768 + X25519): what is sent to it could one day be read by a quantum computer. See “Post-quantum keys” below: each member gets their post-quantum key there, then the service key is renewed as post-quantum.",
    ),
    ("admin.keys.previous", "Ancienne", "Previous"),
    ("admin.keys.suspended", "Suspendue", "Suspended"),
    (
        "admin.keys.unverified",
        "Certificat non vérifié",
        "Certificate not verified",
    ),
    (
        "admin.keys.unverified.help",
        "Ce certificat ne se vérifie pas jusqu'à l'autorité de la plateforme\u{a0}: prévenez l'administrateur de la plateforme.",
        "This certificate does not verify up to the platform authority: tell the platform administrator.",
    ),
    (
        "admin.keys.empty",
        "Aucune génération de clé pour l'instant.",
        "No key generation yet.",
    ),
    ("admin.keys.suspend", "Suspendre", "Suspend"),
    (
        "admin.keys.suspend.title",
        "Suspendre la génération {generation}\u{a0}?",
        "Suspend generation {generation}?",
    ),
    (
        "admin.keys.suspend.help",
        "Les nouveaux envois chiffrés avec cette clé seront refusés\u{a0}; les plis déjà reçus restent lisibles. Si c'est la clé actuelle, plus personne ne pourra envoyer de pli au service avant le prochain renouvellement de la clé. Une suspension est définitive.",
        "New exchanges encrypted with this key will be refused; exchanges already received stay readable. If it is the current key, nobody can send to the service until the key is renewed. A suspension is final.",
    ),
    (
        "admin.keys.suspend.confirm",
        "Suspendre la clé",
        "Suspend the key",
    ),
    (
        "admin.keys.suspended.done",
        "Génération {generation} suspendue.",
        "Generation {generation} suspended.",
    ),
];
