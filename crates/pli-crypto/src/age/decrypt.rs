//! Decryption as a push API: feed ciphertext (binary or armored) in pieces of any size,
//! take authenticated plaintext out.

use hmac::Mac as _;
use sha2::Sha256;

use super::FileKey;
use super::armor::{self, ArmorDecoder};
use super::encrypt::header_mac_state;
use super::format::{HeaderParse, parse_header};
use super::native::{AnyIdentity, CheckedStanza};
use super::stream::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, NONCE_SIZE, Opened, PayloadKey};
use super::summary::sealed::Hasher;
use super::summary::{EncryptSummary, Lengths, Summary};
use crate::DecryptError;

mod lend;
pub use lend::Lent;

enum State {
    /// Nothing but whitespace seen yet (`blank` says whether there was any): binary or
    /// armored?
    Detect { blank: bool },
    /// Collecting the header and the payload nonce.
    Header {
        buf: Vec<u8>,
        identities: Vec<AnyIdentity>,
        reparse: bool,
    },
    /// Opening chunks; `buf` holds less than one encrypted chunk.
    Payload(Payload),
    /// A previous call failed; the error sticks.
    Failed(DecryptError),
}

/// Decrypts one age file with bounded memory (at most one encrypted chunk buffered, plus
/// the header, itself capped at [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN)).
///
/// Plaintext comes out only after its chunk's tag verified. The end of input must be
/// announced with [`finish`](Self::finish), which checks that the final chunk was seen:
/// until then, the plaintext released may be a truncated file.
///
/// ASCII-armored input is recognised by its first non-blank byte and decoded on the fly;
/// whitespace may precede the armor, not a binary file. However the input is split, the
/// outcome and the plaintext released are the same.
///
/// By default the SHA-256 of the binary ciphertext is computed along the way and
/// [`finish`](Self::finish) returns an [`EncryptSummary`]; a decryptor turned
/// [`without_hash`](Self::without_hash) skips it and returns [`Lengths`].
///
/// With the `parallel` feature (native only), the full chunks of a large
/// [`update`](Self::update) are opened on every core (the hash running alongside), and
/// released only once every chunk before them verified.
pub struct Decryptor<S: Summary = EncryptSummary> {
    state: State,
    armor: Option<ArmorDecoder>,
    scratch: Vec<u8>,
    hasher: S::Hasher,
    ciphertext_len: u64,
    plaintext_len: u64,
    identities: Option<Vec<AnyIdentity>>,
}

impl<S: Summary> std::fmt::Debug for Decryptor<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decryptor")
            .field("armored", &self.armor.is_some())
            .finish_non_exhaustive()
    }
}

impl Decryptor {
    /// A decryptor that will try each of `identities` on each stanza of the header:
    /// X25519 ones ([`Identity`](super::Identity)), hybrid ones
    /// ([`HybridIdentity`](super::HybridIdentity)), or [`AnyIdentity`]s.
    pub fn new<I: Into<AnyIdentity>>(identities: impl IntoIterator<Item = I>) -> Self {
        Self {
            state: State::Detect { blank: false },
            armor: None,
            scratch: Vec::new(),
            hasher: Sha256::default(),
            ciphertext_len: 0,
            plaintext_len: 0,
            identities: Some(identities.into_iter().map(Into::into).collect()),
        }
    }

    /// The same decryptor, without the SHA-256 of the ciphertext: for callers that need
    /// only the plaintext (the command line), as hashing costs about as much as
    /// decrypting. Call it before the first [`update`](Self::update).
    pub fn without_hash(mut self) -> Decryptor<Lengths> {
        Decryptor {
            state: std::mem::replace(&mut self.state, State::Detect { blank: false }),
            armor: self.armor.take(),
            scratch: std::mem::take(&mut self.scratch),
            hasher: Default::default(),
            ciphertext_len: self.ciphertext_len,
            plaintext_len: self.plaintext_len,
            identities: self.identities.take(),
        }
    }
}

