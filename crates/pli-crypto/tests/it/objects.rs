//! Signed objects (certificates, envelope, receipt), the manifest, the key bundle and
//! key grants: round trips, tampering, and the certificate chain.

use pli_api::{ExchangeId, OrgId, UserId};
use pli_crypto::Error;
use pli_crypto::account_key::AccountKey;
use pli_crypto::age::Identity;
use pli_crypto::bundle::KeyBundle;
use pli_crypto::cert::{
    OrgCertificate, OrgKeyCertificate, OrgKind, Role, TrustRoot, UserCertificate,
};
use pli_crypto::codec::Canonical;
use pli_crypto::envelope::{
    Envelope, Hashing, MAX_PART_SIZE, MIN_PART_SIZE, ObjectRef, PartList, Priority,
};
use pli_crypto::grant::OrgKey;
use pli_crypto::keys::UserKeys;
use pli_crypto::manifest::{Category, FileEntry, Manifest};
use pli_crypto::password::{self, KdfParams, Secrets};
use pli_crypto::preview::Preview;
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::{Signed, SigningKey};

pub(crate) fn org(n: u8) -> OrgId {
    OrgId::from_random([n; 16])
}

pub(crate) fn user(n: u8) -> UserId {
    UserId::from_random([n; 16])
}

pub(crate) fn envelope(sender: &UserKeys) -> Envelope {
    Envelope {
        exchange_id: ExchangeId::from_random([9; 16]),
        sender_user_id: user(1),
        sender_key: sender.signing.verifying_key().fingerprint(),
        sender_org_id: org(1),
        sender_generation: Some(3),
        recipient_org_id: org(2),
        recipient_generation: 1,
        priority: Priority::Urgent,
        created_at: 1_790_000_000_000,
        expires_at: 1_792_592_000_000,
        in_reply_to: None,
        hashing: Hashing::Parts {
            part_size: 16 << 20,
        },
        manifest: ObjectRef {
            size: 400,
            sha256: [1; 32],
        },
        files: vec![
            ObjectRef {
                size: 1 << 33,
                sha256: [2; 32],
            },
            ObjectRef {
                size: 0,
                sha256: [3; 32],
            },
        ],
        preview: Some(vec![7; 300]),
    }
}

/// Flipping any single byte of the signed data or of the signature fails verification.
fn assert_tamper_evident<T: Canonical + std::fmt::Debug>(
    signed: &Signed<T>,
    key: &pli_crypto::sign::VerifyingKey,
) {
    signed.verify(key).unwrap();
    let wire = signed.to_wire();
    for i in 0..wire.data.0.len() {
        let mut bad = wire.clone();
        bad.data.0[i] ^= 0x01;
        assert!(
            Signed::<T>::from_wire(&bad).unwrap().verify(key).is_err(),
            "data byte {i}"
        );
    }
    for i in 0..64 {
        let mut bad = wire.clone();
        bad.signature.0[i] ^= 0x80;
        assert!(
            Signed::<T>::from_wire(&bad).unwrap().verify(key).is_err(),
            "signature byte {i}"
        );
    }
    let mut longer = wire.clone();
    longer.data.0.push(0);
    assert!(
        Signed::<T>::from_wire(&longer)
            .unwrap()
            .verify(key)
            .is_err()
    );
    let mut short_signature = wire;
    short_signature.signature.0.pop();
    assert!(Signed::<T>::from_wire(&short_signature).is_err());
}

/// A little platform: root, an organisation, its admin and a member.
pub(crate) struct Platform {
    pub(crate) root_key: SigningKey,
    pub(crate) root: TrustRoot,
    pub(crate) org: Signed<OrgCertificate>,
    pub(crate) admin: UserKeys,
    pub(crate) admin_cert: Signed<UserCertificate>,
    pub(crate) member: UserKeys,
    pub(crate) member_cert: Signed<UserCertificate>,
    pub(crate) org_key: OrgKey,
    pub(crate) org_key_cert: Signed<OrgKeyCertificate>,
}

pub(crate) fn user_cert(
    keys: &UserKeys,
    id: UserId,
    org_id: OrgId,
    role: Role,
    issuer: &SigningKey,
) -> Signed<UserCertificate> {
    let cert = UserCertificate {
        user_id: id,
        org_id,
        role,
        service: false,
        display_name: "Claire Martin".into(),
        signing_key: keys.signing.verifying_key(),
        encryption_key: keys.encryption.to_recipient().into(),
        issued_at: 1_790_000_000_000,
        issuer: issuer.verifying_key().fingerprint(),
        expires_at: Some(u64::MAX),
    };
    Signed::sign(&cert, issuer).unwrap()
}

