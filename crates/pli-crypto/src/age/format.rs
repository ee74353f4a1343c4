//! The age v1 header: parsing (strict, bounded) and serialization.
//!
//! ```text
//! header = v1-line 1*stanza end
//! v1-line = %s"age-encryption.org/v1" LF
//! end = "--- " 43base64char LF
//! stanza = arg-line *full-line final-line
//! arg-line = "-> " argument *(SP argument) LF
//! argument = 1*VCHAR
//! full-line = 64base64char LF
//! final-line = *63base64char LF
//! ```

use crate::DecryptError;

use super::b64;

/// The most recipient stanzas Pli accepts in one header (checked before any key work).
pub const MAX_STANZAS: usize = 16;

/// The largest header Pli accepts, in bytes (checked before any key work).
pub const MAX_HEADER_LEN: usize = 64 * 1024;

const VERSION_PREFIX: &[u8] = b"age-encryption.org/";
pub(crate) const VERSION_LINE: &[u8] = b"age-encryption.org/v1";
const COLUMNS: usize = 64;

/// One recipient stanza: its arguments (the first names the recipient type) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// The arguments of the `->` line; there is at least one.
    pub args: Vec<String>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Stanza {
    /// The recipient type: the first argument.
    pub fn tag(&self) -> &str {
        self.args.first().map_or("", String::as_str)
    }
}

/// A parsed header: its stanzas, its MAC, and its exact bytes (which the MAC covers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    stanzas: Vec<Stanza>,
    mac: [u8; 32],
    raw: Vec<u8>,
}

impl Header {
    /// The recipient stanzas, in order.
    pub fn stanzas(&self) -> &[Stanza] {
        &self.stanzas
    }

    /// The header's length in bytes, up to and including the MAC line's line feed.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether the header is empty (never, for a parsed header).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The bytes the header MAC covers: everything up to and including `---`.
    #[cfg(feature = "secret")]
    pub(crate) fn mac_input(&self) -> &[u8] {
        let end = self.raw.len().saturating_sub(b" \n".len() + 43);
        self.raw.get(..end).unwrap_or_default()
    }

    /// The MAC as it appears on the last line.
    #[cfg(feature = "secret")]
    pub(crate) fn mac(&self) -> &[u8; 32] {
        &self.mac
    }
}

/// The outcome of parsing the start of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderParse {
    /// More bytes are needed; nothing wrong so far.
    Incomplete,
    /// A complete header, which occupies the first [`Header::len`] bytes of the input.
    Complete(Header),
}

/// Parses the header at the start of `input`, which may hold only part of it.
///
/// Fails as soon as the input can no longer become a valid header: a wrong first line,
/// a grammar error, more than [`MAX_STANZAS`] stanzas, or more than [`MAX_HEADER_LEN`]
/// bytes. Stanza bodies are decoded here; recipient-specific checks come later.
pub fn parse_header(input: &[u8]) -> Result<HeaderParse, DecryptError> {
    let seen = input
        .get(..VERSION_PREFIX.len().min(input.len()))
        .unwrap_or_default();
    if !VERSION_PREFIX.starts_with(seen) {
        return Err(DecryptError::NotAgeFile);
    }
    let mut lines = Lines { input, pos: 0 };
    let Some(version) = lines.next()? else {
        return Ok(HeaderParse::Incomplete);
    };
    if version != VERSION_LINE {
        return Err(if version.starts_with(VERSION_PREFIX) {
            DecryptError::UnsupportedVersion
        } else {
            DecryptError::NotAgeFile
        });
    }

    let mut stanzas = Vec::new();
    loop {
        let Some(line) = lines.next()? else {
            return Ok(HeaderParse::Incomplete);
        };
        if let Some(args) = line.strip_prefix(b"-> ") {
            if stanzas.len() == MAX_STANZAS {
                return Err(DecryptError::TooManyStanzas);
            }
            let args = parse_args(args)?;
            let Some(body) = read_body(&mut lines)? else {
                return Ok(HeaderParse::Incomplete);
            };
            stanzas.push(Stanza { args, body });
        } else if let Some(mac) = line.strip_prefix(b"--- ") {
            if stanzas.is_empty() || mac.len() != 43 {
                return Err(DecryptError::MalformedHeader);
            }
            let mac = b64::decode_array::<32>(mac).ok_or(DecryptError::MalformedHeader)?;
            let raw = input.get(..lines.pos).unwrap_or_default().to_vec();
            return Ok(HeaderParse::Complete(Header { stanzas, mac, raw }));
        } else {
            return Err(DecryptError::MalformedHeader);
        }
    }
}

/// Splits `input` into LF-terminated lines, enforcing the header size cap.
struct Lines<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Lines<'a> {
    /// The next complete line without its LF, or `None` if the input stops first.
    fn next(&mut self) -> Result<Option<&'a [u8]>, DecryptError> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|c| *c == b'\n') {
            Some(len) if self.pos + len < MAX_HEADER_LEN => {
                self.pos += len + 1;
                Ok(rest.get(..len))
            }
            Some(_) => Err(DecryptError::HeaderTooLarge),
            None if self.input.len() >= MAX_HEADER_LEN => Err(DecryptError::HeaderTooLarge),
            None => Ok(None),
        }
    }
}

fn parse_args(line: &[u8]) -> Result<Vec<String>, DecryptError> {
    line.split(|c| *c == b' ')
        .map(|arg| {
            let valid = !arg.is_empty() && arg.iter().all(|c| (0x21..=0x7e).contains(c));
            // VCHAR is ASCII, so the conversion cannot fail once `valid` holds.
            match (valid, std::str::from_utf8(arg)) {
                (true, Ok(text)) => Ok(text.to_owned()),
                _ => Err(DecryptError::MalformedHeader),
            }
        })
        .collect()
}