impl<S: Summary> Decryptor<S> {
    /// Consumes `input`, appending authenticated plaintext to `out`.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        if let State::Failed(error) = self.state {
            return Err(error);
        }
        let result = self.update_inner(input, out);
        if let Err(error) = result {
            self.state = State::Failed(error);
        }
        result
    }

    fn update_inner(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        if let State::Detect { blank } = &mut self.state {
            // Leading whitespace is remembered across calls: it is allowed before armor
            // (which skips it too), never before a binary file.
            let spaces = input.iter().take_while(|c| armor::is_space(**c)).count();
            *blank |= spaces > 0;
            input = input.get(spaces..).unwrap_or_default();
            match input.first() {
                None => return Ok(()),
                Some(b'-') => self.armor = Some(ArmorDecoder::new()),
                Some(_) if *blank => return Err(DecryptError::NotAgeFile),
                Some(_) => {}
            }
            let identities = self.identities.take().unwrap_or_default();
            self.state = State::Header {
                buf: Vec::new(),
                identities,
                reparse: true,
            };
        }
        match self.armor.as_mut() {
            Some(armor) => {
                let mut binary = std::mem::take(&mut self.scratch);
                binary.clear();
                // The lines decoded before an armor error come before it: they are
                // consumed first, as they would be had the input come in smaller pieces
                // (an error they cause, being earlier, is the one reported).
                let decoded = armor.update(input, &mut binary);
                let result = self.consume(&binary, out);
                self.scratch = binary;
                result.and(decoded)
            }
            None => self.consume(input, out),
        }
    }

    /// Consumes binary ciphertext.
    fn consume(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        self.ciphertext_len = self.ciphertext_len.saturating_add(input.len() as u64);
        let mut hasher = std::mem::take(&mut self.hasher);
        let mut hash = S::Hasher::ENABLED.then_some(Hashing {
            hasher: &mut hasher,
            input,
            hashed: 0,
        });
        // Plaintext released before an error stays released: it was authenticated.
        let mark = out.len();
        let result = self.consume_inner(input, out, &mut hash);
        if let Some(hash) = hash.as_mut() {
            hash.all_but(0);
        }
        self.hasher = hasher;
        self.plaintext_len += out.len().saturating_sub(mark) as u64;
        result
    }

    fn consume_inner<H: Hasher>(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        hash: &mut Option<Hashing<'_, H>>,
    ) -> Result<(), DecryptError> {
        let mut input = input;
        if let State::Header {
            buf,
            identities,
            reparse,
        } = &mut self.state
        {
            // Take only what the header could still need, so `buf` stays bounded.
            let room = (super::MAX_HEADER_LEN + NONCE_SIZE)
                .saturating_sub(buf.len())
                .min(input.len());
            let (head, rest) = input.split_at(room);
            // Parse again only when it can change the outcome: after a new line, while
            // the version line is still arriving (each byte of it can turn out not to be
            // age's: the answer must not wait for a newline that an armor error, say,
            // may never let through), or once the size cap is reached.
            *reparse |= head.contains(&b'\n')
                || (buf.len() < super::format::VERSION_LINE.len() && !head.is_empty());
            buf.extend_from_slice(head);
            input = rest;
            if !*reparse && buf.len() < super::MAX_HEADER_LEN {
                return Ok(());
            }
            *reparse = false;
            let HeaderParse::Complete(header) = parse_header(buf)? else {
                return if input.is_empty() {
                    Ok(())
                } else {
                    Err(DecryptError::HeaderTooLarge)
                };
            };
            let Some(payload) = buf.get(header.len()..) else {
                return Err(DecryptError::TruncatedHeader);
            };
            let Some((nonce, payload)) = payload.split_first_chunk::<NONCE_SIZE>() else {
                // The header is complete but the nonce is not: wait, keeping the header.
                *reparse = true;
                return Ok(());
            };
            let file_key = unwrap_file_key(&header, identities)?;
            let mac = header_mac_state(&file_key, header.mac_input())
                .map_err(|()| DecryptError::HeaderMac)?;
            mac.verify_slice(header.mac())
                .map_err(|_| DecryptError::HeaderMac)?;
            let key_bytes = PayloadKey::derive_bytes(&file_key, nonce)?;
            let mut payload_state = Payload::new(PayloadKey::from_bytes(&key_bytes), key_bytes);
            // Everything buffered so far fits in one chunk: MAX_HEADER_LEN < 64 KiB + 16.
            payload_state.buf.reserve(ENCRYPTED_CHUNK_SIZE);
            payload_state.buf.extend_from_slice(payload);
            self.state = State::Payload(payload_state);
        }
        if let State::Payload(payload) = &mut self.state {
            payload.open_full_chunks(input, out, hash)?;
        }
        Ok(())
    }

    /// How many more bytes of ciphertext this decryptor needs before it stands at a chunk
    /// boundary (0: it does), from where whole chunks can be [`lend`](Self::lend)t; `None`
    /// while it reads the header, after the final chunk, after an error, or for armored
    /// input (which is never lent).
    pub fn to_chunk_boundary(&self) -> Option<usize> {
        match &self.state {
            State::Payload(payload) if self.armor.is_none() && !payload.complete => {
                Some((ENCRYPTED_CHUNK_SIZE - payload.buf.len()) % ENCRYPTED_CHUNK_SIZE)
            }
            _ => None,
        }
    }

    /// Takes `ciphertext`, the next whole chunks of the payload (the decryptor at a chunk
    /// boundary: [`to_chunk_boundary`](Self::to_chunk_boundary) is `Some(0)`), to be
    /// opened elsewhere with the [`Lent`] it returns, whose plaintext then comes, in
    /// order, before whatever this decryptor releases next. None of them may be the
    /// payload's final chunk, which the decryptor must open itself: a caller that knows
    /// the ciphertext's length keeps back at least its last byte. Counted and hashed as
    /// [`update`](Self::update) would: what [`finish`](Self::finish) then says counts a
    /// loan's plaintext whether or not it opened, so the caller must check every
    /// [`Lent::open`].
    pub fn lend(&mut self, ciphertext: &[u8]) -> Result<Lent, DecryptError> {
        if let State::Failed(error) = self.state {
            return Err(error);
        }
        let boundary = self.to_chunk_boundary();
        let State::Payload(payload) = &mut self.state else {
            return Err(DecryptError::Misuse);
        };
        if boundary != Some(0) || !ciphertext.len().is_multiple_of(ENCRYPTED_CHUNK_SIZE) {
            return Err(DecryptError::Misuse);
        }
        let (lent, next) = Lent::new(
            payload.key_bytes.clone(),
            payload.counter,
            ciphertext.len() / ENCRYPTED_CHUNK_SIZE,
        )?;
        payload.counter = next;
        self.hasher.update(ciphertext);
        self.ciphertext_len = self.ciphertext_len.saturating_add(ciphertext.len() as u64);
        self.plaintext_len = self
            .plaintext_len
            .saturating_add(lent.plaintext_len() as u64);
        Ok(lent)
    }

    /// Ends the input: verifies the final chunk and releases its plaintext.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<S, DecryptError> {
        if let Some(armor) = self.armor.take() {
            let mut binary = std::mem::take(&mut self.scratch);
            binary.clear();
            // As in `update`: what was decoded before an armor error goes first.
            let decoded = armor.finish(&mut binary);
            self.update(&binary, out)?;
            decoded?;
        }
        let mark = out.len();
        match std::mem::replace(&mut self.state, State::Detect { blank: false }) {
            State::Failed(error) => Err(error),
            State::Detect { .. } => Err(DecryptError::NotAgeFile),
            State::Header { buf, .. } if buf.is_empty() => Err(DecryptError::NotAgeFile),
            State::Header { buf, .. } => match parse_header(&buf)? {
                // Complete, yet still here: the nonce is missing.
                HeaderParse::Complete(_) | HeaderParse::Incomplete => {
                    Err(DecryptError::TruncatedHeader)
                }
            },
            State::Payload(mut payload) => {
                payload.finish(out)?;
                self.plaintext_len += (out.len() - mark) as u64;
                Ok(S::from_parts(
                    &self.hasher,
                    self.plaintext_len,
                    self.ciphertext_len,
                ))
            }
        }
    }
}

