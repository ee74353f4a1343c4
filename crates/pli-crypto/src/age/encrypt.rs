//! Encryption as a push API: feed plaintext in pieces of any size, take ciphertext out.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::FileKey;
use super::format::{self, MAX_STANZAS};
use super::native::{AnyRecipient, check_compatible};
use super::stream::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, NONCE_SIZE, PayloadKey, TAG_SIZE, Threads};
use super::summary::sealed::Hasher;
use super::summary::{EncryptSummary, Lengths, Summary};
use crate::{Error, random};

mod reserve;
pub use reserve::Reserved;

/// Encrypts one age file to one or more recipients, with bounded memory.
///
/// The recipients are all X25519 ([`Recipient`](super::Recipient)) or all hybrid
/// post-quantum ([`HybridRecipient`](super::HybridRecipient)): see
/// [`EncryptionSeed::new`]. Only the header depends on their type.
///
/// [`update`](Self::update) appends ciphertext to the caller's buffer, which the caller
/// drains; the encryptor itself holds at most one chunk (64 KiB) of plaintext, because a
/// full chunk can only be sealed once it is known whether it is the last one.
///
/// By default the SHA-256 of the ciphertext is computed as it is produced and
/// [`finish`](Self::finish) returns an [`EncryptSummary`]; an encryptor turned
/// [`without_hash`](Self::without_hash) skips it and returns [`Lengths`].
///
/// With the `parallel` feature (native only), the full chunks of a large
/// [`update`](Self::update) are sealed on every core, the hash running alongside.
pub struct Encryptor<S: Summary = EncryptSummary> {
    key: PayloadKey,
    /// The payload key's bytes, for the runs of chunks [`reserve`](Self::reserve)d.
    key_bytes: Zeroizing<[u8; 32]>,
    counter: u64,
    /// The last chunk was reserved: nothing more can be encrypted.
    ended: bool,
    pending: Zeroizing<Vec<u8>>,
    prefix: Option<Vec<u8>>,
    hasher: S::Hasher,
    plaintext_len: u64,
    ciphertext_len: u64,
    threads: Threads,
}

impl<S: Summary> std::fmt::Debug for Encryptor<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryptor")
            .field("chunks", &self.counter)
            .finish_non_exhaustive()
    }
}

/// What makes an encryption repeatable: the file key, the header that wraps it for each
/// recipient, and the payload nonce. Two [`Encryptor`]s started from the same seed turn
/// the same plaintext into the same bytes, so an upload interrupted by a page reload can
/// be resumed by encrypting the file again and sending only the parts the relay lacks.
///
/// **Secret**: whoever holds a seed can decrypt what was encrypted with it. Keep it only
/// sealed (the web app age-encrypts it to the sender's own key) and drop it once the
/// upload is complete.
pub struct EncryptionSeed {
    file_key: FileKey,
    /// The header, MAC included, then the nonce: the first bytes of the file.
    prefix: Vec<u8>,
}

impl std::fmt::Debug for EncryptionSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionSeed").finish_non_exhaustive()
    }
}

/// The first byte of an encoded [`EncryptionSeed`].
const SEED_VERSION: u8 = 1;

impl EncryptionSeed {
    /// Draws a file key and a nonce, and wraps the key for `recipients` (1 to
    /// [`MAX_STANZAS`]): X25519 ones ([`Recipient`](super::Recipient)), hybrid ones
    /// ([`HybridRecipient`](super::HybridRecipient)), or [`AnyRecipient`]s.
    ///
    /// Hybrid and X25519 recipients cannot be mixed ([`Error::MixedRecipients`]): the
    /// file would be no safer against quantum computers than its X25519 stanzas.
    pub fn new<R: Clone + Into<AnyRecipient>>(recipients: &[R]) -> Result<Self, Error> {
        Self::with(recipients, Mixing::Refuse)
    }

