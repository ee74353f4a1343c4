//! The password scheme. Neither the password nor the account key ever leaves the client:
//!
//! ```text
//! stretched  = Argon2id(password, per-user salt, m, t, p)              (32 bytes)
//! master key = HKDF-SHA-256(salt = per-user salt, stretched || account key,
//!                           info = "pli/v2/master")                    (version 2)
//!            = stretched                                               (version 1)
//! auth key   = HKDF-SHA-256(master key, info = "pli/vN/auth-key")   sent at login;
//!                                                                the relay stores
//!                                                                its own Argon2id hash
//! bundle key = HKDF-SHA-256(master key, info = "pli/vN/bundle-key") seals the key bundle
//! ```
//!
//! Version 2 (every account created since) mixes in the 128-bit account key
//! ([`crate::account_key`]), the "two-secret key derivation" 1Password uses: what the
//! relay stores (salt, parameters, the auth key's hash, the sealed bundle) can no longer
//! be attacked by guessing passwords, since each guess also needs 128 unknown bits.
//! Version 1 (password only) remains for accounts created before, which clients move to
//! version 2 at their next login.
//!
//! The parameters travel with the account ([`KdfParams`]); clients refuse parameters
//! weaker than the minimum, so a relay cannot make them cheap to brute-force. For an
//! unknown address the relay answers with [`KdfParams::fake`], stable per address.

use crate::Error;

/// Which secrets an account's keys are derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Version 1: the password alone (accounts created before the account key).
    Password,
    /// Version 2: the password and the account key.
    PasswordAndAccountKey,
}

impl Secrets {
    /// The version number on the wire and in the relay's columns.
    pub fn version(self) -> u8 {
        match self {
            Self::Password => 1,
            Self::PasswordAndAccountKey => 2,
        }
    }

    /// The scheme of a version number.
    pub fn from_version(version: u8) -> Result<Self, Error> {
        match version {
            1 => Ok(Self::Password),
            2 => Ok(Self::PasswordAndAccountKey),
            _ => Err(Error::OutOfRange("key derivation version")),
        }
    }
}

/// Argon2id parameters and salt, and which secrets they stretch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// The secrets mixed in.
    pub secrets: Secrets,
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// The per-user salt.
    pub salt: [u8; 16],
}

impl KdfParams {
    /// Memory for new accounts: 64 MiB.
    pub const DEFAULT_M_COST_KIB: u32 = 64 * 1024;
    /// Passes for new accounts.
    pub const DEFAULT_T_COST: u32 = 3;
    /// Lanes for new accounts (the browser computes on one thread).
    pub const DEFAULT_P_COST: u32 = 1;
    /// The least memory a client accepts (OWASP's Argon2id minimum, 19 MiB).
    pub const MIN_M_COST_KIB: u32 = 19 * 1024;
    /// The most memory a client accepts (so a relay cannot exhaust the browser).
    pub const MAX_M_COST_KIB: u32 = 1024 * 1024;

    /// Default costs with `salt`, for the password and an account key.
    pub fn with_salt(salt: [u8; 16]) -> Self {
        Self {
            secrets: Secrets::PasswordAndAccountKey,
            m_cost_kib: Self::DEFAULT_M_COST_KIB,
            t_cost: Self::DEFAULT_T_COST,
            p_cost: Self::DEFAULT_P_COST,
            salt,
        }
    }

    /// Parameters for an address that has no account: default costs and a salt derived
    /// from the relay's secret `pepper` and the address, so repeated queries agree and
    /// nothing tells them apart from a real account's.
    pub fn fake(pepper: &[u8; 32], email: &str) -> Self {
        use hmac::{KeyInit as _, Mac as _};
        let mut salt = [0u8; 16];
        if let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(pepper) {
            mac.update(b"pli/v1/fake-kdf-salt\0");
            mac.update(email.trim().to_lowercase().as_bytes());
            let tag = mac.finalize().into_bytes();
            salt.iter_mut().zip(tag.iter()).for_each(|(s, t)| *s = *t);
        }
        Self::with_salt(salt)
    }

    /// Refuses parameters outside the accepted range.
    pub fn validate(&self) -> Result<(), Error> {
        if !(Self::MIN_M_COST_KIB..=Self::MAX_M_COST_KIB).contains(&self.m_cost_kib) {
            return Err(Error::OutOfRange("Argon2id memory"));
        }
        if !(2..=16).contains(&self.t_cost) {
            return Err(Error::OutOfRange("Argon2id passes"));
        }
        if !(1..=8).contains(&self.p_cost) {
            return Err(Error::OutOfRange("Argon2id lanes"));
        }
        Ok(())
    }

    /// The parameters as they travel.
    pub fn to_wire(&self) -> pli_api::messages::Kdf {
        pli_api::messages::Kdf {
            version: self.secrets.version(),
            m_cost_kib: self.m_cost_kib,
            t_cost: self.t_cost,
            p_cost: self.p_cost,
            salt: pli_api::Base64(self.salt.to_vec()),
        }
    }

