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
