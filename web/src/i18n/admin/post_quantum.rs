//! Strings of the move to post-quantum keys (the service's panel, the members' badges, the
//! platform's certification of an organisation admin's new key) and of certificate
//! renewal, which certifies a signing key again the same way.

pub(in crate::i18n) const ENTRIES: &[crate::i18n::Entry] = &[
    (
        "admin.pq.title",
        "Clés post-quantiques",
        "Post-quantum keys",
    ),
    (
        "admin.pq.intro",
        "Les dossiers d'enfants restent sensibles des décennies. Une clé post-quantique (ML-KEM-768 + X25519) protège ce qui est envoyé au service même contre un futur ordinateur quantique, comme l'ANSSI le recommande. Chaque membre reçoit sa nouvelle clé à sa prochaine connexion\u{a0}; vous la certifiez ici, puis la clé du service est renouvelée en post-quantique. Les plis déjà reçus restent lisibles.",
        "Children's case files stay sensitive for decades. A post-quantum key (ML-KEM-768 + X25519) protects what is sent to the service even against a future quantum computer, as ANSSI recommends. Each member gets their new key at their next login; you certify it here, then the service key is renewed as post-quantum. Exchanges already received stay readable.",
    ),
    (
        "admin.pq.done",
        "Le service utilise une clé post-quantique\u{a0}: ce qui lui est envoyé est protégé contre un futur ordinateur quantique.",
        "The service uses a post-quantum key: what is sent to it is protected against a future quantum computer.",
    ),
    (
        "admin.pq.count",
        "Membres actifs dont la clé post-quantique est certifiée\u{a0}: {ready} sur {active}. Demandes à certifier\u{a0}: {asked}.",
        "Active members whose post-quantum key is certified: {ready} of {active}. Requests to certify: {asked}.",
    ),
    (
        "admin.pq.move",
        "Passer aux clés post-quantiques",
        "Move to post-quantum keys",
    ),
    (
        "admin.pq.working",
        "Certification des clés et renouvellement en cours…",
        "Certifying keys and renewing…",
    ),
    (
        "admin.pq.certified",
        "Clés post-quantiques certifiées\u{a0}: {names}.",
        "Post-quantum keys certified: {names}.",
    ),
    (
        "admin.pq.rotated",
        "Génération {generation} post-quantique publiée\u{a0}: les nouveaux plis adressés au service sont protégés contre un futur ordinateur quantique.",
        "Post-quantum generation {generation} published: new exchanges sent to the service are protected against a future quantum computer.",
    ),
    (
        "admin.pq.waiting_login",
        "En attente de leur prochaine connexion (leur navigateur crée alors leur clé)\u{a0}: {names}. Revenez ensuite sur cette page.",
        "Waiting for their next login (their browser then makes their key): {names}. Come back to this page afterwards.",
    ),
    (
        "admin.pq.waiting_platform",
        "En attente de l'administrateur de la plateforme, qui certifie les clés des administrateurs de service\u{a0}: {names}.",
        "Waiting for the platform administrator, who certifies service administrators' keys: {names}.",
    ),
    (
        "admin.pq.nothing",
        "Rien à faire pour l'instant\u{a0}: le service n'a pas encore de clé, ou attend les membres ci-dessus.",
        "Nothing to do yet: the service has no key yet, or waits for the members above.",
    ),
    (
        "admin.pq.badge.post_quantum",
        "Clé post-quantique",
        "Post-quantum key",
    ),
    (
        "admin.pq.badge.classic",
        "Clé classique (X25519)",
        "Classic key (X25519)",
    ),
    (
        "admin.pq.badge.asked",
        "Clé post-quantique demandée, à certifier",
        "Post-quantum key asked for, to certify",
    ),
    (
        "admin.pq.certify_admin",
        "Certifier sa clé post-quantique",
        "Certify their post-quantum key",
    ),
    (
        "admin.pq.certified_admin",
        "Clé post-quantique de {name} certifiée.",
        "{name}'s post-quantum key certified.",
    ),
    (
        "admin.certificate.expires",
        "Certificat à renouveler avant le {date}",
        "Certificate to renew before {date}",
    ),
    (
        "admin.certificate.expired",
        "Certificat expiré\u{a0}: ce membre ne reçoit plus les nouvelles clés du service",
        "Certificate expired: this member no longer receives the service's new keys",
    ),
    (
        "admin.certificate.renew",
        "Renouveler le certificat",
        "Renew the certificate",
    ),
    (
        "admin.certificate.renewed",
        "Certificat de {name} renouvelé pour deux ans (mêmes clés).",
        "{name}'s certificate renewed for two years (same keys).",
    ),
];
