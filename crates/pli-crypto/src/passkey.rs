//! What a passkey unlocks: a person's key bundle and account key, sealed in their
//! browser under a key derived from the passkey's PRF output (the WebAuthn `prf`
//! extension, CTAP2's `hmac-secret`), which only the authenticator can compute and the
//! relay never sees. The relay keeps the sealed value beside the passkey's public key
//! and hands it back after a login with that passkey; a copy of the database holds
//! nothing a guess could be checked against (the key is 256 bits from the authenticator,
//! not a password).
//!
//! ```text
//! prf input  = SHA-256("pli/v1/passkey-prf")             (the same for every passkey)
//! key        = HKDF-SHA256(salt = "pli/v1/passkey-unlock\0", ikm = prf output,
//!                          info = credential id)
//! sealed     = 0x01 || nonce (24) || XChaCha20-Poly1305(key, nonce,
//!                  aad = "pli/v1/passkey-unlock\0" || user id || credential id,
//!                  account key (16) || canonical(KeyBundle))
//! ```

use hkdf::Hkdf;
use pli_api::UserId;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::Error;
use crate::account_key::AccountKey;
use crate::bundle::{KeyBundle, open_sealed, seal};
use crate::codec::{Canonical as _, Domain};

const VERSION: u8 = 1;

/// The PRF input every Pli passkey is evaluated on (WebAuthn `prf.eval.first`).
pub fn prf_input() -> [u8; 32] {
    Sha256::digest(b"pli/v1/passkey-prf").into()
}

/// The key a passkey's PRF output gives for one credential. Zeroized on drop.
pub struct PasskeyKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for PasskeyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasskeyKey(…)")
    }
}

impl PasskeyKey {
    /// Derives the key from the PRF output of `credential_id` on [`prf_input`] (32
    /// bytes, as WebAuthn's `prf` extension always gives).
    pub fn derive(prf_output: &[u8], credential_id: &[u8]) -> Result<Self, Error> {
        if prf_output.len() != 32 {
            return Err(Error::OutOfRange("passkey PRF output"));
        }
        let hkdf = Hkdf::<Sha256>::new(Some(Domain::PasskeyUnlock.prefix()), prf_output);
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf.expand(credential_id, key.as_mut_slice())
            .map_err(|_| Error::OutOfRange("passkey key"))?;
        Ok(Self(key))
    }
}

/// What a passkey unlocks.
#[derive(Debug, Clone)]
pub struct PasskeyUnlock {
    /// The person's keys (never the platform root: it stays off the relay).
    pub bundle: KeyBundle,
    /// Their account key, so that a device unlocked by a passkey can also prove the
    /// password (re-authentication, password change) without asking for the kit.
    pub account_key: AccountKey,
}

fn aad(user_id: &UserId, credential_id: &[u8]) -> Vec<u8> {
    let mut aad = Domain::PasskeyUnlock.prefix().to_vec();
    aad.extend_from_slice(user_id.as_bytes());
    aad.extend_from_slice(credential_id);
    aad
}

impl PasskeyUnlock {
    /// Seals it for the passkey `credential_id`.
    pub fn seal(&self, key: &PasskeyKey, credential_id: &[u8]) -> Result<Vec<u8>, Error> {
        if self.bundle.root.is_some() {
            return Err(Error::Verification(
                "the platform root is never sealed for the relay",
            ));
        }
        let mut plaintext = Zeroizing::new(self.account_key.to_bytes().to_vec());
        plaintext.extend_from_slice(&self.bundle.to_canonical()?);
        seal(
            VERSION,
            &plaintext,
            &key.0,
            &aad(&self.bundle.user_id, credential_id),
        )
    }

    /// Opens what [`seal`](Self::seal) sealed for `user_id`'s passkey `credential_id`;
    /// anything else is [`Error::PasskeyUnlock`].
    pub fn open(
        sealed: &[u8],
        key: &PasskeyKey,
        user_id: &UserId,
        credential_id: &[u8],
    ) -> Result<Self, Error> {
        let plaintext = open_sealed(sealed, &key.0, &aad(user_id, credential_id), 1..=VERSION)
            .map_err(|_| Error::PasskeyUnlock)?;
        let (account_key, bundle) = plaintext
            .split_first_chunk::<16>()
            .ok_or(Error::PasskeyUnlock)?;
        let bundle = KeyBundle::from_canonical(bundle).map_err(|_| Error::PasskeyUnlock)?;
        if bundle.user_id != *user_id || bundle.root.is_some() {
            return Err(Error::PasskeyUnlock);
        }
        Ok(Self {
            bundle,
            account_key: AccountKey::from_bytes(*account_key),
        })
    }
}

#[cfg(test)]
mod tests {
    use pli_api::UserId;

    use super::{PasskeyKey, PasskeyUnlock};
    use crate::Error;
    use crate::account_key::AccountKey;
    use crate::bundle::KeyBundle;
    use crate::keys::UserKeys;
    use crate::sign::SigningKey;

    fn unlock(user_id: UserId) -> PasskeyUnlock {
        PasskeyUnlock {
            bundle: KeyBundle {
                user_id,
                keys: UserKeys::generate().unwrap(),
                root: None,
                trusted_root: Some(SigningKey::generate().unwrap().verifying_key()),
            },
            account_key: AccountKey::generate().unwrap(),
        }
    }

    #[test]
    fn only_the_same_prf_output_credential_and_person_open_it() {
        let user = UserId::from_random([1; 16]);
        let what = unlock(user);
        let key = PasskeyKey::derive(&[7; 32], b"cred-1").unwrap();
        let sealed = what.seal(&key, b"cred-1").unwrap();
        let opened = PasskeyUnlock::open(&sealed, &key, &user, b"cred-1").unwrap();
        assert_eq!(opened.account_key, what.account_key);
        assert_eq!(opened.bundle.keys.public(), what.bundle.keys.public());
        assert_eq!(opened.bundle.trusted_root, what.bundle.trusted_root);

        let other_prf = PasskeyKey::derive(&[8; 32], b"cred-1").unwrap();
        let other_user = UserId::from_random([2; 16]);
        let cred_2 = PasskeyKey::derive(&[7; 32], b"cred-2").unwrap();
        for (key, user, cred) in [
            (&other_prf, &user, &b"cred-1"[..]),
            (&key, &other_user, &b"cred-1"[..]),
            (&cred_2, &user, &b"cred-2"[..]),
        ] {
            assert!(matches!(
                PasskeyUnlock::open(&sealed, key, user, cred),
                Err(Error::PasskeyUnlock)
            ));
        }
        let mut altered = sealed.clone();
        if let Some(byte) = altered.get_mut(30) {
            *byte ^= 1;
        }
        assert!(PasskeyUnlock::open(&altered, &key, &user, b"cred-1").is_err());
        assert!(PasskeyKey::derive(&[7; 31], b"cred-1").is_err());
    }

    #[test]
    fn the_platform_root_is_never_sealed_for_a_passkey() {
        let mut what = unlock(UserId::from_random([3; 16]));
        what.bundle.root = Some(SigningKey::generate().unwrap());
        let key = PasskeyKey::derive(&[7; 32], b"c").unwrap();
        assert!(what.seal(&key, b"c").is_err());
    }
}
