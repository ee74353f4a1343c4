//! The STREAM payload: 64 KiB chunks sealed with ChaCha20-Poly1305 under the payload key,
//! nonce = 11-byte big-endian chunk counter || last-chunk flag.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::age::FileKey;
use crate::{DecryptError, Error};

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Poly1305 tag bytes per chunk.
pub const TAG_SIZE: usize = 16;
/// Ciphertext bytes of a full chunk.
pub const ENCRYPTED_CHUNK_SIZE: usize = CHUNK_SIZE + TAG_SIZE;
/// Bytes of the payload nonce that follows the header.
pub(crate) const NONCE_SIZE: usize = 16;

/// The payload's ciphertext length (nonce and chunks, without the header) for a
/// plaintext of `plaintext_len` bytes; `None` on overflow.
pub fn ciphertext_len(plaintext_len: u64) -> Option<u64> {
    let chunks = plaintext_len.div_ceil(CHUNK_SIZE as u64).max(1);
    plaintext_len
        .checked_add(chunks.checked_mul(TAG_SIZE as u64)?)?
        .checked_add(NONCE_SIZE as u64)
}

/// The header length of a file encrypted by Pli to `recipients` X25519 recipients:
/// the version line (22 bytes), 98 bytes per stanza, the MAC line (48 bytes).
pub fn x25519_header_len(recipients: usize) -> u64 {
    22 + 98 * recipients as u64 + 48
}

/// The total size of a file encrypted by Pli to `recipients` X25519 recipients, known
/// before encrypting (so an upload can declare it); `None` on overflow.
pub fn encrypted_len(recipients: usize, plaintext_len: u64) -> Option<u64> {
    ciphertext_len(plaintext_len)?.checked_add(x25519_header_len(recipients))
}

/// Bytes of one `mlkem768x25519` stanza as Pli writes it: `-> mlkem768x25519 ` (18), the
/// encapsulation (1,120 bytes, 1,494 in base64) and a newline, then the wrapped file key
/// (32 bytes, 43 in base64) and a newline.
const HYBRID_STANZA_LEN: u64 = 18 + 1494 + 1 + 43 + 1;

/// The header length of a file encrypted by Pli to `recipients` of either type.
pub fn header_len(recipients: &[super::AnyRecipient]) -> u64 {
    let hybrid = recipients.iter().filter(|r| r.is_post_quantum()).count() as u64;
    let x25519 = recipients.len() as u64 - hybrid;
    x25519_header_len(0) + 98 * x25519 + HYBRID_STANZA_LEN * hybrid
}

/// The total size of a file encrypted by Pli to `recipients` of either type, known before
/// encrypting; `None` on overflow.
pub fn encrypted_len_to(recipients: &[super::AnyRecipient], plaintext_len: u64) -> Option<u64> {
    ciphertext_len(plaintext_len)?.checked_add(header_len(recipients))
}

/// The key that seals and opens the chunks of one payload.
pub(crate) struct PayloadKey(aead::Cipher);

