//! SHA-256 digests in JSON: 64 lowercase hexadecimal digits, canonical on input.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bytes::decode_text;

/// A SHA-256 digest (an audit entry's hash, a chain's head) that travels in JSON as 64
/// lowercase hexadecimal digits.
///
/// Decoding accepts exactly that form (no uppercase, no other length), so one digest has
/// exactly one JSON form, and whoever holds one holds 32 bytes, not any string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sha256Hex(pub [u8; 32]);

/// The text is not 64 lowercase hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sha256HexError;

impl fmt::Display for Sha256HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not 64 lowercase hexadecimal digits")
    }
}

impl std::error::Error for Sha256HexError {}

impl Sha256Hex {
    /// Decodes 64 lowercase hexadecimal digits.
    pub fn decode(text: &str) -> Result<Self, Sha256HexError> {
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return Err(Sha256HexError);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let [hi, lo] = pair else {
                return Err(Sha256HexError);
            };
            *byte = (digit(*hi).ok_or(Sha256HexError)? << 4) | digit(*lo).ok_or(Sha256HexError)?;
        }
        Ok(Self(bytes))
    }
}

/// A lowercase hexadecimal digit's value.
fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hex({self})")
    }
}

impl From<[u8; 32]> for Sha256Hex {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl Serialize for Sha256Hex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256Hex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        decode_text(deserializer, Self::decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travels_as_lowercase_hex() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x09;
        let digest = Sha256Hex(bytes);
        let text = format!("ab{}09", "0".repeat(60));
        assert_eq!(digest.to_string(), text);
        assert_eq!(
            serde_json::to_string(&digest).unwrap(),
            format!("\"{text}\"")
        );
        assert_eq!(
            serde_json::from_str::<Sha256Hex>(&format!("\"{text}\"")).unwrap(),
            digest
        );
    }

    #[test]
    fn rejects_other_forms() {
        let good = "0".repeat(64);
        assert!(Sha256Hex::decode(&good).is_ok());
        for bad in [
            "0".repeat(63),
            "0".repeat(65),
            format!("A{}", "0".repeat(63)),
            format!("g{}", "0".repeat(63)),
            format!(" {}", "0".repeat(63)),
            String::new(),
        ] {
            assert_eq!(Sha256Hex::decode(&bad), Err(Sha256HexError), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trips(bytes: [u8; 32]) {
            let digest = Sha256Hex(bytes);
            proptest::prop_assert_eq!(Sha256Hex::decode(&digest.to_string()), Ok(digest));
        }
    }
}