/// The binary ciphertext of one call, hashed in order as it is consumed: chunk by chunk
/// when the chunks are opened on this thread (while they are in cache), or all at once on
/// another thread while the chunks are opened on the others.
struct Hashing<'a, H> {
    hasher: &'a mut H,
    input: &'a [u8],
    /// How many bytes of `input` have been hashed.
    hashed: usize,
}

impl<H: Hasher> Hashing<'_, H> {
    /// Hashes `input` up to the last `remaining` bytes (which may already be hashed).
    fn all_but(&mut self, remaining: usize) {
        let end = self.input.len().saturating_sub(remaining);
        if let Some(bytes) = self.input.get(self.hashed..end) {
            self.hasher.update(bytes);
            self.hashed = end;
        }
    }
}

/// Tries every identity on every stanza, after checking every stanza of a type Pli
/// implements (so the outcome does not depend on which identity is tried first).
fn unwrap_file_key(
    header: &super::Header,
    identities: &[AnyIdentity],
) -> Result<FileKey, DecryptError> {
    let stanzas = header
        .stanzas()
        .iter()
        .map(CheckedStanza::new)
        .collect::<Result<Vec<_>, _>>()?;
    for identity in identities {
        for stanza in &stanzas {
            if let Some(file_key) = identity.unwrap(stanza)? {
                return Ok(file_key);
            }
        }
    }
    Err(DecryptError::NoMatch)
}

