//! A person's move to a post-quantum encryption key, keeping their signing key (issue 10's
//! migration of accounts made before hybrid keys).
//!
//! Two objects:
//!
//! * [`KeyUpgrade`], public: "my new encryption key is this one", signed by the person's
//!   certified signing key. The relay keeps it until an admin (the root, for an
//!   organisation's admin) certifies the new key; the admin's client verifies the
//!   signature against the person's logged certificate first, so a relay that swaps the
//!   key is refused — it cannot sign for the person.
//! * `LaterIdentities` (feature `secret`): the private identities a person made after
//!   their key bundle was sealed, sealed for the relay to keep:
//!
//! ```text
//! key    = HKDF-SHA256(salt = "pli/v2/later-identities\0", ikm = signing key seed,
//!                      info = user id)
//! sealed = 0x01 || nonce (24) || XChaCha20-Poly1305(key, nonce,
//!                  aad = "pli/v2/later-identities\0" || user id,
//!                  canonical(LaterIdentities))
//! ```
//!
//! Why a key from the signing seed, not the bundle sealed again: the bundle also travels
//! in each passkey's sealed copy, which only that passkey can seal again; adding the new
//! identity to the bundle would leave every passkey unlocking yesterday's keys. Every copy
//! of the bundle holds the signing seed, so each one opens this; and this is exactly as
//! strong as the bundle (whoever reads a bundle has the seed; nobody else has). The seed
//! is not the Ed25519 scalar a quantum computer could compute from the public key: the
//! scalar is half of SHA-512(seed), which does not give the seed back. The seed's only
//! other use is Ed25519 signing (RFC 8032 hashes it with SHA-512); HKDF under its own
//! salt keeps the two apart.

use pli_api::{OrgId, UserId};

use crate::Error;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::keys::{EncryptionKey, HYBRID_KEY_LEN};

/// A person's request to move to a post-quantum encryption key, signed by their
/// certified signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUpgrade {
    /// The account.
    pub user_id: UserId,
    /// Their organisation.
    pub org_id: OrgId,
    /// The new encryption key (always post-quantum: nothing moves back to X25519).
    pub encryption_key: EncryptionKey,
    /// When it was signed (milliseconds since the Unix epoch).
    pub issued_at: u64,
}

impl Canonical for KeyUpgrade {
    const DOMAIN: Domain = Domain::KeyUpgrade;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.user_id);
        e.id(&self.org_id);
        e.check(
            self.encryption_key.is_post_quantum(),
            "a key upgrade is to a post-quantum key",
        );
        e.fixed(&self.encryption_key.to_bytes());
        e.u64(self.issued_at);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        Ok(Self {
            user_id: d.id()?,
            org_id: d.id()?,
            encryption_key: EncryptionKey::Hybrid(Box::new(d.fixed::<HYBRID_KEY_LEN>()?)),
            issued_at: d.u64()?,
        })
    }
}

#[cfg(feature = "secret")]
pub use secret::LaterIdentities;

#[cfg(feature = "secret")]
mod secret {
    use hkdf::Hkdf;
    use pli_api::UserId;
    use sha2::Sha256;
    use zeroize::Zeroizing;

    use crate::Error;
    use crate::age::AnyIdentity;
    use crate::bundle::{open_sealed, seal};
    use crate::codec::{Canonical, Decoder, Domain, Encoder};
    use crate::sign::SigningKey;

    const VERSION: u8 = 1;

    /// Most identities one person may have added (one per change of algorithm).
    const MAX_IDENTITIES: usize = 8;

    /// The encryption identities a person made after their key bundle was sealed, oldest
    /// first (see the module's documentation).
    #[derive(Debug, Clone)]
    pub struct LaterIdentities {
        /// Whose identities these are.
        pub user_id: UserId,
        /// The identities.
        pub identities: Vec<AnyIdentity>,
    }

    impl Canonical for LaterIdentities {
        const DOMAIN: Domain = Domain::LaterIdentities;

        fn encode_fields(&self, e: &mut Encoder) {
            e.id(&self.user_id);
            e.count(self.identities.len(), MAX_IDENTITIES, "identities");
            for identity in &self.identities {
                e.u8(u8::from(identity.is_post_quantum()));
                e.fixed(identity.to_bytes().as_slice());
            }
        }

        fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
            let user_id = d.id()?;
            let count = d.count(MAX_IDENTITIES, "identities")?;
            let mut identities = Vec::with_capacity(count);
            for _ in 0..count {
                let post_quantum = match d.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(d.error("unknown identity kind")),
                };
                let secret = Zeroizing::new(d.fixed::<32>()?);
                identities.push(AnyIdentity::from_bytes(post_quantum, &secret)?);
            }
            Ok(Self {
                user_id,
                identities,
            })
        }
    }

    fn key(signing: &SigningKey, user_id: &UserId) -> Result<Zeroizing<[u8; 32]>, Error> {
        let seed = signing.to_bytes();
        let hkdf = Hkdf::<Sha256>::new(Some(Domain::LaterIdentities.prefix()), seed.as_slice());
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf.expand(user_id.as_bytes(), key.as_mut_slice())
            .map_err(|_| Error::OutOfRange("later identities key"))?;
        Ok(key)
    }

    fn aad(user_id: &UserId) -> Vec<u8> {
        let mut aad = Domain::LaterIdentities.prefix().to_vec();
        aad.extend_from_slice(user_id.as_bytes());
        aad
    }

    impl LaterIdentities {
        /// Seals them under the key `signing` (the person's) gives.
        pub fn seal(&self, signing: &SigningKey) -> Result<Vec<u8>, Error> {
            let plaintext = Zeroizing::new(self.to_canonical()?);
            seal(
                VERSION,
                &plaintext,
                &*key(signing, &self.user_id)?,
                &aad(&self.user_id),
            )
        }

        /// Opens what [`seal`](Self::seal) sealed for `user_id`. Any failure (another
        /// person's, altered, swapped) is [`Error::WrongPassword`]: they cannot be told
        /// apart.
        pub fn open(sealed: &[u8], signing: &SigningKey, user_id: &UserId) -> Result<Self, Error> {
            let plaintext = open_sealed(
                sealed,
                &*key(signing, user_id)?,
                &aad(user_id),
                VERSION..=VERSION,
            )?;
            let later = Self::from_canonical(&plaintext).map_err(|_| Error::WrongPassword)?;
            if later.user_id != *user_id {
                return Err(Error::WrongPassword);
            }
            Ok(later)
        }
    }
}

#[cfg(all(test, feature = "secret"))]
mod tests {
    use pli_api::{OrgId, UserId};

    use super::{KeyUpgrade, LaterIdentities};
    use crate::Error;
    use crate::age::{AnyIdentity, HybridIdentity, Identity};
    use crate::codec::Canonical as _;
    use crate::keys::EncryptionKey;
    use crate::sign::SigningKey;

    #[test]
    fn a_key_upgrade_is_to_a_post_quantum_key_and_reads_back() {
        let hybrid = AnyIdentity::Hybrid(HybridIdentity::generate().unwrap());
        let upgrade = KeyUpgrade {
            user_id: UserId::from_random([1; 16]),
            org_id: OrgId::from_random([2; 16]),
            encryption_key: hybrid.to_recipient().into(),
            issued_at: 42,
        };
        let bytes = upgrade.to_canonical().unwrap();
        assert_eq!(KeyUpgrade::from_canonical(&bytes).unwrap(), upgrade);

        let classic = KeyUpgrade {
            encryption_key: EncryptionKey::from(Identity::generate().unwrap().to_recipient()),
            ..upgrade
        };
        assert!(classic.to_canonical().is_err());
    }

    #[test]
    fn later_identities_open_only_with_the_signing_key_and_person_they_were_sealed_for() {
        let signing = SigningKey::generate().unwrap();
        let user_id = UserId::from_random([3; 16]);
        let hybrid = AnyIdentity::Hybrid(HybridIdentity::generate().unwrap());
        let later = LaterIdentities {
            user_id,
            identities: vec![hybrid.clone()],
        };
        let sealed = later.seal(&signing).unwrap();

        let opened = LaterIdentities::open(&sealed, &signing, &user_id).unwrap();
        assert_eq!(opened.identities.len(), 1);
        assert_eq!(
            opened.identities[0].to_bytes().as_slice(),
            hybrid.to_bytes().as_slice()
        );
        assert!(opened.identities[0].is_post_quantum());

        let other = SigningKey::generate().unwrap();
        assert!(matches!(
            LaterIdentities::open(&sealed, &other, &user_id),
            Err(Error::WrongPassword)
        ));
        assert!(matches!(
            LaterIdentities::open(&sealed, &signing, &UserId::from_random([4; 16])),
            Err(Error::WrongPassword)
        ));
        let mut altered = sealed.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert!(LaterIdentities::open(&altered, &signing, &user_id).is_err());
        // Nothing of the identity's secret shows in what the relay keeps.
        let secret = hybrid.to_bytes();
        assert!(!sealed.windows(32).any(|w| w == secret.as_slice()));
    }
}
