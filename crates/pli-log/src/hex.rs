//! 32-byte values as 64 hexadecimal digits in the directory's stored form (a JSON array
//! of 32 numbers is three times larger, and a large directory is kept in every browser).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

fn encode(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// `#[serde(with = "crate::hex")]` for a `[u8; 32]`.
pub(crate) fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// See [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let text = String::deserialize(d)?;
    decode(&text).ok_or_else(|| D::Error::custom("not 64 hexadecimal digits"))
}

/// The same for an `Option<[u8; 32]>`.
pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        bytes: &Option<[u8; 32]>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.serialize_some(&encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<[u8; 32]>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| decode(&text).ok_or_else(|| D::Error::custom("not 64 hexadecimal digits")))
            .transpose()
    }
}

/// The same for a `Vec<[u8; 32]>`.
pub(crate) mod list {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(list: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(encode))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| decode(text).ok_or_else(|| D::Error::custom("not 64 hexadecimal digits")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_refuses_other_lengths() {
        let bytes: [u8; 32] = std::array::from_fn(|i| u8::try_from(i * 7 % 256).unwrap_or(0));
        assert_eq!(super::decode(&super::encode(&bytes)), Some(bytes));
        assert_eq!(super::decode("00"), None);
        assert_eq!(super::decode(&"zz".repeat(32)), None);
    }
}
