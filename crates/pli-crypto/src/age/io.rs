//! `std::io` adapters over the push API, for native callers (the CLI, tests).
//!
//! They move bytes between a caller's reader or writer and the push API; they open no
//! file or socket themselves.

use std::io::{self, Read, Write};

use super::{AnyIdentity, AnyRecipient, Decryptor, EncryptSummary, Encryptor};
use crate::{DecryptError, Error};

/// Encrypts everything written to it into the inner writer.
///
/// Call [`finish`](Self::finish) at the end: without it the file has no final chunk and
/// every reader will reject it as truncated.
#[derive(Debug)]
pub struct EncryptWriter<W: Write> {
    inner: W,
    encryptor: Encryptor,
    out: Vec<u8>,
}

impl<W: Write> EncryptWriter<W> {
    /// Starts an age file for `recipients` on `inner` (see
    /// [`EncryptionSeed::new`](super::EncryptionSeed::new)).
    pub fn new<T: Clone + Into<AnyRecipient>>(recipients: &[T], inner: W) -> Result<Self, Error> {
        Ok(Self {
            inner,
            encryptor: Encryptor::new(recipients)?,
            out: Vec::new(),
        })
    }

    /// Writes the final chunk and returns the inner writer (flushed) with the summary.
    pub fn finish(mut self) -> io::Result<(W, EncryptSummary)> {
        self.out.clear();
        let summary = self
            .encryptor
            .finish(&mut self.out)
            .map_err(io::Error::other)?;
        self.inner.write_all(&self.out)?;
        self.inner.flush()?;
        Ok((self.inner, summary))
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.clear();
        self.encryptor
            .update(buf, &mut self.out)
            .map_err(io::Error::other)?;
        self.inner.write_all(&self.out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads plaintext out of an age file (binary or armored) read from the inner reader.
///
/// Errors come as `io::ErrorKind::InvalidData` wrapping a [`DecryptError`]; the end of
/// the plaintext (`Ok(0)`) is reported only after the final chunk verified.
#[derive(Debug)]
pub struct DecryptReader<R: Read> {
    inner: R,
    decryptor: Option<Decryptor>,
    input: Vec<u8>,
    output: Vec<u8>,
    offset: usize,
    summary: Option<EncryptSummary>,
}

const READ_SIZE: usize = 1 << 20;

impl<R: Read> DecryptReader<R> {
    /// Decrypts `inner` with the first of `identities` that matches.
    pub fn new<I: Into<AnyIdentity>>(identities: impl IntoIterator<Item = I>, inner: R) -> Self {
        Self {
            inner,
            decryptor: Some(Decryptor::new(identities)),
            input: vec![0; READ_SIZE],
            output: Vec::new(),
            offset: 0,
            summary: None,
        }
    }

    /// The ciphertext's length and SHA-256, once the whole plaintext has been read.
    pub fn summary(&self) -> Option<EncryptSummary> {
        self.summary
    }

    fn refill(&mut self) -> io::Result<()> {
        self.output.clear();
        self.offset = 0;
        let Some(decryptor) = self.decryptor.as_mut() else {
            return Ok(());
        };
        let read = loop {
            match self.inner.read(&mut self.input) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        if read == 0 {
            if let Some(decryptor) = self.decryptor.take() {
                self.summary = Some(decryptor.finish(&mut self.output).map_err(invalid_data)?);
            }
        } else {
            let input = self.input.get(..read).unwrap_or_default();
            decryptor
                .update(input, &mut self.output)
                .map_err(invalid_data)?;
        }
        Ok(())
    }
}

fn invalid_data(error: DecryptError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

impl<R: Read> Read for DecryptReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.offset == self.output.len() {
            if self.decryptor.is_none() {
                return Ok(0);
            }
            self.refill()?;
        }
        let available = self.output.get(self.offset..).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf.iter_mut()
            .zip(available)
            .for_each(|(dst, src)| *dst = *src);
        self.offset += n;
        Ok(n)
    }
}

impl<R: Read> Drop for DecryptReader<R> {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.output);
    }
}
