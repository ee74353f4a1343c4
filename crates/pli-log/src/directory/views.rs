//! What the directory answers about organisations, keys and people, as views of what
//! the replayed log holds, and why it refuses an entry or the use of a key.

use pli_api::{OrgId, OrgKind, Role, UserId};
use serde::{Deserialize, Serialize};

/// An organisation, as the log certified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgView {
    /// Court, Département or platform.
    pub kind: OrgKind,
    /// Its certified name.
    pub name: String,
    /// Its key generations, oldest first (generation `i + 1` at index `i`).
    pub keys: Vec<KeyView>,
}

/// One generation of an organisation's key, as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// The generation.
    pub generation: u32,
    /// SHA-256 of its signed certificate.
    #[serde(with = "crate::hex")]
    pub certificate: [u8; 32],
    /// The entry that published it.
    pub index: u64,
    /// The entry that suspended it, if any.
    pub suspended_at: Option<u64>,
    /// When nothing more may be encrypted to it (milliseconds), if it expires.
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// A person's certificate, as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    /// The account.
    pub user_id: UserId,
    /// Their organisation.
    pub org_id: OrgId,
    /// Their role.
    pub role: Role,
    /// A service account (a program's), as the certificate says; false in a directory
    /// a device kept from before the mark existed, when no certificate carried it.
    #[serde(default)]
    pub service: bool,
    /// Their signing key.
    #[serde(with = "crate::hex")]
    pub signing_key: [u8; 32],
    /// SHA-256 of the signed certificate.
    #[serde(with = "crate::hex")]
    pub certificate: [u8; 32],
    /// The entry that certified them.
    pub index: u64,
    /// The entry that revoked this certificate, if any.
    pub revoked_at: Option<u64>,
    /// The entry of the certificate that replaced it (new keys after a reset), if any.
    pub replaced_at: Option<u64>,
    /// When it stops being valid (milliseconds), if it expires.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// Their certified name; empty in a directory a device kept from before names were
    /// kept (the next replay from scratch fills it).
    #[serde(default)]
    pub display_name: String,
    /// When the current certificate was issued (milliseconds; 0 in a directory a device
    /// kept from before it was kept): a certificate of the same key must be later.
    #[serde(default)]
    pub issued_at: u64,
    /// SHA-256 of the earlier certificates of this same signing key, oldest first: the
    /// person's encryption key moved to post-quantum, or the certificate renewed. What
    /// the person signed under them stays theirs.
    #[serde(default, with = "crate::hex::list")]
    pub earlier_certificates: Vec<[u8; 32]>,
}

impl PersonView {
    /// Whether this certificate is the person's current one and not revoked.
    pub fn is_valid(&self) -> bool {
        self.revoked_at.is_none() && self.replaced_at.is_none()
    }

    /// Whether it had expired at `time` (milliseconds).
    pub fn expired_at(&self, time: u64) -> bool {
        self.expires_at.is_some_and(|end| time >= end)
    }
}

/// The log's policy in force, as the replay keeps it: what a change must keep (its
/// origin and log key) and come after (when it was signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    /// The checkpoints' origin line.
    pub origin: String,
    /// The log's key.
    #[serde(with = "crate::hex")]
    pub log_key: [u8; 32],
    /// When the root signed it (milliseconds).
    pub issued_at: u64,
    /// The entry that put it in force.
    pub index: u64,
}

/// An entry the replay did not apply, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// Its index in the log.
    pub index: u64,
    /// Why (English, for logs and `pli monitor`).
    pub why: String,
    /// The organisation it names, when it was refused because nobody entitled signed
    /// it (a key published by a removed admin, say): an attempt on that organisation's
    /// keys. Absent for other refusals, and from a directory a device kept from before
    /// this was kept.
    #[serde(default)]
    pub aimed_at: Option<OrgId>,
}

/// Why the directory will not let a key or a certificate be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// The organisation has no key in the log.
    #[error("the log holds no key for this organisation")]
    NoKey,
    /// The latest generation is suspended.
    #[error("key generation {generation} is suspended in the log")]
    Suspended {
        /// The generation.
        generation: u32,
    },
    /// The relay serves an older generation than the log's latest.
    #[error("the relay serves key generation {served}, but the log's latest is {latest}")]
    Outdated {
        /// What the relay served.
        served: u32,
        /// What the log holds.
        latest: u32,
    },
    /// The certificate served is not the one the log holds.
    #[error("the certificate served is not the one in the log")]
    NotInLog,
    /// The person's certificate was revoked or replaced.
    #[error("this person's certificate was revoked or replaced")]
    Revoked,
    /// The key generation or the certificate has expired.
    #[error("this key or certificate expired")]
    Expired,
}