    /// As [`new`](Self::new), but a mix of hybrid and X25519 recipients is accepted: for
    /// a Pli exchange between an organisation that has moved to post-quantum keys and one
    /// that has not yet. The file is then no safer against quantum computers than X25519,
    /// and the caller says so.
    pub fn new_allowing_mix<R: Clone + Into<AnyRecipient>>(
        recipients: &[R],
    ) -> Result<Self, Error> {
        Self::with(recipients, Mixing::Allow)
    }

    fn with<R: Clone + Into<AnyRecipient>>(
        recipients: &[R],
        mixing: Mixing,
    ) -> Result<Self, Error> {
        if recipients.is_empty() || recipients.len() > MAX_STANZAS {
            return Err(Error::OutOfRange("an age file has 1 to 16 recipients"));
        }
        let recipients: Vec<AnyRecipient> = recipients.iter().cloned().map(Into::into).collect();
        if mixing == Mixing::Refuse {
            check_compatible(&recipients)?;
        }
        let file_key = FileKey(Zeroizing::new(random::bytes::<16>()?));
        let stanzas = recipients
            .iter()
            .map(|r| r.wrap(&file_key))
            .collect::<Result<Vec<_>, _>>()?;
        let mut prefix = format::write_header_without_mac(&stanzas);
        let mac = header_mac(&file_key, &prefix)?;
        format::append_mac(&mut prefix, &mac);
        prefix.extend_from_slice(&random::bytes::<NONCE_SIZE>()?);
        Ok(Self { file_key, prefix })
    }

    /// `1 ‖ file key (16) ‖ header ‖ nonce (16)`.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(1 + 16 + self.prefix.len()));
        out.push(SEED_VERSION);
        out.extend_from_slice(self.file_key.0.as_slice());
        out.extend_from_slice(&self.prefix);
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)' encoding, checking that the header parses, that
    /// its MAC is the file key's, and that exactly a nonce follows it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let malformed = |problem| Error::Encoding {
            what: "encryption seed",
            problem,
        };
        let (version, rest) = bytes.split_first().ok_or(malformed("empty"))?;
        if *version != SEED_VERSION {
            return Err(malformed("unknown version"));
        }
        let (key, prefix) = rest.split_at_checked(16).ok_or(malformed("too short"))?;
        let mut file_key = FileKey(Zeroizing::new([0; 16]));
        file_key.0.copy_from_slice(key);
        let format::HeaderParse::Complete(header) =
            format::parse_header(prefix).map_err(|_| malformed("bad header"))?
        else {
            return Err(malformed("truncated header"));
        };
        if prefix.len() != header.len() + NONCE_SIZE {
            return Err(malformed("the nonce is missing or followed by data"));
        }
        let mac = header_mac(&file_key, header.mac_input())?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&mac[..], &header.mac()[..])) {
            return Err(malformed("the header is not this file key's"));
        }
        Ok(Self {
            file_key,
            prefix: prefix.to_vec(),
        })
    }
}

impl Encryptor {
    /// Starts a file for `recipients` (1 to [`MAX_STANZAS`], all X25519 or all hybrid:
    /// see [`EncryptionSeed::new`]): draws the file key, wraps it for each recipient and
    /// writes the header and nonce, which come out with the first call to
    /// [`update`](Self::update) or [`finish`](Self::finish).
    pub fn new<R: Clone + Into<AnyRecipient>>(recipients: &[R]) -> Result<Self, Error> {
        Self::from_seed(&EncryptionSeed::new(recipients)?)
    }

