//! Checkpoints as C2SP signed notes: the log's Ed25519 signature (`signed-note`, key
//! type 0x01) and the witnesses' `cosignature/v1` (key type 0x04, a timestamp signed
//! with the checkpoint). Parsing and the note format are the `signed_note` and
//! `tlog_tiles` crates'; the keys are `pli-crypto`'s.

use pli_crypto::sign::VerifyingKey;
use pli_crypto::statement::LogPolicy;
use signed_note::{Note, Verifier, VerifierList};
use tlog_tiles::Checkpoint;

use crate::Error;

/// How far in the future a cosignature's time may be (seconds): clocks differ a little.
pub const MAX_CLOCK_SKEW_S: u64 = 600;

/// The signed-note key type of an Ed25519 signature.
pub const ED25519: u8 = 0x01;
/// The signed-note key type of a C2SP `cosignature/v1`.
pub const COSIGNATURE_V1: u8 = 0x04;

/// A signed-note key id: the first four bytes of SHA-256(name, newline, type, key).
pub fn key_id(name: &str, kind: u8, key: &VerifyingKey) -> u32 {
    let mut encoded = vec![kind];
    encoded.extend_from_slice(&key.to_bytes());
    signed_note::key_id(name, &encoded)
}

/// Parses a signed-note verifier key (`name+hexid+base64(type‖key)`) of the given key
/// type: its name and Ed25519 key, the id checked.
pub fn parse_verifier_key(vkey: &str, kind: u8) -> Result<(String, VerifyingKey), Error> {
    use base64::Engine as _;
    let bad = |why: &str| Error::Checkpoint(format!("verifier key {vkey:?}: {why}"));
    // A name has no '+', nor has the hexadecimal id; base64 may.
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("not name+id+key"));
    };
    if !pli_crypto::statement::is_note_key_name(name) {
        return Err(bad("not a key name"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| bad("the id is not hexadecimal"))?;
    let encoded = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|_| bad("the key is not base64"))?;
    let Some((&found, key)) = encoded.split_first() else {
        return Err(bad("empty key"));
    };
    if found != kind {
        return Err(bad("another key type"));
    }
    let key = <&[u8; 32]>::try_from(key).map_err(|_| bad("not a 32-byte key"))?;
    let key = VerifyingKey::from_bytes(key).map_err(|_| bad("not an Ed25519 key"))?;
    if key_id(name, kind, &key) != id {
        return Err(bad("the id does not match the name and key"));
    }
    Ok((name.to_owned(), key))
}

/// What a witness signs for a checkpoint at `time` (seconds since the Unix epoch).
pub fn cosigned_message(checkpoint: &[u8], time: u64) -> Vec<u8> {
    let mut message = format!("cosignature/v1\ntime {time}\n").into_bytes();
    message.extend_from_slice(checkpoint);
    message
}

/// A verifier of the log's own signature on a checkpoint.
pub(crate) fn log_verifier(origin: &str, key: VerifyingKey) -> Box<dyn Verifier> {
    Box::new(LogKey {
        name: origin.to_owned(),
        id: key_id(origin, ED25519, &key),
        key,
    })
}

struct LogKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl Verifier for LogKey {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        <&[u8; 64]>::try_from(sig).is_ok_and(|sig| self.key.verify(msg, sig).is_ok())
    }
}

struct WitnessKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl Verifier for WitnessKey {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((time, sig)) = sig.split_first_chunk::<8>() else {
            return false;
        };
        <&[u8; 64]>::try_from(sig).is_ok_and(|sig| {
            let message = cosigned_message(msg, u64::from_be_bytes(*time));
            self.key.verify(&message, sig).is_ok()
        })
    }
}

/// A checkpoint whose signatures a policy accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// The number of entries.
    pub size: u64,
    /// The tree's root hash.
    pub hash: [u8; 32],
    /// The witnesses that cosigned it, with their timestamps (seconds).
    pub cosigned: Vec<(String, u64)>,
}

