//! Ed25519 signatures over canonical encodings, and key fingerprints.
//!
//! A [`Signed`] object is the exact bytes that were signed plus the signature. Verifying
//! checks the signature over those bytes first (`verify_strict`: no malleable
//! signatures, no small-order keys), and only then decodes them.

use std::fmt;
use std::marker::PhantomData;

use pli_api::{Base64, SignedObject};

use crate::Error;
use crate::age::Recipient;
use crate::codec::Canonical;

/// A SHA-256 fingerprint of a public key, domain-separated by key type.
///
/// Shown to people as eight groups of four hexadecimal digits (the first 128 bits), to
/// compare out of band.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of an Ed25519 signing key.
    pub fn of_signing_key(key: &VerifyingKey) -> Self {
        Self::of(b"pli/v1/fingerprint/ed25519\0", key.0.as_bytes())
    }

    /// The fingerprint of an X25519 encryption key.
    pub fn of_recipient(key: &Recipient) -> Self {
        Self::of(b"pli/v1/fingerprint/x25519\0", &key.to_bytes())
    }

    /// The fingerprint of an encryption key of either type.
    pub fn of_encryption_key(key: &crate::keys::EncryptionKey) -> Self {
        match key {
            crate::keys::EncryptionKey::X25519(recipient) => Self::of_recipient(recipient),
            crate::keys::EncryptionKey::Hybrid(bytes) => {
                Self::of(b"pli/v1/fingerprint/mlkem768x25519\0", bytes.as_slice())
            }
        }
    }

    fn of(domain: &[u8], key: &[u8]) -> Self {
        use sha2::Digest as _;
        Self(
            sha2::Sha256::new()
                .chain_update(domain)
                .chain_update(key)
                .finalize()
                .into(),
        )
    }

    /// All 64 hexadecimal digits, lowercase.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.chunks(2).take(8).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            for byte in pair {
                write!(f, "{byte:02X}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Parses a public key, rejecting non-canonical encodings and small-order points.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| Error::InvalidKey("not an Ed25519 public key"))?;
        if key.is_weak() || key.as_bytes() != bytes {
            return Err(Error::InvalidKey(
                "weak or non-canonical Ed25519 public key",
            ));
        }
        Ok(Self(key))
    }

    /// The public key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// This key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_signing_key(self)
    }

    /// Verifies `signature` over `message` (strictly).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), Error> {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0
            .verify_strict(message, &signature)
            .map_err(|_| Error::BadSignature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", self.fingerprint())
    }
}

#[cfg(feature = "secret")]
pub use secret::SigningKey;

#[cfg(feature = "secret")]
mod secret {
    use std::fmt;

    use ed25519_dalek::Signer as _;
    use zeroize::Zeroizing;

    use super::VerifyingKey;
    use crate::{Error, random};

    /// An Ed25519 private key. Zeroized on drop; `Debug` shows only the fingerprint.
    #[derive(Clone)]
    pub struct SigningKey(ed25519_dalek::SigningKey);

    impl SigningKey {
        /// A new key from the operating system's CSPRNG.
        pub fn generate() -> Result<Self, Error> {
            let seed = Zeroizing::new(random::bytes::<32>()?);
            Ok(Self::from_bytes(&seed))
        }

        /// The key with this 32-byte seed.
        pub fn from_bytes(seed: &[u8; 32]) -> Self {
            Self(ed25519_dalek::SigningKey::from_bytes(seed))
        }

        /// The 32-byte seed, zeroized when dropped.
        pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
            Zeroizing::new(self.0.to_bytes())
        }

        /// The public key.
        pub fn verifying_key(&self) -> VerifyingKey {
            VerifyingKey(self.0.verifying_key())
        }

        /// Signs `message`.
        pub fn sign(&self, message: &[u8]) -> [u8; 64] {
            self.0.sign(message).to_bytes()
        }
    }

    impl fmt::Debug for SigningKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "SigningKey({})", self.verifying_key().fingerprint())
        }
    }
}

/// A signed object of type `T`: the signed bytes (its canonical encoding) and the
/// signature. The bytes are never re-encoded.
pub struct Signed<T> {
    data: Vec<u8>,
    signature: [u8; 64],
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Signed<T> {
    fn clone(&self) -> Self {
        Self {
            data: self.data.clone(),
            signature: self.signature,
            kind: PhantomData,
        }
    }
}

impl<T> PartialEq for Signed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data && self.signature == other.signature
    }
}

impl<T> Eq for Signed<T> {}

impl<T> fmt::Debug for Signed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("data_len", &self.data.len())
            .finish_non_exhaustive()
    }
}

impl<T: Canonical> Signed<T> {
    /// Encodes `value` canonically and signs the encoding.
    #[cfg(feature = "secret")]
    pub fn sign(value: &T, key: &SigningKey) -> Result<Self, Error> {
        let data = value.to_canonical()?;
        let signature = key.sign(&data);
        Ok(Self {
            data,
            signature,
            kind: PhantomData,
        })
    }

    /// Checks the signature with `key`, then decodes the signed bytes.
    pub fn verify(&self, key: &VerifyingKey) -> Result<T, Error> {
        key.verify(&self.data, &self.signature)?;
        T::from_canonical(&self.data)
    }
}

impl<T> Signed<T> {
    /// The signed bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The signature.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// SHA-256 of the signed bytes (a receipt names the envelope by this hash).
    pub fn sha256(&self) -> [u8; 32] {
        crate::sha256(&self.data)
    }

    /// From the signed bytes and the signature (nothing is verified yet).
    pub fn from_parts(data: Vec<u8>, signature: [u8; 64]) -> Self {
        Self {
            data,
            signature,
            kind: PhantomData,
        }
    }

    /// The JSON wire form.
    pub fn to_wire(&self) -> SignedObject {
        SignedObject {
            data: Base64(self.data.clone()),
            signature: Base64(self.signature.to_vec()),
        }
    }

    /// From the JSON wire form (the signature must be 64 bytes; nothing is verified yet).
    pub fn from_wire(wire: &SignedObject) -> Result<Self, Error> {
        let signature: [u8; 64] =
            wire.signature
                .0
                .as_slice()
                .try_into()
                .map_err(|_| Error::Encoding {
                    what: "signed object",
                    problem: "the signature is not 64 bytes",
                })?;
        Ok(Self {
            data: wire.data.0.clone(),
            signature,
            kind: PhantomData,
        })
    }
}