impl PayloadKey {
    /// The key's bytes, `HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload")`:
    /// kept beside the key, for the runs of chunks sealed ([`Reserved`]) or opened
    /// ([`Lent`]) elsewhere.
    ///
    /// [`Reserved`]: super::Reserved
    /// [`Lent`]: super::Lent
    pub(crate) fn derive_bytes(
        file_key: &FileKey,
        nonce: &[u8; NONCE_SIZE],
    ) -> Result<Zeroizing<[u8; 32]>, DecryptError> {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(nonce), file_key.0.as_slice())
            .expand(b"payload", key.as_mut_slice())
            .map_err(|_| DecryptError::Corrupted)?;
        Ok(key)
    }

    /// The key with these bytes.
    pub(crate) fn from_bytes(key: &[u8; 32]) -> Self {
        Self(aead::Cipher::new(key))
    }

    /// Seals one chunk from `plaintext` into `out`, which has room for the ciphertext and
    /// the tag (`plaintext.len() + TAG_SIZE` bytes).
    pub(crate) fn seal_into(
        &self,
        counter: u64,
        last: bool,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let (text, tag_room) = out
            .split_at_mut_checked(plaintext.len())
            .ok_or(Error::OutOfRange("chunk"))?;
        if tag_room.len() != TAG_SIZE {
            return Err(Error::OutOfRange("chunk"));
        }
        let tag = self
            .0
            .seal_from(&nonce(counter, last), plaintext, text)
            .ok_or(Error::OutOfRange("chunk"))?;
        tag_room.copy_from_slice(&tag);
        Ok(())
    }

    /// Seals one chunk in place: `chunk` holds its plaintext, then room for the tag
    /// ([`TAG_SIZE`] bytes, overwritten).
    pub(crate) fn seal_in_place(
        &self,
        counter: u64,
        last: bool,
        chunk: &mut [u8],
    ) -> Result<(), Error> {
        let len = chunk
            .len()
            .checked_sub(TAG_SIZE)
            .ok_or(Error::OutOfRange("chunk"))?;
        let (text, tag_room) = chunk.split_at_mut(len);
        let tag = self
            .0
            .seal_in_place(&nonce(counter, last), text)
            .ok_or(Error::OutOfRange("chunk"))?;
        tag_room.copy_from_slice(&tag);
        Ok(())
    }

    /// Opens one full chunk (`chunk`: body then tag) into `out` (room for the body): first
    /// as a chunk that is not the last one, then, if that fails, as the final one (the
    /// file size is a multiple of the chunk size). After a failure, `out` must not be used.
    pub(crate) fn open_into(&self, counter: u64, chunk: &[u8], out: &mut [u8]) -> Opened {
        let Some((body, tag)) = chunk.split_at_checked(out.len()) else {
            return Opened::Failed;
        };
        let Ok(tag) = <&[u8; TAG_SIZE]>::try_from(tag) else {
            return Opened::Failed;
        };
        if self.0.open_from(&nonce(counter, false), body, tag, out) {
            Opened::More
        } else if self.0.open_from(&nonce(counter, true), body, tag, out) {
            Opened::Last
        } else {
            Opened::Failed
        }
    }

    /// Opens one chunk in place; on success the first `chunk.len() - TAG_SIZE` bytes hold
    /// the plaintext. On failure the chunk is left as it was.
    pub(crate) fn open(
        &self,
        counter: u64,
        last: bool,
        chunk: &mut [u8],
    ) -> Result<usize, DecryptError> {
        let len = chunk
            .len()
            .checked_sub(TAG_SIZE)
            .ok_or(DecryptError::Corrupted)?;
        let (text, tag) = chunk.split_at_mut(len);
        let tag = <&[u8; TAG_SIZE]>::try_from(&*tag).map_err(|_| DecryptError::Corrupted)?;
        // Into a copy first: AWS-LC decrypts as it authenticates, so the chunk itself
        // would not stay whole after a failure.
        let mut plaintext = Zeroizing::new(vec![0u8; len]);
        if !self
            .0
            .open_from(&nonce(counter, last), text, tag, &mut plaintext)
        {
            return Err(DecryptError::Corrupted);
        }
        text.copy_from_slice(&plaintext);
        Ok(len)
    }
}

/// ChaCha20-Poly1305 (RFC 8439, no associated data) under a payload key, from one of two
/// audited implementations with the same interface: natively AWS-LC's (feature `aws-lc`,
/// the library rustls uses by default and the relay links for TLS; on x86-64 its
/// ChaCha20-Poly1305 is BoringSSL's assembly, AVX2), RustCrypto's `chacha20poly1305` in
/// the browser's WebAssembly, where AWS-LC does not build. The CCTV vectors run against
/// both (natively with the workspace's features, and in Chromium), and a unit test below
/// seals and opens the same chunks with both (ARCHITECTURE.md says why two).
#[cfg(all(feature = "aws-lc", not(target_arch = "wasm32")))]
mod aead {
    pub(super) use super::aws_lc::Cipher;
}
#[cfg(not(all(feature = "aws-lc", not(target_arch = "wasm32"))))]
mod aead {
    pub(super) use super::rust_crypto::Cipher;
}

/// RustCrypto's ChaCha20-Poly1305 (see [`aead`]).
#[cfg(any(test, not(all(feature = "aws-lc", not(target_arch = "wasm32")))))]
mod rust_crypto {
    use chacha20poly1305::aead::inout::InOutBuf;
    use chacha20poly1305::aead::{AeadInOut, KeyInit};
    use chacha20poly1305::{ChaCha20Poly1305, Tag};

    use super::TAG_SIZE;

    /// The cipher under one key (wiped on drop: the crate's `zeroize` feature).
    pub(crate) struct Cipher(ChaCha20Poly1305);

    impl Cipher {
        pub(crate) fn new(key: &[u8; 32]) -> Self {
            Self(ChaCha20Poly1305::new(key.into()))
        }

        /// Encrypts `plaintext` into `out` (as long); its tag.
        pub(crate) fn seal_from(
            &self,
            nonce: &[u8; 12],
            plaintext: &[u8],
            out: &mut [u8],
        ) -> Option<[u8; TAG_SIZE]> {
            let buffer = InOutBuf::new(plaintext, out).ok()?;
            let tag = self
                .0
                .encrypt_inout_detached(nonce.into(), &[], buffer)
                .ok()?;
            Some(tag.into())
        }

