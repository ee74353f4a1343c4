//! Binary data in JSON: standard base64 with padding, canonical on input.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes that travel in JSON as a standard, padded base64 string (RFC 4648, section 4).
///
/// Decoding is strict: padding is required, non-canonical trailing bits are rejected,
/// and no whitespace is accepted, so one byte string has exactly one JSON form.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Base64(pub Vec<u8>);

impl fmt::Debug for Base64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base64({} bytes)", self.0.len())
    }
}

/// The text is not canonical padded base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Base64Error;

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not canonical padded base64")
    }
}

impl std::error::Error for Base64Error {}

impl Base64 {
    /// Encodes the bytes.
    pub fn encode(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// Decodes canonical padded base64.
    pub fn decode(text: &str) -> Result<Self, Base64Error> {
        STANDARD.decode(text).map(Self).map_err(|_| Base64Error)
    }
}

impl From<Vec<u8>> for Base64 {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        decode_text(deserializer, Self::decode)
    }
}

/// Reads a JSON string and decodes it with `decode` (bytes written as text: base64, hex),
/// refusing it with `decode`'s error.
pub(crate) fn decode_text<'de, D: Deserializer<'de>, T, E: fmt::Display>(
    deserializer: D,
    decode: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    decode(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(Base64(plain.as_bytes().to_vec()).encode(), encoded);
            assert_eq!(
                Base64::decode(encoded),
                Ok(Base64(plain.as_bytes().to_vec()))
            );
        }
    }

    #[test]
    fn rejects_non_canonical_forms() {
        for bad in [
            "Zh==", "Zm9=", "Zg", "Zg=", "Z===", "Zg==Zg==", "Zm 9v", "Zm9v\n", "Zm-v",
        ] {
            assert_eq!(Base64::decode(bad), Err(Base64Error), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trips(bytes: Vec<u8>) {
            let encoded = Base64(bytes.clone()).encode();
            proptest::prop_assert_eq!(Base64::decode(&encoded), Ok(Base64(bytes)));
        }
    }
}
