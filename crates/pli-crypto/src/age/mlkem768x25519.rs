//! The MLKEM768-X25519 (X-Wing) hybrid post-quantum recipient type: `age1pq1…` recipients
//! and `AGE-SECRET-KEY-PQ-1…` identities.
//!
//! As the age specification says, the file key is sealed with HPKE's SealBase (RFC 9180)
//! with the MLKEM768-X25519 KEM (X-Wing), HKDF-SHA256 and ChaCha20Poly1305,
//! `info = "age-encryption.org/mlkem768x25519"` and an empty `aad`; the stanza is
//! `-> mlkem768x25519 <base64 enc>` and its body the HPKE ciphertext (file key and tag).
//! HPKE is the `hpke` crate's, the KEM RustCrypto's `x-wing` and `ml-kem`: nothing here is
//! cryptography of its own but the check of [`Checked`] described there.
//!
//! This recipient type resists quantum computers only if no other type can open the
//! same file: [`EncryptionSeed::new`](super::EncryptionSeed::new) refuses to mix it with
//! X25519 recipients.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use hpke::aead::{AeadTag, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::XWing;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable as _, HpkeError, Kem as _, OpModeR, OpModeS, Serializable as _};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::format::Stanza;
use super::{FileKey, b64, bech};
use crate::{DecryptError, Error, random};

/// The stanza's first argument.
pub(crate) const STANZA_TAG: &str = "mlkem768x25519";
/// HPKE's `info`.
const HPKE_INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
const RECIPIENT_HRP: &str = "age1pq";
const IDENTITY_HRP: &str = "age-secret-key-pq-";

/// Bytes of a recipient: an ML-KEM-768 encapsulation key (1,184) and an X25519 public key.
const RECIPIENT_LEN: usize = 1216;
/// Bytes of the encapsulated key `enc`: an ML-KEM-768 ciphertext (1,088) and an X25519
/// share.
const ENC_LEN: usize = 1120;
/// Bytes of the X25519 share at the end of `enc`.
const SHARE_LEN: usize = 32;
/// How much randomness one X-Wing encapsulation draws.
const ENCAPSULATION_RANDOMNESS: usize = 64;

/// An MLKEM768-X25519 public key to encrypt to, written `age1pq1…` (Bech32, 1,959
/// characters).
///
/// Files encrypted to it can be decrypted with the matching [`HybridIdentity`], and resist
/// quantum computers as long as they are encrypted to hybrid recipients only.
#[derive(Clone, PartialEq, Eq)]
pub struct HybridRecipient(Box<<XWing as hpke::Kem>::PublicKey>);

impl HybridRecipient {
    /// The recipient with these public key bytes (1,216 bytes: ML-KEM-768's encapsulation
    /// key, then X25519's public key), checked as FIPS 203 requires.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != RECIPIENT_LEN {
            return Err(Error::InvalidKey("a hybrid recipient is 1216 bytes"));
        }
        <XWing as hpke::Kem>::PublicKey::from_bytes(bytes)
            .map(|key| Self(Box::new(key)))
            .map_err(|_| Error::InvalidKey("not an ML-KEM-768 encapsulation key"))
    }

    /// The public key bytes (1,216).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    /// Wraps `file_key` for this recipient in a fresh mlkem768x25519 stanza.
    pub(crate) fn wrap(&self, file_key: &FileKey) -> Result<Stanza, Error> {
        let mut rng = Drawn::new(random::bytes::<ENCAPSULATION_RANDOMNESS>()?);
        let mut body = Zeroizing::new(*file_key.0);
        let sealed =
            hpke::single_shot_seal_inout_detached_with_rng::<ChaCha20Poly1305, HkdfSha256, XWing>(
                &OpModeS::Base,
                &self.0,
                HPKE_INFO,
                body.as_mut_slice().into(),
                &[],
                &mut rng,
            );
        if rng.overdrawn {
            return Err(Error::Random);
        }
        let (enc, tag) = sealed.map_err(|_| Error::InvalidKey("HPKE refused this recipient"))?;
        let mut sealed_key = body.to_vec();
        sealed_key.extend_from_slice(&tag.to_bytes());
        Ok(Stanza {
            args: vec![STANZA_TAG.to_owned(), b64::encode(&enc.to_bytes())],
            body: sealed_key,
        })
    }
}

impl fmt::Display for HybridRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bech::encode_lower(RECIPIENT_HRP, &self.0.to_bytes()).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for HybridRecipient {
    /// The first characters of the encoding: enough to tell keys apart.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.to_string();
        write!(f, "HybridRecipient({}…)", text.get(..24).unwrap_or(&text))
    }
}

impl FromStr for HybridRecipient {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let mut bytes = vec![0; RECIPIENT_LEN];
        bech::decode_into(
            s,
            RECIPIENT_HRP,
            &mut bytes,
            "not an age hybrid recipient (age1pq1…)",
        )?;
        Self::from_bytes(&bytes)
    }
}