pub(crate) fn platform() -> Platform {
    let root_key = SigningKey::generate().unwrap();
    let root = TrustRoot(root_key.verifying_key());
    let org_cert = OrgCertificate {
        org_id: org(2),
        kind: OrgKind::Court,
        name: "Tribunal judiciaire de Meaux — Parquet".into(),
        code: "TJ-MEAUX-PARQUET".into(),
        issued_at: 1_790_000_000_000,
    };
    let admin = UserKeys::generate().unwrap();
    let admin_cert = user_cert(&admin, user(2), org(2), Role::OrgAdmin, &root_key);
    let member = UserKeys::generate().unwrap();
    let member_cert = user_cert(&member, user(3), org(2), Role::Member, &admin.signing);
    let org_key = OrgKey::generate(org(2), 1).unwrap();
    let key_cert = OrgKeyCertificate {
        org_id: org(2),
        generation: 1,
        public_key: org_key.public_key(),
        issued_at: 1_790_000_000_000,
        issuer: admin.signing.verifying_key().fingerprint(),
        expires_at: Some(u64::MAX),
    };
    Platform {
        org: Signed::sign(&org_cert, &root_key).unwrap(),
        org_key_cert: Signed::sign(&key_cert, &admin.signing).unwrap(),
        root_key,
        root,
        admin,
        admin_cert,
        member,
        member_cert,
        org_key,
    }
}