    /// Starts a file from `seed`: the same seed and plaintext give the same bytes.
    pub fn from_seed(seed: &EncryptionSeed) -> Result<Self, Error> {
        let nonce_at = seed.prefix.len().saturating_sub(NONCE_SIZE);
        let nonce: &[u8; NONCE_SIZE] = seed
            .prefix
            .get(nonce_at..)
            .and_then(|n| n.try_into().ok())
            .ok_or(Error::OutOfRange("an encryption seed ends with its nonce"))?;
        let key_bytes =
            PayloadKey::derive_bytes(&seed.file_key, nonce).map_err(|_| Error::Random)?;
        Ok(Self {
            key: PayloadKey::from_bytes(&key_bytes),
            key_bytes,
            counter: 0,
            ended: false,
            pending: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE)),
            prefix: Some(seed.prefix.clone()),
            hasher: Sha256::default(),
            plaintext_len: 0,
            ciphertext_len: 0,
            threads: Threads::default(),
        })
    }

    /// The same encryptor, without the SHA-256 of the ciphertext: for callers that need
    /// only the file (the command line), as hashing costs about as much as encrypting.
    /// Call it before the first [`update`](Self::update).
    pub fn without_hash(self) -> Encryptor<Lengths> {
        Encryptor {
            key: self.key,
            key_bytes: self.key_bytes,
            counter: self.counter,
            ended: self.ended,
            pending: self.pending,
            prefix: self.prefix,
            hasher: Default::default(),
            plaintext_len: self.plaintext_len,
            ciphertext_len: self.ciphertext_len,
            threads: self.threads,
        }
    }
}

impl<S: Summary> Encryptor<S> {
    /// Encrypts `plaintext`, appending the ciphertext produced so far to `out`.
    pub fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.ended {
            return Err(Error::OutOfRange(
                "the last chunk was reserved: nothing more can be encrypted",
            ));
        }
        let mark = out.len();
        let result = self.seal_input(plaintext, out);
        let produced = out.len().saturating_sub(mark);
        self.ciphertext_len = self.ciphertext_len.saturating_add(produced as u64);
        self.plaintext_len = self.plaintext_len.saturating_add(plaintext.len() as u64);
        result
    }

    /// Seals what can be sealed and hashes what it appends to `out`.
    fn seal_input(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if let Some(prefix) = self.prefix.take() {
            self.hasher.update(&prefix);
            out.extend_from_slice(&prefix);
        }
        let mut input = plaintext;
        if !self.pending.is_empty() {
            let take = (CHUNK_SIZE - self.pending.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.pending.extend_from_slice(head);
            input = rest;
        }
        if input.is_empty() {
            // Everything fits in the pending chunk, which might be the last one.
            return Ok(());
        }
        // Seal the pending chunk, now full with more data behind it, and every full chunk
        // of `input` but its last 1..=CHUNK_SIZE bytes, which become the pending chunk.
        let keep = match input.len() % CHUNK_SIZE {
            0 => CHUNK_SIZE,
            rest => rest,
        };
        let (full, tail) = input.split_at(input.len() - keep);
        let chunks = usize::from(!self.pending.is_empty()) + full.len() / CHUNK_SIZE;
        let pending = std::mem::take(&mut self.pending);
        let plaintext = std::iter::once(pending.as_slice())
            .filter(|pending| !pending.is_empty())
            .chain(full.chunks(CHUNK_SIZE));
        let sealed = self.seal_full_chunks(plaintext, chunks, out);
        self.pending = pending;
        self.pending.clear();
        self.pending.extend_from_slice(tail);
        sealed?;
        self.counter += chunks as u64;
        Ok(())
    }

    /// Seals `chunks` full chunks of `plaintext` straight into `out`, and hashes them.
    fn seal_full_chunks<'a>(
        &mut self,
        plaintext: impl Iterator<Item = &'a [u8]> + Send,
        chunks: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let threads = self.threads.get();
        seal_full_chunks(
            &self.key,
            self.counter,
            plaintext,
            chunks,
            out,
            &mut self.hasher,
            threads,
        )
    }

    /// Seals the last chunk and appends the end of the ciphertext to `out` (nothing more
    /// if the last chunk was [`reserve`](Encryptor::reserve)d).
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<S, Error> {
        if self.ended {
            return Ok(S::from_parts(
                &self.hasher,
                self.plaintext_len,
                self.ciphertext_len,
            ));
        }
        if self.counter > 0 && self.pending.is_empty() {
            // Only reservations leave no pending chunk behind whole chunks: the last of
            // them had to be reserved as the last (an empty final chunk is only valid in
            // an empty payload).
            return Err(Error::OutOfRange(
                "the last chunk of a payload must be reserved as the last",
            ));
        }
        let mark = out.len();
        if let Some(prefix) = self.prefix.take() {
            out.extend_from_slice(&prefix);
        }
        seal_last(&self.key, self.counter, &self.pending, out)?;
        let produced = out.get(mark..).unwrap_or_default();
        self.hasher.update(produced);
        self.ciphertext_len = self.ciphertext_len.saturating_add(produced.len() as u64);
        Ok(S::from_parts(
            &self.hasher,
            self.plaintext_len,
            self.ciphertext_len,
        ))
    }
}