    /// Parameters from the wire, refused outside the accepted range.
    pub fn from_wire(kdf: &pli_api::messages::Kdf) -> Result<Self, Error> {
        let params = Self {
            secrets: Secrets::from_version(kdf.version)?,
            m_cost_kib: kdf.m_cost_kib,
            t_cost: kdf.t_cost,
            p_cost: kdf.p_cost,
            salt: kdf
                .salt
                .0
                .as_slice()
                .try_into()
                .map_err(|_| Error::OutOfRange("the salt must be 16 bytes"))?,
        };
        params.validate()?;
        Ok(params)
    }
}

#[cfg(feature = "secret")]
pub(crate) use secret::stretch;
#[cfg(feature = "secret")]
pub use secret::{AuthKey, BundleKey, Credentials, derive};

#[cfg(feature = "secret")]
mod secret {
    use hkdf::Hkdf;
    use sha2::Sha256;
    use zeroize::Zeroizing;

    use super::{KdfParams, Secrets};
    use crate::account_key::AccountKey;
    use crate::{Error, random};

    /// Proves knowledge of the password to the relay. Zeroized on drop.
    pub struct AuthKey(pub(crate) Zeroizing<[u8; 32]>);

    /// Seals and opens the key bundle. Zeroized on drop.
    pub struct BundleKey(pub(crate) Zeroizing<[u8; 32]>);

    impl AuthKey {
        /// The bytes sent at login (over TLS), zeroized when dropped.
        pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
            self.0.clone()
        }
    }

    impl std::fmt::Debug for AuthKey {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("AuthKey(…)")
        }
    }

    impl std::fmt::Debug for BundleKey {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("BundleKey(…)")
        }
    }

    /// The two keys derived from a password.
    #[derive(Debug)]
    pub struct Credentials {
        /// Sent at login.
        pub auth_key: AuthKey,
        /// Seals the key bundle.
        pub bundle_key: BundleKey,
    }

    impl KdfParams {
        /// Default costs with a fresh random salt, for a new account or a new password.
        pub fn generate() -> Result<Self, Error> {
            Ok(Self::with_salt(random::bytes::<16>()?))
        }
    }

    /// Argon2id of `password` with `params` (validated first): 32 bytes.
    pub(crate) fn stretch(
        password: &[u8],
        params: &KdfParams,
    ) -> Result<Zeroizing<[u8; 32]>, Error> {
        params.validate()?;
        let argon_params =
            argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
                .map_err(|_| Error::OutOfRange("Argon2id parameters"))?;
        let mut stretched = Zeroizing::new([0u8; 32]);
        argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon_params,
        )
        .hash_password_into(password, &params.salt, stretched.as_mut_slice())
        .map_err(|_| Error::OutOfRange("password"))?;
        Ok(stretched)
    }

    /// Derives the auth key and the bundle key from the password and, for a version 2
    /// account, the account key. [`Error::AccountKeyNeeded`] for a version 2 account
    /// without one; a version 1 derivation asked while an account key is at hand is
    /// refused ([`Error::Verification`]): a relay that claims an account is still
    /// version 1 would otherwise obtain an auth key derived from the password alone, the
    /// very thing version 2 keeps from it.
    pub fn derive(
        password: &[u8],
        account_key: Option<&AccountKey>,
        params: &KdfParams,
    ) -> Result<Credentials, Error> {
        let (hkdf, labels): (Hkdf<Sha256>, [&[u8]; 2]) = match (params.secrets, account_key) {
            (Secrets::Password, None) => {
                let stretched = stretch(password, params)?;
                (
                    Hkdf::<Sha256>::new(None, stretched.as_slice()),
                    [b"pli/v1/auth-key", b"pli/v1/bundle-key"],
                )
            }
            (Secrets::PasswordAndAccountKey, Some(account_key)) => {
                let stretched = stretch(password, params)?;
                let mut both = Zeroizing::new([0u8; 48]);
                both.iter_mut()
                    .zip(stretched.iter().chain(account_key.as_bytes()))
                    .for_each(|(to, from)| *to = *from);
                let mut master = Zeroizing::new([0u8; 32]);
                Hkdf::<Sha256>::new(Some(&params.salt), both.as_slice())
                    .expand(b"pli/v2/master", master.as_mut_slice())
                    .map_err(|_| Error::OutOfRange("HKDF"))?;
                (
                    Hkdf::<Sha256>::new(None, master.as_slice()),
                    [b"pli/v2/auth-key", b"pli/v2/bundle-key"],
                )
            }
            (Secrets::PasswordAndAccountKey, None) => return Err(Error::AccountKeyNeeded),
            (Secrets::Password, Some(_)) => {
                return Err(Error::Verification(
                    "the relay asks for a password-only derivation for an account that has an account key",
                ));
            }
        };
        let mut auth = Zeroizing::new([0u8; 32]);
        let mut bundle = Zeroizing::new([0u8; 32]);
        hkdf.expand(labels[0], auth.as_mut_slice())
            .map_err(|_| Error::OutOfRange("HKDF"))?;
        hkdf.expand(labels[1], bundle.as_mut_slice())
            .map_err(|_| Error::OutOfRange("HKDF"))?;
        Ok(Credentials {
            auth_key: AuthKey(auth),
            bundle_key: BundleKey(bundle),
        })
    }
}