both_targets! {
    fn every_signed_object_is_tamper_evident() {
        let p = platform();
        assert_tamper_evident(&p.org, &p.root.0);
        assert_tamper_evident(&p.admin_cert, &p.root.0);
        assert_tamper_evident(&p.member_cert, &p.admin.signing.verifying_key());
        assert_tamper_evident(&p.org_key_cert, &p.admin.signing.verifying_key());
        let envelope = Signed::sign(&envelope(&p.member), &p.member.signing).unwrap();
        assert_tamper_evident(&envelope, &p.member.signing.verifying_key());
        let receipt = Receipt {
            exchange_id: ExchangeId::from_random([9; 16]),
            envelope_sha256: envelope.sha256(),
            reader_user_id: user(3),
            reader_key: p.member.signing.verifying_key().fingerprint(),
            reader_org_id: org(2),
            read_at: 1_790_000_100_000,
        };
        let receipt = Signed::sign(&receipt, &p.member.signing).unwrap();
        assert_tamper_evident(&receipt, &p.member.signing.verifying_key());
    }

    fn a_signature_for_one_object_type_does_not_verify_as_another() {
        let p = platform();
        // The member's certificate bytes, signed by the admin, presented as a key certificate.
        let confused = Signed::<OrgKeyCertificate>::from_wire(&p.member_cert.to_wire()).unwrap();
        assert!(matches!(confused.verify(&p.admin.signing.verifying_key()), Err(Error::Encoding { .. })));
    }

    fn the_chain_verifies_and_refuses_substitutions() {
        let p = platform();
        let (org_cert, key) = p.root.verify_org_key(&p.org, &p.org_key_cert, &p.admin_cert).unwrap();
        assert_eq!(org_cert.name, "Tribunal judiciaire de Meaux — Parquet");
        assert_eq!(key.public_key, p.org_key.public_key());
        assert_eq!(p.root.verify_user(&p.member_cert, Some(&p.admin_cert)).unwrap().role, Role::Member);
        assert_eq!(p.root.verify_user(&p.admin_cert, None).unwrap().role, Role::OrgAdmin);

        // A relay substitutes its own key, signed by a key it controls.
        let mallory = UserKeys::generate().unwrap();
        let forged_admin = user_cert(&mallory, user(9), org(2), Role::OrgAdmin, &mallory.signing);
        let mut forged_key = p.org_key_cert.verify(&p.admin.signing.verifying_key()).unwrap();
        forged_key.public_key = mallory.encryption.to_recipient().into();
        forged_key.issuer = mallory.signing.verifying_key().fingerprint();
        let forged_key = Signed::sign(&forged_key, &mallory.signing).unwrap();
        assert!(p.root.verify_org_key(&p.org, &forged_key, &forged_admin).is_err());
        assert!(p.root.verify_org_key(&p.org, &forged_key, &p.admin_cert).is_err());

        // An admin of another organisation cannot certify this one's key.
        let other_admin = UserKeys::generate().unwrap();
        let other_admin_cert = user_cert(&other_admin, user(7), org(5), Role::OrgAdmin, &p.root_key);
        let mut key = p.org_key_cert.verify(&p.admin.signing.verifying_key()).unwrap();
        key.issuer = other_admin.signing.verifying_key().fingerprint();
        let key = Signed::sign(&key, &other_admin.signing).unwrap();
        assert!(matches!(p.root.verify_org_key(&p.org, &key, &other_admin_cert), Err(Error::Verification(_))));

        // A member cannot certify anyone; an admin cannot make an admin.
        let friend = UserKeys::generate().unwrap();
        let by_member = user_cert(&friend, user(8), org(2), Role::Member, &p.member.signing);
        assert!(p.root.verify_user(&by_member, Some(&p.member_cert)).is_err());
        let promoted = user_cert(&friend, user(8), org(2), Role::OrgAdmin, &p.admin.signing);
        assert!(p.root.verify_user(&promoted, Some(&p.admin_cert)).is_err());
        // Another root is another world.
        let other_root = TrustRoot(SigningKey::generate().unwrap().verifying_key());
        assert!(other_root.verify_org(&p.org).is_err());
        assert!(other_root.verify_user(&p.member_cert, Some(&p.admin_cert)).is_err());
    }

    fn manifest_seals_for_the_recipients_only() {
        let p = platform();
        let sender_org = OrgKey::generate(org(1), 3).unwrap();
        let manifest = Manifest {
            exchange_id: ExchangeId::from_random([9; 16]),
            category: Category::Signalement,
            subject: "Signalement — mineur en danger".into(),
            message: "Bonjour,\nveuillez trouver ci-joint…".into(),
            case_reference: "2026/00123".into(),
            files: vec![FileEntry { name: "rapport évaluation.pdf".into(), size: 12_345, media_type: "application/pdf".into(), sha256: [4; 32] }],
        };
        let (sealed, summary) = manifest.seal(&[p.org_key.recipient(), sender_org.recipient()]).unwrap();
        assert_eq!(summary.ciphertext_sha256, pli_crypto::sha256(&sealed));
        assert!(!sealed.windows(10).any(|w| w == b"Signalemen"));
        assert_eq!(Manifest::open(std::slice::from_ref(&p.org_key.identity), &sealed).unwrap(), manifest);
        assert_eq!(Manifest::open(std::slice::from_ref(&sender_org.identity), &sealed).unwrap(), manifest);
        assert!(Manifest::open(&[Identity::generate().unwrap()], &sealed).is_err());
    }

    fn the_longest_manifest_sealed_to_four_recipients_fits_the_cap() {
        let long = |len: usize| "é".repeat(len / 2);
        let manifest = Manifest {
            exchange_id: ExchangeId::from_random([9; 16]),
            category: Category::Autre,
            subject: long(pli_crypto::manifest::MAX_SUBJECT_LEN),
            message: long(pli_crypto::manifest::MAX_MESSAGE_LEN),
            case_reference: long(pli_crypto::manifest::MAX_CASE_REFERENCE_LEN),
            files: (0..pli_crypto::envelope::MAX_FILES)
                .map(|_| FileEntry {
                    name: long(pli_crypto::manifest::MAX_FILE_NAME_LEN - 1),
                    size: u64::MAX,
                    media_type: "x".repeat(pli_crypto::manifest::MAX_MEDIA_TYPE_LEN),
                    sha256: [7; 32],
                })
                .collect(),
        };
        let recipients: Vec<_> = (0..4)
            .map(|n| OrgKey::generate(org(n), 1).unwrap().recipient())
            .collect();
        let (sealed, _) = manifest.seal(&recipients).unwrap();
        let len = u64::try_from(sealed.len()).unwrap();
        assert!(len * 4 < pli_crypto::manifest::MAX_SEALED_LEN, "{len}");
    }

    fn preview_seals_for_the_recipients_only_and_names_its_exchange() {
        let p = platform();
        let sender_org = OrgKey::generate(org(1), 3).unwrap();
        let preview = Preview {
            exchange_id: ExchangeId::from_random([9; 16]),
            category: Category::DemandeEvaluation,
            subject: "Demande d'évaluation — fratrie Martin".into(),
            case_reference: "2026/00123".into(),
            size: 1_234_567,
        };
        let sealed = preview.seal(&[p.org_key.recipient(), sender_org.recipient()]).unwrap();
        // Two post-quantum stanzas (about 1.6 KB each) and the padded preview.
        assert!(sealed.len() < 4096, "{} bytes", sealed.len());
        // Padded: a one-letter subject seals to the same length as this one.
        let short = Preview { subject: "x".into(), case_reference: String::new(), ..preview.clone() };
        assert_eq!(short.to_canonical().unwrap().len(), pli_crypto::preview::PADDED_LEN);
        assert_eq!(preview.to_canonical().unwrap().len(), pli_crypto::preview::PADDED_LEN);
        assert_eq!(short.seal(&[p.org_key.recipient(), sender_org.recipient()]).unwrap().len(), sealed.len());
        // The padding is part of the one encoding: other bytes there are refused.
        let mut padded = preview.to_canonical().unwrap();
        let last = padded.len() - 1;
        padded[last] = 1;
        assert!(Preview::from_canonical(&padded).is_err());
        assert!(!sealed.windows(8).any(|w| w == b"fratrie "));
        assert_eq!(Preview::open(std::slice::from_ref(&p.org_key.identity), &sealed).unwrap(), preview);
        assert_eq!(Preview::open(std::slice::from_ref(&sender_org.identity), &sealed).unwrap(), preview);
        assert!(Preview::open(&[Identity::generate().unwrap()], &sealed).is_err());
        // The longest subject and case reference still fit an envelope, even for several
        // recipients.
        let longest = Preview {
            subject: "é".repeat(pli_crypto::manifest::MAX_SUBJECT_LEN / 2),
            case_reference: "x".repeat(pli_crypto::manifest::MAX_CASE_REFERENCE_LEN),
            ..preview
        };
        assert_eq!(longest.to_canonical().unwrap().len(), pli_crypto::preview::PADDED_LEN, "the longest fills the padding exactly");
        let recipients: Vec<_> = (0..4).map(|_| Identity::generate().unwrap().to_recipient()).collect();
        assert!(longest.seal(&recipients).unwrap().len() <= pli_crypto::preview::MAX_SEALED_LEN);
        // Bigger than an envelope carries: refused before any key work.
        let huge = vec![0u8; pli_crypto::preview::MAX_SEALED_LEN + 1];
        assert!(matches!(
            Preview::open(std::slice::from_ref(&p.org_key.identity), &huge),
            Err(Error::OutOfRange("preview"))
        ));
    }

    fn key_bundle_opens_with_the_password_and_the_account_key_only() {
        let params = KdfParams { secrets: Secrets::PasswordAndAccountKey, m_cost_kib: KdfParams::MIN_M_COST_KIB, t_cost: 2, p_cost: 1, salt: [5; 16] };
        let account_key = AccountKey::generate().unwrap();
        let credentials = password::derive(b"correct horse battery staple", Some(&account_key), &params).unwrap();
        let keys = UserKeys::generate().unwrap();
        let bundle = KeyBundle { user_id: user(3), keys: keys.clone(), root: None, trusted_root: None };
        let sealed = bundle.seal(&credentials.bundle_key).unwrap();
        let opened = KeyBundle::open(&sealed, &credentials.bundle_key, &user(3)).unwrap();
        assert_eq!(opened.keys.public(), keys.public());
        // The same secrets and salt give the same keys; another password does not.
        let again = password::derive(b"correct horse battery staple", Some(&account_key), &params).unwrap();
        assert_eq!(*again.auth_key.to_bytes(), *credentials.auth_key.to_bytes());
        assert_ne!(*again.auth_key.to_bytes(), [0; 32]);
        let wrong = password::derive(b"correct horse battery stapler", Some(&account_key), &params).unwrap();
        assert_eq!(KeyBundle::open(&sealed, &wrong.bundle_key, &user(3)).unwrap_err(), Error::WrongPassword);
        // The right password with another account key opens nothing either: guessing
        // passwords against a copy of the relay's database needs the 128-bit key too.
        let other_key = AccountKey::generate().unwrap();
        let guessed = password::derive(b"correct horse battery staple", Some(&other_key), &params).unwrap();
        assert_eq!(KeyBundle::open(&sealed, &guessed.bundle_key, &user(3)).unwrap_err(), Error::WrongPassword);
        assert_ne!(*guessed.auth_key.to_bytes(), *credentials.auth_key.to_bytes());
        // Without the account key, nothing is derived; a relay claiming the account is
        // password-only does not get a password-only auth key out of a client holding one.
        assert_eq!(password::derive(b"correct horse battery staple", None, &params).unwrap_err(), Error::AccountKeyNeeded);
        let downgraded = KdfParams { secrets: Secrets::Password, ..params };
        assert!(matches!(password::derive(b"correct horse battery staple", Some(&account_key), &downgraded), Err(Error::Verification(_))));
        // Version 1 (password only) still opens what it sealed, and differs from version 2.
        let v1 = password::derive(b"correct horse battery staple", None, &downgraded).unwrap();
        assert_ne!(*v1.auth_key.to_bytes(), *credentials.auth_key.to_bytes());
        // A bundle swapped between accounts does not open.
        assert_eq!(KeyBundle::open(&sealed, &credentials.bundle_key, &user(4)).unwrap_err(), Error::WrongPassword);
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(KeyBundle::open(&bad, &credentials.bundle_key, &user(3)).is_err(), "byte {i}");
        }
        // Auth key and bundle key differ.
        let auth = credentials.auth_key.to_bytes();
        assert_ne!(format!("{:?}", credentials.bundle_key), format!("{auth:?}"));
        // The parameters survive the wire, and a version the client does not know is refused.
        assert_eq!(KdfParams::from_wire(&params.to_wire()).unwrap(), params);
        let mut unknown = params.to_wire();
        unknown.version = 3;
        assert!(KdfParams::from_wire(&unknown).is_err());
    }

    fn kdf_parameters_below_the_minimum_are_refused() {
        let weak = KdfParams { secrets: Secrets::Password, m_cost_kib: 1024, t_cost: 1, p_cost: 1, salt: [0; 16] };
        assert!(password::derive(b"x", None, &weak).is_err());
        let pepper = [7; 32];
        assert_eq!(KdfParams::fake(&pepper, "a@example.fr"), KdfParams::fake(&pepper, " A@Example.fr "));
        assert_ne!(KdfParams::fake(&pepper, "a@example.fr").salt, KdfParams::fake(&pepper, "b@example.fr").salt);
        KdfParams::fake(&pepper, "a@example.fr").validate().unwrap();
    }

    fn key_grants_open_for_the_member_and_check_the_certified_key() {
        let p = platform();
        let wrapped = p.org_key.grant_to(&p.member.encryption.to_recipient().into()).unwrap();
        let opened = OrgKey::open_grant(&wrapped, &p.member.encryption, &org(2), 1, &p.org_key.public_key()).unwrap();
        assert_eq!(opened.recipient(), p.org_key.recipient());
        assert!(OrgKey::open_grant(&wrapped, &p.admin.encryption, &org(2), 1, &p.org_key.public_key()).is_err());
        assert!(OrgKey::open_grant(&wrapped, &p.member.encryption, &org(2), 2, &p.org_key.public_key()).is_err());
        let other = OrgKey::generate(org(2), 1).unwrap();
        assert!(OrgKey::open_grant(&wrapped, &p.member.encryption, &org(2), 1, &other.public_key()).is_err());
    }
}

