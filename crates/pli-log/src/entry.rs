//! A log entry: one signed statement of the key directory, exactly the bytes its signer
//! signed followed by the signature. The leaf the Merkle tree hashes is that.

use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, UserCertificate};
use pli_crypto::codec::Canonical;
use pli_crypto::sign::Signed;
use pli_crypto::statement::{LogPolicy, Revocation};

use crate::Error;

/// The largest leaf accepted (a certificate is a few hundred bytes, 1.4 KB with a
/// post-quantum key).
pub const MAX_LEAF_LEN: usize = 16 * 1024;

/// One statement of the key directory, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An organisation certified by the platform authority.
    Org(Signed<OrgCertificate>),
    /// A person's keys certified (an admin by the authority, a member by an admin).
    Person(Signed<UserCertificate>),
    /// A generation of an organisation's key, by one of its admins.
    OrgKey(Signed<OrgKeyCertificate>),
    /// A person removed or an organisation key suspended.
    Revocation(Signed<Revocation>),
    /// The log's policy (its key and witnesses), by the platform authority.
    Policy(Signed<LogPolicy>),
}

impl Entry {
    fn parts(&self) -> (&[u8], &[u8; 64]) {
        match self {
            Self::Org(s) => (s.data(), s.signature()),
            Self::Person(s) => (s.data(), s.signature()),
            Self::OrgKey(s) => (s.data(), s.signature()),
            Self::Revocation(s) => (s.data(), s.signature()),
            Self::Policy(s) => (s.data(), s.signature()),
        }
    }

    /// The organisation the statement is about, if it is about one (read from the
    /// signed bytes, not verified).
    pub fn org_id(&self) -> Option<pli_api::OrgId> {
        match self {
            Self::Org(s) => OrgCertificate::from_canonical(s.data())
                .ok()
                .map(|c| c.org_id),
            Self::Person(s) => UserCertificate::from_canonical(s.data())
                .ok()
                .map(|c| c.org_id),
            Self::OrgKey(s) => OrgKeyCertificate::from_canonical(s.data())
                .ok()
                .map(|c| c.org_id),
            Self::Revocation(s) => Revocation::from_canonical(s.data()).ok().map(|r| r.org_id),
            Self::Policy(_) => None,
        }
    }

    /// The leaf: the signed bytes, then the 64-byte signature.
    pub fn to_leaf(&self) -> Vec<u8> {
        let (data, signature) = self.parts();
        let mut leaf = Vec::with_capacity(data.len() + 64);
        leaf.extend_from_slice(data);
        leaf.extend_from_slice(signature);
        leaf
    }

    /// Reads a leaf; the kind is the signed bytes' domain. Nothing is verified yet.
    pub fn from_leaf(leaf: &[u8]) -> Result<Self, Error> {
        if leaf.len() > MAX_LEAF_LEN {
            return Err(Error::Entry("larger than any statement"));
        }
        let (data, signature) = leaf
            .split_last_chunk::<64>()
            .ok_or(Error::Entry("shorter than a signature"))?;
        let data = data.to_vec();
        let signature = *signature;
        Ok(if OrgCertificate::is_encoded_in(&data) {
            Self::Org(Signed::from_parts(data, signature))
        } else if UserCertificate::is_encoded_in(&data) {
            Self::Person(Signed::from_parts(data, signature))
        } else if OrgKeyCertificate::is_encoded_in(&data) {
            Self::OrgKey(Signed::from_parts(data, signature))
        } else if Revocation::is_encoded_in(&data) {
            Self::Revocation(Signed::from_parts(data, signature))
        } else if LogPolicy::is_encoded_in(&data) {
            Self::Policy(Signed::from_parts(data, signature))
        } else {
            return Err(Error::Entry("not a statement of the key directory"));
        })
    }

    /// The RFC 6962 leaf hash.
    pub fn leaf_hash(&self) -> tlog_tiles::Hash {
        tlog_tiles::record_hash(&self.to_leaf())
    }

    /// SHA-256 of the signed bytes: how the directory names the statement.
    pub fn statement_hash(&self) -> [u8; 32] {
        match self {
            Self::Org(s) => s.sha256(),
            Self::Person(s) => s.sha256(),
            Self::OrgKey(s) => s.sha256(),
            Self::Revocation(s) => s.sha256(),
            Self::Policy(s) => s.sha256(),
        }
    }
}