impl Encryptor<Lengths> {
    /// Reserves the chunks of the next `len` bytes of plaintext, to be sealed elsewhere (a
    /// Web Worker of a pool, in the browser) by [`Reserved::seal`]; appends to `out` the
    /// header and nonce if they have not come out yet. The caller puts the ciphertext of
    /// each reservation after the previous one's, in the order they were made.
    ///
    /// `len` is at least one byte and a whole number of chunks ([`CHUNK_SIZE`]), unless
    /// `last`: then its end is the payload's, and nothing more can be encrypted
    /// ([`finish`](Self::finish) only reports the lengths). Reserving follows whole
    /// chunks only: not after an [`update`](Self::update), which holds back the chunk it
    /// ends in.
    ///
    /// Only an encryptor [`without_hash`](Self::without_hash) reserves: the hash of the
    /// ciphertext, sealed elsewhere, is the caller's to compute (Pli's envelopes bind
    /// each part's).
    pub fn reserve(
        &mut self,
        len: usize,
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<Reserved, Error> {
        if self.ended {
            return Err(Error::OutOfRange("the last chunk is already reserved"));
        }
        if !self.pending.is_empty() {
            return Err(Error::OutOfRange(
                "chunks are reserved only after whole chunks, not after an update",
            ));
        }
        let next = Reserved::check(self.counter, len, last).map_err(Error::OutOfRange)?;
        let ciphertext = Reserved::sealed_len(len);
        if let Some(prefix) = self.prefix.take() {
            out.extend_from_slice(&prefix);
            self.ciphertext_len = self.ciphertext_len.saturating_add(prefix.len() as u64);
        }
        let reserved = Reserved {
            key: self.key_bytes.clone(),
            first: self.counter,
            len,
            last,
        };
        self.counter = next;
        self.plaintext_len = self.plaintext_len.saturating_add(len as u64);
        self.ciphertext_len = self.ciphertext_len.saturating_add(ciphertext as u64);
        self.ended = last;
        Ok(reserved)
    }
}

/// Seals the payload's last chunk (`tail`: 0 to [`CHUNK_SIZE`] bytes) with `counter`,
/// appending it and its tag to `out`.
fn seal_last(key: &PayloadKey, counter: u64, tail: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    out.resize(start + tail.len() + TAG_SIZE, 0);
    let slot = out.get_mut(start..).unwrap_or_default();
    key.seal_into(counter, true, tail, slot)
}

/// Seals `chunks` full chunks of `plaintext` straight into `out`, the first with
/// `counter`, and hashes them: on `threads` threads for a large batch (feature
/// `parallel`, native), else one chunk at a time, sealed and hashed while in cache.
fn seal_full_chunks<'a, H: Hasher>(
    key: &PayloadKey,
    counter: u64,
    plaintext: impl Iterator<Item = &'a [u8]> + Send,
    chunks: usize,
    out: &mut Vec<u8>,
    hasher: &mut H,
    threads: usize,
) -> Result<(), Error> {
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    if chunks >= super::parallel::MIN_CHUNKS && threads > 1 {
        let start = out.len();
        out.resize(start + chunks * ENCRYPTED_CHUNK_SIZE, 0);
        let region = out.get_mut(start..).unwrap_or_default();
        return super::parallel::seal(key, counter, plaintext, region, hasher, threads);
    }
    let _ = threads;
    out.reserve(chunks * ENCRYPTED_CHUNK_SIZE);
    for (counter, text) in (counter..).zip(plaintext) {
        let start = out.len();
        out.resize(start + ENCRYPTED_CHUNK_SIZE, 0);
        let slot = out.get_mut(start..).unwrap_or_default();
        key.seal_into(counter, false, text, slot)?;
        hasher.update(slot);
    }
    Ok(())
}

