//! Audit logs: pages of entries and the verification of their hash chain.

use serde::{Deserialize, Serialize};

use crate::Sha256Hex;

/// The query of an audit log: `?after=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries after this position.
    #[serde(default)]
    pub after: Option<u64>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One entry of a hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// `audit:<organisation id>` or `audit:platform`.
    pub chain: String,
    /// Position, from 1.
    pub seq: u64,
    /// When (ms since the Unix epoch).
    pub at: u64,
    /// Who (a user id), if a person.
    pub actor: Option<String>,
    /// What (`exchange.delivered`, `member.removed`, `login.failed`, …).
    pub action: String,
    /// On what kind of object.
    pub object_type: String,
    /// Which object.
    pub object_id: String,
    /// Small JSON with ids and sizes only.
    pub detail: String,
    /// The previous entry's hash (32 zero bytes for the first entry).
    pub prev_hash: Sha256Hex,
    /// This entry's hash (see the relay's `audit.rs` for what it covers).
    pub hash: Sha256Hex,
}

/// The relay's check of an audit log's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainVerification {
    /// Whether every entry links to the previous and hashes to its stored hash.
    pub valid: bool,
    /// How many entries were checked.
    pub entries: u64,
    /// The first entry that does not check out, if any.
    pub first_bad_seq: Option<u64>,
    /// The hash of the last entry (the head to compare out of band).
    pub head: Sha256Hex,
}