/// Verifies a checkpoint note against `policy` at `now` (seconds since the Unix epoch):
/// the origin is the policy's, the log's key signed it, at least `quorum` distinct
/// witnesses cosigned it, and the quorum's oldest cosignature is at most `max_age_s`
/// old. A signature by a key the policy names that does not verify fails the whole
/// note.
pub fn verify_checkpoint(
    policy: &LogPolicy,
    note: &[u8],
    now: u64,
) -> Result<VerifiedCheckpoint, Error> {
    let note = Note::from_bytes(note).map_err(|e| Error::Checkpoint(e.to_string()))?;
    let mut known = vec![log_verifier(&policy.origin, policy.log_key)];
    for witness in &policy.witnesses {
        known.push(Box::new(WitnessKey {
            name: witness.name.clone(),
            id: key_id(&witness.name, COSIGNATURE_V1, &witness.key),
            key: witness.key,
        }));
    }
    let (verified, _unknown) = note
        .verify(&VerifierList::new(known))
        .map_err(|e| Error::Checkpoint(e.to_string()))?;
    let log_id = key_id(&policy.origin, ED25519, &policy.log_key);
    if !verified
        .iter()
        .any(|s| s.name() == policy.origin && s.id() == log_id)
    {
        return Err(Error::Checkpoint("not signed by the log's key".into()));
    }
    // A cosignature dated in the future (beyond clock skew) is not counted: it would stay
    // "fresh" for as long as its date is ahead.
    let mut cosigned: Vec<(String, u64)> = verified
        .iter()
        .filter(|s| s.name() != policy.origin)
        .filter_map(|s| {
            let time = s.signature().first_chunk::<8>()?;
            Some((s.name().to_owned(), u64::from_be_bytes(*time)))
        })
        .filter(|&(_, time)| time <= now.saturating_add(MAX_CLOCK_SKEW_S))
        .collect();
    // Newest first; `Note::verify` counts a key once, and the policy's names are distinct.
    cosigned.sort_by_key(|&(_, time)| std::cmp::Reverse(time));
    let quorum = usize::from(policy.quorum);
    if cosigned.len() < quorum {
        return Err(Error::Quorum {
            got: cosigned.len(),
            need: quorum,
        });
    }
    if let Some(&(_, oldest_needed)) = quorum.checked_sub(1).and_then(|i| cosigned.get(i)) {
        let age = now.saturating_sub(oldest_needed);
        if age > u64::from(policy.max_age_s) {
            return Err(Error::Stale { age_s: age });
        }
    }
    let checkpoint =
        Checkpoint::from_bytes(note.text()).map_err(|e| Error::Checkpoint(e.to_string()))?;
    if checkpoint.origin() != policy.origin {
        return Err(Error::Checkpoint("another log's origin".into()));
    }
    Ok(VerifiedCheckpoint {
        size: checkpoint.size(),
        hash: checkpoint.hash().0,
        cosigned,
    })
}

/// The checkpoint text (without signatures) of a note, and its size and hash, checking
/// only its form.
pub fn parse_checkpoint(note: &[u8]) -> Result<(Vec<u8>, Checkpoint), Error> {
    let note = Note::from_bytes(note).map_err(|e| Error::Checkpoint(e.to_string()))?;
    let checkpoint =
        Checkpoint::from_bytes(note.text()).map_err(|e| Error::Checkpoint(e.to_string()))?;
    Ok((note.text().to_vec(), checkpoint))
}

/// Adds signature lines (`— name base64`) to a note, replacing any by the same key.
pub fn add_signature_lines(note: &[u8], lines: &[u8]) -> Result<Vec<u8>, Error> {
    let note = Note::from_bytes(note).map_err(|e| Error::Checkpoint(e.to_string()))?;
    let mut signatures = note_signatures(&note)?;
    for line in lines.split_inclusive(|&b| b == b'\n') {
        if line == b"\n" {
            continue;
        }
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let signature = signed_note::Signature::from_bytes(line)
            .map_err(|e| Error::Checkpoint(e.to_string()))?;
        signatures.retain(|s| !(s.name() == signature.name() && s.id() == signature.id()));
        signatures.push(signature);
    }
    let combined =
        Note::new(note.text(), &signatures).map_err(|e| Error::Checkpoint(e.to_string()))?;
    Ok(combined.to_bytes())
}

