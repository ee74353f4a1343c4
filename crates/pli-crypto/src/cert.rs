//! The key directory's certificates, and their verification against the pinned root.
//!
//! ```text
//! platform authority (root key, pinned in clients)
//!  ├── OrgCertificate        an organisation's id, kind, name and code
//!  └── UserCertificate       an org admin's (or the platform admin's) public keys
//!       ├── OrgKeyCertificate    one generation of that organisation's X25519 key
//!       └── UserCertificate      a member's public keys
//! ```
//!
//! A relay that substitutes a key cannot produce these signatures, so a client that
//! verifies the chain to its pinned root refuses to encrypt to the substitute.

use pli_api::{OrgId, UserId};

use crate::Error;
use crate::age::Recipient;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::keys::{EncryptionKey, HYBRID_KEY_LEN};
use crate::sign::{Fingerprint, Signed, VerifyingKey};

/// Longest organisation or person name, in bytes.
pub const MAX_NAME_LEN: usize = 200;
/// Longest organisation code, in bytes.
pub const MAX_CODE_LEN: usize = 32;
/// How long a person's certificate or an organisation key generation is valid: two
/// years, after which the admin certifies again or rotates (milliseconds).
pub const VALIDITY_MS: u64 = 2 * 365 * 24 * 3600 * 1000;

// The vocabularies are pli-api's (one `Role`, one `OrgKind` from the wire to the
// certificate); their canonical encoding, a byte each, is this module's.
pub use pli_api::{OrgKind, Role};

fn org_kind_to_u8(kind: OrgKind) -> u8 {
    match kind {
        OrgKind::Court => 1,
        OrgKind::Departement => 2,
        OrgKind::Platform => 3,
    }
}

fn org_kind_from_u8(value: u8, d: &Decoder<'_>) -> Result<OrgKind, Error> {
    match value {
        1 => Ok(OrgKind::Court),
        2 => Ok(OrgKind::Departement),
        3 => Ok(OrgKind::Platform),
        _ => Err(d.error("unknown organisation kind")),
    }
}

// A user certificate's role byte also says whether the account is a program's: 4 is a
// member that is a service account. Certificates of people keep the bytes they always
// had (1 to 3), so every certificate issued before still reads the same.
const SERVICE_MEMBER: u8 = 4;

fn role_to_u8(role: Role, service: bool) -> u8 {
    match (role, service) {
        (Role::Member, false) => 1,
        (Role::Member, true) => SERVICE_MEMBER,
        (Role::OrgAdmin, _) => 2,
        (Role::PlatformAdmin, _) => 3,
    }
}

fn role_from_u8(value: u8, d: &Decoder<'_>) -> Result<(Role, bool), Error> {
    match value {
        1 => Ok((Role::Member, false)),
        2 => Ok((Role::OrgAdmin, false)),
        3 => Ok((Role::PlatformAdmin, false)),
        SERVICE_MEMBER => Ok((Role::Member, true)),
        _ => Err(d.error("unknown role")),
    }
}

/// An organisation, certified by the platform authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCertificate {
    /// The organisation.
    pub org_id: OrgId,
    /// Court, Département or platform.
    pub kind: OrgKind,
    /// Its name as people know it ("Tribunal judiciaire de Meaux — Parquet").
    pub name: String,
    /// A short code ("TJ-MEAUX-PARQUET").
    pub code: String,
    /// When it was certified (milliseconds since the Unix epoch).
    pub issued_at: u64,
}

impl Canonical for OrgCertificate {
    const DOMAIN: Domain = Domain::OrgCertificate;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.org_id);
        e.u8(org_kind_to_u8(self.kind));
        e.str(&self.name, MAX_NAME_LEN, "organisation name");
        e.str(&self.code, MAX_CODE_LEN, "organisation code");
        e.u64(self.issued_at);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        Ok(Self {
            org_id: d.id()?,
            kind: {
                let kind = d.u8()?;
                org_kind_from_u8(kind, d)?
            },
            name: d.str(MAX_NAME_LEN, "organisation name")?,
            code: d.str(MAX_CODE_LEN, "organisation code")?,
            issued_at: d.u64()?,
        })
    }
}