/// A certificate from before expiry (no trailing field) reads as never expiring; one with
/// an end keeps it; the end is signed like every other field.
/// A service account's certificate differs from a person's by its role byte alone (4
/// instead of 1), so every certificate issued before reads as it did; only members can be
/// service accounts; the mark is signed and verifies through the chain.
#[test]
fn a_service_account_is_marked_in_the_signed_role_byte() {
    let p = platform();
    let person = p
        .member_cert
        .verify(&p.admin.signing.verifying_key())
        .unwrap();
    assert!(!person.service);
    let service = UserCertificate {
        service: true,
        ..person.clone()
    };
    let (a, b) = (
        person.to_canonical().unwrap(),
        service.to_canonical().unwrap(),
    );
    assert_eq!(a.len(), b.len());
    let differ: Vec<(u8, u8)> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (*x, *y))
        .collect();
    assert_eq!(differ, [(1, 4)]);

    let signed = Signed::sign(&service, &p.admin.signing).unwrap();
    let verified = p.root.verify_user(&signed, Some(&p.admin_cert)).unwrap();
    assert!(verified.service);
    assert_eq!(verified.role, Role::Member);

    for role in [Role::OrgAdmin, Role::PlatformAdmin] {
        let admin_program = UserCertificate {
            role,
            ..service.clone()
        };
        assert!(admin_program.to_canonical().is_err(), "{role:?}");
    }
    let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap();
    let mut unknown = b.clone();
    unknown[at] = 5;
    assert!(UserCertificate::from_canonical(&unknown).is_err());
}

