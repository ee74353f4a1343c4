//! The headers of a part upload (`PUT /api/exchanges/{id}/objects/{idx}/parts/{part}`,
//! [`crate::endpoints::PutPart`]), written by the client and read by the relay with the
//! same code.
//!
//! * `Content-Digest: sha-256=:<base64>:` (RFC 9530): the part's SHA-256, which the relay
//!   checks while it streams the part to its blob store. [`content_digest`] writes it,
//!   [`parse_content_digest`] reads it: the value is a comma-separated list of
//!   `algorithm=:base64:` members (whitespace around each allowed), of which the first
//!   `sha-256` one counts; its base64 must be canonical and padded, and decode to 32
//!   bytes.
//! * `Content-Length`, when the client sends one (it may stream the part chunked
//!   instead): it must be the part's exact length, which the relay knows from the sizes
//!   declared when the exchange was created ([`check_content_length`]).
//!
//! Both take a header's raw bytes: whatever a client sent, the functions answer without
//! panicking (the fuzz target `upload_headers` checks it, with the properties below).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The `Content-Digest` value naming `sha256`: `sha-256=:<base64>:`.
pub fn content_digest(sha256: &[u8; 32]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(sha256))
}

/// The SHA-256 a `Content-Digest` value names, or `None` if it names none: the value is
/// not visible ASCII (tabs and spaces allowed), has no `sha-256=:…:` member, or that
/// member's base64 is not canonical, padded, 32 bytes.
///
/// Whenever it returns a digest, the value holds the member [`content_digest`] writes
/// for it, byte for byte (whitespace around it aside).
pub fn parse_content_digest(value: &[u8]) -> Option<[u8; 32]> {
    // What `http::HeaderValue::to_str` accepts: visible ASCII, spaces and tabs.
    if !value
        .iter()
        .all(|&c| c == b'\t' || (b' '..=b'~').contains(&c))
    {
        return None;
    }
    let text = std::str::from_utf8(value).ok()?;
    let encoded = text.split(',').map(str::trim).find_map(|member| {
        member
            .strip_prefix("sha-256=:")
            .and_then(|rest| rest.strip_suffix(':'))
    })?;
    STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
}

/// Why a part's `Content-Length` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartLengthError {
    /// Not a decimal number (empty, a sign, a space, another character).
    Malformed,
    /// Longer than the part.
    TooLarge,
    /// Shorter than the part.
    Incomplete,
}

impl fmt::Display for PartLengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the Content-Length is not a decimal number",
            Self::TooLarge => "the Content-Length is larger than the part",
            Self::Incomplete => "the Content-Length is smaller than the part",
        })
    }
}

impl std::error::Error for PartLengthError {}

/// Checks a part's `Content-Length` (its raw value; `None` if the client sent none, as
/// with a chunked body) against the part's length, `expected`: it must be ASCII digits
/// only, of that value. A number of digits too large for a `u64` is
/// [`PartLengthError::TooLarge`].
pub fn check_content_length(value: Option<&[u8]>, expected: u64) -> Result<(), PartLengthError> {
    let Some(value) = value else {
        return Ok(());
    };
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(PartLengthError::Malformed);
    }
    let declared = value.iter().try_fold(0u64, |total, digit| {
        total
            .checked_mul(10)
            .and_then(|total| total.checked_add(u64::from(digit - b'0')))
    });
    match declared {
        None => Err(PartLengthError::TooLarge),
        Some(declared) if declared > expected => Err(PartLengthError::TooLarge),
        Some(declared) if declared < expected => Err(PartLengthError::Incomplete),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_digest_it_writes_among_other_members() {
        let digest = [7u8; 32];
        let value = content_digest(&digest);
        assert_eq!(value, format!("sha-256=:{}:", "BwcH".repeat(10) + "Bwc="));
        assert_eq!(parse_content_digest(value.as_bytes()), Some(digest));
        let listed = format!("sha-512=:AAAA:,\t {value} , md5=:x:");
        assert_eq!(parse_content_digest(listed.as_bytes()), Some(digest));
    }

    #[test]
    fn refuses_digests_that_are_not_one_canonical_sha_256() {
        let good = content_digest(&[1; 32]);
        for bad in [
            String::new(),
            "sha-256=:".to_owned(),
            "sha-256=::".to_owned(),
            good.replace("sha-256", "SHA-256"),
            good.trim_end_matches(':').to_owned(),
            good.replace('=', ""),
            // 31 bytes; then non-canonical trailing bits.
            content_digest(&[1; 32]).replace("AQE=", "AQ=="),
            good.replace("AQE=", "AQF="),
            format!("{good}\u{e9}"),
            format!("{good}\n"),
            "sha-512=:AAAA:".to_owned(),
        ] {
            assert_eq!(parse_content_digest(bad.as_bytes()), None, "{bad:?}");
        }
        // The first sha-256 member counts, even if a later one is well formed.
        let first_bad = format!("sha-256=:AAAA:, {good}");
        assert_eq!(parse_content_digest(first_bad.as_bytes()), None);
    }

    #[test]
    fn content_length_is_the_parts_exact_length_in_digits() {
        assert_eq!(check_content_length(None, 5), Ok(()));
        assert_eq!(check_content_length(Some(b"5"), 5), Ok(()));
        assert_eq!(check_content_length(Some(b"005"), 5), Ok(()));
        assert_eq!(check_content_length(Some(b"0"), 0), Ok(()));
        assert_eq!(
            check_content_length(Some(b"6"), 5),
            Err(PartLengthError::TooLarge)
        );
        assert_eq!(
            check_content_length(Some(b"4"), 5),
            Err(PartLengthError::Incomplete)
        );
        assert_eq!(
            check_content_length(Some(b"99999999999999999999999"), u64::MAX),
            Err(PartLengthError::TooLarge)
        );
        assert_eq!(
            check_content_length(Some(u64::MAX.to_string().as_bytes()), u64::MAX),
            Ok(())
        );
        for bad in [
            &b""[..],
            b"+5",
            b"-5",
            b" 5",
            b"5 ",
            b"5, 5",
            b"0x5",
            b"5\0",
        ] {
            assert_eq!(
                check_content_length(Some(bad), 5),
                Err(PartLengthError::Malformed),
                "{bad:?}"
            );
        }
    }
}
