//! ASCII armor: strict PEM (RFC 7468, section 3) with the label `AGE ENCRYPTED FILE`.
//!
//! Only whitespace is accepted before and after the PEM block; lines end with LF or
//! CRLF; every body line holds exactly 64 base64 characters except the last (1 to 64);
//! padding appears only at the very end and base64 must be canonical.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::DecryptError;

const BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const END: &[u8] = b"-----END AGE ENCRYPTED FILE-----";
const COLUMNS: usize = 64;
/// The longest line accepted: the BEGIN marker and 64 columns both fit, plus a CR.
const MAX_LINE: usize = COLUMNS + 1;

/// Armors a binary age file (standard padded base64, 64 columns, LF line endings).
pub fn armor(binary: &[u8]) -> String {
    let encoded = STANDARD.encode(binary);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / COLUMNS + 80);
    out.push_str("-----BEGIN AGE ENCRYPTED FILE-----\n");
    for line in encoded.as_bytes().chunks(COLUMNS) {
        // Base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END AGE ENCRYPTED FILE-----\n");
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the BEGIN line: whitespace only.
    Leading,
    /// Between BEGIN and END.
    Body,
    /// After END: whitespace only.
    Trailing,
}

/// Decodes armored input pushed in pieces of any size, holding at most two lines.
#[derive(Debug)]
pub struct ArmorDecoder {
    state: State,
    line: Vec<u8>,
    /// The previous body line: it is the last one only if END follows.
    held: Option<Vec<u8>>,
}

impl Default for ArmorDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ArmorDecoder {
    /// A decoder at the start of its input.
    pub fn new() -> Self {
        Self {
            state: State::Leading,
            line: Vec::with_capacity(MAX_LINE + 1),
            held: None,
        }
    }

    /// Consumes `input`, appending decoded bytes to `out`.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        for &byte in input {
            match self.state {
                State::Leading | State::Trailing if self.line.is_empty() && is_space(byte) => {}
                State::Trailing => return Err(DecryptError::Armor),
                State::Leading | State::Body => {
                    if byte == b'\n' {
                        let line = std::mem::take(&mut self.line);
                        self.end_line(strip_cr(&line), out)?;
                        self.line = line;
                        self.line.clear();
                    } else if self.line.len() == MAX_LINE {
                        return Err(DecryptError::Armor);
                    } else {
                        self.line.push(byte);
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the input: the END line must have been seen (its line feed may be missing).
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), DecryptError> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.end_line(strip_cr(&line), out)?;
        }
        if self.state == State::Trailing {
            Ok(())
        } else {
            Err(DecryptError::Armor)
        }
    }

    fn end_line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        match self.state {
            State::Leading if line == BEGIN => self.state = State::Body,
            State::Body if line == END => {
                if let Some(last) = self.held.take() {
                    // The last line: 1 to 64 columns, padding allowed, canonical.
                    out.extend(STANDARD.decode(&last).map_err(|_| DecryptError::Armor)?);
                }
                self.state = State::Trailing;
            }
            State::Body => {
                if let Some(previous) = self.held.take() {
                    // Not the last line: exactly 64 columns, so no padding.
                    if previous.len() != COLUMNS || previous.contains(&b'=') {
                        return Err(DecryptError::Armor);
                    }
                    out.extend(
                        STANDARD
                            .decode(&previous)
                            .map_err(|_| DecryptError::Armor)?,
                    );
                }
                if line.is_empty() || line.len() > COLUMNS {
                    return Err(DecryptError::Armor);
                }
                self.held = Some(line.to_vec());
            }
            State::Leading | State::Trailing => return Err(DecryptError::Armor),
        }
        Ok(())
    }
}

/// The whitespace allowed around the armor.
pub(crate) fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(text: &[u8], piece: usize) -> Result<Vec<u8>, DecryptError> {
        let mut decoder = ArmorDecoder::new();
        let mut out = Vec::new();
        for part in text.chunks(piece.max(1)) {
            decoder.update(part, &mut out)?;
        }
        decoder.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_every_boundary_size() {
        for len in [0, 1, 2, 3, 47, 48, 49, 95, 96, 97, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let text = armor(&data);
            for piece in [1, 3, 64, 65, 4096] {
                assert_eq!(
                    decode_in_pieces(text.as_bytes(), piece).unwrap(),
                    data,
                    "{len}/{piece}"
                );
            }
        }
    }

    #[test]
    fn accepts_crlf_missing_final_newline_and_outer_whitespace() {
        let text = armor(b"hello world").replace('\n', "\r\n");
        assert_eq!(
            decode_in_pieces(text.as_bytes(), 5).unwrap(),
            b"hello world"
        );
        let text = armor(b"hello");
        assert_eq!(
            decode_in_pieces(text.trim_end().as_bytes(), 5).unwrap(),
            b"hello"
        );
        let text = format!(" \r\n\t\n{}\n \r\n", armor(b"hello"));
        assert_eq!(decode_in_pieces(text.as_bytes(), 5).unwrap(), b"hello");
    }

    #[test]
    fn rejects_garbage_around_and_inside() {
        let good = armor(&[1; 100]);
        for bad in [
            format!("x{good}"),
            format!("{good}x"),
            good.replace("BEGIN AGE", "BEGIN age"),
            good.replacen('\n', "\n\n", 1),
            good.replacen('A', " A", 1),
            good.trim_end()
                .trim_end_matches("-----END AGE ENCRYPTED FILE-----")
                .to_owned(),
        ] {
            assert_eq!(
                decode_in_pieces(bad.as_bytes(), 7),
                Err(DecryptError::Armor),
                "{bad:?}"
            );
        }
    }
}
