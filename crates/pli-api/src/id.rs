//! Typed 128-bit identifiers.
//!
//! Every identifier is 16 random bytes (a version-4 UUID) written in the usual hyphenated
//! lowercase form, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. The type parameter keeps an
//! exchange id from being passed where an organisation id is expected.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 128-bit identifier of some kind of object `K`.
pub struct Id<K> {
    bytes: [u8; 16],
    kind: PhantomData<fn() -> K>,
}

/// Marker for exchange ids.
#[derive(Debug)]
pub enum ExchangeKind {}
/// Marker for organisation ids.
#[derive(Debug)]
pub enum OrgKind {}
/// Marker for user ids.
#[derive(Debug)]
pub enum UserKind {}

/// Identifies an exchange (one sending of files from one organisation to another).
pub type ExchangeId = Id<ExchangeKind>;
/// Identifies an organisation (a court service or a Département service).
pub type OrgId = Id<OrgKind>;
/// Identifies a user account.
pub type UserId = Id<UserKind>;

impl<K> Id<K> {
    /// Builds an identifier from 16 bytes of CSPRNG output, setting the UUID version
    /// and variant bits.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        let mut value = u128::from_be_bytes(bytes);
        value = (value & !(0xf << 76)) | (0x4 << 76);
        value = (value & !(0x3 << 62)) | (0x2 << 62);
        Self::from_bytes(value.to_be_bytes())
    }

    /// Builds an identifier from its 16 bytes exactly as given.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self {
            bytes,
            kind: PhantomData,
        }
    }

    /// The 16 bytes of this identifier.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.bytes
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Id<K> {}
impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl<K> Eq for Id<K> {}
impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes.cmp(&other.bytes)
    }
}
impl<K> std::hash::Hash for Id<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The text is not a lowercase hyphenated UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdParseError;

impl fmt::Display for IdParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an identifier (expected a lowercase hyphenated UUID)")
    }
}

impl std::error::Error for IdParseError {}

impl<K> FromStr for Id<K> {
    type Err = IdParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.as_bytes();
        if text.len() != 36 {
            return Err(IdParseError);
        }
        let hyphens_in_place = text
            .iter()
            .enumerate()
            .all(|(i, c)| (*c == b'-') == matches!(i, 8 | 13 | 18 | 23));
        if !hyphens_in_place {
            return Err(IdParseError);
        }
        let mut digits = text.iter().copied().filter(|c| *c != b'-');
        let mut bytes = [0u8; 16];
        for byte in &mut bytes {
            let hi = digits.next().and_then(hex_value).ok_or(IdParseError)?;
            let lo = digits.next().and_then(hex_value).ok_or(IdParseError)?;
            *byte = (hi << 4) | lo;
        }
        Ok(Self::from_bytes(bytes))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, K> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_parse_round_trip() {
        let id = OrgId::from_random([0xab; 16]);
        let text = id.to_string();
        assert_eq!(text, "abababab-abab-4bab-abab-abababababab");
        assert_eq!(text.parse::<OrgId>(), Ok(id));
    }

    #[test]
    fn rejects_uppercase_braces_and_wrong_lengths() {
        for bad in [
            "ABABABAB-ABAB-4BAB-ABAB-ABABABABABAB",
            "{abababab-abab-4bab-abab-abababababab}",
            "abababababab4bababababababababab",
            "abababab-abab-4bab-abab-ababababab",
            "abababab_abab-4bab-abab-abababababab",
            "",
        ] {
            assert_eq!(bad.parse::<OrgId>(), Err(IdParseError), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_id_round_trips(bytes: [u8; 16]) {
            let id = ExchangeId::from_bytes(bytes);
            proptest::prop_assert_eq!(id.to_string().parse::<ExchangeId>(), Ok(id));
            let json = serde_json::to_string(&id).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<ExchangeId>(&json).unwrap(), id);
        }
    }
}
