//! Bech32 as age writes its keys: "as specified in BIP173, but without length limits on
//! the data part", all uppercase or all lowercase, the checksum computed over the
//! lowercase string. Only the canonical encoding is accepted (no stray padding bits).

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Checksum, Hrp};
use zeroize::Zeroizing;

use crate::Error;

/// BIP 173's Bech32 checksum without its 90-character limit (an `age1pq1…` recipient is
/// 1,959 characters): every constant is `Bech32`'s but the code length.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Bech32Long {}

impl Checksum for Bech32Long {
    type MidstateRepr = <Bech32 as Checksum>::MidstateRepr;
    type CorrectionField = <Bech32 as Checksum>::CorrectionField;
    const ROOT_GENERATOR: Self::CorrectionField = Bech32::ROOT_GENERATOR;
    const ROOT_EXPONENTS: core::ops::RangeInclusive<usize> = Bech32::ROOT_EXPONENTS;
    const CODE_LENGTH: usize = usize::MAX;
    const CHECKSUM_LENGTH: usize = Bech32::CHECKSUM_LENGTH;
    const GENERATOR_SH: [Self::MidstateRepr; 5] = Bech32::GENERATOR_SH;
    const TARGET_RESIDUE: Self::MidstateRepr = Bech32::TARGET_RESIDUE;
}

/// `data` under the lowercase `hrp`, in lowercase (recipients).
pub(crate) fn encode_lower(hrp: &str, data: &[u8]) -> Result<String, Error> {
    let invalid = || Error::InvalidKey("Bech32 encoding");
    let hrp = Hrp::parse(hrp).map_err(|_| invalid())?;
    bech32::encode_lower::<Bech32Long>(hrp, data).map_err(|_| invalid())
}

/// `data` under the lowercase `hrp`, in uppercase (identities), zeroized when dropped.
#[cfg(feature = "secret")]
pub(crate) fn encode_upper(hrp: &str, data: &[u8]) -> Result<Zeroizing<String>, Error> {
    let invalid = || Error::InvalidKey("Bech32 encoding");
    let hrp = Hrp::parse(hrp).map_err(|_| invalid())?;
    bech32::encode_upper::<Bech32Long>(hrp, data)
        .map(Zeroizing::new)
        .map_err(|_| invalid())
}

/// Decodes `s` into `out`: it must be Bech32 (not Bech32m) in one case throughout, with
/// exactly the (lowercase) `hrp` and `out.len()` bytes of data, in its canonical form.
///
/// The data may be a secret key: every copy made here is zeroized when dropped, and `out`
/// holds garbage on error.
pub(crate) fn decode_into(
    s: &str,
    hrp: &str,
    out: &mut [u8],
    problem: &'static str,
) -> Result<(), Error> {
    let invalid = || Error::InvalidKey(problem);
    let parsed = CheckedHrpstring::new::<Bech32Long>(s).map_err(|_| invalid())?;
    if parsed.hrp().to_lowercase() != hrp {
        return Err(invalid());
    }
    let mut data = parsed.byte_iter();
    if data.len() != out.len() {
        return Err(invalid());
    }
    out.iter_mut()
        .zip(&mut data)
        .for_each(|(slot, byte)| *slot = byte);
    let expected = Hrp::parse(hrp).map_err(|_| invalid())?;
    let canonical = bech32::encode_lower::<Bech32Long>(expected, out)
        .map(Zeroizing::new)
        .map_err(|_| invalid())?;
    if !canonical.eq_ignore_ascii_case(s) {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_checksum_is_bech32s() {
        Bech32Long::sanity_check();
        let hrp = Hrp::parse("age").unwrap();
        let short = [7u8; 32];
        assert_eq!(
            encode_lower("age", &short).unwrap(),
            bech32::encode_lower::<Bech32>(hrp, &short).unwrap()
        );
    }

    #[test]
    fn no_length_limit_and_one_case_only() {
        let data = vec![0xa5u8; 1216];
        let text = encode_lower("age1pq", &data).unwrap();
        assert_eq!(
            text.len(),
            "age1pq1".len() + (1216_usize * 8).div_ceil(5) + 6
        );
        let mut back = vec![0; 1216];
        decode_into(&text, "age1pq", &mut back, "test").unwrap();
        assert_eq!(back, data);
        decode_into(&text.to_uppercase(), "age1pq", &mut back, "test").unwrap();
        let mut mixed = text.clone();
        mixed.replace_range(..1, "A");
        assert!(decode_into(&mixed, "age1pq", &mut back, "test").is_err());
        assert!(decode_into(&text, "age", &mut back, "test").is_err());
        assert!(decode_into(&text, "age1pq", &mut [0; 1215], "test").is_err());
    }
}
