//! `age_decrypt`: the push [`Decryptor`] on any input (binary or armored), with the
//! fixtures' identities and the CCTV vectors' (so that their files reach the payload).
//!
//! * However the input is split, the outcome, the plaintext released and the lengths
//!   reported are the same, with or without the ciphertext's hash.
//! * Plaintext comes out only in whole authenticated chunks before a failure: a failed
//!   decryption released a multiple of 64 KiB, and only a payload failure (truncated,
//!   corrupted) releases anything.
//! * A success reports the plaintext released and, for a binary file, the input's length
//!   and SHA-256.
//! * An armored input decrypts exactly as the bytes its armor decodes to (unless those
//!   start like armor again, or with whitespace: alone, they would be read as armor).

use pli_crypto::DecryptError;
use pli_crypto::age::{ArmorDecoder, CHUNK_SIZE, Decryptor, Summary};

use super::{property, split};
use crate::fixtures;

/// What a decryption did: its outcome and every plaintext byte released.
type Outcome<S> = (Result<S, DecryptError>, Vec<u8>);

/// The `age_decrypt` target.
pub fn age_decrypt(data: &[u8]) {
    let whole = run(decryptor(), data, true);
    // In pieces, and without the hash: the same outcome, plaintext and lengths.
    let pieces = run(decryptor().without_hash(), data, false);
    property(
        pieces.1 == whole.1
            && match (&pieces.0, &whole.0) {
                (Ok(lengths), Ok(summary)) => {
                    lengths.plaintext_len == summary.plaintext_len
                        && lengths.ciphertext_len == summary.ciphertext_len
                }
                (Err(a), Err(b)) => a == b,
                _ => false,
            },
        || format!("whole: {:?}; in pieces: {:?}", whole.0, pieces.0),
    );

    let (result, released) = &whole;
    match result {
        Ok(summary) => {
            property(summary.plaintext_len == released.len() as u64, || {
                format!("{summary:?} for {} bytes released", released.len())
            });
        }
        Err(error) => property(
            released.len() % CHUNK_SIZE == 0
                && (released.is_empty()
                    || matches!(error, DecryptError::Truncated | DecryptError::Corrupted)),
            || format!("{error:?} after releasing {} bytes", released.len()),
        ),
    }

    let armored = data
        .iter()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        == Some(&b'-');
    if !armored {
        if let Ok(summary) = result {
            property(
                summary.ciphertext_len == data.len() as u64
                    && summary.ciphertext_sha256 == pli_crypto::sha256(data),
                || format!("{summary:?} for a binary input of {} bytes", data.len()),
            );
        }
        return;
    }
    let mut binary = Vec::new();
    let mut armor = ArmorDecoder::new();
    if armor.update(data, &mut binary).is_err() || armor.finish(&mut binary).is_err() {
        return;
    }
    // Bytes that themselves start like armor (or with whitespace) are read as armor again
    // when given alone, by design; inside armor they are just not an age file.
    if binary
        .first()
        .is_some_and(|c| matches!(c, b'-' | b' ' | b'\t' | b'\r' | b'\n'))
    {
        return;
    }
    let direct = run(decryptor(), &binary, false);
    property(direct == whole, || {
        format!("armored: {:?}; its bytes: {:?}", whole.0, direct.0)
    });
    if let Ok(summary) = result {
        property(
            summary.ciphertext_len == binary.len() as u64
                && summary.ciphertext_sha256 == pli_crypto::sha256(&binary),
            || format!("{summary:?} for an armored input of {} bytes", binary.len()),
        );
    }
}

/// A decryptor with every fixture identity.
fn decryptor() -> Decryptor {
    Decryptor::new(fixtures::identities().iter().cloned())
}

/// Feeds `data` whole or in pieces, then finishes.
pub(crate) fn run<S: Summary>(mut decryptor: Decryptor<S>, data: &[u8], whole: bool) -> Outcome<S> {
    let mut out = Vec::new();
    for part in split(data, whole) {
        if let Err(error) = decryptor.update(part, &mut out) {
            return (Err(error), out);
        }
    }
    let result = decryptor.finish(&mut out);
    (result, out)
}

/// The outcome without the summary, to compare decryptions whatever they report.
pub(crate) fn plain<S>(outcome: Outcome<S>) -> (Result<(), DecryptError>, Vec<u8>) {
    (outcome.0.map(|_| ()), outcome.1)
}
