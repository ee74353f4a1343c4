//! Organisation keys and key grants.
//!
//! A grant is an organisation's private key of one generation, age-encrypted to one
//! member's encryption key. Opening a grant checks that the key inside is the
//! organisation's, of the expected generation, and matches the certified public key.
//!
//! New generations are post-quantum (MLKEM768-X25519); X25519 generations made before
//! still open. A post-quantum generation is granted to a member's post-quantum key only:
//! wrapped to an X25519 key it would be no safer than X25519.

use pli_api::OrgId;
use zeroize::Zeroizing;

use crate::age::{AnyIdentity, HybridIdentity, Identity};
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::keys::EncryptionKey;
use crate::{Error, age};

/// One generation of an organisation's private key.
#[derive(Debug, Clone)]
pub struct OrgKey {
    /// The organisation.
    pub org_id: OrgId,
    /// The generation.
    pub generation: u32,
    /// The identity that opens exchanges sent to this generation: post-quantum, or X25519
    /// for a generation made before.
    pub identity: AnyIdentity,
}

impl Canonical for OrgKey {
    const DOMAIN: Domain = Domain::KeyGrant;
    const LATER: Option<Domain> = Some(Domain::KeyGrantHybrid);

    fn domain(&self) -> Domain {
        if self.identity.is_post_quantum() {
            Domain::KeyGrantHybrid
        } else {
            Domain::KeyGrant
        }
    }

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.org_id);
        e.u32(self.generation);
        e.fixed(self.identity.to_bytes().as_slice());
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let org_id = d.id()?;
        let generation = d.u32()?;
        let secret = Zeroizing::new(d.fixed::<32>()?);
        let identity = AnyIdentity::from_bytes(d.domain() == Domain::KeyGrantHybrid, &secret)?;
        Ok(Self {
            org_id,
            generation,
            identity,
        })
    }
}

impl OrgKey {
    /// A new, post-quantum key generation for `org_id`.
    pub fn generate(org_id: OrgId, generation: u32) -> Result<Self, Error> {
        Self::generate_with(
            org_id,
            generation,
            AnyIdentity::Hybrid(HybridIdentity::generate()?),
        )
    }

    /// A new X25519 key generation, as organisations had before the post-quantum
    /// migration: only for tests that show such generations still work.
    pub fn generate_classic(org_id: OrgId, generation: u32) -> Result<Self, Error> {
        Self::generate_with(
            org_id,
            generation,
            AnyIdentity::X25519(Identity::generate()?),
        )
    }

    fn generate_with(org_id: OrgId, generation: u32, identity: AnyIdentity) -> Result<Self, Error> {
        if generation == 0 {
            return Err(Error::OutOfRange("key generations start at 1"));
        }
        Ok(Self {
            org_id,
            generation,
            identity,
        })
    }

    /// The public key to certify.
    pub fn public_key(&self) -> EncryptionKey {
        self.identity.to_recipient().into()
    }

    /// The recipient to encrypt to.
    pub fn recipient(&self) -> age::AnyRecipient {
        self.identity.to_recipient()
    }

    /// Whether this key may be wrapped to `member`: an X25519 generation to anyone, a
    /// post-quantum one to post-quantum keys only.
    pub fn may_be_granted_to(&self, member: &EncryptionKey) -> bool {
        member.is_post_quantum() || !self.identity.is_post_quantum()
    }

    /// Wraps this key for a member. A post-quantum generation is wrapped only to a
    /// post-quantum key ([`Error::MixedRecipients`] otherwise).
    pub fn grant_to(&self, member: &EncryptionKey) -> Result<Vec<u8>, Error> {
        if !self.may_be_granted_to(member) {
            return Err(Error::MixedRecipients);
        }
        let plaintext = Zeroizing::new(self.to_canonical()?);
        Ok(age::encrypt_to_vec(&[member.recipient()?], &plaintext)?.0)
    }

    /// Opens a grant with the member's identity, checking it holds the key of
    /// `org_id`/`generation` whose public half is `certified`.
    pub fn open_grant(
        wrapped: &[u8],
        member: &AnyIdentity,
        org_id: &OrgId,
        generation: u32,
        certified: &EncryptionKey,
    ) -> Result<Self, Error> {
        let plaintext = Zeroizing::new(age::decrypt_to_vec(std::slice::from_ref(member), wrapped)?);
        let key = Self::from_canonical(&plaintext)?;
        if key.org_id != *org_id || key.generation != generation {
            return Err(Error::Verification(
                "the grant is for another organisation key",
            ));
        }
        if key.public_key() != *certified {
            return Err(Error::Verification(
                "the granted key does not match the certified key",
            ));
        }
        Ok(key)
    }
}
