//! What an [`Encryptor`](super::Encryptor) or a [`Decryptor`](super::Decryptor) reports
//! at the end, and whether it hashes the ciphertext on the way.
//!
//! The SHA-256 of the ciphertext is what the envelope signs and what the relay checks, so
//! the web app and the relay clients need it; a command line that writes a file does not,
//! and the hash costs about as much CPU as the cipher itself. The summary type chosen is
//! the switch: an `Encryptor<EncryptSummary>` (the default) hashes, an
//! `Encryptor<Lengths>` does not, and nothing can read a hash that was never computed.

use sha2::{Digest, Sha256};

use sealed::NoHash;

/// What an encryption (or a decryption) produced, with the SHA-256 of the ciphertext:
/// what the envelope needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptSummary {
    /// Bytes of plaintext consumed.
    pub plaintext_len: u64,
    /// Bytes of ciphertext produced (header, nonce and chunks).
    pub ciphertext_len: u64,
    /// SHA-256 of the whole ciphertext.
    pub ciphertext_sha256: [u8; 32],
}

/// What an encryption (or a decryption) produced, without hashing the ciphertext: see
/// [`Encryptor::without_hash`](super::Encryptor::without_hash) and
/// [`Decryptor::without_hash`](super::Decryptor::without_hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lengths {
    /// Bytes of plaintext consumed.
    pub plaintext_len: u64,
    /// Bytes of ciphertext produced (header, nonce and chunks).
    pub ciphertext_len: u64,
}

/// The report of an [`Encryptor`](super::Encryptor) or a
/// [`Decryptor`](super::Decryptor): [`EncryptSummary`] (with the ciphertext's SHA-256,
/// the default) or [`Lengths`] (no hashing). Sealed.
pub trait Summary: sealed::Summary {}

impl Summary for EncryptSummary {}
impl Summary for Lengths {}

#[allow(
    unreachable_pub,
    reason = "the sealed-trait pattern: public items in a private module"
)]
pub(crate) mod sealed {
    /// How a summary is computed.
    pub trait Summary: Sized {
        /// The running hash of the ciphertext, if this summary has one.
        type Hasher: Hasher;

        /// The summary once all the ciphertext went through `hasher`.
        fn from_parts(hasher: &Self::Hasher, plaintext_len: u64, ciphertext_len: u64) -> Self;
    }

    /// A running hash of the ciphertext, fed in order.
    pub trait Hasher: Default + Send {
        /// Whether [`update`](Self::update) does anything (so that callers can skip the
        /// work of scheduling it).
        const ENABLED: bool;

        /// Hashes the next bytes of ciphertext.
        fn update(&mut self, bytes: &[u8]);
    }

    /// The hasher of a summary without a hash.
    #[derive(Debug, Default, Clone, Copy)]
    pub struct NoHash;
}

impl sealed::Summary for EncryptSummary {
    type Hasher = Sha256;

    fn from_parts(hasher: &Sha256, plaintext_len: u64, ciphertext_len: u64) -> Self {
        Self {
            plaintext_len,
            ciphertext_len,
            ciphertext_sha256: hasher.clone().finalize().into(),
        }
    }
}

impl sealed::Summary for Lengths {
    type Hasher = NoHash;

    fn from_parts(_: &NoHash, plaintext_len: u64, ciphertext_len: u64) -> Self {
        Self {
            plaintext_len,
            ciphertext_len,
        }
    }
}

impl sealed::Hasher for Sha256 {
    const ENABLED: bool = true;

    fn update(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

impl sealed::Hasher for NoHash {
    const ENABLED: bool = false;

    fn update(&mut self, _: &[u8]) {}
}