/// A person's public keys, certified by an admin of their organisation (members) or by
/// the platform authority (organisation admins and the platform admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCertificate {
    /// The account.
    pub user_id: UserId,
    /// Their organisation.
    pub org_id: OrgId,
    /// Their role.
    pub role: Role,
    /// A service account: a program's (the service's case-management software), not a
    /// person's, as the admin certified it; always a member. Shown beside what it
    /// signs.
    pub service: bool,
    /// Their name, shown beside what they sign ("Claire Martin").
    pub display_name: String,
    /// Their Ed25519 key: signs envelopes, receipts and the certificates they issue.
    pub signing_key: VerifyingKey,
    /// Their encryption key (post-quantum, or X25519 for keys made before):
    /// receives organisation key grants.
    pub encryption_key: EncryptionKey,
    /// When it was issued (milliseconds since the Unix epoch).
    pub issued_at: u64,
    /// The fingerprint of the signing key that issued it.
    pub issuer: Fingerprint,
    /// When it stops being valid (milliseconds since the Unix epoch); none for a
    /// certificate issued before certificates expired.
    pub expires_at: Option<u64>,
}

impl Canonical for UserCertificate {
    const DOMAIN: Domain = Domain::UserCertificate;
    const LATER: Option<Domain> = Some(Domain::UserCertificateHybrid);

    fn domain(&self) -> Domain {
        key_domain(
            &self.encryption_key,
            Self::DOMAIN,
            Domain::UserCertificateHybrid,
        )
    }

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.user_id);
        e.id(&self.org_id);
        e.check(
            !self.service || self.role == Role::Member,
            "a service account is a member",
        );
        e.u8(role_to_u8(self.role, self.service));
        e.str(&self.display_name, MAX_NAME_LEN, "display name");
        e.fixed(&self.signing_key.to_bytes());
        e.fixed(&self.encryption_key.to_bytes());
        e.u64(self.issued_at);
        e.fixed(&self.issuer.0);
        encode_expiry(e, &self.encryption_key, self.expires_at);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let user_id = d.id()?;
        let org_id = d.id()?;
        let role = d.u8()?;
        let (role, service) = role_from_u8(role, d)?;
        Ok(Self {
            user_id,
            org_id,
            role,
            service,
            display_name: d.str(MAX_NAME_LEN, "display name")?,
            signing_key: VerifyingKey::from_bytes(&d.fixed::<32>()?)?,
            encryption_key: decode_key(d)?,
            issued_at: d.u64()?,
            issuer: Fingerprint(d.fixed::<32>()?),
            expires_at: decode_expiry(d)?,
        })
    }
}

/// One generation of an organisation's encryption key (post-quantum, or X25519 for
/// generations made before), certified by one of its admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgKeyCertificate {
    /// The organisation.
    pub org_id: OrgId,
    /// The generation: 1, then one more at each rotation.
    pub generation: u32,
    /// The public key new exchanges are encrypted to.
    pub public_key: EncryptionKey,
    /// When it was issued (milliseconds since the Unix epoch).
    pub issued_at: u64,
    /// The fingerprint of the admin signing key that issued it.
    pub issuer: Fingerprint,
    /// When nothing more may be encrypted to it (milliseconds since the Unix epoch); none
    /// for a generation published before keys expired.
    pub expires_at: Option<u64>,
}

impl Canonical for OrgKeyCertificate {
    const DOMAIN: Domain = Domain::OrgKey;
    const LATER: Option<Domain> = Some(Domain::OrgKeyHybrid);

    fn domain(&self) -> Domain {
        key_domain(&self.public_key, Self::DOMAIN, Domain::OrgKeyHybrid)
    }

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.org_id);
        e.u32(self.generation);
        e.fixed(&self.public_key.to_bytes());
        e.u64(self.issued_at);
        e.fixed(&self.issuer.0);
        encode_expiry(e, &self.public_key, self.expires_at);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let org_id = d.id()?;
        let generation = d.u32()?;
        if generation == 0 {
            return Err(d.error("key generations start at 1"));
        }
        Ok(Self {
            org_id,
            generation,
            public_key: decode_key(d)?,
            issued_at: d.u64()?,
            issuer: Fingerprint(d.fixed::<32>()?),
            expires_at: decode_expiry(d)?,
        })
    }
}

// A certificate's encryption key decides its format version: version 1 holds an X25519
// key (32 bytes) and a trailing, optional expiry (certificates from before expiry read as
// never expiring); version 2 a post-quantum key (1,216 bytes) and a required expiry.

