//! The targets' seed inputs.
//!
//! * [`cctv`]: from the C2SP CCTV age vectors (`pli-testvectors`): their headers, their
//!   armored files, their whole files. They are not copied into the repository again:
//!   the smoke test reads them from `pli-testvectors`, and `cargo xtask fuzz` writes them
//!   into its working corpus (`pli-fuzz-seeds --cctv`).
//! * [`generated`]: real objects, made the way Pli makes them with the fixtures' keys (a
//!   small platform: organisations, an admin and a member certified to the root, an
//!   organisation key, an envelope with its preview, a receipt, a manifest, key bundles,
//!   revocations, the log policy, the member's key upgrade and later identities, JSON
//!   request bodies carrying them and responses holding them, files encrypted to the
//!   fixture identity). Deterministic: `pli-fuzz-seeds` wrote them into
//!   `fuzz/seeds/`, where they stay as recorded objects even when the code that made them
//!   changes.

use pli_api::messages::{
    AcceptRequest, Attempts, CertifyRequest, CompleteExchange, CreateExchange, CreateOrg,
    ErrorBody, ErrorDetail, ExchangeCreated, GrantUpload, InviteRequest, KeyUpgradeRequest,
    LogState, LoginRequest, Me, MemberSummary, Members, NewCredentials, ObjectProgress,
    PasskeyLoginBegin, PasskeyLoginRequest, PasskeyRegistration, PasswordChange, PostReceipt,
    PreloginRequest, PublicKeys, PublishKey, ReauthRequest, ResetRequest, Retention, Revoke,
    SecondFactorPolicy, SetupRequest, TokenRequest, TotpCode,
};
use pli_api::{AccountStatus, Base64, ErrorCode, ExchangeId, OrgId, SecondFactor, UserId};
use pli_crypto::age::{ArmorDecoder, EncryptSummary, Encryptor, HeaderParse, armor, parse_header};
use pli_crypto::bundle::KeyBundle;
use pli_crypto::cert::{
    OrgCertificate, OrgKeyCertificate, OrgKind, Role, UserCertificate, VALIDITY_MS,
};
use pli_crypto::codec::Canonical;
use pli_crypto::envelope::{Envelope, Hashing, ObjectRef, Priority};
use pli_crypto::grant::OrgKey;
use pli_crypto::keys::UserKeys;
use pli_crypto::manifest::{Category, FileEntry, Manifest};
use pli_crypto::password::KdfParams;
use pli_crypto::preview::Preview;
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::{Signed, SigningKey};
use pli_crypto::statement::{LogPolicy, Revocation, Revoked, SeenCheckpoint, WitnessKey};
use pli_crypto::upgrade::{KeyUpgrade, LaterIdentities};
use serde::Serialize;

use crate::fixtures;
use crate::targets::{JSON_TYPES, SIGNED_MODES};

/// One seed input of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Its file name in a corpus.
    pub name: String,
    /// The input.
    pub data: Vec<u8>,
}

