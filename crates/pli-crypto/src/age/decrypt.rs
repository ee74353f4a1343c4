//! Decryption as a push API: feed ciphertext (binary or armored) in pieces of any size,
//! take authenticated plaintext out.

use hmac::Mac as _;
use sha2::{Digest as _, Sha256};

use super::armor::ArmorDecoder;
use super::encrypt::{EncryptSummary, header_mac_state};
use super::format::{HeaderParse, parse_header};
use super::stream::{ENCRYPTED_CHUNK_SIZE, NONCE_SIZE, PayloadKey};
use super::x25519::secret::check_stanza;
use super::{FileKey, Identity};
use crate::DecryptError;

enum State {
    /// Nothing but whitespace seen yet: binary or armored?
    Detect,
    /// Collecting the header and the payload nonce.
    Header {
        buf: Vec<u8>,
        identities: Vec<Identity>,
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
/// ASCII-armored input is recognised by its first non-blank byte and decoded on the fly.
/// The SHA-256 of the binary ciphertext is computed along the way.
pub struct Decryptor {
    state: State,
    armor: Option<ArmorDecoder>,
    scratch: Vec<u8>,
    hasher: Sha256,
    ciphertext_len: u64,
    plaintext_len: u64,
    identities: Option<Vec<Identity>>,
}

impl std::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decryptor")
            .field("armored", &self.armor.is_some())
            .finish_non_exhaustive()
    }
}

impl Decryptor {
    /// A decryptor that will try each of `identities` on each stanza of the header.
    pub fn new(identities: Vec<Identity>) -> Self {
        Self {
            state: State::Detect,
            armor: None,
            scratch: Vec::new(),
            hasher: Sha256::new(),
            ciphertext_len: 0,
            plaintext_len: 0,
            identities: Some(identities),
        }
    }

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
        if let State::Detect = self.state {
            let blank = input.iter().take_while(|c| c.is_ascii_whitespace()).count();
            input = input.get(blank..).unwrap_or_default();
            match input.first() {
                None => return Ok(()),
                Some(b'-') => self.armor = Some(ArmorDecoder::new()),
                Some(_) if blank > 0 => return Err(DecryptError::NotAgeFile),
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
                armor.update(input, &mut binary)?;
                let result = self.consume(&binary, out);
                self.scratch = binary;
                result
            }
            None => self.consume(input, out),
        }
    }

    /// Consumes binary ciphertext.
    fn consume(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        self.hasher.update(input);
        self.ciphertext_len = self.ciphertext_len.saturating_add(input.len() as u64);
        // Plaintext released before an error stays released: it was authenticated.
        let mark = out.len();
        let result = self.consume_inner(input, out);
        self.plaintext_len += out.len().saturating_sub(mark) as u64;
        result
    }

    fn consume_inner(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
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
            *reparse |= head.contains(&b'\n');
            buf.extend_from_slice(head);
            input = rest;
            // Parse again only when it can change the outcome: after a new line (the
            // first parse also checks the magic) or once the size cap is reached.
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
            let key = PayloadKey::derive(&file_key, nonce)?;
            let mut chunk = Vec::with_capacity(ENCRYPTED_CHUNK_SIZE);
            chunk.extend_from_slice(payload);
            // Everything buffered so far fits in one chunk: MAX_HEADER_LEN < 64 KiB + 16.
            self.state = State::Payload(Payload {
                key,
                counter: 0,
                complete: false,
                buf: chunk,
            });
        }
        if let State::Payload(payload) = &mut self.state {
            payload.open_full_chunks(input, out)?;
        }
        Ok(())
    }

    /// Ends the input: verifies the final chunk and releases its plaintext.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<EncryptSummary, DecryptError> {
        if let Some(armor) = self.armor.take() {
            let mut binary = std::mem::take(&mut self.scratch);
            binary.clear();
            armor.finish(&mut binary)?;
            self.update(&binary, out)?;
        }
        let mark = out.len();
        match std::mem::replace(&mut self.state, State::Detect) {
            State::Failed(error) => Err(error),
            State::Detect => Err(DecryptError::NotAgeFile),
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
                Ok(EncryptSummary {
                    plaintext_len: self.plaintext_len,
                    ciphertext_len: self.ciphertext_len,
                    ciphertext_sha256: self.hasher.clone().finalize().into(),
                })
            }
        }
    }
}

/// Tries every identity on every stanza, after checking the shape of every X25519 stanza
/// (so the outcome does not depend on which identity is tried first).
fn unwrap_file_key(
    header: &super::Header,
    identities: &[Identity],
) -> Result<FileKey, DecryptError> {
    for stanza in header.stanzas() {
        check_stanza(stanza)?;
    }
    for identity in identities {
        for stanza in header.stanzas() {
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
    counter: u64,
    /// Whether the final chunk has been opened: any further byte is an error.
    complete: bool,
    /// Less than one encrypted chunk.
    buf: Vec<u8>,
}

impl Payload {
    /// Opens every full chunk of `buf` + `input`, keeping the remainder in `buf`.
    ///
    /// A full chunk is first opened as a non-final chunk and, if that fails, as the final
    /// one (the file size is a multiple of the chunk size); after a final chunk, any data
    /// is an error. Either way the plaintext released has been authenticated.
    fn open_full_chunks(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), DecryptError> {
        if !self.buf.is_empty() {
            let take = (ENCRYPTED_CHUNK_SIZE - self.buf.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.buf.extend_from_slice(head);
            input = rest;
            if self.buf.len() < ENCRYPTED_CHUNK_SIZE {
                return Ok(());
            }
            let mut chunk = std::mem::take(&mut self.buf);
            let opened = self.open_full(&mut chunk);
            if let Ok(len) = opened {
                out.extend_from_slice(chunk.get(..len).unwrap_or_default());
            }
            chunk.clear();
            self.buf = chunk;
            opened?;
        }
        // Open in place in `out`.
        while input.len() >= ENCRYPTED_CHUNK_SIZE {
            let (chunk, rest) = input.split_at(ENCRYPTED_CHUNK_SIZE);
            let start = out.len();
            out.extend_from_slice(chunk);
            match self.open_full(out.get_mut(start..).unwrap_or_default()) {
                Ok(len) => out.truncate(start + len),
                Err(error) => {
                    out.truncate(start);
                    return Err(error);
                }
            }
            input = rest;
        }
        if self.complete && !input.is_empty() {
            return Err(DecryptError::Corrupted);
        }
        self.buf.extend_from_slice(input);
        Ok(())
    }

    fn open_full(&mut self, chunk: &mut [u8]) -> Result<usize, DecryptError> {
        if self.complete {
            return Err(DecryptError::Corrupted);
        }
        // A failed open leaves the chunk untouched (the tag is checked before decrypting),
        // so it can be tried again as the final chunk.
        let len = match self.key.open(self.counter, false, chunk) {
            Ok(len) => len,
            Err(_) => {
                let len = self.key.open(self.counter, true, chunk)?;
                self.complete = true;
                len
            }
        };
        self.counter += 1;
        Ok(len)
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

impl Drop for Decryptor {
    fn drop(&mut self) {
        if let State::Payload(payload) = &mut self.state {
            zeroize::Zeroize::zeroize(&mut payload.buf);
        }
    }
}

/// Decrypts a small object held in memory (a manifest, a key grant).
pub fn decrypt_to_vec(identities: &[Identity], ciphertext: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let mut decryptor = Decryptor::new(identities.to_vec());
    let mut out = Vec::with_capacity(ciphertext.len());
    decryptor.update(ciphertext, &mut out)?;
    decryptor.finish(&mut out)?;
    Ok(out)
}
