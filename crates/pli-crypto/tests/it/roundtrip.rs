//! Property tests (native only): canonical encodings round-trip and reject trailing data;
//! the streaming API's output does not depend on how the input is split; any hybrid
//! identity opens what was encrypted to its recipient, and only that.

use pli_api::{ExchangeId, OrgId, UserId};
use pli_crypto::DecryptError;
use pli_crypto::age::{Decryptor, Encryptor, HybridIdentity, Identity};
use pli_crypto::codec::Canonical;
use pli_crypto::envelope::{Envelope, Hashing, MAX_PART_SIZE, MIN_PART_SIZE, ObjectRef, Priority};
use pli_crypto::manifest::{Category, FileEntry, Manifest};
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::Fingerprint;
use proptest::prelude::*;

fn object() -> impl Strategy<Value = ObjectRef> {
    (any::<u64>(), any::<[u8; 32]>()).prop_map(|(size, sha256)| ObjectRef { size, sha256 })
}

/// A sealed manifest: at most `MAX_SEALED_LEN` bytes, or the envelope does not encode.
fn manifest_object() -> impl Strategy<Value = ObjectRef> {
    (0..=pli_crypto::manifest::MAX_SEALED_LEN, any::<[u8; 32]>())
        .prop_map(|(size, sha256)| ObjectRef { size, sha256 })
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        any::<[[u8; 16]; 5]>(),
        any::<[u8; 32]>(),
        proptest::option::of(any::<u32>()),
        any::<u32>(),
        any::<bool>(),
        (0u64..u64::MAX - 1, 1u64..1 << 40),
        (
            proptest::option::of(any::<[u8; 16]>()),
            proptest::option::of(MIN_PART_SIZE..=MAX_PART_SIZE),
        ),
        manifest_object(),
        proptest::collection::vec(object(), 1..8),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    )
        .prop_map(
            |(
                ids,
                key,
                sender_generation,
                recipient_generation,
                urgent,
                (created_at, ttl),
                (reply, part_size),
                manifest,
                files,
                preview,
            )| {
                Envelope {
                    exchange_id: ExchangeId::from_bytes(ids[0]),
                    sender_user_id: UserId::from_bytes(ids[1]),
                    sender_key: Fingerprint(key),
                    sender_org_id: OrgId::from_bytes(ids[2]),
                    sender_generation,
                    recipient_org_id: OrgId::from_bytes(ids[3]),
                    recipient_generation,
                    priority: if urgent {
                        Priority::Urgent
                    } else {
                        Priority::Normal
                    },
                    created_at,
                    expires_at: created_at.saturating_add(ttl),
                    in_reply_to: reply.map(ExchangeId::from_bytes),
                    hashing: part_size
                        .map_or(Hashing::Whole, |part_size| Hashing::Parts { part_size }),
                    manifest,
                    files,
                    preview,
                }
            },
        )
}

fn manifest() -> impl Strategy<Value = Manifest> {
    let file = (
        "\\PC{0,40}",
        any::<u64>(),
        "[a-z]{1,10}/[a-z0-9.+-]{1,20}",
        any::<[u8; 32]>(),
    )
        .prop_map(|(name, size, media_type, sha256)| FileEntry {
            name,
            size,
            media_type,
            sha256,
        });
    (
        any::<[u8; 16]>(),
        0usize..5,
        "\\PC{0,80}",
        "\\PC{0,300}",
        "[A-Z0-9/-]{0,20}",
        proptest::collection::vec(file, 0..5),
    )
        .prop_map(
            |(id, category, subject, message, case_reference, files)| Manifest {
                exchange_id: ExchangeId::from_bytes(id),
                category: Category::ALL[category],
                subject,
                message,
                case_reference,
                files,
            },
        )
}