fn seed(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Seed {
    Seed {
        name: name.into(),
        data: data.into(),
    }
}

/// The largest CCTV file `age_decrypt` is seeded with: three STREAM chunks and some.
const MAX_DECRYPT_SEED: usize = 256 * 1024;

/// The seeds the CCTV vectors give `target` (none for targets that do not read age).
pub fn cctv(target: &str) -> Vec<Seed> {
    if !target.starts_with("age_") {
        return Vec::new();
    }
    let vectors = fixtures::vectors();
    let name = |vector: &pli_testvectors::Vector| format!("cctv-{}", vector.name);
    match target {
        "age_header" => vectors
            .iter()
            .map(|vector| seed(name(vector), header_of(&vector.file)))
            .collect(),
        "age_armor" => vectors
            .iter()
            .filter(|vector| vector.armored)
            .map(|vector| seed(name(vector), vector.file.clone()))
            .collect(),
        // The three vectors of 257 and 258 chunks (16 MiB each) are left to
        // pli-crypto's own CCTV test: as fuzz inputs they would take the time of
        // thousands of smaller ones.
        "age_decrypt" => vectors
            .iter()
            .filter(|vector| vector.file.len() <= MAX_DECRYPT_SEED)
            .map(|vector| seed(name(vector), vector.file.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The header of an age file (its armor removed first, if it has one) and its nonce, or
/// its first 4 KiB if it has no header.
fn header_of(file: &[u8]) -> Vec<u8> {
    let mut binary = Vec::new();
    let mut decoder = ArmorDecoder::new();
    let file = if decoder.update(file, &mut binary).is_ok() && decoder.finish(&mut binary).is_ok() {
        &binary
    } else {
        file
    };
    let len = match parse_header(file) {
        Ok(HeaderParse::Complete(header)) => header.len() + 16,
        _ => 4096,
    };
    file.get(..len.min(file.len())).unwrap_or_default().to_vec()
}

/// The real objects `target` is seeded with.
pub fn generated(target: &str) -> Vec<Seed> {
    // Cannot fail (every fixed key is valid); the smoke test checks each target has seeds.
    let Ok(world) = World::new() else {
        return Vec::new();
    };
    match target {
        "age_header" => world
            .files()
            .into_iter()
            .map(|(name, file)| seed(name, header_of(&file)))
            .collect(),
        "age_armor" => world
            .files()
            .into_iter()
            .filter(|(_, file)| file.len() < 4096)
            .map(|(name, file)| seed(format!("armored-{name}"), armor(&file)))
            .collect(),
        "age_decrypt" => {
            let mut seeds: Vec<Seed> = world
                .files()
                .into_iter()
                .map(|(name, file)| seed(name, file))
                .collect();
            seeds.extend(
                world
                    .files()
                    .into_iter()
                    .filter(|(_, file)| file.len() < 4096)
                    .map(|(name, file)| seed(format!("armored-{name}"), armor(&file))),
            );
            seeds
        }
        "age_tamper" => tamper_seeds(),
        "canonical" => world.encodings(),
        "signed" => world.signed(),
        "api_json" => world.json(),
        "upload_headers" => upload_header_seeds(),
        _ => Vec::new(),
    }
}

/// `age_tamper` inputs: each size class, each kind of edit, binary and armored.
fn tamper_seeds() -> Vec<Seed> {
    let edit = |kind: u8, at: u32, value: u8| {
        let mut out = vec![kind];
        out.extend(at.to_be_bytes());
        out.push(value);
        out
    };
    let input = |class: u8, offset: u16, flags: u8, edits: &[Vec<u8>]| {
        let mut out = vec![class];
        out.extend(offset.to_be_bytes());
        out.push(flags);
        out.extend(edits.concat());
        out.extend(b"Signalement concernant un enfant en danger.");
        out
    };
    // Sizes: 0 is under 600 bytes, 5, 6 and 7 around one, two and three chunks.
    vec![
        seed("small-as-written", input(0, 120, 0, &[])),
        seed("empty-as-written", input(0, 0, 0, &[])),
        seed("one-chunk-as-written", input(5, 512, 0, &[])),
        seed("one-chunk-armored", input(5, 600, 4, &[])),
        seed("flip-in-header", input(0, 40, 1, &[edit(0, 30, 0x20)])),
        seed(
            "flip-in-second-chunk",
            input(6, 100, 1, &[edit(0, 70_000, 1)]),
        ),
        seed("truncated", input(5, 700, 1, &[edit(1, 65_700, 0)])),
        seed("extended", input(5, 512, 1, &[edit(2, 0, 7)])),
        seed("inserted", input(0, 300, 1, &[edit(3, 250, b'x')])),
        seed("deleted", input(5, 800, 1, &[edit(4, 65_600, 0)])),
        seed("chunks-swapped", input(7, 512, 1, &[edit(5, 0, 1)])),
        seed(
            "two-edits-armored",
            input(5, 0, 6, &[edit(0, 9, 1), edit(4, 200, 0)]),
        ),
    ]
}

/// `upload_headers` inputs: a part's length, its digest, its Content-Length.
fn upload_header_seeds() -> Vec<Seed> {
    let part = 16 * 1024 * 1024u64;
    let digest = pli_api::upload::content_digest(&pli_crypto::sha256(b"part"));
    let input = |expected: u64, digest: &str, length: Option<&str>| {
        let mut out = expected.to_be_bytes().to_vec();
        out.extend(digest.as_bytes());
        if let Some(length) = length {
            out.push(b'\n');
            out.extend(length.as_bytes());
        }
        out
    };
    vec![
        seed("full-part", input(part, &digest, Some("16777216"))),
        seed("chunked", input(1234, &digest, None)),
        seed(
            "listed",
            input(5, &format!("sha-512=:AAAA:, {digest}"), Some("5")),
        ),
        seed("too-large", input(5, &digest, Some("6"))),
        seed("malformed", input(5, "sha-256=:AAAA:", Some("+5"))),
    ]
}

/// The fixtures' small platform, every object made as Pli makes it.
struct World {
    member_id: UserId,
    exchange: ExchangeId,
    org: OrgCertificate,
    departement: OrgCertificate,
    platform: OrgCertificate,
    admin: UserCertificate,
    platform_admin: UserCertificate,
    member: UserCertificate,
    org_key: OrgKeyCertificate,
    org_key_before_expiry: OrgKeyCertificate,
    envelope: Envelope,
    envelope_before_previews: Envelope,
    receipt: Receipt,
    manifest: Manifest,
    preview: Preview,
    grant: OrgKey,
    bundle: KeyBundle,
    root_bundle: KeyBundle,
    revocation: Revocation,
    revocation_of_key: Revocation,
    policy: LogPolicy,
    seen: SeenCheckpoint,
    /// The member's move to a post-quantum key (the key of `later`'s identity).
    key_upgrade: KeyUpgrade,
    later: LaterIdentities,
}

/// 2026-01-01, in milliseconds.
const NOW: u64 = 1_767_225_600_000;

impl World {
    fn new() -> Result<Self, pli_crypto::Error> {
        let root = fixtures::root();
        let admin_key = fixtures::admin();
        let member_key = fixtures::member();
        let court = OrgId::from_random([0x11; 16]);
        let departement = OrgId::from_random([0x12; 16]);
        let platform = OrgId::from_random([0x13; 16]);
        let admin_id = UserId::from_random([0x21; 16]);
        let member_id = UserId::from_random([0x22; 16]);
        let exchange = ExchangeId::from_random([0x31; 16]);
        // Post-quantum keys, as everything made since issue 10; the second generation's
        // certificate and the platform admin's bundle keep X25519 keys (version 1).
        let org_identity = pli_crypto::age::AnyIdentity::Hybrid(
            pli_crypto::age::HybridIdentity::from_bytes(&[0x41; 32])?,
        );
        let org = |org_id, kind, name: &str, code: &str| OrgCertificate {
            org_id,
            kind,
            name: name.to_owned(),
            code: code.to_owned(),
            issued_at: NOW,
        };
        let person = |user_id, org_id, role, name: &str, key: &SigningKey, issuer: &SigningKey| {
            UserCertificate {
                user_id,
                org_id,
                role,
                service: false,
                display_name: name.to_owned(),
                signing_key: key.verifying_key(),
                encryption_key: pli_crypto::age::HybridIdentity::from_bytes(
                    &key.to_bytes().map(|b| !b),
                )
                .map(|identity| identity.to_recipient().into())
                .unwrap_or_else(|_| {
                    pli_crypto::age::Identity::from_bytes([0; 32])
                        .to_recipient()
                        .into()
                }),
                issued_at: NOW,
                issuer: issuer.verifying_key().fingerprint(),
                expires_at: Some(NOW + VALIDITY_MS),
            }
        };
        let manifest = Manifest {
            exchange_id: exchange,
            category: Category::Signalement,
            subject: "Signalement — situation de l'enfant M.".to_owned(),
            message: "Bonjour,\nveuillez trouver ci-joint le rapport d'évaluation.\n".to_owned(),
            case_reference: "RG 26/00042".to_owned(),
            files: vec![
                FileEntry {
                    name: "rapport évaluation.pdf".to_owned(),
                    size: 182_044,
                    media_type: "application/pdf".to_owned(),
                    sha256: pli_crypto::sha256(b"rapport"),
                },
                FileEntry {
                    name: "annexe.odt".to_owned(),
                    size: 0,
                    media_type: "application/vnd.oasis.opendocument.text".to_owned(),
                    sha256: pli_crypto::sha256(b""),
                },
            ],
        };
        let preview = Preview {
            exchange_id: exchange,
            category: manifest.category,
            subject: manifest.subject.clone(),
            case_reference: manifest.case_reference.clone(),
            size: 182_044,
        };
        let sealed_preview = preview
            .to_canonical()
            .ok()
            .and_then(|bytes| encrypt(&bytes))
            .map(|(file, _)| file);
        let object = |bytes: &[u8]| ObjectRef {
            size: bytes.len() as u64,
            sha256: pli_crypto::sha256(bytes),
        };
        let envelope = Envelope {
            exchange_id: exchange,
            sender_user_id: member_id,
            sender_key: member_key.verifying_key().fingerprint(),
            sender_org_id: court,
            sender_generation: Some(1),
            recipient_org_id: departement,
            recipient_generation: 3,
            priority: Priority::Urgent,
            created_at: NOW,
            expires_at: NOW + 30 * 24 * 3600 * 1000,
            in_reply_to: Some(ExchangeId::from_random([0x32; 16])),
            hashing: Hashing::Parts {
                part_size: 16 << 20,
            },
            manifest: object(b"manifest"),
            files: vec![object(b"rapport"), object(b"")],
            preview: sealed_preview,
        };
        let keys = UserKeys {
            encryption: pli_crypto::age::AnyIdentity::Hybrid(
                pli_crypto::age::HybridIdentity::from_bytes(&[0x61; 32])?,
            ),
            signing: member_key.clone(),
        };
        // The member's new identity, once their account moves to a post-quantum key.
        let upgraded = pli_crypto::age::AnyIdentity::Hybrid(
            pli_crypto::age::HybridIdentity::from_bytes(&[0x64; 32])?,
        );
        let classic_keys = UserKeys {
            encryption: pli_crypto::age::AnyIdentity::X25519(
                pli_crypto::age::Identity::from_bytes([0x62; 32]),
            ),
            signing: member_key.clone(),
        };
        Ok(Self {
            member_id,
            exchange,
            org: org(
                court,
                OrgKind::Court,
                "Tribunal judiciaire de Meaux — Parquet",
                "TJ-MEAUX-PARQUET",
            ),
            departement: org(
                departement,
                OrgKind::Departement,
                "Département de Seine-et-Marne — ASE",
                "D77-ASE",
            ),
            platform: org(platform, OrgKind::Platform, "Pli", "PLI"),
            admin: person(
                admin_id,
                court,
                Role::OrgAdmin,
                "Claire Martin",
                &admin_key,
                &root,
            ),
            // A certificate from before expiry and before post-quantum keys (version 1).
            platform_admin: UserCertificate {
                expires_at: None,
                encryption_key: pli_crypto::age::Identity::from_bytes([0x63; 32])
                    .to_recipient()
                    .into(),
                ..person(
                    UserId::from_random([0x23; 16]),
                    platform,
                    Role::PlatformAdmin,
                    "Administration Pli",
                    &root,
                    &root,
                )
            },
            member: person(
                member_id,
                court,
                Role::Member,
                "Jean Dupont",
                &member_key,
                &admin_key,
            ),
            org_key: OrgKeyCertificate {
                org_id: court,
                generation: 1,
                public_key: org_identity.to_recipient().into(),
                issued_at: NOW,
                issuer: admin_key.verifying_key().fingerprint(),
                expires_at: Some(NOW + VALIDITY_MS),
            },
            org_key_before_expiry: OrgKeyCertificate {
                org_id: court,
                generation: 2,
                public_key: pli_crypto::age::Identity::from_bytes([0x42; 32])
                    .to_recipient()
                    .into(),
                issued_at: NOW,
                issuer: admin_key.verifying_key().fingerprint(),
                expires_at: None,
            },
            // Format 1 (the whole ciphertext's hash), as signed before December 2026.
            envelope_before_previews: Envelope {
                hashing: Hashing::Whole,
                sender_generation: None,
                priority: Priority::Normal,
                in_reply_to: None,
                preview: None,
                files: vec![object(b"rapport")],
                ..envelope.clone()
            },
            receipt: Receipt {
                exchange_id: exchange,
                envelope_sha256: pli_crypto::sha256(b"envelope"),
                reader_user_id: admin_id,
                reader_key: admin_key.verifying_key().fingerprint(),
                reader_org_id: departement,
                read_at: NOW + 3_600_000,
            },
            envelope,
            manifest,
            preview,
            grant: OrgKey {
                org_id: court,
                generation: 1,
                identity: org_identity,
            },
            bundle: KeyBundle {
                user_id: member_id,
                keys: keys.clone(),
                root: None,
                trusted_root: Some(root.verifying_key()),
            },
            root_bundle: KeyBundle {
                user_id: UserId::from_random([0x23; 16]),
                keys: classic_keys,
                root: Some(root.clone()),
                trusted_root: Some(root.verifying_key()),
            },
            revocation: Revocation {
                org_id: court,
                subject: Revoked::Person {
                    user_id: member_id,
                    key: member_key.verifying_key().fingerprint(),
                },
                issued_at: NOW,
                issuer: admin_key.verifying_key().fingerprint(),
            },
            revocation_of_key: Revocation {
                org_id: court,
                subject: Revoked::OrgKey { generation: 1 },
                issued_at: NOW,
                issuer: root.verifying_key().fingerprint(),
            },
            policy: LogPolicy {
                origin: "pli.example/log".to_owned(),
                log_key: fixtures::signer().verifying_key(),
                witnesses: vec![
                    WitnessKey {
                        name: "witness.example/one".to_owned(),
                        key: fixtures::stranger().verifying_key(),
                    },
                    WitnessKey {
                        name: "witness.example/two".to_owned(),
                        key: admin_key.verifying_key(),
                    },
                ],
                quorum: 2,
                max_age_s: 7200,
                issued_at: NOW,
            },
            seen: SeenCheckpoint {
                user_id: member_id,
                origin: "pli.example/log".to_owned(),
                size: 42,
                root: pli_crypto::sha256(b"tree"),
                seen_at: NOW,
            },
            key_upgrade: KeyUpgrade {
                user_id: member_id,
                org_id: court,
                encryption_key: upgraded.to_recipient().into(),
                issued_at: NOW + 86_400_000,
            },
            later: LaterIdentities {
                user_id: member_id,
                identities: vec![upgraded],
            },
        })
    }

    /// Files encrypted to the fixture identity from the fixture seed.
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let manifest = self.manifest.to_canonical().unwrap_or_default();
        let chunk: Vec<u8> = (0..65_536u32)
            .map(|i| u8::try_from(i % 251).unwrap_or(0) ^ 0x5a)
            .collect();
        [
            ("file-empty", Vec::new()),
            ("file-hello", b"hello, Pli\n".to_vec()),
            ("file-manifest", manifest),
            ("file-one-full-chunk", chunk),
        ]
        .into_iter()
        .filter_map(|(name, plaintext)| Some((name.to_owned(), encrypt(&plaintext)?.0)))
        .collect()
    }

    /// Every canonical encoding, and the fixture encryption seed's.
    fn encodings(&self) -> Vec<Seed> {
        let mut seeds = vec![
            encoded("org-certificate", &self.org),
            encoded("org-certificate-departement", &self.departement),
            encoded("org-certificate-platform", &self.platform),
            encoded("user-certificate-admin", &self.admin),
            encoded("user-certificate-platform-admin", &self.platform_admin),
            encoded("user-certificate-member", &self.member),
            encoded(
                "user-certificate-service",
                &UserCertificate {
                    service: true,
                    ..self.member.clone()
                },
            ),
            encoded("org-key-certificate", &self.org_key),
            encoded(
                "org-key-certificate-before-expiry",
                &self.org_key_before_expiry,
            ),
            encoded("envelope", &self.envelope),
            encoded("envelope-before-previews", &self.envelope_before_previews),
            encoded("receipt", &self.receipt),
            encoded("manifest", &self.manifest),
            encoded("preview", &self.preview),
            encoded("org-key", &self.grant),
            encoded("key-bundle", &self.bundle),
            encoded("key-bundle-platform-admin", &self.root_bundle),
            encoded("revocation-person", &self.revocation),
            encoded("revocation-org-key", &self.revocation_of_key),
            encoded("log-policy", &self.policy),
            encoded("seen-checkpoint", &self.seen),
            encoded("key-upgrade", &self.key_upgrade),
            encoded("later-identities", &self.later),
            seed(
                "encryption-seed",
                fixtures::seed().to_bytes().as_slice().to_vec(),
            ),
        ];
        // A version 1 bundle: no trusted root, and not even its marker.
        let mut v1 = KeyBundle {
            trusted_root: None,
            ..self.bundle.clone()
        }
        .to_canonical()
        .unwrap_or_default();
        v1.pop();
        seeds.push(seed("key-bundle-version-1", v1));
        seeds.retain(|seed| !seed.data.is_empty());
        seeds
    }

    /// `signed` inputs: each mode with real objects (the chains signed as the fixtures
    /// sign them, so they verify).
    fn signed(&self) -> Vec<Seed> {
        let mode = |name: &str| {
            SIGNED_MODES
                .iter()
                .position(|mode| *mode == name)
                .and_then(|index| u8::try_from(index).ok())
                .unwrap_or(0)
        };
        let one = |name: &str, label: &str, bytes: Vec<u8>| {
            let mut out = vec![mode(name)];
            out.extend(bytes);
            seed(label, out)
        };
        let framed = |parts: &[Vec<u8>]| {
            let mut out = Vec::new();
            for (index, part) in parts.iter().enumerate() {
                if index + 1 < parts.len() {
                    let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
                    out.extend(len.to_be_bytes());
                }
                out.extend(part);
            }
            out
        };
        let bytes =
            |value: &dyn Fn() -> Result<Vec<u8>, pli_crypto::Error>| value().unwrap_or_default();
        vec![
            one(
                "org certificate",
                "org-certificate",
                bytes(&|| self.org.to_canonical()),
            ),
            one(
                "user certificate",
                "user-certificate",
                bytes(&|| self.member.to_canonical()),
            ),
            one(
                "org key certificate",
                "org-key-certificate",
                bytes(&|| self.org_key.to_canonical()),
            ),
            one(
                "envelope",
                "envelope",
                bytes(&|| self.envelope.to_canonical()),
            ),
            one(
                "envelope",
                "envelope-before-previews",
                bytes(&|| self.envelope_before_previews.to_canonical()),
            ),
            one("receipt", "receipt", bytes(&|| self.receipt.to_canonical())),
            one(
                "revocation",
                "revocation",
                bytes(&|| self.revocation.to_canonical()),
            ),
            one(
                "log policy",
                "log-policy",
                bytes(&|| self.policy.to_canonical()),
            ),
            one(
                "seen checkpoint",
                "seen-checkpoint",
                bytes(&|| self.seen.to_canonical()),
            ),
            one(
                "chain: admin",
                "chain-admin",
                bytes(&|| self.admin.to_canonical()),
            ),
            one(
                "chain: admin",
                "chain-platform-admin",
                bytes(&|| self.platform_admin.to_canonical()),
            ),
            one(
                "chain: member and admin",
                "chain-member",
                framed(&[
                    bytes(&|| self.member.to_canonical()),
                    bytes(&|| self.admin.to_canonical()),
                ]),
            ),
            one(
                "chain: org, org key and admin",
                "chain-org-key",
                framed(&[
                    bytes(&|| self.org.to_canonical()),
                    bytes(&|| self.org_key.to_canonical()),
                    bytes(&|| self.admin.to_canonical()),
                ]),
            ),
            one(
                "key upgrade",
                "key-upgrade",
                bytes(&|| self.key_upgrade.to_canonical()),
            ),
        ]
    }

    /// `api_json` inputs: request bodies as the clients send them, and a few responses.
    fn json(&self) -> Vec<Seed> {
        let signed = |data: Result<Vec<u8>, pli_crypto::Error>, key: &SigningKey| {
            let data = data.unwrap_or_default();
            Signed::<()>::from_parts(data.clone(), key.sign(&data)).to_wire()
        };
        let root = fixtures::root();
        let admin = fixtures::admin();
        let member = fixtures::member();
        let kdf = KdfParams::with_salt([0x71; 16]).to_wire();
        let credentials = NewCredentials {
            kdf: kdf.clone(),
            auth_key: Base64(vec![0x72; 32]),
            key_bundle: Base64(vec![0x73; 1 + 24 + 120 + 16]),
        };
        let wrapped = self
            .grant
            .to_canonical()
            .ok()
            .and_then(|bytes| encrypt(&bytes))
            .map(|(file, _)| file)
            .unwrap_or_default();
        let grants = vec![GrantUpload {
            generation: 1,
            user_id: self.member_id,
            wrapped: Base64(wrapped),
        }];
        let envelope = signed(self.envelope.to_canonical(), &member);
        let key_upgrade = signed(self.key_upgrade.to_canonical(), &member);
        let later_identities = self.sealed_later_identities();
        let token = "c2V0dXAtdG9rZW4tMDEyMzQ1Njc4OQ".to_owned();
        let mut seeds = Vec::new();
        let mut add = |name: &str, value: &dyn erased::Json| {
            if let Some(index) = JSON_TYPES
                .iter()
                .position(|(ty, _)| ty.replace(' ', "") == name)
                .and_then(|index| u8::try_from(index).ok())
            {
                let mut data = vec![index];
                data.extend(value.json());
                seeds.push(seed(
                    name.replace(['<', '>'], "-").trim_end_matches('-'),
                    data,
                ));
            }
        };
        add(
            "TokenRequest",
            &TokenRequest {
                token: token.clone(),
            },
        );
        add(
            "SetupRequest",
            &SetupRequest {
                token: token.clone(),
                email: "admin@pli.example".to_owned(),
                display_name: "Administration Pli".to_owned(),
                credentials: credentials.clone(),
                root_key: Base64(root.verifying_key().to_bytes().to_vec()),
                org_certificate: signed(self.platform.to_canonical(), &root),
                user_certificate: signed(self.platform_admin.to_canonical(), &root),
                log_policy: signed(self.policy.to_canonical(), &root),
            },
        );
        add(
            "PreloginRequest",
            &PreloginRequest {
                email: "jean.dupont@justice.example".to_owned(),
            },
        );
        add(
            "LoginRequest",
            &LoginRequest {
                email: "jean.dupont@justice.example".to_owned(),
                auth_key: Base64(vec![0x72; 32]),
                totp: Some("123456".to_owned()),
                bearer: true,
            },
        );
        add(
            "ReauthRequest",
            &ReauthRequest {
                auth_key: Base64(vec![0x72; 32]),
                totp: None,
            },
        );
        add("SignedObject", &signed(self.seen.to_canonical(), &member));
        add(
            "PasswordChange",
            &PasswordChange {
                credentials: credentials.clone(),
            },
        );
        add(
            "TotpCode",
            &TotpCode {
                code: "654321".to_owned(),
            },
        );
        add(
            "PasskeyRegistration",
            &PasskeyRegistration {
                ceremony: "cer-0123".to_owned(),
                credential: r#"{"id":"AAEC","type":"public-key"}"#.to_owned(),
                sealed_unlock: Base64(vec![0x02; 1 + 24 + 16 + 100 + 16]),
            },
        );
        add(
            "PasskeyLoginBegin",
            &PasskeyLoginBegin {
                email: "jean.dupont@justice.example".to_owned(),
            },
        );
        add(
            "PasskeyLoginRequest",
            &PasskeyLoginRequest {
                ceremony: "cer-0123".to_owned(),
                credential: r#"{"id":"AAEC","response":{}}"#.to_owned(),
                bearer: false,
            },
        );
        add(
            "AcceptRequest",
            &AcceptRequest {
                token,
                credentials: credentials.clone(),
                keys: PublicKeys {
                    signing_key: Base64(member.verifying_key().to_bytes().to_vec()),
                    encryption_key: Base64(self.member.encryption_key.to_bytes().to_vec()),
                },
                totp: Some("123456".into()),
            },
        );
        add(
            "CreateOrg",
            &CreateOrg {
                certificate: signed(self.departement.to_canonical(), &root),
            },
        );
        add(
            "InviteRequest",
            &InviteRequest {
                email: "jean.dupont@justice.example".to_owned(),
                display_name: "Jean Dupont".to_owned(),
                role: Role::Member,
                service: false,
            },
        );
        add(
            "CertifyRequest",
            &CertifyRequest {
                certificate: signed(self.member.to_canonical(), &admin),
                grants: grants.clone(),
            },
        );
        add("Vec<GrantUpload>", &grants);
        add(
            "Revoke",
            &Revoke {
                revocation: Some(signed(self.revocation.to_canonical(), &admin)),
            },
        );
        add("Retention", &Retention { retention_days: 90 });
        add(
            "SecondFactorPolicy",
            &SecondFactorPolicy {
                second_factor: SecondFactor::Required,
            },
        );
        add(
            "PublishKey",
            &PublishKey {
                certificate: signed(self.org_key.to_canonical(), &admin),
                grants,
            },
        );
        add(
            "CreateExchange",
            &CreateExchange {
                recipient_org_id: self.envelope.recipient_org_id,
                recipient_generation: 3,
                sender_generation: Some(1),
                urgent: true,
                sizes: vec![1_234, 182_044 + 218, 250],
                in_reply_to: None,
            },
        );
        add(
            "CompleteExchange",
            &CompleteExchange {
                envelope: envelope.clone(),
            },
        );
        add(
            "PostReceipt",
            &PostReceipt {
                receipt: signed(self.receipt.to_canonical(), &admin),
            },
        );
        add(
            "KeyUpgradeRequest",
            &KeyUpgradeRequest {
                upgrade: key_upgrade.clone(),
                later_identities: later_identities.clone(),
            },
        );
        add(
            "ResetRequest",
            &ResetRequest {
                clear_second_factor: true,
            },
        );
        add(
            "Me",
            &Me {
                user_id: self.member_id,
                email: "jean.dupont@justice.example".to_owned(),
                display_name: "Jean Dupont".to_owned(),
                role: Role::Member,
                status: AccountStatus::Active,
                org_id: self.org.org_id,
                org_name: self.org.name.clone(),
                org_kind: self.org.kind,
                totp_enabled: true,
                totp_required: false,
                service: false,
                key_bundle: credentials.key_bundle.clone(),
                kdf: kdf.clone(),
                root_key: Some(Base64(root.verifying_key().to_bytes().to_vec())),
                seen_checkpoint: Some(signed(self.seen.to_canonical(), &member)),
                key_upgrade: Some(key_upgrade.clone()),
                later_identities: Some(later_identities),
            },
        );
        add(
            "Members",
            &Members {
                members: vec![MemberSummary {
                    user_id: self.member_id,
                    email: "jean.dupont@justice.example".to_owned(),
                    display_name: "Jean Dupont".to_owned(),
                    role: Role::Member,
                    status: AccountStatus::Active,
                    totp_enabled: true,
                    has_passkey: true,
                    service: false,
                    keys: PublicKeys {
                        signing_key: Base64(member.verifying_key().to_bytes().to_vec()),
                        encryption_key: Base64(self.member.encryption_key.to_bytes().to_vec()),
                    },
                    granted_generations: vec![1],
                    key_upgrade: Some(key_upgrade),
                    certificate_expires_at: self.member.expires_at,
                }],
                invitations: Vec::new(),
                generations: vec![1],
                retention_days: 90,
                second_factor: SecondFactor::Required,
                proconnect: pli_api::messages::ProConnectPolicy {
                    sirets: pli_api::messages::Siret::parse("13002526500013")
                        .into_iter()
                        .collect(),
                    required: true,
                },
            },
        );
        add(
            "ErrorBody",
            &ErrorBody {
                error: ErrorDetail {
                    code: ErrorCode::InvalidCredentials,
                    message: "wrong address or password".to_owned(),
                    attempts: Attempts {
                        retry_after_s: None,
                        attempts_left: Some(2),
                        lockout_s: Some(900),
                    },
                },
            },
        );
        add(
            "ExchangeCreated",
            &ExchangeCreated {
                exchange_id: self.exchange,
                created_at: NOW,
                expires_at: NOW + 1,
                part_size: 16 * 1024 * 1024,
                objects: vec![ObjectProgress {
                    idx: 0,
                    size: 1234,
                    part_count: 1,
                    parts_stored: 0,
                }],
            },
        );
        add(
            "LogState",
            &LogState {
                policy: Some(signed(self.policy.to_canonical(), &root)),
                checkpoint: Some(format!(
                    "pli.example/log\n42\n{}\n\n— pli.example/log AAAA\n",
                    Base64(pli_crypto::sha256(b"tree").to_vec()).encode()
                )),
            },
        );
        seeds
    }

    /// A stand-in for the member's later identities sealed, as long as they are sealed
    /// (`1 ‖ nonce ‖ canonical ‖ tag`): sealing draws a random nonce, and the seeds are
    /// deterministic; the relay keeps these bytes without reading them.
    fn sealed_later_identities(&self) -> Base64 {
        let len = self.later.to_canonical().map_or(0, |bytes| bytes.len());
        Base64(vec![0x74; 1 + 24 + len + 16])
    }
}

/// A canonical encoding as a seed (none if it does not encode).
fn encoded<T: Canonical>(name: &str, value: &T) -> Seed {
    seed(name, value.to_canonical().unwrap_or_default())
}

/// `plaintext` encrypted to the fixture identity from the fixture seed.
fn encrypt(plaintext: &[u8]) -> Option<(Vec<u8>, EncryptSummary)> {
    let mut encryptor = Encryptor::from_seed(fixtures::seed()).ok()?;
    let mut file = Vec::new();
    encryptor.update(plaintext, &mut file).ok()?;
    let summary = encryptor.finish(&mut file).ok()?;
    Some((file, summary))
}

/// Serializing values of different types through one closure.
mod erased {
    /// A value as JSON text.
    pub(super) trait Json {
        fn json(&self) -> Vec<u8>;
    }

    impl<T: super::Serialize> Json for T {
        fn json(&self) -> Vec<u8> {
            serde_json::to_vec_pretty(self).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use pli_crypto::age::decrypt_to_vec;
    use pli_crypto::cert::TrustRoot;

    use super::*;
    use crate::targets::{JSON_TYPES, canonical_accepted};

    #[test]
    fn the_generated_seeds_are_real_objects() {
        let canonical = generated("canonical");
        let names: Vec<&str> = canonical.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(canonical.len(), 25, "{names:?}");
        for version_2 in [
            "user-certificate-member",
            "org-key-certificate",
            "org-key",
            "key-bundle",
            "key-upgrade",
            "later-identities",
        ] {
            let seed = canonical.iter().find(|s| s.name == version_2).unwrap();
            assert!(
                seed.data.starts_with(b"pli/v2/"),
                "{version_2} is post-quantum"
            );
        }
        for seed in &canonical {
            assert_eq!(canonical_accepted(&seed.data), 1, "{}", seed.name);
        }
        for seed in generated("api_json") {
            let (index, json) = seed.data.split_first().unwrap();
            let (_, parses) = JSON_TYPES[usize::from(*index)];
            assert!(parses(json), "{}", seed.name);
        }
        for seed in generated("age_decrypt") {
            let identity = fixtures::identity();
            assert!(
                decrypt_to_vec(&[identity], &seed.data).is_ok(),
                "{}",
                seed.name
            );
        }
        let root = TrustRoot(fixtures::root().verifying_key());
        let world = World::new().unwrap();
        let admin = Signed::sign(&world.admin, &fixtures::root()).unwrap();
        let member = Signed::sign(&world.member, &fixtures::admin()).unwrap();
        let org = Signed::sign(&world.org, &fixtures::root()).unwrap();
        let key = Signed::sign(&world.org_key, &fixtures::admin()).unwrap();
        assert_eq!(
            root.verify_user(&member, Some(&admin)).unwrap(),
            world.member
        );
        assert!(root.verify_org_key(&org, &key, &admin).is_ok());
        // The key upgrade verifies with the signing key of the member's certificate (and
        // not their admin's), names them, and is to the key of their later identity,
        // which seals and opens as `sealed_later_identities` stands in for.
        let upgrade = Signed::sign(&world.key_upgrade, &fixtures::member()).unwrap();
        assert_eq!(
            upgrade.verify(&world.member.signing_key).unwrap(),
            world.key_upgrade
        );
        assert!(upgrade.verify(&world.admin.signing_key).is_err());
        assert_eq!(
            (world.key_upgrade.user_id, world.key_upgrade.org_id),
            (world.member.user_id, world.member.org_id)
        );
        assert!(world.key_upgrade.encryption_key.is_post_quantum());
        assert_eq!(world.later.identities.len(), 1);
        assert_eq!(
            pli_crypto::keys::EncryptionKey::from(world.later.identities[0].to_recipient()),
            world.key_upgrade.encryption_key
        );
        let sealed = world.later.seal(&fixtures::member()).unwrap();
        assert_eq!(sealed.len(), world.sealed_later_identities().0.len());
        let opened = LaterIdentities::open(&sealed, &fixtures::member(), &world.member_id);
        assert_eq!(opened.unwrap().identities.len(), 1);
        let json = generated("api_json");
        for name in ["KeyUpgradeRequest", "ResetRequest", "Me", "Members"] {
            assert!(json.iter().any(|s| s.name == name), "{name}");
        }
        assert_eq!(generated("signed").len(), 14);
        assert_eq!(generated("age_tamper").len(), 12);
        assert_eq!(generated("upload_headers").len(), 5);
        assert!(!cctv("age_header").is_empty());
    }
}
