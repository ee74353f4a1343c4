//! The password scheme. The password never leaves the client:
//!
//! ```text
//! master key = Argon2id(password, per-user salt, m, t, p)        (32 bytes)
//! auth key   = HKDF-SHA-256(master key, info = "pli/v1/auth-key")   sent at login;
//!                                                                the relay stores
//!                                                                its own Argon2id hash
//! bundle key = HKDF-SHA-256(master key, info = "pli/v1/bundle-key") seals the key bundle
//! ```
//!
//! The parameters travel with the account ([`KdfParams`]); clients refuse parameters
//! weaker than the minimum, so a relay cannot make them cheap to brute-force. For an
//! unknown address the relay answers with [`KdfParams::fake`], stable per address.

use crate::Error;

/// Argon2id parameters and salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
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

    /// Default costs with `salt`.
    pub fn with_salt(salt: [u8; 16]) -> Self {
        Self {
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
}

#[cfg(feature = "secret")]
pub use secret::{AuthKey, BundleKey, Credentials, derive};

#[cfg(feature = "secret")]
mod secret {
    use hkdf::Hkdf;
    use sha2::Sha256;
    use zeroize::Zeroizing;

    use super::KdfParams;
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

    /// Derives the auth key and the bundle key from a password.
    pub fn derive(password: &[u8], params: &KdfParams) -> Result<Credentials, Error> {
        params.validate()?;
        let argon_params =
            argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
                .map_err(|_| Error::OutOfRange("Argon2id parameters"))?;
        let argon = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon_params,
        );
        let mut master = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(password, &params.salt, master.as_mut_slice())
            .map_err(|_| Error::OutOfRange("password"))?;
        let hkdf = Hkdf::<Sha256>::new(None, master.as_slice());
        let mut auth = Zeroizing::new([0u8; 32]);
        let mut bundle = Zeroizing::new([0u8; 32]);
        hkdf.expand(b"pli/v1/auth-key", auth.as_mut_slice())
            .map_err(|_| Error::OutOfRange("HKDF"))?;
        hkdf.expand(b"pli/v1/bundle-key", bundle.as_mut_slice())
            .map_err(|_| Error::OutOfRange("HKDF"))?;
        Ok(Credentials {
            auth_key: AuthKey(auth),
            bundle_key: BundleKey(bundle),
        })
    }
}
