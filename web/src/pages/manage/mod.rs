//! What the organisation admin page and the platform page share, one panel a file: the
//! members table (`members`: fingerprints computed here from the public keys,
//! certification after comparing them by phone, removal, password-loss resets, open
//! invitations), the invitation form (`invite`) and its one-time link (`link`), the key
//! history as the worker verified it up to the pinned platform root (`keys`), and the
//! audit log with its hash-chain verification and export (`audit`).

use pli_api::Base64;
use pli_api::messages::PublicKeys;
use pli_crypto::sign::{Fingerprint, VerifyingKey};

use crate::i18n::{Key, t};

pub mod audit;
pub mod invite;
pub mod keys;
pub mod link;
pub mod members;
pub mod post_quantum;
pub mod proconnect;

pub use audit::{AuditLog, AuditSource};
pub use invite::InviteForm;
pub use keys::KeysPanel;
pub use link::LinkBox;
pub use members::{MembersList, MembersPanel, members_of};
pub use post_quantum::PostQuantumPanel;
pub use proconnect::ProConnectForm;

fn key32(bytes: &Base64) -> Option<[u8; 32]> {
    bytes.0.as_slice().try_into().ok()
}

/// The signing key's fingerprint as people compare it (`pli_crypto`'s display form).
pub fn signing_fingerprint(keys: &PublicKeys) -> Option<String> {
    let key = VerifyingKey::from_bytes(&key32(&keys.signing_key)?).ok()?;
    Some(Fingerprint::of_signing_key(&key).to_string())
}

/// The encryption key's fingerprint.
pub fn encryption_fingerprint(keys: &PublicKeys) -> Option<String> {
    let key = pli_crypto::keys::EncryptionKey::from_bytes(&keys.encryption_key.0).ok()?;
    Some(Fingerprint::of_encryption_key(&key).to_string())
}

/// The first characters of an id, to name something without a better name.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// The text of the catalogue key `<prefix>.<word>` for a word the relay sent (an audit
/// action, a detail's name), or the word itself if the catalogues lack it (a newer relay).
fn word_text(prefix: &str, word: &str) -> String {
    Key::find(&format!("{prefix}.{word}")).map_or_else(|| word.to_owned(), t)
}
