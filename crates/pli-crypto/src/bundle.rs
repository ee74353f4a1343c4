//! The key bundle: a person's private keys sealed with their bundle key
//! (XChaCha20-Poly1305, random 192-bit nonce), stored by the relay, opened in the client.
//!
//! ```text
//! sealed = 0x01 || nonce (24) || XChaCha20-Poly1305(bundle key, nonce,
//!                                  aad = "pli/v1/key-bundle\0" || user id,
//!                                  canonical(KeyBundle))
//! ```

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use pli_api::UserId;
use zeroize::Zeroizing;

use crate::age::Identity;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::keys::UserKeys;
use crate::password::BundleKey;
use crate::sign::SigningKey;
use crate::{Error, random};

const VERSION: u8 = 1;

/// A person's private keys, and the platform authority's key for the platform admin.
#[derive(Debug, Clone)]
pub struct KeyBundle {
    /// Whose keys these are.
    pub user_id: UserId,
    /// Their keys.
    pub keys: UserKeys,
    /// The platform authority's signing key (the platform admin's bundle only).
    pub root: Option<SigningKey>,
}

impl Canonical for KeyBundle {
    const DOMAIN: Domain = Domain::KeyBundle;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.user_id);
        e.fixed(self.keys.encryption.to_bytes().as_slice());
        e.fixed(self.keys.signing.to_bytes().as_slice());
        e.present(self.root.is_some());
        if let Some(root) = &self.root {
            e.fixed(root.to_bytes().as_slice());
        }
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let user_id = d.id()?;
        let encryption = Identity::from_bytes(*Zeroizing::new(d.fixed::<32>()?));
        let signing = SigningKey::from_bytes(&Zeroizing::new(d.fixed::<32>()?));
        let root = if d.present()? {
            Some(SigningKey::from_bytes(&Zeroizing::new(d.fixed::<32>()?)))
        } else {
            None
        };
        Ok(Self {
            user_id,
            keys: UserKeys {
                encryption,
                signing,
            },
            root,
        })
    }
}

impl KeyBundle {
    /// Seals the bundle with `key`.
    pub fn seal(&self, key: &BundleKey) -> Result<Vec<u8>, Error> {
        let mut plaintext = Zeroizing::new(self.to_canonical()?);
        let nonce = random::bytes::<24>()?;
        let cipher =
            XChaCha20Poly1305::new_from_slice(key.0.as_slice()).map_err(|_| Error::Random)?;
        let tag = cipher
            .encrypt_inout_detached(
                &XNonce::from(nonce),
                &aad(&self.user_id),
                plaintext.as_mut_slice().into(),
            )
            .map_err(|_| Error::OutOfRange("key bundle"))?;
        let mut sealed = Vec::with_capacity(1 + 24 + plaintext.len() + 16);
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&plaintext);
        sealed.extend_from_slice(&tag);
        Ok(sealed)
    }

    /// Opens a sealed bundle of `user_id`. Any failure (wrong password, altered or
    /// swapped bundle) is [`Error::WrongPassword`]: they cannot be told apart.
    pub fn open(sealed: &[u8], key: &BundleKey, user_id: &UserId) -> Result<Self, Error> {
        let (&version, rest) = sealed.split_first().ok_or(Error::WrongPassword)?;
        let (nonce, rest) = rest.split_first_chunk::<24>().ok_or(Error::WrongPassword)?;
        let (body, tag) = rest.split_last_chunk::<16>().ok_or(Error::WrongPassword)?;
        if version != VERSION {
            return Err(Error::WrongPassword);
        }
        let cipher = XChaCha20Poly1305::new_from_slice(key.0.as_slice())
            .map_err(|_| Error::WrongPassword)?;
        let mut plaintext = Zeroizing::new(body.to_vec());
        cipher
            .decrypt_inout_detached(
                &XNonce::from(*nonce),
                &aad(user_id),
                plaintext.as_mut_slice().into(),
                &(*tag).into(),
            )
            .map_err(|_| Error::WrongPassword)?;
        let bundle = Self::from_canonical(&plaintext).map_err(|_| Error::WrongPassword)?;
        if bundle.user_id != *user_id {
            return Err(Error::WrongPassword);
        }
        Ok(bundle)
    }
}

fn aad(user_id: &UserId) -> Vec<u8> {
    let mut aad = Domain::KeyBundle.prefix().to_vec();
    aad.extend_from_slice(user_id.as_bytes());
    aad
}
