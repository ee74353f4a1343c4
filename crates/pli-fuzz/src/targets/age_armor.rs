//! `age_armor`: the [`ArmorDecoder`] on any input, whole and in pieces.
//!
//! * However the input is split, the outcome and the bytes released are the same.
//! * The armor is canonical: an accepted input is exactly what [`armor`] writes for the
//!   bytes it decoded to, but for whitespace before and after it and CRLF line ends.
//! * What [`armor`] writes decodes back to its input.

use pli_crypto::DecryptError;
use pli_crypto::age::{ArmorDecoder, armor};

use super::{property, split};

/// The `age_armor` target.
pub fn age_armor(data: &[u8]) {
    let whole = decode(data, true);
    let pieces = decode(data, false);
    property(whole == pieces, || {
        format!("whole: {whole:?}; in pieces: {pieces:?}")
    });
    let (Ok(()), binary) = whole else {
        return;
    };
    let written = armor(&binary);
    property(
        normalize(data) == written.as_bytes().strip_suffix(b"\n").unwrap_or_default(),
        || "accepted armor that is not the canonical armor of its bytes".to_owned(),
    );
    property(
        decode(written.as_bytes(), false) == (Ok(()), binary),
        || "the armor written does not decode to its bytes".to_owned(),
    );
}

/// Decodes `data` whole or in pieces: the outcome, and every byte released.
fn decode(data: &[u8], whole: bool) -> (Result<(), DecryptError>, Vec<u8>) {
    let mut decoder = ArmorDecoder::new();
    let mut out = Vec::new();
    for part in split(data, whole) {
        if let Err(error) = decoder.update(part, &mut out) {
            return (Err(error), out);
        }
    }
    let result = decoder.finish(&mut out);
    (result, out)
}

/// Whitespace around taken off, CRLF made LF.
fn normalize(data: &[u8]) -> Vec<u8> {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = data.iter().position(|c| !space(c)).unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|c| !space(c))
        .map_or(start, |at| at + 1);
    let trimmed = data.get(start..end).unwrap_or_default();
    let mut out = Vec::with_capacity(trimmed.len());
    let mut bytes = trimmed.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' && bytes.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(byte);
    }
    out
}
