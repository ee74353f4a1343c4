//! The X25519 recipient type: `age1…` recipients and `AGE-SECRET-KEY-1…` identities.

use std::fmt;
use std::str::FromStr;

use super::bech;
use crate::Error;

const RECIPIENT_HRP: &str = "age";
#[cfg(feature = "secret")]
const IDENTITY_HRP: &str = "age-secret-key-";
#[cfg(feature = "secret")]
pub(super) const STANZA_TAG: &str = "X25519";
#[cfg(feature = "secret")]
const WRAP_INFO: &[u8] = b"age-encryption.org/v1/X25519";

/// An X25519 public key to encrypt to, written `age1…` (Bech32).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recipient([u8; 32]);

impl Recipient {
    /// The recipient with these public key bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The public key bytes.
    pub const fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bech::encode_lower(RECIPIENT_HRP, &self.0).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({self})")
    }
}

impl FromStr for Recipient {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let mut bytes = [0; 32];
        bech::decode_into(
            s,
            RECIPIENT_HRP,
            &mut bytes,
            "not an age X25519 recipient (age1…)",
        )?;
        Ok(Self(bytes))
    }
}

#[cfg(feature = "secret")]
pub use secret::Identity;

#[cfg(feature = "secret")]
pub(crate) mod secret {
    use std::fmt;
    use std::str::FromStr;

    use chacha20poly1305::aead::{AeadInOut, KeyInit};
    use chacha20poly1305::{ChaCha20Poly1305, Nonce};
    use hkdf::Hkdf;
    use sha2::Sha256;
    use x25519_dalek::{PublicKey, StaticSecret};
    use zeroize::Zeroizing;

    use super::{IDENTITY_HRP, Recipient, STANZA_TAG, WRAP_INFO};
    use crate::age::format::Stanza;
    use crate::age::{FileKey, b64, bech};
    use crate::{DecryptError, Error, random};

    /// An X25519 private key, written `AGE-SECRET-KEY-1…`. Zeroized on drop; its
    /// `Debug` shows only the public recipient.
    #[derive(Clone)]
    pub struct Identity(StaticSecret);

    impl Identity {
        /// A new identity from the operating system's CSPRNG.
        pub fn generate() -> Result<Self, Error> {
            Ok(Self::from_bytes(random::bytes::<32>()?))
        }

        /// The identity with these secret bytes.
        pub fn from_bytes(bytes: [u8; 32]) -> Self {
            Self(StaticSecret::from(bytes))
        }

        /// The secret bytes, zeroized when dropped.
        pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
            Zeroizing::new(self.0.to_bytes())
        }

        /// The public recipient of this identity.
        pub fn to_recipient(&self) -> Recipient {
            Recipient(PublicKey::from(&self.0).to_bytes())
        }

        /// The `AGE-SECRET-KEY-1…` encoding, zeroized when dropped.
        pub fn to_secret_string(&self) -> Result<Zeroizing<String>, Error> {
            bech::encode_upper(IDENTITY_HRP, self.0.as_bytes())
        }