fn note_signatures(note: &Note) -> Result<Vec<signed_note::Signature>, Error> {
    // `Note` keeps its signatures private; they are its lines after the blank line.
    let bytes = note.to_bytes();
    let text_len = note.text().len() + 1;
    bytes
        .get(text_len..)
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            signed_note::Signature::from_bytes(line).map_err(|e| Error::Checkpoint(e.to_string()))
        })
        .collect()
}

#[cfg(feature = "sign")]
pub use signing::NoteKey;

#[cfg(feature = "sign")]
mod signing {
    use super::*;

    /// A key that signs notes: the relay's checkpoint key, or a witness's.
    #[derive(Clone)]
    pub struct NoteKey {
        name: String,
        key: ed25519_dalek::SigningKey,
    }

    impl std::fmt::Debug for NoteKey {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "NoteKey({})", self.name)
        }
    }

    impl NoteKey {
        /// A key named `name` (a signed-note key name: the log's origin, a witness's
        /// name) from a 32-byte seed.
        pub fn new(name: &str, seed: &[u8; 32]) -> Result<Self, Error> {
            if !pli_crypto::statement::is_note_key_name(name) {
                return Err(Error::Checkpoint(format!("{name:?} is not a key name")));
            }
            Ok(Self {
                name: name.to_owned(),
                key: ed25519_dalek::SigningKey::from_bytes(seed),
            })
        }

        /// The key's name.
        pub fn name(&self) -> &str {
            &self.name
        }

        /// The public key.
        pub fn verifying_key(&self) -> Result<VerifyingKey, Error> {
            VerifyingKey::from_bytes(self.key.verifying_key().as_bytes())
                .map_err(|e| Error::Checkpoint(e.to_string()))
        }

        /// The signed-note verifier key (`name+id+base64(type‖key)`), as witnesses and
        /// logs publish theirs.
        pub fn verifier_key(&self, kind: u8) -> Result<String, Error> {
            use base64::Engine as _;
            let key = self.verifying_key()?;
            let mut encoded = vec![kind];
            encoded.extend_from_slice(&key.to_bytes());
            Ok(format!(
                "{}+{:08x}+{}",
                self.name,
                key_id(&self.name, kind, &key),
                base64::engine::general_purpose::STANDARD.encode(encoded)
            ))
        }

        /// A checkpoint of `size` entries with root `hash`, signed as the log.
        pub fn sign_checkpoint(&self, size: u64, hash: [u8; 32]) -> Result<Vec<u8>, Error> {
            use ed25519_dalek::Signer as _;
            let checkpoint = Checkpoint::new(&self.name, size, tlog_tiles::Hash(hash), "")
                .map_err(|e| Error::Checkpoint(e.to_string()))?;
            let text = checkpoint.to_bytes();
            let signature = self.key.sign(&text).to_bytes().to_vec();
            let key = self.verifying_key()?;
            let line = signed_note::Signature::new(
                self.name.clone(),
                key_id(&self.name, ED25519, &key),
                signature,
            )
            .map_err(|e| Error::Checkpoint(e.to_string()))?;
            let note = Note::new(&text, &[line]).map_err(|e| Error::Checkpoint(e.to_string()))?;
            Ok(note.to_bytes())
        }

        /// A witness's `cosignature/v1` line for a checkpoint text at `time` (seconds).
        pub fn cosign(&self, checkpoint: &[u8], time: u64) -> Result<Vec<u8>, Error> {
            use ed25519_dalek::Signer as _;
            let signature = self.key.sign(&cosigned_message(checkpoint, time));
            let mut payload = time.to_be_bytes().to_vec();
            payload.extend_from_slice(&signature.to_bytes());
            let key = self.verifying_key()?;
            let line = signed_note::Signature::new(
                self.name.clone(),
                key_id(&self.name, COSIGNATURE_V1, &key),
                payload,
            )
            .map_err(|e| Error::Checkpoint(e.to_string()))?;
            Ok(line.to_bytes())
        }
    }
}
