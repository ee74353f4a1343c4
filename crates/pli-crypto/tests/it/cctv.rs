//! The C2SP CCTV age vectors, run through Pli's push decryptor with several input piece
//! sizes. Every vector either has its expected outcome or is a named exception below,
//! with the reason.

use pli_crypto::DecryptError;
use pli_crypto::age::{AnyIdentity, ArmorDecoder, Decryptor};
use pli_testvectors::{Expect, Vector, cctv};

/// How the input reaches the decryptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Straight into [`Decryptor`], which recognises armor by itself (what the CLI does).
    Detect,
    /// Through a standalone [`ArmorDecoder`] first (for `armored: yes` vectors).
    Armored,
}

/// Where Pli's outcome differs from the vector's, and why.
fn exception(vector: &Vector, mode: Mode) -> Option<(Expect, &'static str)> {
    let scrypt = vector.family() == "scrypt" || vector.name == "armor_scrypt";
    // Non-canonical base64 in any stanza body is a header failure, scrypt or not.
    if scrypt && vector.name != "scrypt_not_canonical_body" && vector.expect != Expect::NoMatch {
        // The spec tells identity implementations to ignore stanzas they do not know.
        return Some((
            Expect::NoMatch,
            "passphrase (scrypt) identities are not supported, so scrypt stanzas are ignored",
        ));
    }
    if vector.name == "armor_garbage_leading" && mode == Mode::Detect {
        return Some((
            Expect::HeaderFailure,
            "input that starts with neither `age-encryption.org/` nor `-----BEGIN` is reported as not an age file",
        ));
    }
    None
}

fn class(error: DecryptError) -> Expect {
    match error {
        DecryptError::NoMatch => Expect::NoMatch,
        DecryptError::HeaderMac => Expect::HmacFailure,
        DecryptError::Truncated | DecryptError::Corrupted => Expect::PayloadFailure,
        DecryptError::Armor => Expect::ArmorFailure,
        _ => Expect::HeaderFailure,
    }
}

/// Decrypts `vector` pushing `piece` bytes at a time; returns the outcome class and the
/// SHA-256 of every plaintext byte released.
fn run(vector: &Vector, mode: Mode, piece: usize) -> (Expect, [u8; 32]) {
    // X25519 and hybrid post-quantum identities alike (`hybrid_x25519_arg` has both).
    let identities: Vec<AnyIdentity> = vector
        .identities
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    let mut decryptor = Decryptor::new(identities);
    let mut armor = (mode == Mode::Armored).then(ArmorDecoder::new);
    let mut released = Vec::new();
    let mut push =
        |part: &[u8], armor: &mut Option<ArmorDecoder>, released: &mut Vec<u8>| match armor {
            Some(armor) => {
                let mut binary = Vec::new();
                armor.update(part, &mut binary)?;
                decryptor.update(&binary, released)
            }
            None => decryptor.update(part, released),
        };
    let mut result = vector
        .file
        .chunks(piece)
        .try_for_each(|part| push(part, &mut armor, &mut released));
    if result.is_ok()
        && let Some(armor) = armor.take()
    {
        let mut binary = Vec::new();
        result = armor
            .finish(&mut binary)
            .and_then(|()| push(&binary, &mut None, &mut released));
    }
    let outcome = match result.and_then(|()| decryptor.finish(&mut released)) {
        Ok(summary) => {
            assert_eq!(
                summary.plaintext_len,
                released.len() as u64,
                "{}",
                vector.name
            );
            Expect::Success
        }
        Err(error) => class(error),
    };
    (outcome, pli_crypto::sha256(&released))
}

both_targets! {
    fn every_cctv_vector_has_its_expected_outcome() {
        let (vectors, rejected) = cctv();
        assert!(rejected.is_empty(), "unparsed vectors: {rejected:?}");
        assert_eq!(vectors.len(), 143, "vectors missing from {}", pli_testvectors::SOURCE_DIR);

        let mut runs = 0;
        let mut exceptions = Vec::new();
        let mut failures = Vec::new();
        for vector in &vectors {
            let modes: &[Mode] = if vector.armored { &[Mode::Detect, Mode::Armored] } else { &[Mode::Detect] };
            for &mode in modes {
                runs += 1;
                let expected = match exception(vector, mode) {
                    Some((outcome, why)) => {
                        exceptions.push(format!("{} ({mode:?}): {outcome:?} instead of {:?}: {why}", vector.name, vector.expect));
                        outcome
                    }
                    None => vector.expect,
                };
                let pieces: &[usize] = if vector.file.len() > 200_000 {
                    &[usize::MAX, 65_536 + 17, 4099]
                } else {
                    &[usize::MAX, 65_536 + 16, 65_536 + 17, 4099, 64, 7, 1]
                };
                for &piece in pieces {
                    let (outcome, released) = run(vector, mode, piece);
                    let hashed = matches!(outcome, Expect::Success | Expect::PayloadFailure);
                    if outcome != expected {
                        failures.push(format!("{} ({mode:?}, pieces of {piece}): {outcome:?}, expected {expected:?}", vector.name));
                    } else if hashed && Some(released) != vector.payload {
                        failures.push(format!("{} ({mode:?}, pieces of {piece}): wrong plaintext released", vector.name));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
        // Every vector, hybrid ones included (`hybrid` and 17 `hybrid_*`, `armor_hybrid`);
        // the 33 armor_* vectors run a second time through the standalone armor decoder.
        assert_eq!(runs, 143 + 33);
        let hybrid = vectors.iter().filter(|v| v.family() == "hybrid" || v.name == "armor_hybrid").count();
        assert_eq!(hybrid, 19);
        // 20 scrypt vectors + armor_scrypt (armored: twice) + armor_garbage_leading.
        assert_eq!(exceptions.len(), 23, "{}", exceptions.join("\n"));
    }
}
