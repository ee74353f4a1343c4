//! A run of chunks a [`Decryptor`](super::Decryptor) lends to be opened elsewhere: by a
//! Web Worker of the browser's pool, or another thread. The opening side of
//! [`Reserved`](crate::age::Reserved); a module of `decrypt.rs`, so that only the
//! decryptor builds one from its fields (and [`Lent::from_bytes`] from a checked encoding).

use zeroize::Zeroizing;

use super::{Hashing, Payload};
use crate::age::stream::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PayloadKey};
use crate::age::summary::sealed::NoHash;
use crate::{DecryptError, Error};

/// Consecutive whole chunks of a payload, none of them its final one, lent by a
/// decryptor ([`Decryptor::lend`](super::Decryptor::lend)) to be opened elsewhere: the
/// payload key, the first chunk's counter and the number of chunks.
///
/// **Secret**, as the payload key is: it crosses only to another thread or Web Worker of
/// the same program. [`open`](Self::open) and [`to_bytes`](Self::to_bytes) consume it.
pub struct Lent {
    key: Zeroizing<[u8; 32]>,
    first: u64,
    chunks: usize,
}

impl std::fmt::Debug for Lent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lent")
            .field("first", &self.first)
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

/// The first byte of an encoded [`Lent`] (a [`Reserved`](crate::age::Reserved)'s is 1,
/// so that neither is read as the other).
const LENT_VERSION: u8 = 0x81;
/// Bytes of an encoded [`Lent`]: version, key, first counter, number of chunks.
const LENT_LEN: usize = 1 + 32 + 8 + 8;

impl Lent {
    /// The most chunks one loan covers (1 GiB of plaintext; Pli's are 1 MiB).
    const MOST: usize = (1 << 30) / CHUNK_SIZE;

    /// Whether `chunks` chunks from counter `first` may be lent: at least one, at most
    /// [`MOST`](Self::MOST), counters that do not wrap. The counter after them, or why
    /// not.
    fn check(first: u64, chunks: usize) -> Result<u64, &'static str> {
        if chunks == 0 || chunks > Self::MOST {
            return Err("a loan is 1 chunk to 1 GiB");
        }
        first
            .checked_add(chunks as u64)
            .ok_or("the chunk counter would wrap")
    }

    pub(super) fn new(
        key: Zeroizing<[u8; 32]>,
        first: u64,
        chunks: usize,
    ) -> Result<(Self, u64), DecryptError> {
        let next = Self::check(first, chunks).map_err(|_| DecryptError::Misuse)?;
        Ok((Self { key, first, chunks }, next))
    }

    /// Bytes of ciphertext the loan covers.
    pub fn ciphertext_len(&self) -> usize {
        self.chunks * ENCRYPTED_CHUNK_SIZE
    }

    /// Bytes of plaintext it gives.
    pub fn plaintext_len(&self) -> usize {
        self.chunks * CHUNK_SIZE
    }

    /// Opens `ciphertext` (exactly [`ciphertext_len`](Self::ciphertext_len) bytes),
    /// appending its plaintext to `out`: the same bytes the decryptor would have given for
    /// them. Every chunk must authenticate as one that is not the payload's final chunk;
    /// on failure, nothing is appended.
    pub fn open(self, ciphertext: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        if ciphertext.len() != self.ciphertext_len() {
            return Err(DecryptError::Corrupted);
        }
        let start = out.len();
        let mut payload = Payload::new(PayloadKey::from_bytes(&self.key), self.key.clone());
        payload.counter = self.first;
        let opened = payload.open_batch(ciphertext, 0, out, &mut None::<Hashing<'_, NoHash>>);
        // A final chunk among them (the payload ends here, or later chunks were appended
        // to it by whoever made them): a loan holds none.
        if opened.is_err() || payload.complete {
            // Nothing of the loan stays behind, not even past the length: on several
            // threads, chunks after the one that failed were opened there too.
            if let Some(released) = out.get_mut(start..) {
                zeroize::Zeroize::zeroize(released);
            }
            out.truncate(start);
            zeroize::Zeroize::zeroize(out.spare_capacity_mut());
            return Err(DecryptError::Corrupted);
        }
        Ok(())
    }

    /// `0x81 ‖ payload key (32) ‖ first counter (8, big-endian) ‖ chunks (8)`: to hand
    /// the loan to a Web Worker.
    pub fn to_bytes(self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(LENT_LEN));
        out.push(LENT_VERSION);
        out.extend_from_slice(self.key.as_slice());
        out.extend_from_slice(&self.first.to_be_bytes());
        out.extend_from_slice(&(self.chunks as u64).to_be_bytes());
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)' encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let malformed = |problem| Error::Encoding {
            what: "lent chunks",
            problem,
        };
        let bytes: &[u8; LENT_LEN] = bytes.try_into().map_err(|_| malformed("length"))?;
        let (version, rest) = bytes.split_at(1);
        let (key, rest) = rest.split_at(32);
        let (first, chunks) = rest.split_at(8);
        if version != [LENT_VERSION] {
            return Err(malformed("unknown version"));
        }
        let mut key_bytes = Zeroizing::new([0u8; 32]);
        key_bytes.copy_from_slice(key);
        let first = u64::from_be_bytes(first.try_into().map_err(|_| malformed("counter"))?);
        let chunks = u64::from_be_bytes(chunks.try_into().map_err(|_| malformed("chunks"))?);
        let chunks = usize::try_from(chunks).map_err(|_| malformed("chunks"))?;
        Self::check(first, chunks).map_err(malformed)?;
        Ok(Self {
            key: key_bytes,
            first,
            chunks,
        })
    }
}
