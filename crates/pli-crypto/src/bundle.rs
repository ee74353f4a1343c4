//! The key bundle: a person's private keys sealed with their bundle key
//! (XChaCha20-Poly1305, random 192-bit nonce), stored by the relay, opened in the client.
//! Since version 2 it also holds the platform root the person trusts, so that a browser
//! that has never seen the platform learns its root from something the relay cannot
//! forge — the bundle only the person's password and account key open — and never from
//! the relay's word.
//!
//! ```text
//! sealed = 0x02 || nonce (24) || XChaCha20-Poly1305(bundle key, nonce,
//!                                  aad = "pli/v1/key-bundle\0" || user id,
//!                                  canonical(KeyBundle))
//! ```

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use pli_api::UserId;
use zeroize::Zeroizing;

use crate::age::AnyIdentity;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::keys::UserKeys;
use crate::password::BundleKey;
use crate::sign::{SigningKey, VerifyingKey};
use crate::{Error, random};

/// Written since the trusted root joined the bundle; version 1 (without it) still opens.
const VERSION: u8 = 2;

/// A person's private keys, and the platform authority's key for the platform admin.
#[derive(Debug, Clone)]
pub struct KeyBundle {
    /// Whose keys these are.
    pub user_id: UserId,
    /// Their keys.
    pub keys: UserKeys,
    /// The platform authority's signing key (the platform admin's bundle only).
    pub root: Option<SigningKey>,
    /// The platform root this person trusts (absent from bundles sealed before version
    /// 2: their first unlock trusted the relay's, and sealed it in since).
    pub trusted_root: Option<VerifyingKey>,
}

// The encryption identity decides the format version: `pli/v1/key-bundle` holds an X25519
// one, `pli/v2/key-bundle` a post-quantum one (its 32-byte seed); the fields are the same.
impl Canonical for KeyBundle {
    const DOMAIN: Domain = Domain::KeyBundle;
    const LATER: Option<Domain> = Some(Domain::KeyBundleHybrid);

    fn domain(&self) -> Domain {
        if self.keys.encryption.is_post_quantum() {
            Domain::KeyBundleHybrid
        } else {
            Domain::KeyBundle
        }
    }

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.user_id);
        e.fixed(self.keys.encryption.to_bytes().as_slice());
        e.fixed(self.keys.signing.to_bytes().as_slice());
        e.present(self.root.is_some());
        if let Some(root) = &self.root {
            e.fixed(root.to_bytes().as_slice());
        }
        e.present(self.trusted_root.is_some());
        if let Some(trusted) = &self.trusted_root {
            e.fixed(&trusted.to_bytes());
        }
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let user_id = d.id()?;
        let secret = Zeroizing::new(d.fixed::<32>()?);
        let encryption = AnyIdentity::from_bytes(d.domain() == Domain::KeyBundleHybrid, &secret)?;
        let signing = SigningKey::from_bytes(&Zeroizing::new(d.fixed::<32>()?));
        let root = if d.present()? {
            Some(SigningKey::from_bytes(&Zeroizing::new(d.fixed::<32>()?)))
        } else {
            None
        };
        // Version 1 bundles end here.
        let trusted_root = if !d.at_end() && d.present()? {
            Some(VerifyingKey::from_bytes(&d.fixed::<32>()?)?)
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
            trusted_root,
        })
    }
}

impl KeyBundle {
    /// Seals the bundle with `key`.
    pub fn seal(&self, key: &BundleKey) -> Result<Vec<u8>, Error> {
        let plaintext = Zeroizing::new(self.to_canonical()?);
        seal_bytes(VERSION, &plaintext, key, &self.user_id)
    }

    /// Opens a sealed bundle of `user_id`. Any failure (wrong password, altered or
    /// swapped bundle) is [`Error::WrongPassword`]: they cannot be told apart.
    pub fn open(sealed: &[u8], key: &BundleKey, user_id: &UserId) -> Result<Self, Error> {
        let plaintext = open_sealed(sealed, &key.0, &aad(user_id), 1..=VERSION)?;
        let bundle = Self::from_canonical(&plaintext).map_err(|_| Error::WrongPassword)?;
        if bundle.user_id != *user_id {
            return Err(Error::WrongPassword);
        }
        Ok(bundle)
    }
}