        /// Encrypts `text` where it is; its tag.
        pub(crate) fn seal_in_place(
            &self,
            nonce: &[u8; 12],
            text: &mut [u8],
        ) -> Option<[u8; TAG_SIZE]> {
            let tag = self
                .0
                .encrypt_inout_detached(nonce.into(), &[], InOutBuf::from(text))
                .ok()?;
            Some(tag.into())
        }

        /// Decrypts `body` into `out` (as long) if `tag` verifies (nothing is decrypted
        /// otherwise).
        pub(crate) fn open_from(
            &self,
            nonce: &[u8; 12],
            body: &[u8],
            tag: &[u8; TAG_SIZE],
            out: &mut [u8],
        ) -> bool {
            InOutBuf::new(body, out).is_ok_and(|buffer| {
                self.0
                    .decrypt_inout_detached(nonce.into(), &[], buffer, &Tag::from(*tag))
                    .is_ok()
            })
        }
    }
}

/// AWS-LC's ChaCha20-Poly1305 (see [`aead`]).
#[cfg(all(feature = "aws-lc", not(target_arch = "wasm32")))]
mod aws_lc {
    use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

    use super::TAG_SIZE;

    /// The cipher under one key (AWS-LC wipes its context when it frees it).
    pub(crate) struct Cipher(Option<LessSafeKey>);

    impl Cipher {
        /// A 32-byte key is all ChaCha20-Poly1305 asks for, so `None` cannot be; every
        /// operation with it would fail closed all the same.
        pub(crate) fn new(key: &[u8; 32]) -> Self {
            Self(
                UnboundKey::new(&CHACHA20_POLY1305, key)
                    .ok()
                    .map(LessSafeKey::new),
            )
        }

        /// Encrypts `plaintext` into `out` (as long); its tag. Nothing is written unless
        /// the key is there and the lengths agree.
        pub(crate) fn seal_from(
            &self,
            nonce: &[u8; 12],
            plaintext: &[u8],
            out: &mut [u8],
        ) -> Option<[u8; TAG_SIZE]> {
            let mut tag = [0u8; TAG_SIZE];
            self.0
                .as_ref()?
                .seal_out_of_place_scatter(
                    Nonce::assume_unique_for_key(*nonce),
                    Aad::empty(),
                    plaintext,
                    out,
                    &[],
                    &mut tag,
                )
                .ok()?;
            Some(tag)
        }

        /// Encrypts `text` where it is; its tag.
        pub(crate) fn seal_in_place(
            &self,
            nonce: &[u8; 12],
            text: &mut [u8],
        ) -> Option<[u8; TAG_SIZE]> {
            let tag = self
                .0
                .as_ref()?
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(*nonce),
                    Aad::empty(),
                    text,
                )
                .ok()?;
            tag.as_ref().try_into().ok()
        }

        /// Decrypts `body` into `out` (as long) if `tag` verifies. AWS-LC decrypts as it
        /// authenticates, so after a failure `out` is wiped: as with RustCrypto, nothing
        /// of a chunk that fails is left decrypted.
        pub(crate) fn open_from(
            &self,
            nonce: &[u8; 12],
            body: &[u8],
            tag: &[u8; TAG_SIZE],
            out: &mut [u8],
        ) -> bool {
            let opened = body.len() == out.len()
                && self.0.as_ref().is_some_and(|key| {
                    key.open_separate_gather(
                        Nonce::assume_unique_for_key(*nonce),
                        Aad::empty(),
                        body,
                        tag,
                        out,
                    )
                    .is_ok()
                });
            if !opened {
                out.fill(0);
            }
            opened
        }
    }
}

/// What became of a full chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// It opened as a chunk that is not the last one.
    More,
    /// It opened as the final chunk.
    Last,
    /// It opened neither way: the body must not be used.
    Failed,
}

fn nonce(counter: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    let (counter_bytes, flag) = nonce.split_at_mut(11);
    counter_bytes
        .iter_mut()
        .skip(3)
        .zip(counter.to_be_bytes())
        .for_each(|(byte, value)| *byte = value);
    if let Some(flag) = flag.first_mut() {
        *flag = u8::from(last);
    }
    nonce
}

/// How many threads seal or open a large batch of chunks: natively with the feature
/// `parallel`, the available parallelism, found out when the first batch comes (and
/// kept); else one.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Threads {
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    found: Option<usize>,
}

