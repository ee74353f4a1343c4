//! A run of chunks reserved from an [`Encryptor`](super::Encryptor) and sealed elsewhere:
//! by a Web Worker of the browser's sealing pool, or another thread. A module of
//! `encrypt.rs`, so that only the encryptor builds one from its fields (and
//! [`Reserved::from_bytes`] from a checked encoding).

use zeroize::Zeroizing;

use super::{seal_full_chunks, seal_full_chunks_in_place, seal_last};
use crate::Error;
use crate::age::stream::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PayloadKey, TAG_SIZE, Threads};
use crate::age::summary::sealed::NoHash;

/// A run of consecutive chunks [`reserve`](super::Encryptor::reserve)d from an encryptor, to be
/// sealed elsewhere: the payload key, the first chunk's counter, the plaintext's length
/// and whether its end is the payload's.
///
/// **Secret**, as the payload key is: it crosses only to another thread or Web Worker of
/// the same program. Each run of counters is handed out once by its encryptor, and
/// [`seal`](Self::seal), [`seal_in_place`](Self::seal_in_place) and
/// [`to_bytes`](Self::to_bytes) consume it: one reservation seals one plaintext (a nonce
/// used twice would reveal both).
pub struct Reserved {
    pub(super) key: Zeroizing<[u8; 32]>,
    pub(super) first: u64,
    pub(super) len: usize,
    pub(super) last: bool,
}

impl std::fmt::Debug for Reserved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reserved")
            .field("first", &self.first)
            .field("len", &self.len)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

/// The first byte of an encoded [`Reserved`].
const RESERVED_VERSION: u8 = 1;
/// Bytes of an encoded [`Reserved`]: version, key, first counter, length, last flag.
const RESERVED_LEN: usize = 1 + 32 + 8 + 8 + 1;

impl Reserved {
    /// The most plaintext one reservation covers (Pli's runs are 4 MiB).
    const MOST: usize = 1 << 30;

    /// Bytes of plaintext this run seals.
    pub fn plaintext_len(&self) -> usize {
        self.len
    }

    /// Bytes of ciphertext it gives: the plaintext and a tag per chunk.
    pub fn ciphertext_len(&self) -> usize {
        Self::sealed_len(self.len)
    }

    /// Whether a run of `len` bytes from counter `first` may be reserved (`last`: its end
    /// is the payload's): at least one byte, whole chunks unless last, at most
    /// [`MOST`](Self::MOST), counters that do not wrap. The counter after it, or why not.
    pub(super) fn check(first: u64, len: usize, last: bool) -> Result<u64, &'static str> {
        if len == 0 || (!last && !len.is_multiple_of(CHUNK_SIZE)) {
            return Err("a run is a whole number of chunks, or the payload's end");
        }
        if len > Self::MOST {
            return Err("a run is at most 1 GiB");
        }
        first
            .checked_add(len.div_ceil(CHUNK_SIZE) as u64)
            .ok_or("the chunk counter would wrap")
    }

    pub(super) fn sealed_len(len: usize) -> usize {
        len + len.div_ceil(CHUNK_SIZE) * TAG_SIZE
    }

    /// Seals `plaintext` (exactly [`plaintext_len`](Self::plaintext_len) bytes),
    /// appending its ciphertext to `out`: the same bytes the encryptor would have given
    /// for them.
    pub fn seal(self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if plaintext.len() != self.len {
            return Err(Error::OutOfRange(
                "the plaintext is not the length reserved",
            ));
        }
        let key = PayloadKey::from_bytes(&self.key);
        let full = self.full_chunks();
        let (whole, tail) = plaintext.split_at(full * CHUNK_SIZE);
        let threads = Threads::default().get();
        seal_full_chunks(
            &key,
            self.first,
            whole.chunks(CHUNK_SIZE),
            full,
            out,
            &mut NoHash,
            threads,
        )?;
        if self.last {
            seal_last(&key, self.first + full as u64, tail, out)?;
        }
        Ok(())
    }

    /// Seals in place the run's plaintext laid out in `region` as its ciphertext will be
    /// ([`ciphertext_len`](Self::ciphertext_len) bytes): each chunk's plaintext followed
    /// by room for its tag, which is overwritten. The same bytes as [`seal`](Self::seal)
    /// gives, without a second buffer: the command line reads a file straight into place
    /// (see `pli-cli`'s `files::Layout`).
    pub fn seal_in_place(self, region: &mut [u8]) -> Result<(), Error> {
        if region.len() != self.ciphertext_len() {
            return Err(Error::OutOfRange(
                "the region is not the length of the run's ciphertext",
            ));
        }
        let key = PayloadKey::from_bytes(&self.key);
        let full = self.full_chunks();
        let (whole, tail) = region.split_at_mut(full * ENCRYPTED_CHUNK_SIZE);
        seal_full_chunks_in_place(&key, self.first, whole, Threads::default().get())?;
        if self.last {
            key.seal_in_place(self.first + full as u64, true, tail)?;
        }
        Ok(())
    }

    /// The chunks of the run that are full and not the payload's last (which holds 1 to
    /// [`CHUNK_SIZE`] bytes).
    fn full_chunks(&self) -> usize {
        if self.last {
            (self.len - 1) / CHUNK_SIZE
        } else {
            self.len / CHUNK_SIZE
        }
    }

    /// `1 ‖ payload key (32) ‖ first counter (8, big-endian) ‖ length (8) ‖ last (1)`: to
    /// hand the run to a Web Worker.
    pub fn to_bytes(self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(RESERVED_LEN));
        out.push(RESERVED_VERSION);
        out.extend_from_slice(self.key.as_slice());
        out.extend_from_slice(&self.first.to_be_bytes());
        out.extend_from_slice(&(self.len as u64).to_be_bytes());
        out.push(u8::from(self.last));
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)' encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let malformed = |problem| Error::Encoding {
            what: "reserved chunks",
            problem,
        };
        let bytes: &[u8; RESERVED_LEN] = bytes.try_into().map_err(|_| malformed("length"))?;
        let (version, rest) = bytes.split_at(1);
        let (key, rest) = rest.split_at(32);
        let (first, rest) = rest.split_at(8);
        let (len, last) = rest.split_at(8);
        if version != [RESERVED_VERSION] {
            return Err(malformed("unknown version"));
        }
        let mut key_bytes = Zeroizing::new([0u8; 32]);
        key_bytes.copy_from_slice(key);
        let first = u64::from_be_bytes(first.try_into().map_err(|_| malformed("counter"))?);
        let len = u64::from_be_bytes(len.try_into().map_err(|_| malformed("length"))?);
        let len = usize::try_from(len).map_err(|_| malformed("length"))?;
        let last = match last {
            [0] => false,
            [1] => true,
            _ => return Err(malformed("last flag")),
        };
        Self::check(first, len, last).map_err(malformed)?;
        Ok(Self {
            key: key_bytes,
            first,
            len,
            last,
        })
    }
}
