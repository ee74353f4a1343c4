//! A person's keys: an encryption key to receive organisation key grants (post-quantum
//! since issue 10, X25519 before), an Ed25519 key to sign envelopes, receipts and
//! certificates; and [`EncryptionKey`], the public encryption key a certificate holds.

use std::fmt;

use crate::Error;
use crate::age::Recipient;
use crate::sign::VerifyingKey;

/// An MLKEM768-X25519 public key's length: ML-KEM-768's encapsulation key, then X25519's.
pub const HYBRID_KEY_LEN: usize = 1216;

/// A public encryption key as the directory certifies it: an organisation key
/// generation's, or a person's (which receives organisation key grants).
///
/// Available without the `secret` feature, so the relay can read certificates: a hybrid
/// key is then its bytes, of the right length; clients check it is a valid ML-KEM key
/// when they encrypt to it ([`EncryptionKey::recipient`]).
#[derive(Clone, PartialEq, Eq)]
pub enum EncryptionKey {
    /// Classic X25519 (`age1…`): keys made before the post-quantum migration.
    X25519(Recipient),
    /// Post-quantum hybrid MLKEM768-X25519 (`age1pq1…`).
    Hybrid(Box<[u8; HYBRID_KEY_LEN]>),
}

impl EncryptionKey {
    /// The key from its raw bytes: 32 are an X25519 key, 1,216 a hybrid one.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if let Ok(x25519) = <[u8; 32]>::try_from(bytes) {
            return Ok(Self::X25519(Recipient::from_bytes(x25519)));
        }
        <[u8; HYBRID_KEY_LEN]>::try_from(bytes)
            .map(|hybrid| Self::Hybrid(Box::new(hybrid)))
            .map_err(|_| Error::InvalidKey("an encryption key is 32 or 1216 bytes"))
    }

    /// The raw bytes (32 or 1,216).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::X25519(recipient) => recipient.to_bytes().to_vec(),
            Self::Hybrid(bytes) => bytes.to_vec(),
        }
    }

    /// Whether what is encrypted to it resists a quantum computer.
    pub fn is_post_quantum(&self) -> bool {
        matches!(self, Self::Hybrid(_))
    }

    /// The age recipient to encrypt to; a hybrid key is checked as FIPS 203 requires.
    #[cfg(feature = "secret")]
    pub fn recipient(&self) -> Result<crate::age::AnyRecipient, Error> {
        match self {
            Self::X25519(recipient) => Ok((*recipient).into()),
            Self::Hybrid(bytes) => crate::age::HybridRecipient::from_bytes(bytes.as_slice())
                .map(crate::age::AnyRecipient::from),
        }
    }
}

impl From<Recipient> for EncryptionKey {
    fn from(recipient: Recipient) -> Self {
        Self::X25519(recipient)
    }
}

#[cfg(feature = "secret")]
impl From<crate::age::AnyRecipient> for EncryptionKey {
    fn from(recipient: crate::age::AnyRecipient) -> Self {
        match recipient {
            crate::age::AnyRecipient::X25519(recipient) => Self::X25519(recipient),
            crate::age::AnyRecipient::Hybrid(recipient) => {
                let mut bytes = Box::new([0; HYBRID_KEY_LEN]);
                bytes.copy_from_slice(&recipient.to_bytes());
                Self::Hybrid(bytes)
            }
        }
    }
}

#[cfg(feature = "secret")]
impl From<crate::age::HybridRecipient> for EncryptionKey {
    fn from(recipient: crate::age::HybridRecipient) -> Self {
        crate::age::AnyRecipient::Hybrid(recipient).into()
    }
}

impl fmt::Display for EncryptionKey {
    /// `age1…` or `age1pq1…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X25519(recipient) => recipient.fmt(f),
            Self::Hybrid(bytes) => f.write_str(
                &crate::age::bech::encode_lower("age1pq", bytes.as_slice())
                    .map_err(|_| fmt::Error)?,
            ),
        }
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X25519(recipient) => write!(f, "EncryptionKey({recipient})"),
            Self::Hybrid(_) => write!(
                f,
                "EncryptionKey(hybrid {})",
                crate::sign::Fingerprint::of_encryption_key(self)
            ),
        }
    }
}

/// A person's public keys, as certified in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPublicKeys {
    /// Receives organisation key grants.
    pub encryption: EncryptionKey,
    /// Verifies what the person signs.
    pub signing: VerifyingKey,
}

#[cfg(feature = "secret")]
pub use secret::UserKeys;

#[cfg(feature = "secret")]
mod secret {
    use super::UserPublicKeys;
    use crate::Error;
    use crate::age::{AnyIdentity, HybridIdentity};
    use crate::sign::SigningKey;

    /// A person's private keys; they live in memory only, and travel sealed in a
    /// [`KeyBundle`](crate::bundle::KeyBundle).
    #[derive(Debug, Clone)]
    pub struct UserKeys {
        /// Opens organisation key grants.
        pub encryption: AnyIdentity,
        /// Signs envelopes, receipts and certificates.
        pub signing: SigningKey,
    }

    impl UserKeys {
        /// New keys from the operating system's CSPRNG; the encryption key is
        /// post-quantum (MLKEM768-X25519).
        pub fn generate() -> Result<Self, Error> {
            Ok(Self {
                encryption: AnyIdentity::Hybrid(HybridIdentity::generate()?),
                signing: SigningKey::generate()?,
            })
        }

        /// X25519 keys, as accounts had before the post-quantum migration: only for tests
        /// that show such accounts still work and move to post-quantum keys.
        pub fn generate_classic() -> Result<Self, Error> {
            Ok(Self {
                encryption: AnyIdentity::X25519(crate::age::Identity::generate()?),
                signing: SigningKey::generate()?,
            })
        }

        /// The public halves.
        pub fn public(&self) -> UserPublicKeys {
            UserPublicKeys {
                encryption: self.encryption.to_recipient().into(),
                signing: self.signing.verifying_key(),
            }
        }
    }
}