fn check_round_trip<T: Canonical + PartialEq + std::fmt::Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    let bytes = value.to_canonical().unwrap();
    prop_assert_eq!(&T::from_canonical(&bytes).unwrap(), value);
    // Deterministic: encoding the decoded value gives the same bytes.
    prop_assert_eq!(
        T::from_canonical(&bytes).unwrap().to_canonical().unwrap(),
        bytes.clone()
    );
    let mut longer = bytes.clone();
    longer.push(0);
    prop_assert!(T::from_canonical(&longer).is_err());
    prop_assert!(T::from_canonical(&bytes[..bytes.len() - 1]).is_err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn envelopes_round_trip(envelope in envelope()) {
        check_round_trip(&envelope)?;
    }

    #[test]
    fn manifests_round_trip(manifest in manifest()) {
        check_round_trip(&manifest)?;
    }

    #[test]
    fn receipts_round_trip(ids in any::<[[u8; 16]; 3]>(), hash in any::<[u8; 32]>(), key in any::<[u8; 32]>(), read_at in any::<u64>()) {
        check_round_trip(&Receipt {
            exchange_id: ExchangeId::from_bytes(ids[0]),
            envelope_sha256: hash,
            reader_user_id: UserId::from_bytes(ids[1]),
            reader_key: Fingerprint(key),
            reader_org_id: OrgId::from_bytes(ids[2]),
            read_at,
        })?;
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = b"pli/v1/envelope\0".to_vec();
        bytes.extend(&tail);
        let _ = Envelope::from_canonical(&bytes);
        let mut bytes = b"pli/v1/manifest\0".to_vec();
        bytes.extend(&tail);
        let _ = Manifest::from_canonical(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// However the plaintext is split on the way in, and the ciphertext on the way out,
    /// the round trip gives the plaintext back. Pieces of 8 chunks and more are sealed and
    /// opened on several threads with the feature `parallel`.
    #[test]
    fn streaming_is_independent_of_piece_sizes(
        len in prop_oneof![0usize..300, 65_530usize..65_550, 130_000usize..400_000, 500_000usize..1_300_000],
        enc_pieces in proptest::collection::vec(prop_oneof![1usize..200_000, 500_000usize..1_300_000], 1..6),
        dec_pieces in proptest::collection::vec(prop_oneof![1usize..200_000, 500_000usize..1_300_000], 1..6),
    ) {
        let identity = Identity::generate().unwrap();
        let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 % 256) as u8).collect();
        let mut encryptor = Encryptor::new(&[identity.to_recipient()]).unwrap();
        let mut ciphertext = Vec::new();
        let mut rest = plaintext.as_slice();
        for piece in enc_pieces.iter().cycle() {
            if rest.is_empty() { break; }
            let (head, tail) = rest.split_at((*piece).min(rest.len()));
            encryptor.update(head, &mut ciphertext).unwrap();
            rest = tail;
        }
        let summary = encryptor.finish(&mut ciphertext).unwrap();
        prop_assert_eq!(summary.ciphertext_len, ciphertext.len() as u64);
        prop_assert_eq!(summary.plaintext_len, len as u64);

        let mut decryptor = Decryptor::new(vec![identity]);
        let mut out = Vec::new();
        let mut rest = ciphertext.as_slice();
        for piece in dec_pieces.iter().cycle() {
            if rest.is_empty() { break; }
            let (head, tail) = rest.split_at((*piece).min(rest.len()));
            decryptor.update(head, &mut out).unwrap();
            rest = tail;
        }
        let summary_back = decryptor.finish(&mut out).unwrap();
        prop_assert_eq!(out, plaintext);
        prop_assert_eq!(summary_back.ciphertext_sha256, summary.ciphertext_sha256);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Whatever the seed of the hybrid identity and the plaintext, the file opens with the
    /// identity and not with another one (which differs from it in one bit).
    #[test]
    fn hybrid_identities_open_their_files_only(
        seed in any::<[u8; 32]>(),
        flip in 0usize..256,
        plaintext in proptest::collection::vec(any::<u8>(), 0..3000),
    ) {
        let identity = HybridIdentity::from_bytes(&seed).unwrap();
        let parsed: HybridIdentity = identity.to_secret_string().unwrap().parse().unwrap();
        prop_assert_eq!(parsed.to_bytes(), identity.to_bytes());
        let recipient = identity.to_recipient();
        prop_assert_eq!(&recipient.to_string().parse::<pli_crypto::age::HybridRecipient>().unwrap(), &recipient);
        let (sealed, _) = pli_crypto::age::encrypt_to_vec(&[recipient], &plaintext).unwrap();
        prop_assert_eq!(pli_crypto::age::decrypt_to_vec(&[identity], &sealed).unwrap(), plaintext);
        let mut other = seed;
        other[flip / 8] ^= 1 << (flip % 8);
        let other = HybridIdentity::from_bytes(&other).unwrap();
        prop_assert_eq!(pli_crypto::age::decrypt_to_vec(&[other], &sealed), Err(DecryptError::NoMatch));
    }
}
