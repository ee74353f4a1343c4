//! Tokens, the relay's hash of auth keys, and the server key that seals TOTP secrets.
//!
//! * Session and invitation tokens are 256 random bits, base64url; the relay stores only
//!   their SHA-256, so a database thief cannot use them.
//! * The auth key a client derives from its password is hashed again with Argon2id, so a
//!   database thief cannot log in with what is stored.
//! * TOTP secrets must be readable by the relay to check codes; they are sealed with
//!   ChaCha20-Poly1305 under the server key, which lives outside the database
//!   (`PLI_SERVER_KEY`, or `server.key` in the data folder).

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest as _, Sha256};
use subtle_compare::ct_eq;
use zeroize::Zeroizing;

use crate::error::ApiError;

/// `N` bytes from the operating system's CSPRNG.
pub fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    Ok(out)
}

/// A new token (what the client gets) and its hash (what the relay stores).
pub fn new_token() -> Result<(String, String), ApiError> {
    let token = URL_SAFE_NO_PAD.encode(random::<32>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    crate::audit::to_hex(&Sha256::digest(token.as_bytes()))
}

/// Whether a presented bearer token is the configured one, compared through their
/// SHA-256 in constant time (so neither the length nor a prefix leaks).
pub fn same_token(presented: &str, expected: &str) -> bool {
    ct_eq(
        &Sha256::digest(presented.as_bytes()),
        &Sha256::digest(expected.as_bytes()),
    )
}

/// A new random id.
pub fn new_id<K>() -> Result<pli_api::Id<K>, ApiError> {
    Ok(pli_api::Id::from_random(random::<16>()?))
}

const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;

fn argon() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(M_COST, T_COST, 1, Some(32)).map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes an auth key: `argon2id$m=…,t=…,p=1$<salt>$<hash>`.
pub fn hash_auth_key(auth_key: &[u8]) -> Result<String, ApiError> {
    let salt = random::<16>()?;
    let mut out = Zeroizing::new([0u8; 32]);
    argon()?
        .hash_password_into(auth_key, &salt, out.as_mut_slice())
        .map_err(ApiError::internal)?;
    Ok(format!(
        "argon2id$m={M_COST},t={T_COST},p=1${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out.as_slice())
    ))
}

/// Checks an auth key against its stored hash, in constant time.
pub fn verify_auth_key(stored: &str, auth_key: &[u8]) -> Result<bool, ApiError> {
    let mut parts = stored.split('$');
    let (Some("argon2id"), Some(params), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(ApiError::internal("malformed stored auth hash"));
    };
    let mut m = M_COST;
    let mut t = T_COST;
    for pair in params.split(',') {
        match pair.split_once('=') {
            Some(("m", v)) => m = v.parse().map_err(ApiError::internal)?,
            Some(("t", v)) => t = v.parse().map_err(ApiError::internal)?,
            Some(("p", "1")) => {}
            _ => return Err(ApiError::internal("malformed stored auth hash parameters")),
        }
    }
    let salt = STANDARD_NO_PAD.decode(salt).map_err(ApiError::internal)?;
    let expected = STANDARD_NO_PAD.decode(hash).map_err(ApiError::internal)?;
    let params = Params::new(m, t, 1, Some(expected.len())).map_err(ApiError::internal)?;
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(auth_key, &salt, &mut out)
        .map_err(ApiError::internal)?;
    Ok(ct_eq(&out, &expected))
}

/// A hash no auth key matches, to spend the same time on unknown accounts.
pub fn dummy_hash() -> &'static str {
    "argon2id$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
}

/// The server key: seals secrets the relay must read back (TOTP).
#[derive(Clone)]
pub struct ServerKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(…)")
    }
}

impl ServerKey {
    /// The key from `PLI_SERVER_KEY` (base64), or from `server.key` in `data_dir`,
    /// created with mode 0600 on first use.
    pub fn load(env_value: Option<&str>, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let bytes = match env_value {
            Some(text) => base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .context("PLI_SERVER_KEY is not base64")?,
            None => {
                let path = data_dir.join("server.key");
                match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        let key = random::<32>().map_err(|e| anyhow::anyhow!("{e}"))?;
                        write_private(&path, &key)
                            .with_context(|| format!("cannot create {}", path.display()))?;
                        key.to_vec()
                    }
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot read {}", path.display()));
                    }
                }
            }
        };
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the server key must be 32 bytes"))?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// A 32-byte key for another purpose, derived from this one (HMAC-SHA-256 over
    /// `label`): the transparency log's signing key.
    pub fn derive(&self, label: &[u8]) -> [u8; 32] {
        use hmac::{KeyInit as _, Mac as _};
        // HMAC takes a key of any length: this cannot fail.
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.0.as_slice()) else {
            return [0; 32];
        };
        mac.update(label);
        mac.finalize().into_bytes().into()
    }

    /// A key for tests.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Seals `plaintext`, bound to `context` (e.g. the user id).
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, ApiError> {
        let cipher =
            XChaCha20Poly1305::new_from_slice(self.0.as_slice()).map_err(ApiError::internal)?;
        let nonce = random::<24>()?;
        let mut buffer = plaintext.to_vec();
        let tag = cipher
            .encrypt_inout_detached(&XNonce::from(nonce), context, buffer.as_mut_slice().into())
            .map_err(ApiError::internal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        out.extend_from_slice(&tag);
        zeroize::Zeroize::zeroize(&mut buffer);
        Ok(out)
    }

    /// Opens what [`seal`](Self::seal) sealed with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, ApiError> {
        let cipher =
            XChaCha20Poly1305::new_from_slice(self.0.as_slice()).map_err(ApiError::internal)?;
        let (nonce, rest) = sealed
            .split_first_chunk::<24>()
            .ok_or_else(|| ApiError::internal("sealed value too short"))?;
        let (body, tag) = rest
            .split_last_chunk::<16>()
            .ok_or_else(|| ApiError::internal("sealed value too short"))?;
        let mut buffer = Zeroizing::new(body.to_vec());
        cipher
            .decrypt_inout_detached(
                &XNonce::from(*nonce),
                context,
                buffer.as_mut_slice().into(),
                &(*tag).into(),
            )
            .map_err(|_| ApiError::internal("a sealed value does not open: wrong server key?"))?;
        Ok(buffer)
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

mod subtle_compare {
    /// Constant-time equality of two byte strings of the same length.
    pub(super) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_key_hashes_verify_only_the_right_key() {
        let stored = hash_auth_key(&[7; 32]).unwrap();
        assert!(stored.starts_with("argon2id$m=19456,t=2,p=1$"));
        assert!(verify_auth_key(&stored, &[7; 32]).unwrap());
        assert!(!verify_auth_key(&stored, &[8; 32]).unwrap());
        assert!(!verify_auth_key(dummy_hash(), &[7; 32]).unwrap());
        assert_ne!(hash_auth_key(&[7; 32]).unwrap(), stored, "salted");
    }

    #[test]
    fn tokens_are_stored_hashed_and_sealed_values_are_bound_to_context() {
        let (token, hash) = new_token().unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(token_hash(&token), hash);
        assert!(!hash.contains(&token));
        let key = ServerKey::from_bytes([1; 32]);
        let sealed = key.seal(b"user-a", b"totp secret").unwrap();
        assert_eq!(
            key.open(b"user-a", &sealed).unwrap().as_slice(),
            b"totp secret"
        );
        assert!(key.open(b"user-b", &sealed).is_err());
        assert!(
            ServerKey::from_bytes([2; 32])
                .open(b"user-a", &sealed)
                .is_err()
        );
    }
}