fn seal_bytes(
    version: u8,
    plaintext: &[u8],
    key: &BundleKey,
    user_id: &UserId,
) -> Result<Vec<u8>, Error> {
    seal(version, plaintext, &key.0, &aad(user_id))
}

/// `version || nonce (24) || XChaCha20-Poly1305(key, nonce, aad, plaintext)`, the
/// shape of every secret a person's client seals for the relay to keep.
pub(crate) fn seal(
    version: u8,
    plaintext: &[u8],
    key: &[u8; 32],
    aad: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut body = Zeroizing::new(plaintext.to_vec());
    let nonce = random::bytes::<24>()?;
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| Error::Random)?;
    let tag = cipher
        .encrypt_inout_detached(&XNonce::from(nonce), aad, body.as_mut_slice().into())
        .map_err(|_| Error::OutOfRange("sealed value"))?;
    let mut sealed = Vec::with_capacity(1 + 24 + body.len() + 16);
    sealed.push(version);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&body);
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

/// Opens what [`seal`] sealed with a version in `versions`. Any failure (wrong key,
/// altered or swapped value, unknown version) is [`Error::WrongPassword`]: they cannot
/// be told apart.
pub(crate) fn open_sealed(
    sealed: &[u8],
    key: &[u8; 32],
    aad: &[u8],
    versions: std::ops::RangeInclusive<u8>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let (version, rest) = sealed.split_first().ok_or(Error::WrongPassword)?;
    let (nonce, rest) = rest.split_first_chunk::<24>().ok_or(Error::WrongPassword)?;
    let (body, tag) = rest.split_last_chunk::<16>().ok_or(Error::WrongPassword)?;
    if !versions.contains(version) {
        return Err(Error::WrongPassword);
    }
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| Error::WrongPassword)?;
    let mut plaintext = Zeroizing::new(body.to_vec());
    cipher
        .decrypt_inout_detached(
            &XNonce::from(*nonce),
            aad,
            plaintext.as_mut_slice().into(),
            &(*tag).into(),
        )
        .map_err(|_| Error::WrongPassword)?;
    Ok(plaintext)
}

fn aad(user_id: &UserId) -> Vec<u8> {
    let mut aad = Domain::KeyBundle.prefix().to_vec();
    aad.extend_from_slice(user_id.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use pli_api::UserId;
    use zeroize::Zeroizing;

    use super::{KeyBundle, seal_bytes};
    use crate::codec::Canonical as _;
    use crate::keys::UserKeys;
    use crate::password::BundleKey;
    use crate::sign::SigningKey;

    #[test]
    fn the_trusted_root_travels_sealed_and_version_1_bundles_still_open() {
        let key = BundleKey(Zeroizing::new([9; 32]));
        let user_id = UserId::from_random([1; 16]);
        let root = SigningKey::generate().unwrap().verifying_key();
        let bundle = KeyBundle {
            user_id,
            keys: UserKeys::generate().unwrap(),
            root: None,
            trusted_root: Some(root),
        };
        let opened = KeyBundle::open(&bundle.seal(&key).unwrap(), &key, &user_id).unwrap();
        assert_eq!(opened.trusted_root, Some(root));
        // Version 1 wrote no trusted root: its encoding stops before the presence byte.
        let without = KeyBundle {
            trusted_root: None,
            ..bundle
        };
        let mut v1 = without.to_canonical().unwrap();
        assert_eq!(v1.pop(), Some(0));
        let sealed = seal_bytes(1, &v1, &key, &user_id).unwrap();
        let opened = KeyBundle::open(&sealed, &key, &user_id).unwrap();
        assert_eq!(opened.trusted_root, None);
        assert_eq!(opened.keys.public(), without.keys.public());
        // An unknown version does not open.
        let sealed = seal_bytes(3, &v1, &key, &user_id).unwrap();
        assert!(KeyBundle::open(&sealed, &key, &user_id).is_err());
    }
}