#[test]
fn certificate_expiry_is_a_signed_trailing_field() {
    let admin = SigningKey::generate().unwrap();
    let mut cert = OrgKeyCertificate {
        org_id: pli_api::OrgId::from_bytes([1; 16]),
        generation: 1,
        public_key: pli_crypto::age::Identity::generate()
            .unwrap()
            .to_recipient()
            .into(),
        issued_at: 1,
        issuer: admin.verifying_key().fingerprint(),
        expires_at: None,
    };
    let old = cert.to_canonical().unwrap();
    assert_eq!(
        OrgKeyCertificate::from_canonical(&old).unwrap().expires_at,
        None
    );
    cert.expires_at = Some(42);
    let new = cert.to_canonical().unwrap();
    assert_eq!(new.len(), old.len() + 8);
    assert_eq!(
        OrgKeyCertificate::from_canonical(&new).unwrap().expires_at,
        Some(42)
    );
    let signed = Signed::sign(&cert, &admin).unwrap();
    let mut tampered = signed.data().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let forged = Signed::<OrgKeyCertificate>::from_parts(tampered, *signed.signature());
    assert!(forged.verify(&admin.verifying_key()).is_err());
}

/// The preview is the envelope's last field, without a marker: an envelope signed before
/// previews existed decodes to `None` and encodes back to the same bytes; a preview is
/// signed like every other field.
#[test]
fn envelope_preview_is_a_signed_trailing_field() {
    let sender = UserKeys::generate().unwrap();
    let mut old = envelope(&sender);
    old.preview = None;
    let old_bytes = old.to_canonical().unwrap();
    assert_eq!(Envelope::from_canonical(&old_bytes).unwrap(), old);
    let new = envelope(&sender);
    let new_bytes = new.to_canonical().unwrap();
    assert_eq!(new_bytes.len(), old_bytes.len() + 4 + 300);
    assert_eq!(Envelope::from_canonical(&new_bytes).unwrap(), new);
    let mut too_big = old.clone();
    too_big.preview = Some(vec![0; pli_crypto::preview::MAX_SEALED_LEN + 1]);
    assert!(too_big.to_canonical().is_err());
    // Nor can a sender declare a manifest larger than anyone reads.
    let mut huge = old.clone();
    huge.manifest.size = pli_crypto::manifest::MAX_SEALED_LEN + 1;
    assert!(huge.to_canonical().is_err());
    let mut declared = old_bytes.clone();
    let at = declared
        .windows(40)
        .position(|w| w[..8] == old.manifest.size.to_be_bytes() && w[8..] == old.manifest.sha256)
        .unwrap();
    declared[at..at + 8].copy_from_slice(&(pli_crypto::manifest::MAX_SEALED_LEN + 1).to_be_bytes());
    assert!(Envelope::from_canonical(&declared).is_err());
    let signed = Signed::sign(&new, &sender.signing).unwrap();
    let mut swapped = signed.data().to_vec();
    let last = swapped.len() - 1;
    swapped[last] ^= 1;
    let forged = Signed::<Envelope>::from_parts(swapped, *signed.signature());
    assert!(forged.verify(&sender.signing.verifying_key()).is_err());
}

