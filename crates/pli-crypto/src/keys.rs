//! A person's keys: an X25519 key to receive organisation key grants, an Ed25519 key to
//! sign envelopes, receipts and certificates.

use crate::age::Recipient;
use crate::sign::VerifyingKey;

/// A person's public keys, as certified in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserPublicKeys {
    /// Receives organisation key grants.
    pub encryption: Recipient,
    /// Verifies what the person signs.
    pub signing: VerifyingKey,
}

#[cfg(feature = "secret")]
pub use secret::UserKeys;

#[cfg(feature = "secret")]
mod secret {
    use super::UserPublicKeys;
    use crate::Error;
    use crate::age::Identity;
    use crate::sign::SigningKey;

    /// A person's private keys; they live in memory only, and travel sealed in a
    /// [`KeyBundle`](crate::bundle::KeyBundle).
    #[derive(Debug, Clone)]
    pub struct UserKeys {
        /// Opens organisation key grants.
        pub encryption: Identity,
        /// Signs envelopes, receipts and certificates.
        pub signing: SigningKey,
    }

    impl UserKeys {
        /// New keys from the operating system's CSPRNG.
        pub fn generate() -> Result<Self, Error> {
            Ok(Self {
                encryption: Identity::generate()?,
                signing: SigningKey::generate()?,
            })
        }

        /// The public halves.
        pub fn public(&self) -> UserPublicKeys {
            UserPublicKeys {
                encryption: self.encryption.to_recipient(),
                signing: self.signing.verifying_key(),
            }
        }
    }
}
