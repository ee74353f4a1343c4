//! Organisation keys and key grants.
//!
//! A grant is an organisation's private key of one generation, age-encrypted to one
//! member's X25519 key. Opening a grant checks that the key inside is the organisation's,
//! of the expected generation, and matches the certified public key.

use pli_api::OrgId;
use zeroize::Zeroizing;

use crate::age::{Identity, Recipient};
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::{Error, age};

/// One generation of an organisation's private key.
#[derive(Debug, Clone)]
pub struct OrgKey {
    /// The organisation.
    pub org_id: OrgId,
    /// The generation.
    pub generation: u32,
    /// The X25519 identity that opens exchanges sent to this generation.
    pub identity: Identity,
}

impl Canonical for OrgKey {
    const DOMAIN: Domain = Domain::KeyGrant;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.org_id);
        e.u32(self.generation);
        e.fixed(self.identity.to_bytes().as_slice());
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        Ok(Self {
            org_id: d.id()?,
            generation: d.u32()?,
            identity: Identity::from_bytes(*Zeroizing::new(d.fixed::<32>()?)),
        })
    }
}

impl OrgKey {
    /// A new key generation for `org_id`.
    pub fn generate(org_id: OrgId, generation: u32) -> Result<Self, Error> {
        if generation == 0 {
            return Err(Error::OutOfRange("key generations start at 1"));
        }
        Ok(Self {
            org_id,
            generation,
            identity: Identity::generate()?,
        })
    }

    /// The public key to certify and encrypt to.
    pub fn recipient(&self) -> Recipient {
        self.identity.to_recipient()
    }

    /// Wraps this key for a member.
    pub fn grant_to(&self, member: &Recipient) -> Result<Vec<u8>, Error> {
        let plaintext = Zeroizing::new(self.to_canonical()?);
        Ok(age::encrypt_to_vec(&[*member], &plaintext)?.0)
    }

    /// Opens a grant with the member's identity, checking it holds the key of
    /// `org_id`/`generation` whose public half is `certified`.
    pub fn open_grant(
        wrapped: &[u8],
        member: &Identity,
        org_id: &OrgId,
        generation: u32,
        certified: &Recipient,
    ) -> Result<Self, Error> {
        let plaintext = Zeroizing::new(age::decrypt_to_vec(std::slice::from_ref(member), wrapped)?);
        let key = Self::from_canonical(&plaintext)?;
        if key.org_id != *org_id || key.generation != generation {
            return Err(Error::Verification(
                "the grant is for another organisation key",
            ));
        }
        if key.recipient() != *certified {
            return Err(Error::Verification(
                "the granted key does not match the certified key",
            ));
        }
        Ok(key)
    }
}
