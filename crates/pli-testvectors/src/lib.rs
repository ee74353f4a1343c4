//! The C2SP CCTV age test vectors, vendored in `vectors/` (where they come from, their
//! licence and how to refresh them: `vectors/PROVENANCE.md`), embedded at build time (see
//! `build.rs`), parsed.
//!
//! Each file is a list of `key: value` lines, an empty line, then the age file (possibly
//! zlib-compressed). [`cctv`] returns them all; a vector with a key this parser does not
//! know is returned in the error list rather than silently skipped.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::Read as _;

mod files {
    include!(concat!(env!("OUT_DIR"), "/cctv.rs"));
}

pub use files::SOURCE_DIR;

/// The outcome a vector requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Decrypts to the end; the plaintext hashes to `payload`.
    Success,
    /// The header parses but no identity unwraps a stanza.
    NoMatch,
    /// A file key unwraps but the header MAC is wrong.
    HmacFailure,
    /// The header must not parse.
    HeaderFailure,
    /// STREAM decryption fails; what was released hashes to `payload`.
    PayloadFailure,
    /// The ASCII armor must be rejected.
    ArmorFailure,
}

/// One test vector.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The file name, which says what the vector tests.
    pub name: &'static str,
    /// The required outcome.
    pub expect: Expect,
    /// SHA-256 of the plaintext released (`success` and `payload failure`).
    pub payload: Option<[u8; 32]>,
    /// `AGE-SECRET-KEY-1…` (or `AGE-SECRET-KEY-PQ-1…`) identities to try.
    pub identities: Vec<String>,
    /// Passphrases for scrypt stanzas.
    pub passphrases: Vec<String>,
    /// Whether the age file is ASCII-armored.
    pub armored: bool,
    /// The free-text comment, if any.
    pub comment: Option<String>,
    /// The age file itself (inflated if it was compressed).
    pub file: Vec<u8>,
}

impl Vector {
    /// The vector family: the name up to its first underscore (`stream`, `x25519`, …).
    pub fn family(&self) -> &str {
        self.name.split('_').next().unwrap_or(self.name)
    }
}

/// Every embedded vector, and the names of those that could not be parsed, with why.
pub fn cctv() -> (Vec<Vector>, Vec<(&'static str, String)>) {
    let mut vectors = Vec::new();
    let mut rejected = Vec::new();
    for (name, raw) in files::FILES {
        match parse(name, raw) {
            Ok(vector) => vectors.push(vector),
            Err(why) => rejected.push((*name, why)),
        }
    }
    (vectors, rejected)
}

fn parse(name: &'static str, raw: &[u8]) -> Result<Vector, String> {
    let split = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or("no blank line after the header")?;
    let (head, body) = raw.split_at(split);
    let body = body.get(2..).unwrap_or_default();
    let head = std::str::from_utf8(head).map_err(|_| "header is not UTF-8")?;
    let mut vector = Vector {
        name,
        expect: Expect::Success,
        payload: None,
        identities: Vec::new(),
        passphrases: Vec::new(),
        armored: false,
        comment: None,
        file: Vec::new(),
    };
    let mut expect = None;
    let mut compressed = false;
    for line in head.lines() {
        let (key, value) = line
            .split_once(": ")
            .ok_or_else(|| format!("bad line {line:?}"))?;
        match key {
            "expect" => expect = Some(parse_expect(value)?),
            "payload" => vector.payload = Some(parse_hex(value)?),
            "file key" => {}
            "identity" => vector.identities.push(value.to_owned()),
            "passphrase" => vector.passphrases.push(value.to_owned()),
            "armored" => vector.armored = value == "yes",
            "compressed" if value == "zlib" => compressed = true,
            "comment" => vector.comment = Some(value.to_owned()),
            _ => return Err(format!("unknown key {key:?}")),
        }
    }
    vector.expect = expect.ok_or("no expect line")?;
    vector.file = if compressed {
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(body)
            .read_to_end(&mut inflated)
            .map_err(|e| e.to_string())?;
        inflated
    } else {
        body.to_vec()
    };
    Ok(vector)
}

fn parse_expect(value: &str) -> Result<Expect, String> {
    Ok(match value {
        "success" => Expect::Success,
        "no match" => Expect::NoMatch,
        "HMAC failure" => Expect::HmacFailure,
        "header failure" => Expect::HeaderFailure,
        "payload failure" => Expect::PayloadFailure,
        "armor failure" => Expect::ArmorFailure,
        other => return Err(format!("unknown expect {other:?}")),
    })
}

fn parse_hex(value: &str) -> Result<[u8; 32], String> {
    let bytes: Vec<u8> = (0..value.len())
        .step_by(2)
        .map(|i| {
            value
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<_>>()
        .ok_or("bad hex")?;
    bytes
        .try_into()
        .map_err(|_| "payload is not 32 bytes".to_owned())
}
