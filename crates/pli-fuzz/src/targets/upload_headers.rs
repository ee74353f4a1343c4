//! `upload_headers`: the relay's reading of a part upload's headers
//! (`pli_api::upload`, called by `pli-server`'s `routes/exchanges/upload.rs`).
//!
//! The input: eight bytes for the part's length (big-endian), then the `Content-Digest`
//! value, then, after a line feed if there is one, the `Content-Length` value.
//!
//! * A `Content-Digest` is read only if it holds, as a member, exactly the text
//!   `content_digest` writes for the digest read (canonical base64, padded, 32 bytes);
//!   what `content_digest` writes is read back, alone or after another member.
//! * A `Content-Length` is accepted only if it is decimal digits and its value is the
//!   part's length; refused as malformed if it is not digits, as too large or as
//!   incomplete by its value otherwise (compared as text, so without overflow); the
//!   part's own length in decimal is accepted.

use pli_api::upload::{
    PartLengthError, check_content_length, content_digest, parse_content_digest,
};

use super::property;

/// The `upload_headers` target.
pub fn upload_headers(data: &[u8]) {
    let (expected, rest) = match data.split_first_chunk::<8>() {
        Some((expected, rest)) => (u64::from_be_bytes(*expected), rest),
        None => (0, data),
    };
    let (digest_value, length_value) = match rest.iter().position(|c| *c == b'\n') {
        Some(at) => (
            rest.get(..at).unwrap_or_default(),
            Some(rest.get(at + 1..).unwrap_or_default()),
        ),
        None => (rest, None),
    };

    if let Some(digest) = parse_content_digest(digest_value) {
        let written = content_digest(&digest);
        let members = String::from_utf8_lossy(digest_value);
        property(
            members
                .split(',')
                .map(str::trim)
                .any(|member| member == written),
            || format!("{members:?} read as {written:?}, which it does not hold"),
        );
    }
    let digest = pli_crypto::sha256(digest_value);
    let written = content_digest(&digest);
    let listed = format!("sha-512=:{}:, {written}", "A".repeat(88));
    property(
        parse_content_digest(written.as_bytes()) == Some(digest)
            && parse_content_digest(listed.as_bytes()) == Some(digest),
        || format!("{written:?} is not read back"),
    );

    let verdict = check_content_length(length_value, expected);
    let expected_text = expected.to_string();
    let model = match length_value {
        None => Ok(()),
        Some(value) if value.is_empty() || !value.iter().all(u8::is_ascii_digit) => {
            Err(PartLengthError::Malformed)
        }
        Some(value) => {
            let digits = value
                .iter()
                .position(|c| *c != b'0')
                .map_or(&b""[..], |at| value.get(at..).unwrap_or_default());
            let expected_digits = expected_text.trim_start_matches('0').as_bytes();
            match digits
                .len()
                .cmp(&expected_digits.len())
                .then_with(|| digits.cmp(expected_digits))
            {
                std::cmp::Ordering::Equal => Ok(()),
                std::cmp::Ordering::Greater => Err(PartLengthError::TooLarge),
                std::cmp::Ordering::Less => Err(PartLengthError::Incomplete),
            }
        }
    };
    property(verdict == model, || {
        format!("Content-Length {length_value:?} for {expected}: {verdict:?}, expected {model:?}")
    });
    property(
        check_content_length(Some(expected_text.as_bytes()), expected) == Ok(()),
        || format!("the part's own length {expected} is refused"),
    );
}