/// An MLKEM768-X25519 private key, written `AGE-SECRET-KEY-PQ-1…`: 32 random bytes from
/// which X-Wing expands both halves. Zeroized on drop; its `Debug` shows only the start of
/// the public recipient.
#[derive(Clone)]
pub struct HybridIdentity(Box<<XWing as hpke::Kem>::PrivateKey>);

impl HybridIdentity {
    /// A new identity from the operating system's CSPRNG (`identity = read(CSPRNG, 32)`).
    pub fn generate() -> Result<Self, Error> {
        Self::from_bytes(&Zeroizing::new(random::bytes::<32>()?))
    }

    /// The identity with these secret bytes (the X-Wing seed). Any 32 bytes are a key:
    /// `hpke` only checks the length, here right by type.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        <XWing as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map(|key| Self(Box::new(key)))
            .map_err(|_| Error::InvalidKey("not an X-Wing private key"))
    }

    /// The secret bytes, zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut bytes = Zeroizing::new([0; 32]);
        self.0.write_exact(bytes.as_mut_slice());
        bytes
    }

    /// The public recipient of this identity.
    pub fn to_recipient(&self) -> HybridRecipient {
        HybridRecipient(Box::new(XWing::sk_to_pk(&self.0)))
    }

    /// The `AGE-SECRET-KEY-PQ-1…` encoding, zeroized when dropped.
    pub fn to_secret_string(&self) -> Result<Zeroizing<String>, Error> {
        bech::encode_upper(IDENTITY_HRP, self.to_bytes().as_slice())
    }

    /// Tries to unwrap the file key from a checked mlkem768x25519 stanza.
    ///
    /// `Ok(None)`: the stanza is not addressed to this identity (ML-KEM rejects
    /// implicitly, so a wrong key shows only as a wrong tag).
    pub(crate) fn unwrap(&self, stanza: &Checked) -> Result<Option<FileKey>, DecryptError> {
        let (sealed_key, tag) = stanza.body.split_at(16);
        let tag = AeadTag::<ChaCha20Poly1305>::from_bytes(tag)
            .map_err(|_| DecryptError::MalformedHeader)?;
        let mut file_key = Zeroizing::new([0u8; 16]);
        file_key.copy_from_slice(sealed_key);
        let opened = hpke::single_shot_open_inout_detached::<ChaCha20Poly1305, HkdfSha256, XWing>(
            &OpModeR::Base,
            &self.0,
            &stanza.enc,
            HPKE_INFO,
            file_key.as_mut_slice().into(),
            &[],
            &tag,
        );
        match opened {
            Ok(()) => Ok(Some(FileKey(file_key))),
            Err(HpkeError::OpenError) => Ok(None),
            Err(_) => Err(DecryptError::MalformedHeader),
        }
    }
}

impl fmt::Debug for HybridIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HybridIdentity({:?})", self.to_recipient())
    }
}

impl FromStr for HybridIdentity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new([0; 32]);
        bech::decode_into(
            s,
            IDENTITY_HRP,
            bytes.as_mut_slice(),
            "not an age hybrid identity (AGE-SECRET-KEY-PQ-1…)",
        )?;
        Self::from_bytes(&bytes)
    }
}

/// An mlkem768x25519 stanza that passed the specification's checks: its encapsulated key
/// and its body (the sealed file key and its tag).
///
/// The spec's KEM (MLKEM768-X25519 of filippo.io/hpke-pq, as Go's age implements it, and
/// as the CCTV vectors `hybrid_low_order` and `hybrid_identity` require) rejects an `enc`
/// whose X25519 share is a point of small order, for which X25519 gives the all-zero
/// shared secret; the `x-wing` crate's decapsulation key, which `hpke` uses, does not
/// (its `DecapsulationKeyRejectNonContrib` would, but `hpke` has no way to use it), so the
/// share is checked here. X25519 clamps every secret scalar to a
/// multiple of the cofactor smaller than the prime subgroup's order times 8, so the
/// result is zero for one scalar exactly when it is for all: the check needs no key, and
/// gives the same answer as the recipient's own key would.
pub(crate) struct Checked {
    enc: <XWing as hpke::Kem>::EncappedKey,
    body: [u8; 32],
}