/// Both envelope formats are read: format 1 (the whole ciphertext's hash) under
/// `pli/v1/envelope`, format 2 (the part lists' hashes, with the part size) under
/// `pli/v2/envelope`. Each value has one encoding, and a signature over one format does
/// not verify as the other.
#[test]
fn an_envelope_of_either_format_decodes_to_itself_and_only_under_its_own_prefix() {
    let sender = UserKeys::generate().unwrap();
    let parts = envelope(&sender);
    let whole = Envelope {
        hashing: Hashing::Whole,
        ..parts.clone()
    };
    let parts_bytes = parts.to_canonical().unwrap();
    let whole_bytes = whole.to_canonical().unwrap();
    assert!(parts_bytes.starts_with(b"pli/v2/envelope\0"));
    assert!(whole_bytes.starts_with(b"pli/v1/envelope\0"));
    assert_eq!(Envelope::from_canonical(&parts_bytes).unwrap(), parts);
    assert_eq!(Envelope::from_canonical(&whole_bytes).unwrap(), whole);
    // The part size is the only field format 2 adds.
    assert_eq!(parts_bytes.len(), whole_bytes.len() + 8);
    // Either prefix on the other's fields: refused (eight bytes short or over).
    let mut relabelled = b"pli/v1/envelope\0".to_vec();
    relabelled.extend_from_slice(&parts_bytes[b"pli/v2/envelope\0".len()..]);
    assert!(Envelope::from_canonical(&relabelled).is_err());
    let mut relabelled = b"pli/v2/envelope\0".to_vec();
    relabelled.extend_from_slice(&whole_bytes[b"pli/v1/envelope\0".len()..]);
    assert!(Envelope::from_canonical(&relabelled).is_err());
    // A part size no relay uses cannot be signed, nor decoded.
    for part_size in [0, MIN_PART_SIZE - 1, MAX_PART_SIZE + 1] {
        let odd = Envelope {
            hashing: Hashing::Parts { part_size },
            ..parts.clone()
        };
        assert!(odd.to_canonical().is_err(), "{part_size}");
        let mut bytes = parts_bytes.clone();
        let at = bytes
            .windows(8)
            .position(|w| w == (16u64 << 20).to_be_bytes())
            .unwrap();
        bytes[at..at + 8].copy_from_slice(&part_size.to_be_bytes());
        assert!(Envelope::from_canonical(&bytes).is_err(), "{part_size}");
    }
    let signed = Signed::sign(&parts, &sender.signing).unwrap();
    let as_whole = Signed::<Envelope>::from_parts(whole_bytes, *signed.signature());
    assert!(as_whole.verify(&sender.signing.verifying_key()).is_err());
}

