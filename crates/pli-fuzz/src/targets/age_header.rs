//! `age_header`: [`parse_header`] on any input.
//!
//! * A complete header is within the input and the size cap, has 1 to
//!   [`MAX_STANZAS`] stanzas whose arguments are visible ASCII, parses the same from its
//!   own bytes alone, and one byte less of it is incomplete.
//! * The format is canonical: the stanzas written again (arguments, base64 bodies in
//!   64-column lines, the short final line) are the header's bytes up to its MAC line.
//! * "Incomplete" is stable: every shorter prefix is incomplete too.
//! * A failure is final: nothing appended makes the input a header.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use pli_crypto::age::{HeaderParse, MAX_HEADER_LEN, MAX_STANZAS, Stanza, parse_header};

use super::property;

/// The MAC line: `--- `, 43 base64 characters, LF; the header's bytes before it are
/// [`write`]'s, up to and including `---`.
const MAC_LINE_AFTER_DASHES: usize = 1 + 43 + 1;

/// The `age_header` target.
pub fn age_header(data: &[u8]) {
    match parse_header(data) {
        Ok(HeaderParse::Complete(header)) => {
            let len = header.len();
            property(len <= data.len() && len < MAX_HEADER_LEN, || {
                format!("a header of {len} bytes in an input of {}", data.len())
            });
            let stanzas = header.stanzas();
            property((1..=MAX_STANZAS).contains(&stanzas.len()), || {
                format!("{} stanzas", stanzas.len())
            });
            property(
                stanzas.iter().all(|stanza| {
                    !stanza.args.is_empty()
                        && stanza.args.iter().all(|arg| {
                            !arg.is_empty() && arg.bytes().all(|c| (0x21..=0x7e).contains(&c))
                        })
                }),
                || "an argument is empty or not visible ASCII".to_owned(),
            );
            let own = data.get(..len).unwrap_or_default();
            property(
                parse_header(own) == Ok(HeaderParse::Complete(header.clone())),
                || "the header parses differently from its own bytes".to_owned(),
            );
            let shorter = own.get(..len.saturating_sub(1)).unwrap_or_default();
            property(parse_header(shorter) == Ok(HeaderParse::Incomplete), || {
                "the header without its last byte is not incomplete".to_owned()
            });
            let written = write(stanzas);
            property(
                own.starts_with(&written) && own.len() == written.len() + MAC_LINE_AFTER_DASHES,
                || "the header is not the canonical writing of its stanzas".to_owned(),
            );
        }
        Ok(HeaderParse::Incomplete) => {
            property(data.len() < MAX_HEADER_LEN, || {
                format!("{} bytes and still incomplete", data.len())
            });
            for cut in [data.len() / 2, data.len().saturating_sub(1)] {
                let prefix = data.get(..cut).unwrap_or_default();
                property(parse_header(prefix) == Ok(HeaderParse::Incomplete), || {
                    format!("the input is incomplete but its first {cut} bytes are not")
                });
            }
        }
        Err(error) => {
            for tail in [
                &b"\n"[..],
                b"\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
            ] {
                let longer = [data, tail].concat();
                property(parse_header(&longer).is_err(), || {
                    format!("refused ({error:?}), yet accepted with {tail:?} appended")
                });
            }
        }
    }
}

/// The header as age writes it for `stanzas`, up to and including `---`.
fn write(stanzas: &[Stanza]) -> Vec<u8> {
    let mut out = b"age-encryption.org/v1\n".to_vec();
    for stanza in stanzas {
        out.extend_from_slice(b"->");
        for arg in &stanza.args {
            out.push(b' ');
            out.extend_from_slice(arg.as_bytes());
        }
        out.push(b'\n');
        let body = STANDARD_NO_PAD.encode(&stanza.body);
        let lines: Vec<&[u8]> = body.as_bytes().chunks(64).collect();
        for line in &lines {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        // The body ends with a line shorter than 64 columns, empty if need be.
        if lines.last().is_none_or(|line| line.len() == 64) {
            out.push(b'\n');
        }
    }
    out.extend_from_slice(b"---");
    out
}