        /// Tries to unwrap the file key from a checked X25519 stanza.
        ///
        /// `Ok(None)`: the stanza is not addressed to this identity. `Err`: the share is a
        /// point of small order (the shared secret is zero), which the spec rejects.
        pub(crate) fn unwrap(&self, stanza: &Checked) -> Result<Option<FileKey>, DecryptError> {
            let shared = self.0.diffie_hellman(&PublicKey::from(stanza.share));
            if !shared.was_contributory() {
                return Err(DecryptError::MalformedHeader);
            }
            let salt = concat(&stanza.share, &self.to_recipient().0);
            let wrap_key = derive_wrap_key(shared.as_bytes(), &salt)?;
            let (ciphertext, tag) = stanza.body.split_at(16);
            let mut file_key = Zeroizing::new([0u8; 16]);
            file_key.copy_from_slice(ciphertext);
            let tag =
                chacha20poly1305::Tag::try_from(tag).map_err(|_| DecryptError::MalformedHeader)?;
            let opened = wrap_key.decrypt_inout_detached(
                &Nonce::default(),
                &[],
                file_key.as_mut_slice().into(),
                &tag,
            );
            Ok(opened.ok().map(|()| FileKey(file_key)))
        }
    }

    impl fmt::Debug for Identity {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "Identity({})", self.to_recipient())
        }
    }

    impl FromStr for Identity {
        type Err = Error;

        fn from_str(s: &str) -> Result<Self, Error> {
            let mut bytes = Zeroizing::new([0; 32]);
            bech::decode_into(
                s,
                IDENTITY_HRP,
                bytes.as_mut_slice(),
                "not an age X25519 identity (AGE-SECRET-KEY-1…)",
            )?;
            Ok(Self::from_bytes(*bytes))
        }
    }

    /// An X25519 stanza of the right shape: its ephemeral share and its body (the
    /// wrapped file key and its tag).
    pub(crate) struct Checked {
        share: [u8; 32],
        body: [u8; 32],
    }

    /// Checks an X25519 stanza's shape (two arguments, a canonical 32-byte share, a
    /// 32-byte body); `None` if it is another recipient type.
    pub(crate) fn check_stanza(stanza: &Stanza) -> Result<Option<Checked>, DecryptError> {
        if stanza.tag() != STANZA_TAG {
            return Ok(None);
        }
        let [_, share] = stanza.args.as_slice() else {
            return Err(DecryptError::MalformedHeader);
        };
        let share =
            b64::decode_array::<32>(share.as_bytes()).ok_or(DecryptError::MalformedHeader)?;
        let body = <[u8; 32]>::try_from(stanza.body.as_slice())
            .map_err(|_| DecryptError::MalformedHeader)?;
        Ok(Some(Checked { share, body }))
    }

    /// `share || recipient`, the HKDF salt.
    fn concat(share: &[u8; 32], recipient: &[u8; 32]) -> [u8; 64] {
        let mut salt = [0u8; 64];
        let (left, right) = salt.split_at_mut(32);
        left.copy_from_slice(share);
        right.copy_from_slice(recipient);
        salt
    }

    fn derive_wrap_key(shared: &[u8; 32], salt: &[u8]) -> Result<ChaCha20Poly1305, DecryptError> {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(salt), shared)
            .expand(WRAP_INFO, key.as_mut_slice())
            .map_err(|_| DecryptError::MalformedHeader)?;
        ChaCha20Poly1305::new_from_slice(key.as_slice()).map_err(|_| DecryptError::MalformedHeader)
    }

    impl Recipient {
        /// Wraps `file_key` for this recipient in a fresh X25519 stanza.
        pub(crate) fn wrap(&self, file_key: &FileKey) -> Result<Stanza, Error> {
            let ephemeral = StaticSecret::from(random::bytes::<32>()?);
            let share = PublicKey::from(&ephemeral).to_bytes();
            let shared = ephemeral.diffie_hellman(&PublicKey::from(self.0));
            if !shared.was_contributory() {
                return Err(Error::InvalidKey("the recipient is a low-order point"));
            }
            let salt = concat(&share, &self.0);
            let wrap_key = derive_wrap_key(shared.as_bytes(), &salt).map_err(|_| Error::Random)?;
            let mut body = file_key.0.to_vec();
            let tag = wrap_key
                .encrypt_inout_detached(&Nonce::default(), &[], body.as_mut_slice().into())
                .map_err(|_| Error::OutOfRange("file key"))?;
            body.extend_from_slice(&tag);
            Ok(Stanza {
                args: vec![STANZA_TAG.to_owned(), b64::encode(&share)],
                body,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use bech32::{Bech32, Hrp};

    use super::*;

    // The example from the age specification.
    #[cfg(feature = "secret")]
    #[test]
    fn spec_example_identity_gives_spec_example_recipient() {
        let identity: Identity =
            "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
                .parse()
                .unwrap();
        assert_eq!(
            identity.to_recipient().to_string(),
            "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
        );
        assert_eq!(
            identity.to_secret_string().unwrap().as_str(),
            "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
        );
        assert!(!format!("{identity:?}").contains("SECRET"));
    }

    #[test]
    fn recipient_parsing_is_strict() {
        let good = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
        assert_eq!(good.parse::<Recipient>().unwrap().to_string(), good);
        for bad in [
            "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk", // checksum
            "Age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", // mixed case
            "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
            "",
        ] {
            assert!(bad.parse::<Recipient>().is_err(), "{bad}");
        }
        let hrp = Hrp::parse("age").unwrap();
        for len in [31, 33] {
            let wrong_length = bech32::encode_lower::<Bech32>(hrp, &vec![1; len]).unwrap();
            assert!(wrong_length.parse::<Recipient>().is_err(), "{len} bytes");
        }
        let bech32m = bech32::encode_lower::<bech32::Bech32m>(hrp, &[1; 32]).unwrap();
        assert!(bech32m.parse::<Recipient>().is_err(), "Bech32m checksum");
    }
}
