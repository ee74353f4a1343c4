//! A platform's statements, signed with throwaway keys.

use pli_api::{OrgId, OrgKind, Role, UserId};
use pli_crypto::age::{HybridIdentity, Identity};
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, TrustRoot, UserCertificate};
use pli_crypto::codec::Canonical as _;
use pli_crypto::sign::{Signed, SigningKey};
use pli_crypto::statement::{Revocation, Revoked};
use pli_log::Entry;

pub struct Platform {
    pub root: SigningKey,
}

pub struct Person {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub key: SigningKey,
    pub cert: Signed<UserCertificate>,
}

impl Platform {
    pub fn new() -> Self {
        Self {
            root: SigningKey::generate().unwrap(),
        }
    }

    pub fn trust(&self) -> TrustRoot {
        TrustRoot(self.root.verifying_key())
    }

    pub fn org(&self, n: u8) -> (OrgId, Entry) {
        let org_id = OrgId::from_bytes([n; 16]);
        let cert = OrgCertificate {
            org_id,
            kind: OrgKind::Departement,
            name: format!("Département {n}"),
            code: format!("D{n}"),
            issued_at: 1,
        };
        (org_id, Entry::Org(Signed::sign(&cert, &self.root).unwrap()))
    }

    fn person(&self, org_id: OrgId, n: u8, role: Role, issuer: &SigningKey) -> Person {
        let key = SigningKey::generate().unwrap();
        let user_id = UserId::from_bytes([n; 16]);
        let cert = UserCertificate {
            user_id,
            org_id,
            role,
            service: false,
            display_name: format!("Personne {n}"),
            signing_key: key.verifying_key(),
            encryption_key: Identity::generate().unwrap().to_recipient().into(),
            issued_at: 2,
            issuer: issuer.verifying_key().fingerprint(),
            expires_at: None,
        };
        let cert = Signed::sign(&cert, issuer).unwrap();
        Person {
            user_id,
            org_id,
            key,
            cert,
        }
    }

    pub fn admin(&self, org_id: OrgId, n: u8) -> Person {
        self.person(org_id, n, Role::OrgAdmin, &self.root)
    }

    pub fn member(&self, by: &Person, n: u8) -> Person {
        self.person(by.org_id, n, Role::Member, &by.key)
    }

    pub fn revoke(&self, person: &Person, by: &SigningKey) -> Entry {
        let revocation = Revocation {
            org_id: person.org_id,
            subject: Revoked::Person {
                user_id: person.user_id,
                key: person.key.verifying_key().fingerprint(),
            },
            issued_at: 3,
            issuer: by.verifying_key().fingerprint(),
        };
        Entry::Revocation(Signed::sign(&revocation, by).unwrap())
    }

    pub fn suspend(&self, org_id: OrgId, generation: u32, by: &SigningKey) -> Entry {
        let revocation = Revocation {
            org_id,
            subject: Revoked::OrgKey { generation },
            issued_at: 3,
            issuer: by.verifying_key().fingerprint(),
        };
        Entry::Revocation(Signed::sign(&revocation, by).unwrap())
    }
}

impl Person {
    pub fn entry(&self) -> Entry {
        Entry::Person(self.cert.clone())
    }

    /// The same person and signing key certified again by `issuer`, at `issued_at`, with
    /// a new post-quantum encryption key.
    pub fn recertified(&self, issuer: &SigningKey, issued_at: u64) -> Entry {
        let mut cert = UserCertificate::from_canonical(self.cert.data()).unwrap();
        cert.issuer = issuer.verifying_key().fingerprint();
        cert.encryption_key = HybridIdentity::generate().unwrap().to_recipient().into();
        cert.issued_at = issued_at;
        cert.expires_at = Some(issued_at + 1_000_000);
        Entry::Person(Signed::sign(&cert, issuer).unwrap())
    }

    pub fn key(&self, generation: u32) -> Signed<OrgKeyCertificate> {
        let cert = OrgKeyCertificate {
            org_id: self.org_id,
            generation,
            public_key: Identity::generate().unwrap().to_recipient().into(),
            issued_at: 4,
            issuer: self.key.verifying_key().fingerprint(),
            expires_at: None,
        };
        Signed::sign(&cert, &self.key).unwrap()
    }
}
