//! What `pli monitor` reports: the entries of the log about one organisation, each with
//! who signed it, so that its security officer sees every change to its keys and people
//! and is alerted by any its own admins did not make.

use pli_api::OrgId;
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, UserCertificate};
use pli_crypto::codec::Canonical;
use pli_crypto::sign::Fingerprint;
use pli_crypto::statement::{Revocation, Revoked};

use crate::Entry;

/// One entry about the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Its index in the log.
    pub index: u64,
    /// What it does, in words ("key generation 3 published").
    pub what: String,
    /// Who signed it (an admin's signing key, or the root's).
    pub signer: Fingerprint,
}

/// The entry's report if it is about `org` (the signer read from the statement, not
/// verified: the directory's replay does that, and `pli monitor` reports what it refused).
pub fn about(org: &OrgId, index: u64, entry: &Entry, root: &Fingerprint) -> Option<Report> {
    let report = |what: String, signer: Fingerprint| Report {
        index,
        what,
        signer,
    };
    match entry {
        Entry::Org(signed) => {
            let cert = OrgCertificate::from_canonical(signed.data()).ok()?;
            (cert.org_id == *org)
                .then(|| report(format!("organisation certified as {:?}", cert.name), *root))
        }
        Entry::Person(signed) => {
            let cert = UserCertificate::from_canonical(signed.data()).ok()?;
            (cert.org_id == *org).then(|| {
                report(
                    format!(
                        "{:?} certified as {}{} ({})",
                        cert.display_name,
                        cert.role.as_str(),
                        if cert.service {
                            " (service account)"
                        } else {
                            ""
                        },
                        cert.signing_key.fingerprint()
                    ),
                    cert.issuer,
                )
            })
        }
        Entry::OrgKey(signed) => {
            let cert = OrgKeyCertificate::from_canonical(signed.data()).ok()?;
            (cert.org_id == *org).then(|| {
                report(
                    format!(
                        "key generation {} published ({})",
                        cert.generation,
                        Fingerprint::of_encryption_key(&cert.public_key)
                    ),
                    cert.issuer,
                )
            })
        }
        Entry::Revocation(signed) => {
            let revocation = Revocation::from_canonical(signed.data()).ok()?;
            (revocation.org_id == *org).then(|| {
                let what = match revocation.subject {
                    Revoked::Person { user_id, key } => {
                        format!("person {user_id} removed (key {key})")
                    }
                    Revoked::OrgKey { generation } => {
                        format!("key generation {generation} suspended")
                    }
                };
                report(what, revocation.issuer)
            })
        }
        Entry::Policy(_) => None,
    }
}