fn key_domain(key: &EncryptionKey, classic: Domain, hybrid: Domain) -> Domain {
    if key.is_post_quantum() {
        hybrid
    } else {
        classic
    }
}

fn encode_expiry(e: &mut Encoder, key: &EncryptionKey, expires_at: Option<u64>) {
    e.check(
        expires_at.is_some() || !key.is_post_quantum(),
        "a post-quantum key's certificate expires",
    );
    if let Some(expires_at) = expires_at {
        e.u64(expires_at);
    }
}

/// Whether a certificate being decoded is of version 2 (a post-quantum key).
fn is_version_2(d: &Decoder<'_>) -> bool {
    d.domain() == Domain::UserCertificateHybrid || d.domain() == Domain::OrgKeyHybrid
}

fn decode_key(d: &mut Decoder<'_>) -> Result<EncryptionKey, Error> {
    if is_version_2(d) {
        Ok(EncryptionKey::Hybrid(Box::new(
            d.fixed::<HYBRID_KEY_LEN>()?,
        )))
    } else {
        Ok(EncryptionKey::X25519(Recipient::from_bytes(
            d.fixed::<32>()?,
        )))
    }
}

fn decode_expiry(d: &mut Decoder<'_>) -> Result<Option<u64>, Error> {
    if d.at_end() && !is_version_2(d) {
        Ok(None)
    } else {
        d.u64().map(Some)
    }
}

/// The platform authority's public key, pinned in every client: the root of trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustRoot(pub VerifyingKey);

impl TrustRoot {
    /// The root's fingerprint, shown at set-up and in the clients' settings.
    pub fn fingerprint(&self) -> Fingerprint {
        self.0.fingerprint()
    }

    /// Verifies an organisation certificate (issued by the root).
    pub fn verify_org(&self, cert: &Signed<OrgCertificate>) -> Result<OrgCertificate, Error> {
        cert.verify(&self.0)
    }

    /// Verifies a certificate that the root issues directly: an organisation admin's or
    /// the platform admin's.
    pub fn verify_admin(&self, cert: &Signed<UserCertificate>) -> Result<UserCertificate, Error> {
        let admin = cert.verify(&self.0)?;
        if admin.issuer != self.fingerprint() {
            return Err(Error::Verification(
                "an admin certificate names another issuer than the root",
            ));
        }
        if admin.role == Role::Member {
            return Err(Error::Verification("the root certifies only admins"));
        }
        Ok(admin)
    }

    /// Verifies any person's certificate: an admin's directly, a member's through the
    /// certificate of the admin of the same organisation who issued it.
    pub fn verify_user(
        &self,
        cert: &Signed<UserCertificate>,
        issuer: Option<&Signed<UserCertificate>>,
    ) -> Result<UserCertificate, Error> {
        if let Ok(admin) = self.verify_admin(cert) {
            return Ok(admin);
        }
        let issuer = issuer.ok_or(Error::Verification(
            "a member certificate needs its issuer's certificate",
        ))?;
        let admin = self.verify_admin(issuer)?;
        let member = cert.verify(&admin.signing_key)?;
        if member.issuer != admin.signing_key.fingerprint() {
            return Err(Error::Verification("the certificate names another issuer"));
        }
        if admin.role != Role::OrgAdmin
            || member.org_id != admin.org_id
            || member.role != Role::Member
        {
            return Err(Error::Verification(
                "a member is certified only by an admin of their organisation",
            ));
        }
        Ok(member)
    }

    /// Verifies an organisation's key generation: the organisation certified by the root,
    /// the key certified by an admin of that organisation whose certificate the root issued.
    pub fn verify_org_key(
        &self,
        org: &Signed<OrgCertificate>,
        key: &Signed<OrgKeyCertificate>,
        admin: &Signed<UserCertificate>,
    ) -> Result<(OrgCertificate, OrgKeyCertificate), Error> {
        let org = self.verify_org(org)?;
        let admin = self.verify_admin(admin)?;
        let key = key.verify(&admin.signing_key)?;
        if key.issuer != admin.signing_key.fingerprint() {
            return Err(Error::Verification(
                "the key certificate names another issuer",
            ));
        }
        if admin.role != Role::OrgAdmin || admin.org_id != org.org_id || key.org_id != org.org_id {
            return Err(Error::Verification(
                "an organisation key is certified only by one of its admins",
            ));
        }
        Ok((org, key))
    }
}
