//! Encryption as a push API: feed plaintext in pieces of any size, take ciphertext out.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::format::{self, MAX_STANZAS};
use super::stream::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, NONCE_SIZE, PayloadKey, TAG_SIZE};
use super::{FileKey, Recipient};
use crate::{Error, random};

/// What an encryption produced, for the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptSummary {
    /// Bytes of plaintext consumed.
    pub plaintext_len: u64,
    /// Bytes of ciphertext produced (header, nonce and chunks).
    pub ciphertext_len: u64,
    /// SHA-256 of the whole ciphertext.
    pub ciphertext_sha256: [u8; 32],
}

/// Encrypts one age file to one or more X25519 recipients, with bounded memory.
///
/// [`update`](Self::update) appends ciphertext to the caller's buffer, which the caller
/// drains; the encryptor itself holds at most one chunk (64 KiB) of plaintext, because a
/// full chunk can only be sealed once it is known whether it is the last one. The SHA-256
/// of the ciphertext is computed as it is produced.
pub struct Encryptor {
    key: PayloadKey,
    counter: u64,
    pending: Vec<u8>,
    prefix: Option<Vec<u8>>,
    hasher: Sha256,
    plaintext_len: u64,
    ciphertext_len: u64,
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    threads: usize,
}

impl std::fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryptor")
            .field("chunks", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Encryptor {
    /// Starts a file for `recipients` (1 to [`MAX_STANZAS`]): draws the file key, wraps it
    /// for each recipient and writes the header and nonce, which come out with the first
    /// call to [`update`](Self::update) or [`finish`](Self::finish).
    pub fn new(recipients: &[Recipient]) -> Result<Self, Error> {
        if recipients.is_empty() || recipients.len() > MAX_STANZAS {
            return Err(Error::OutOfRange("an age file has 1 to 16 recipients"));
        }
        let file_key = FileKey(Zeroizing::new(random::bytes::<16>()?));
        let stanzas = recipients
            .iter()
            .map(|r| r.wrap(&file_key))
            .collect::<Result<Vec<_>, _>>()?;
        let mut prefix = format::write_header_without_mac(&stanzas);
        let mac = header_mac(&file_key, &prefix)?;
        format::append_mac(&mut prefix, &mac);
        let nonce = random::bytes::<NONCE_SIZE>()?;
        prefix.extend_from_slice(&nonce);
        let key = PayloadKey::derive(&file_key, &nonce).map_err(|_| Error::Random)?;
        Ok(Self {
            key,
            counter: 0,
            pending: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE),
            prefix: Some(prefix),
            hasher: Sha256::new(),
            plaintext_len: 0,
            ciphertext_len: 0,
            #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        })
    }

    /// Encrypts `plaintext`, appending the ciphertext produced so far to `out`.
    pub fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let mark = out.len();
        let result = self.seal_input(plaintext, out);
        self.account(out.get(mark..).unwrap_or_default());
        self.plaintext_len = self.plaintext_len.saturating_add(plaintext.len() as u64);
        result
    }

    fn seal_input(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if let Some(prefix) = self.prefix.take() {
            out.extend_from_slice(&prefix);
        }
        let mut input = plaintext;
        if !self.pending.is_empty() || input.len() <= CHUNK_SIZE {
            let take = (CHUNK_SIZE - self.pending.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.pending.extend_from_slice(head);
            input = rest;
            if input.is_empty() {
                return Ok(());
            }
            // A full chunk with more data behind it: not the last one.
            self.pending.resize(ENCRYPTED_CHUNK_SIZE, 0);
            self.key.seal(self.counter, false, &mut self.pending)?;
            self.counter += 1;
            out.extend_from_slice(&self.pending);
            self.pending.clear();
        }
        // Seal every full chunk of `input` but keep its last 1..=CHUNK_SIZE bytes pending.
        let keep = match input.len() % CHUNK_SIZE {
            0 => CHUNK_SIZE.min(input.len()),
            rest => rest,
        };
        let (full, tail) = input.split_at(input.len() - keep);
        let chunks = full.len() / CHUNK_SIZE;
        if chunks > 0 {
            let start = out.len();
            out.reserve(chunks * ENCRYPTED_CHUNK_SIZE);
            for chunk in full.chunks(CHUNK_SIZE) {
                out.extend_from_slice(chunk);
                out.extend_from_slice(&[0; TAG_SIZE]);
            }
            let region = out.get_mut(start..).unwrap_or_default();
            self.seal_full_chunks(region)?;
            self.counter += chunks as u64;
        }
        self.pending.extend_from_slice(tail);
        Ok(())
    }

    /// Seals consecutive full chunks laid out in place (plaintext then room for the tag).
    fn seal_full_chunks(&self, region: &mut [u8]) -> Result<(), Error> {
        #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
        {
            let chunks = region.len() / ENCRYPTED_CHUNK_SIZE;
            if self.threads > 1 && chunks >= 4 {
                let per_thread = chunks.div_ceil(self.threads) * ENCRYPTED_CHUNK_SIZE;
                return std::thread::scope(|scope| {
                    let workers: Vec<_> = region
                        .chunks_mut(per_thread)
                        .enumerate()
                        .map(|(i, part)| {
                            let first =
                                self.counter + (i * per_thread / ENCRYPTED_CHUNK_SIZE) as u64;
                            scope.spawn(move || seal_serial(&self.key, first, part))
                        })
                        .collect();
                    workers.into_iter().try_for_each(|worker| {
                        worker.join().map_err(|_| Error::OutOfRange("worker"))?
                    })
                });
            }
        }
        seal_serial(&self.key, self.counter, region)
    }

    /// Seals the last chunk and appends the end of the ciphertext to `out`.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<EncryptSummary, Error> {
        let mark = out.len();
        if let Some(prefix) = self.prefix.take() {
            out.extend_from_slice(&prefix);
        }
        let len = self.pending.len();
        self.pending.resize(len + TAG_SIZE, 0);
        self.key.seal(self.counter, true, &mut self.pending)?;
        out.extend_from_slice(&self.pending);
        self.account(out.get(mark..).unwrap_or_default());
        Ok(EncryptSummary {
            plaintext_len: self.plaintext_len,
            ciphertext_len: self.ciphertext_len,
            ciphertext_sha256: self.hasher.clone().finalize().into(),
        })
    }

    fn account(&mut self, produced: &[u8]) {
        self.hasher.update(produced);
        self.ciphertext_len = self.ciphertext_len.saturating_add(produced.len() as u64);
    }
}

impl Drop for Encryptor {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pending);
    }
}

fn seal_serial(key: &PayloadKey, first: u64, region: &mut [u8]) -> Result<(), Error> {
    region
        .chunks_mut(ENCRYPTED_CHUNK_SIZE)
        .zip(first..)
        .try_for_each(|(chunk, counter)| key.seal(counter, false, chunk))
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

/// Encrypts a small object held in memory (a manifest, a key grant).
pub fn encrypt_to_vec(
    recipients: &[Recipient],
    plaintext: &[u8],
) -> Result<(Vec<u8>, EncryptSummary), Error> {
    let mut encryptor = Encryptor::new(recipients)?;
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    encryptor.update(plaintext, &mut out)?;
    let summary = encryptor.finish(&mut out)?;
    Ok((out, summary))
}
