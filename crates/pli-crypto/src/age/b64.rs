//! The base64 used inside age headers: standard alphabet, no padding, canonical.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// Encodes without padding.
#[cfg(feature = "secret")]
pub(crate) fn encode(data: &[u8]) -> String {
    STANDARD_NO_PAD.encode(data)
}

/// Decodes canonical unpadded base64; `None` for padding, stray bits or bad characters.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(text).ok()
}

/// Decodes canonical unpadded base64 of exactly `N` bytes.
pub(crate) fn decode_array<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    decode(text)?.try_into().ok()
}

/// Whether `c` belongs to the base64 alphabet (`ALPHA / DIGIT / "+" / "/"`).
pub(crate) fn is_base64_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}
