//! The JSON forms of signed objects and key grants.

use serde::{Deserialize, Serialize};

use crate::{Base64, OrgId, UserId};

/// A signed object as it travels: the exact bytes that were signed, and the Ed25519
/// signature over them.
///
/// The bytes start with a domain-separation prefix (`pli/v1/envelope`, `pli/v1/receipt`,
/// `pli/v1/org-key`, …) followed by a deterministic encoding. A verifier checks the
/// signature over these bytes *before* parsing them, so nothing depends on re-encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedObject {
    /// The signed bytes: prefix and canonical body.
    pub data: Base64,
    /// The 64-byte Ed25519 signature over `data`.
    pub signature: Base64,
}

/// An organisation's private key of one generation, age-encrypted to one member's
/// X25519 key. The relay stores it without being able to open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireKeyGrant {
    /// The organisation whose key this is.
    pub org_id: OrgId,
    /// The key generation (1, 2, 3, …).
    pub generation: u32,
    /// The member it is wrapped for.
    pub user_id: UserId,
    /// The age file holding the wrapped key.
    pub wrapped: Base64,
}
