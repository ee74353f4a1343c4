//! The key directory: organisations with their certified keys, certificate chains, grants.

use serde::{Deserialize, Serialize};

use crate::{Base64, OrgId, OrgKind, SignedObject};

/// An organisation in the key directory: everything a client needs to verify its
/// current key up to the pinned root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryOrg {
    /// Id.
    pub org_id: OrgId,
    /// Kind.
    pub kind: OrgKind,
    /// Name (as certified).
    pub name: String,
    /// OrgCertificate (root).
    pub certificate: SignedObject,
    /// The current key generation, if any.
    pub key: Option<DirectoryKey>,
}

/// One key generation with the certificate of the admin who issued it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryKey {
    /// Generation.
    pub generation: u32,
    /// OrgKeyCertificate.
    pub certificate: SignedObject,
    /// The issuing admin's UserCertificate (root-signed).
    pub issuer_certificate: SignedObject,
    /// New uploads to this generation are refused.
    pub suspended: bool,
}

/// A user certificate with its issuer's, for verification to the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateChain {
    /// UserCertificate.
    pub certificate: SignedObject,
    /// The issuer's UserCertificate, unless the root issued it.
    pub issuer: Option<SignedObject>,
}

/// Grants the caller holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyGrants {
    /// Every grant.
    pub grants: Vec<crate::WireKeyGrant>,
}

/// The platform root key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootKey {
    /// Ed25519 public key, if the platform is set up.
    pub root_key: Option<Base64>,
}

/// `GET /api/log/proposal`: what the relay is configured with for its transparency log,
/// for the platform authority to sign as the log's policy (at set-up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogProposal {
    /// The checkpoints' origin line.
    pub origin: String,
    /// The relay's checkpoint key (Ed25519).
    pub log_key: Base64,
    /// The witnesses: signed-note name and Ed25519 key.
    pub witnesses: Vec<ProposedWitness>,
    /// How many must cosign.
    pub quorum: u8,
    /// How old the cosignatures may be, in seconds.
    pub max_age_s: u32,
}

/// A witness in a [`LogProposal`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedWitness {
    /// Its key name.
    pub name: String,
    /// Its Ed25519 key.
    pub key: Base64,
}

/// `GET /api/log/state`: the log's policy (signed by the root) and its latest
/// checkpoint (a C2SP signed note, with the witnesses' cosignatures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    /// The policy in force (LogPolicy, root-signed), if the platform has one.
    pub policy: Option<SignedObject>,
    /// The latest checkpoint note, if any.
    pub checkpoint: Option<String>,
}

/// `GET /api/log/entries?start=&end=`: a range of entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogRange {
    /// First index.
    pub start: u64,
    /// One past the last index (at most [`MAX_LOG_ENTRIES`] after `start`).
    pub end: u64,
}

/// The most entries one `GET /api/log/entries` returns.
pub const MAX_LOG_ENTRIES: u64 = 1000;

/// Log entries: each the signed bytes followed by the 64-byte signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntries {
    /// The entries, from `start`.
    pub entries: Vec<Base64>,
}

/// `POST …/keys/{generation}/suspend` and `DELETE …/members/{user}`: the signed
/// revocation the relay logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    /// A Revocation signed by an admin of the organisation (or the root); absent only for
    /// a person who was never certified.
    pub revocation: Option<SignedObject>,
}