/// An object hashed as it streams, cut anywhere, gives the reference of its part list:
/// the SHA-256 of each `part_size` piece (the last shorter), listed with both sizes and
/// hashed under `pli/v2/part-list`; format 1's hasher gives the whole SHA-256.
#[test]
fn an_object_hashed_as_it_streams_gives_its_part_lists_reference() {
    let part_size = MIN_PART_SIZE;
    let data: Vec<u8> = (0..(3 * part_size + 1234) as usize)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    for len in [0, 1, part_size as usize, 2 * part_size as usize, data.len()] {
        let object = &data[..len];
        let list = PartList {
            part_size,
            size: len as u64,
            parts: object
                .chunks(part_size as usize)
                .map(pli_crypto::sha256)
                .collect(),
        };
        let expected = list.object_ref().unwrap();
        let mut encoded = b"pli/v2/part-list\0".to_vec();
        encoded.extend_from_slice(&part_size.to_be_bytes());
        encoded.extend_from_slice(&(len as u64).to_be_bytes());
        encoded.extend_from_slice(&(list.parts.len() as u32).to_be_bytes());
        list.parts.iter().for_each(|h| encoded.extend_from_slice(h));
        assert_eq!(expected.sha256, pli_crypto::sha256(&encoded), "{len}");
        assert_eq!(expected.size, len as u64);
        for piece in [1, 1000, part_size as usize - 1, part_size as usize + 3] {
            let mut hasher = Hashing::Parts { part_size }.hasher();
            object.chunks(piece).for_each(|c| hasher.update(c));
            assert_eq!(hasher.finish().unwrap(), expected, "{len} by {piece}");
        }
        let mut whole = Hashing::Whole.hasher();
        object.chunks(1000).for_each(|c| whole.update(c));
        assert_eq!(
            whole.finish().unwrap(),
            ObjectRef {
                size: len as u64,
                sha256: pli_crypto::sha256(object),
            }
        );
    }
    // A list whose count does not match its sizes has no reference, and does not decode.
    let mut short = PartList {
        part_size,
        size: 2 * part_size + 1,
        parts: vec![[1; 32]; 2],
    };
    assert!(short.object_ref().is_err());
    short.size = 2 * part_size;
    let bytes = short.to_canonical().unwrap();
    assert_eq!(PartList::from_canonical(&bytes).unwrap(), short);
    let mut longer = bytes.clone();
    let at = b"pli/v2/part-list\0".len() + 8;
    longer[at..at + 8].copy_from_slice(&(2 * part_size + 1).to_be_bytes());
    assert!(PartList::from_canonical(&longer).is_err());
}