/// The STREAM reader state.
struct Payload {
    key: PayloadKey,
    /// The key's bytes, for the runs of chunks it lends ([`Lent`]).
    key_bytes: zeroize::Zeroizing<[u8; 32]>,
    counter: u64,
    /// Whether the final chunk has been opened: any further byte is an error.
    complete: bool,
    /// Less than one encrypted chunk.
    buf: Vec<u8>,
    /// How many threads open a large batch (only natively with `parallel`: elsewhere
    /// every batch is opened on the caller's thread).
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    threads: super::stream::Threads,
}

impl Payload {
    fn new(key: PayloadKey, key_bytes: zeroize::Zeroizing<[u8; 32]>) -> Self {
        Self {
            key,
            key_bytes,
            counter: 0,
            complete: false,
            buf: Vec::new(),
            #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
            threads: super::stream::Threads::default(),
        }
    }

    /// Opens every full chunk of `buf` + `input`, keeping the remainder in `buf`.
    ///
    /// A full chunk is first opened as a non-final chunk and, if that fails, as the final
    /// one (the file size is a multiple of the chunk size); after a final chunk, any data
    /// is an error. Either way the plaintext released has been authenticated, in order:
    /// when a chunk fails, the chunks before it are released, none after.
    fn open_full_chunks<H: Hasher>(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        hash: &mut Option<Hashing<'_, H>>,
    ) -> Result<(), DecryptError> {
        if self.complete && !input.is_empty() {
            return Err(DecryptError::Corrupted);
        }
        if !self.buf.is_empty() {
            let take = (ENCRYPTED_CHUNK_SIZE - self.buf.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.buf.extend_from_slice(head);
            input = rest;
            if self.buf.len() < ENCRYPTED_CHUNK_SIZE {
                return Ok(());
            }
            let buf = std::mem::take(&mut self.buf);
            let result = self.open_batch(&buf, 0, out, &mut None::<Hashing<'_, H>>);
            self.buf = buf;
            self.buf.clear();
            result?;
            if self.complete && !input.is_empty() {
                return Err(DecryptError::Corrupted);
            }
        }
        let full = input.len() - input.len() % ENCRYPTED_CHUNK_SIZE;
        let (chunks, rest) = input.split_at(full);
        self.open_batch(chunks, rest.len(), out, hash)?;
        if self.complete && !rest.is_empty() {
            return Err(DecryptError::Corrupted);
        }
        self.buf.extend_from_slice(rest);
        Ok(())
    }

    /// Opens `chunks` (whole encrypted chunks, followed by `after` bytes of input),
    /// appending to `out` the plaintext of those that verified before the first failure.
    /// A final chunk must be the last one.
    fn open_batch<H: Hasher>(
        &mut self,
        chunks: &[u8],
        after: usize,
        out: &mut Vec<u8>,
        hash: &mut Option<Hashing<'_, H>>,
    ) -> Result<(), DecryptError> {
        let count = chunks.len() / ENCRYPTED_CHUNK_SIZE;
        #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
        if count >= super::parallel::MIN_CHUNKS {
            let threads = self.threads.get();
            if threads > 1 {
                return self.open_in_parallel(chunks, out, hash, threads);
            }
        }
        // One chunk at a time, hashed and opened while it is in cache.
        out.reserve(count * CHUNK_SIZE);
        for (index, chunk) in chunks.chunks(ENCRYPTED_CHUNK_SIZE).enumerate() {
            if self.complete {
                // A chunk after the final one.
                return Err(DecryptError::Corrupted);
            }
            if let Some(hash) = hash.as_mut() {
                hash.all_but((count - index - 1) * ENCRYPTED_CHUNK_SIZE + after);
            }
            let start = out.len();
            out.resize(start + CHUNK_SIZE, 0);
            let body = out.get_mut(start..).unwrap_or_default();
            match self.key.open_into(self.counter, chunk, body) {
                Opened::More => {}
                Opened::Last => self.complete = true,
                Opened::Failed => {
                    out.truncate(start);
                    return Err(DecryptError::Corrupted);
                }
            }
            self.counter += 1;
        }
        Ok(())
    }

    /// [`open_batch`](Self::open_batch) on `threads` threads, one of which hashes the
    /// whole input first. Every chunk is opened straight from the input into `out`, but
    /// plaintext is released only up to the first chunk that failed.
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    fn open_in_parallel<H: Hasher>(
        &mut self,
        chunks: &[u8],
        out: &mut Vec<u8>,
        hash: &mut Option<Hashing<'_, H>>,
        threads: usize,
    ) -> Result<(), DecryptError> {
        let count = chunks.len() / ENCRYPTED_CHUNK_SIZE;
        let start = out.len();
        out.resize(start + count * CHUNK_SIZE, 0);
        let bodies = out.get_mut(start..).unwrap_or_default();
        let side = || {
            if let Some(hash) = hash.as_mut() {
                hash.all_but(0);
            }
        };
        // The outcomes stop at the first chunk that failed or was final.
        let outcomes =
            super::parallel::open(&self.key, self.counter, bodies, chunks, side, threads);
        let mut released = 0;
        for opened in outcomes {
            match opened {
                Opened::More => {}
                Opened::Last => self.complete = true,
                Opened::Failed => break,
            }
            released += 1;
        }
        self.counter += released as u64;
        // Nothing was decrypted for a chunk that failed; chunks that opened after a
        // failure are authentic but must not come out before it.
        out.truncate(start + released * CHUNK_SIZE);
        // Short of the whole batch: a chunk failed, or chunks follow the final one.
        if released < count {
            return Err(DecryptError::Corrupted);
        }
        Ok(())
    }

    /// Opens the short final chunk, if the final chunk was not a full one.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), DecryptError> {
        if self.complete {
            return Ok(());
        }
        if self.buf.is_empty() {
            // No chunk at all, or the last one opened was not final.
            return Err(DecryptError::Truncated);
        }
        match self.key.open(self.counter, true, &mut self.buf)? {
            // Only an empty file has an empty final chunk.
            0 if self.counter > 0 => Err(DecryptError::Corrupted),
            len => {
                out.extend_from_slice(self.buf.get(..len).unwrap_or_default());
                Ok(())
            }
        }
    }
}

impl<S: Summary> Drop for Decryptor<S> {
    fn drop(&mut self) {
        if let State::Payload(payload) = &mut self.state {
            zeroize::Zeroize::zeroize(&mut payload.buf);
        }
    }
}

/// Decrypts a small object held in memory (a manifest, a key grant).
pub fn decrypt_to_vec<I: Clone + Into<AnyIdentity>>(
    identities: &[I],
    ciphertext: &[u8],
) -> Result<Vec<u8>, DecryptError> {
    let mut decryptor = Decryptor::new(identities.iter().cloned());
    let mut out = Vec::with_capacity(ciphertext.len());
    decryptor.update(ciphertext, &mut out)?;
    decryptor.finish(&mut out)?;
    Ok(out)
}