/// Seals in place the full chunks of `region` (each chunk's plaintext followed by room
/// for its tag), the first with `counter`: on `threads` threads for a large batch
/// (feature `parallel`, native), else one after the other.
fn seal_full_chunks_in_place(
    key: &PayloadKey,
    counter: u64,
    region: &mut [u8],
    threads: usize,
) -> Result<(), Error> {
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    if region.len() >= super::parallel::MIN_CHUNKS * ENCRYPTED_CHUNK_SIZE && threads > 1 {
        return super::parallel::seal_in_place(key, counter, region, threads);
    }
    let _ = threads;
    if !region.len().is_multiple_of(ENCRYPTED_CHUNK_SIZE) {
        return Err(Error::OutOfRange("full chunks"));
    }
    for (counter, chunk) in (counter..).zip(region.chunks_mut(ENCRYPTED_CHUNK_SIZE)) {
        key.seal_in_place(counter, false, chunk)?;
    }
    Ok(())
}

/// `HMAC-SHA-256(key = HKDF-SHA-256(ikm = file key, salt = empty, info = "header"), header)`.
pub(crate) fn header_mac(file_key: &FileKey, header: &[u8]) -> Result<[u8; 32], Error> {
    let mac = header_mac_state(file_key, header).map_err(|_| Error::Random)?;
    Ok(mac.finalize().into_bytes().into())
}

pub(crate) fn header_mac_state(file_key: &FileKey, header: &[u8]) -> Result<Hmac<Sha256>, ()> {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, file_key.0.as_slice())
        .expand(b"header", key.as_mut_slice())
        .map_err(|_| ())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_slice()).map_err(|_| ())?;
    mac.update(header);
    Ok(mac)
}

/// Whether hybrid and X25519 recipients may share a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mixing {
    Refuse,
    Allow,
}

/// Encrypts a small object held in memory (a manifest, a key grant).
pub fn encrypt_to_vec<R: Clone + Into<AnyRecipient>>(
    recipients: &[R],
    plaintext: &[u8],
) -> Result<(Vec<u8>, EncryptSummary), Error> {
    encrypt_seeded(&EncryptionSeed::new(recipients)?, plaintext)
}

/// As [`encrypt_to_vec`], accepting a mix of hybrid and X25519 recipients (see
/// [`EncryptionSeed::new_allowing_mix`]).
pub fn encrypt_to_vec_allowing_mix<R: Clone + Into<AnyRecipient>>(
    recipients: &[R],
    plaintext: &[u8],
) -> Result<(Vec<u8>, EncryptSummary), Error> {
    encrypt_seeded(&EncryptionSeed::new_allowing_mix(recipients)?, plaintext)
}

fn encrypt_seeded(
    seed: &EncryptionSeed,
    plaintext: &[u8],
) -> Result<(Vec<u8>, EncryptSummary), Error> {
    let mut encryptor = Encryptor::from_seed(seed)?;
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    encryptor.update(plaintext, &mut out)?;
    let summary = encryptor.finish(&mut out)?;
    Ok((out, summary))
}