impl Threads {
    pub(crate) fn get(&mut self) -> usize {
        #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
        {
            *self.found.get_or_insert_with(super::parallel::available)
        }
        #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
        {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_layout_follows_the_spec() {
        assert_eq!(nonce(0, false).as_slice(), [0; 12]);
        assert_eq!(
            nonce(1, true).as_slice(),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
        );
        assert_eq!(
            nonce(0x0102, false).as_slice(),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0]
        );
    }

    #[test]
    fn a_failed_open_leaves_the_chunk_untouched() {
        // An in-place open that fails leaves the chunk as it was (the decryptor's
        // retry of a full chunk as the final one goes through `open_into` instead).
        let key = PayloadKey::from_bytes(
            &PayloadKey::derive_bytes(&FileKey(Zeroizing::new([1; 16])), &[2; 16]).unwrap(),
        );
        let mut chunk = vec![0u8; 100 + TAG_SIZE];
        key.seal_into(0, true, &[3; 100], &mut chunk).unwrap();
        let sealed = chunk.clone();
        assert!(key.open(0, false, &mut chunk).is_err());
        assert_eq!(chunk, sealed);
        assert_eq!(key.open(0, true, &mut chunk), Ok(100));
        assert_eq!(&chunk[..100], &[3; 100]);
    }

    #[test]
    #[cfg(all(feature = "aws-lc", not(target_arch = "wasm32")))]
    fn aws_lc_and_rust_crypto_seal_and_open_alike() {
        // The two implementations of the one cipher (see `aead`): the same bytes out for
        // every chunk length around the sizes that matter, each opening the other's,
        // both refusing a flipped bit, a wrong counter and a wrong last flag.
        let key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        let (native, browser) = (aws_lc::Cipher::new(&key), rust_crypto::Cipher::new(&key));
        for len in [
            0usize, 1, 15, 16, 17, 63, 64, 65, 255, 256, 4095, 65_535, CHUNK_SIZE,
        ] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            for (counter, last) in [(0, false), (1, true), (u64::from(u32::MAX) + 3, false)] {
                let n = nonce(counter, last);
                let mut a = vec![0u8; len];
                let mut b = vec![0u8; len];
                let tag_a = native.seal_from(&n, &plaintext, &mut a).unwrap();
                let tag_b = browser.seal_from(&n, &plaintext, &mut b).unwrap();
                assert_eq!((&a, tag_a), (&b, tag_b), "{len} bytes, counter {counter}");
                // In place: the same bytes.
                let mut in_place = plaintext.clone();
                let tag = native.seal_in_place(&n, &mut in_place).unwrap();
                assert_eq!((&in_place, tag), (&a, tag_a), "{len} bytes in place");
                let mut in_place = plaintext.clone();
                let tag = browser.seal_in_place(&n, &mut in_place).unwrap();
                assert_eq!((&in_place, tag), (&b, tag_b), "{len} bytes in place");
                let mut out = vec![0u8; len];
                assert!(native.open_from(&n, &b, &tag_b, &mut out));
                assert_eq!(out, plaintext);
                assert!(browser.open_from(&n, &a, &tag_a, &mut out));
                assert_eq!(out, plaintext);
                for other in [
                    nonce(counter, !last),
                    nonce(counter + 1, last),
                    nonce(counter.wrapping_sub(1), last),
                ] {
                    assert!(!native.open_from(&other, &a, &tag_a, &mut out));
                    // Nothing of a chunk that fails stays decrypted.
                    assert!(out.iter().all(|&b| b == 0), "{len} bytes");
                    assert!(!browser.open_from(&other, &a, &tag_a, &mut out));
                }
                let mut flipped = tag_a;
                flipped[len % TAG_SIZE] ^= 1;
                assert!(!native.open_from(&n, &a, &flipped, &mut out));
                assert!(!browser.open_from(&n, &a, &flipped, &mut out));
                if len > 0 {
                    let mut damaged = a.clone();
                    damaged[len / 2] ^= 0x80;
                    assert!(!native.open_from(&n, &damaged, &tag_a, &mut out));
                    assert!(!browser.open_from(&n, &damaged, &tag_a, &mut out));
                }
            }
        }
    }

    #[test]
    fn ciphertext_lengths() {
        assert_eq!(ciphertext_len(0), Some(16 + 16));
        assert_eq!(ciphertext_len(1), Some(16 + 1 + 16));
        assert_eq!(ciphertext_len(65536), Some(16 + 65536 + 16));
        assert_eq!(ciphertext_len(65537), Some(16 + 65537 + 32));
        assert_eq!(ciphertext_len(u64::MAX), None);
    }
}