/// Reads body lines up to and including the first line shorter than 64 columns.
fn read_body(lines: &mut Lines<'_>) -> Result<Option<Vec<u8>>, DecryptError> {
    let mut body = Vec::new();
    loop {
        let Some(line) = lines.next()? else {
            return Ok(None);
        };
        if line.len() > COLUMNS || !line.iter().all(|c| b64::is_base64_char(*c)) {
            return Err(DecryptError::MalformedHeader);
        }
        body.extend(b64::decode(line).ok_or(DecryptError::MalformedHeader)?);
        if line.len() < COLUMNS {
            return Ok(Some(body));
        }
    }
}

/// Writes the header for `stanzas` up to and including `---`, ready for the MAC.
#[cfg(feature = "secret")]
pub(crate) fn write_header_without_mac(stanzas: &[Stanza]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + stanzas.len() * 128);
    out.extend_from_slice(VERSION_LINE);
    out.push(b'\n');
    for stanza in stanzas {
        out.extend_from_slice(b"->");
        for arg in &stanza.args {
            out.push(b' ');
            out.extend_from_slice(arg.as_bytes());
        }
        out.push(b'\n');
        let body = b64::encode(&stanza.body);
        let mut rest = body.as_bytes();
        loop {
            let (line, tail) = rest.split_at(rest.len().min(COLUMNS));
            out.extend_from_slice(line);
            out.push(b'\n');
            rest = tail;
            if line.len() < COLUMNS {
                break;
            }
        }
    }
    out.extend_from_slice(b"---");
    out
}

/// Appends ` <mac>` and the final line feed.
#[cfg(feature = "secret")]
pub(crate) fn append_mac(header: &mut Vec<u8>, mac: &[u8; 32]) {
    header.push(b' ');
    header.extend_from_slice(b64::encode(mac).as_bytes());
    header.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARE: &str = "XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE";
    const BODY: &str = "qRS0AMjdjPvZ/WT08U2KL4G+PIooA3hy38SvLpvaC1E";
    const MAC: &str = "HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s";

    fn header(stanzas: usize) -> String {
        let mut text = String::from("age-encryption.org/v1\n");
        for _ in 0..stanzas {
            text.push_str(&format!("-> X25519 {SHARE}\n{BODY}\n"));
        }
        text.push_str(&format!("--- {MAC}\n"));
        text
    }

    #[test]
    fn parses_the_spec_example_and_reports_its_length() {
        let text = header(1);
        let mut input = text.clone().into_bytes();
        input.extend_from_slice(b"payload");
        let HeaderParse::Complete(parsed) = parse_header(&input).unwrap() else {
            panic!("incomplete")
        };
        assert_eq!(parsed.len(), text.len());
        assert_eq!(parsed.stanzas().len(), 1);
        assert_eq!(parsed.stanzas()[0].args, ["X25519", SHARE]);
        assert_eq!(parsed.stanzas()[0].body.len(), 32);
    }

    #[test]
    fn every_proper_prefix_is_incomplete() {
        let text = header(2);
        for end in 0..text.len() {
            assert_eq!(
                parse_header(&text.as_bytes()[..end]),
                Ok(HeaderParse::Incomplete),
                "{end}"
            );
        }
    }

    #[test]
    fn rejects_early_what_cannot_be_an_age_file() {
        assert_eq!(parse_header(b"PK\x03\x04"), Err(DecryptError::NotAgeFile));
        assert_eq!(parse_header(b"-----BEGIN"), Err(DecryptError::NotAgeFile));
        assert_eq!(
            parse_header(b"age-encryption.org/v2\n"),
            Err(DecryptError::UnsupportedVersion)
        );
    }

    #[test]
    fn caps_stanzas_before_reading_them_all() {
        assert!(matches!(
            parse_header(header(MAX_STANZAS).as_bytes()),
            Ok(HeaderParse::Complete(_))
        ));
        assert_eq!(
            parse_header(header(MAX_STANZAS + 1).as_bytes()),
            Err(DecryptError::TooManyStanzas)
        );
    }

    #[test]
    fn caps_header_size_even_without_line_feeds() {
        let mut input = b"age-encryption.org/v1\n-> X25519 ".to_vec();
        input.resize(MAX_HEADER_LEN, b'a');
        assert_eq!(parse_header(&input), Err(DecryptError::HeaderTooLarge));
        input.truncate(MAX_HEADER_LEN - 1);
        assert_eq!(parse_header(&input), Ok(HeaderParse::Incomplete));
    }

    #[test]
    #[cfg(feature = "secret")]
    fn writes_what_it_parses() {
        let stanzas = vec![
            Stanza {
                args: vec!["X25519".into(), SHARE.into()],
                body: vec![7; 32],
            },
            Stanza {
                args: vec!["grease".into(), "a".into()],
                body: vec![1; 48],
            },
            Stanza {
                args: vec!["empty".into()],
                body: vec![],
            },
        ];
        let mut bytes = write_header_without_mac(&stanzas);
        append_mac(&mut bytes, &[9; 32]);
        let HeaderParse::Complete(parsed) = parse_header(&bytes).unwrap() else {
            panic!("incomplete")
        };
        assert_eq!(parsed.stanzas(), &stanzas[..]);
        assert_eq!(parsed.mac(), &[9; 32]);
        assert_eq!(parsed.len(), bytes.len());
    }
}
