//! Streaming ASCII armor for `pli encrypt --armor`.
//!
//! `pli_crypto::age::armor` armors a whole file held in memory; this encoder produces the
//! same text (strict PEM, label `AGE ENCRYPTED FILE`, 64 columns, LF line endings, padding
//! only on the last line) piece by piece, so a large file never sits in memory.

use anyhow::{Context as _, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----\n";
const END: &[u8] = b"-----END AGE ENCRYPTED FILE-----\n";
/// Binary bytes per full line: 48 bytes are 64 base64 columns.
const LINE_BYTES: usize = 48;
/// A full line with its line feed.
const LINE_LEN: usize = 64 + 1;

/// Encodes binary ciphertext into armored text as it is produced.
#[derive(Debug, Default)]
pub(crate) struct ArmorEncoder {
    started: bool,
    /// Fewer than [`LINE_BYTES`] bytes not yet encoded.
    carry: Vec<u8>,
}

impl ArmorEncoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends the text for `binary` to `out`, keeping back an incomplete last line.
    pub(crate) fn update(&mut self, binary: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.start(out);
        let mut input = binary;
        if !self.carry.is_empty() {
            let take = (LINE_BYTES - self.carry.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.carry.extend_from_slice(head);
            input = rest;
            if self.carry.len() < LINE_BYTES {
                return Ok(());
            }
            encode_line(&self.carry, out)?;
            self.carry.clear();
        }
        let full = input.len() - input.len() % LINE_BYTES;
        let (lines, tail) = input.split_at(full);
        out.reserve(lines.len() / LINE_BYTES * LINE_LEN);
        for line in lines.chunks_exact(LINE_BYTES) {
            encode_line(line, out)?;
        }
        self.carry.extend_from_slice(tail);
        Ok(())
    }

    /// Appends the last line and the END line.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        self.start(out);
        if !self.carry.is_empty() {
            encode_line(&self.carry, out)?;
        }
        out.extend_from_slice(END);
        Ok(())
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            out.extend_from_slice(BEGIN);
            self.started = true;
        }
    }
}

/// Appends one line: at most 48 bytes as base64, then a line feed.
fn encode_line(bytes: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let room = out.get_mut(start..).unwrap_or_default();
    let written = STANDARD
        .encode_slice(bytes, room)
        .ok()
        .context("cannot encode the ASCII armor")?;
    out.truncate(start + written);
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pli_crypto_armor_for_any_split() {
        for len in [0, 1, 47, 48, 49, 95, 96, 97, 1000, 4099] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let expected = pli_crypto::age::armor(&data);
            for piece in [1, 5, 47, 48, 49, 100, 5000] {
                let mut encoder = ArmorEncoder::new();
                let mut out = Vec::new();
                for part in data.chunks(piece) {
                    encoder.update(part, &mut out).unwrap();
                }
                encoder.finish(&mut out).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), expected, "{len}/{piece}");
            }
        }
    }
}