/// Checks an mlkem768x25519 stanza as the spec says (exactly two arguments, the second
/// the canonical base64 of 1,120 bytes; a 32-byte body), and that `enc`'s X25519 share is
/// not of small order; `None` if it is another recipient type.
pub(crate) fn check_stanza(stanza: &Stanza) -> Result<Option<Checked>, DecryptError> {
    if stanza.tag() != STANZA_TAG {
        return Ok(None);
    }
    let [_, enc] = stanza.args.as_slice() else {
        return Err(DecryptError::MalformedHeader);
    };
    let enc = b64::decode_array::<ENC_LEN>(enc.as_bytes()).ok_or(DecryptError::MalformedHeader)?;
    let body =
        <[u8; 32]>::try_from(stanza.body.as_slice()).map_err(|_| DecryptError::MalformedHeader)?;
    let share = enc
        .last_chunk::<SHARE_LEN>()
        .ok_or(DecryptError::MalformedHeader)?;
    if small_order(share) {
        return Err(DecryptError::MalformedHeader);
    }
    let enc = <XWing as hpke::Kem>::EncappedKey::from_bytes(&enc)
        .map_err(|_| DecryptError::MalformedHeader)?;
    Ok(Some(Checked { enc, body }))
}

/// Whether X25519 with `point` gives the all-zero output (see [`Checked`]); the scalar is
/// arbitrary, and public.
fn small_order(point: &[u8; SHARE_LEN]) -> bool {
    let probe = StaticSecret::from([1; 32]);
    !probe
        .diffie_hellman(&PublicKey::from(*point))
        .was_contributory()
}

/// The randomness of one encapsulation, drawn from the operating system before `hpke`
/// asks for it, so that a failing generator is an [`Error::Random`] and not a panic
/// (`hpke` takes an infallible generator). X-Wing draws 64 bytes once; were `hpke` to ask
/// for more, it would get zeros and `overdrawn` would make the caller throw the stanza
/// away.
struct Drawn {
    bytes: Zeroizing<[u8; ENCAPSULATION_RANDOMNESS]>,
    used: usize,
    overdrawn: bool,
}

impl Drawn {
    fn new(bytes: [u8; ENCAPSULATION_RANDOMNESS]) -> Self {
        Self {
            bytes: Zeroizing::new(bytes),
            used: 0,
            overdrawn: false,
        }
    }
}

impl TryRng for Drawn {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let left = self.bytes.get(self.used..).unwrap_or_default();
        let (now, short) = dst.split_at_mut(left.len().min(dst.len()));
        now.copy_from_slice(left.get(..now.len()).unwrap_or_default());
        self.used += now.len();
        if !short.is_empty() {
            short.fill(0);
            self.overdrawn = true;
        }
        Ok(())
    }
}

impl TryCryptoRng for Drawn {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example keys of the age specification.
    pub(crate) const SPEC_IDENTITY: &str =
        "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR";

    #[test]
    fn sizes_are_the_kems() {
        assert_eq!(<XWing as hpke::Kem>::PublicKey::size(), RECIPIENT_LEN);
        assert_eq!(<XWing as hpke::Kem>::EncappedKey::size(), ENC_LEN);
        assert_eq!(<XWing as hpke::Kem>::PrivateKey::size(), 32);
    }

    #[test]
    fn the_spec_identity_round_trips() {
        let identity: HybridIdentity = SPEC_IDENTITY.parse().unwrap();
        assert_eq!(identity.to_secret_string().unwrap().as_str(), SPEC_IDENTITY);
        let lower: HybridIdentity = SPEC_IDENTITY.to_lowercase().parse().unwrap();
        assert_eq!(lower.to_bytes(), identity.to_bytes());
        assert!(!format!("{identity:?}").contains("SECRET"));
        assert!(format!("{identity:?}").starts_with("HybridIdentity(HybridRecipient(age1pq1"));
    }

    #[test]
    fn small_order_shares_are_caught() {
        // Points of order 1, 2 and 8 on the curve (0, 1, and libsodium's blocklist entry
        // e0eb7a7c…), and p + 1, a non-canonical encoding of 1.
        let mut one = [0u8; 32];
        one[0] = 1;
        let order_8 = hex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
        let mut p_plus_one = [0xffu8; 32];
        p_plus_one[0] = 0xee;
        p_plus_one[31] = 0x7f;
        for point in [[0u8; 32], one, order_8, p_plus_one] {
            assert!(small_order(&point), "{point:?}");
        }
        let identity = HybridIdentity::generate().unwrap();
        let x25519_half: [u8; 32] = identity.to_recipient().to_bytes()[1184..]
            .try_into()
            .unwrap();
        assert!(!small_order(&x25519_half));
        assert!(!small_order(&x25519_dalek::X25519_BASEPOINT_BYTES));
    }

    fn hex32(text: &str) -> [u8; 32] {
        std::array::from_fn(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
    }

    #[test]
    fn an_overdrawn_generator_is_noticed() {
        let mut rng = Drawn::new([7; ENCAPSULATION_RANDOMNESS]);
        let mut first = [0u8; 60];
        rng.try_fill_bytes(&mut first).unwrap();
        assert!(!rng.overdrawn);
        let mut more = [9u8; 8];
        rng.try_fill_bytes(&mut more).unwrap();
        assert_eq!(more, [7, 7, 7, 7, 0, 0, 0, 0]);
        assert!(rng.overdrawn);
    }
}
