//! The account key: a person's second secret, 128 random bits drawn in their browser
//! when the account is created, mixed with the password into every key the password
//! protects ([`crate::password::derive`]) and never sent to the relay. A copy of the
//! relay's database then holds nothing a password guess can be checked against.
//!
//! It is handed to the person once, on their *kit de secours*, written so that it can be
//! typed back from paper:
//!
//! ```text
//! PLI1-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX
//! ```
//!
//! 28 characters of Crockford's base32 (no I, L, O or U; read case-insensitively, `O`
//! as `0`, `I` and `L` as `1`) encode the 16 key bytes and one check byte
//! (`SHA-256("pli/v1/account-key-check\0" || key)[0]`), then four zero bits; dashes and
//! spaces are ignored. A typing mistake is named as such rather than taken for a wrong
//! password: the check byte catches 255 mistakes in 256.

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::{Error, random};

const PREFIX: &str = "PLI1";
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHARS: usize = 28;

/// A person's account key. Zeroized on drop; `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKey(Zeroizing<[u8; 16]>);

impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountKey(…)")
    }
}

fn check(key: &[u8; 16]) -> u8 {
    let digest = Sha256::new()
        .chain_update(b"pli/v1/account-key-check\0")
        .chain_update(key)
        .finalize();
    digest.first().copied().unwrap_or_default()
}

/// The bits of `bytes`, most significant first.
fn bits(bytes: &[u8]) -> impl Iterator<Item = bool> + '_ {
    bytes
        .iter()
        .flat_map(|byte| (0..8).rev().map(move |i| byte >> i & 1 == 1))
}

impl AccountKey {
    /// A new random key.
    pub fn generate() -> Result<Self, Error> {
        Ok(Self(Zeroizing::new(random::bytes::<16>()?)))
    }

    /// The key from its bytes (as kept sealed by a client).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Its bytes.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 16]> {
        self.0.clone()
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The key as written on the kit: `PLI1-` and seven groups of four characters.
    pub fn to_text(&self) -> Zeroizing<String> {
        let check = [check(self.as_bytes())];
        // 136 bits and four zero bits: 28 characters of five bits.
        let all: Zeroizing<Vec<bool>> = Zeroizing::new(
            bits(self.as_bytes())
                .chain(bits(&check))
                .chain([false; 4])
                .collect(),
        );
        let mut text = Zeroizing::new(String::with_capacity(40));
        text.push_str(PREFIX);
        for (i, five) in all.chunks(5).enumerate() {
            if i % 4 == 0 {
                text.push('-');
            }
            let value = five
                .iter()
                .fold(0usize, |v, bit| v << 1 | usize::from(*bit));
            text.extend(ALPHABET.get(value).map(|c| char::from(*c)));
        }
        text
    }

    /// Reads a key typed back from the kit. [`Error::AccountKeyTypo`] when it is not one
    /// (wrong length, a character outside the alphabet, the check byte does not match).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut digits = Zeroizing::new(Vec::with_capacity(CHARS + PREFIX.len()));
        for c in text.chars() {
            match c.to_ascii_uppercase() {
                '-' | ' ' | '\u{a0}' | '\t' => {}
                'O' => digits.push(b'0'),
                'I' | 'L' => digits.push(b'1'),
                c if c.is_ascii_alphanumeric() => digits.push(c as u8),
                _ => return Err(Error::AccountKeyTypo),
            }
        }
        // The prefix went through the substitutions too: "PLI1" reads "P111".
        let body = digits
            .strip_prefix(b"P111".as_slice())
            .ok_or(Error::AccountKeyTypo)?;
        if body.len() != CHARS {
            return Err(Error::AccountKeyTypo);
        }
        let mut all = Zeroizing::new(Vec::with_capacity(CHARS * 5));
        for digit in body {
            let value = ALPHABET
                .iter()
                .position(|a| a == digit)
                .ok_or(Error::AccountKeyTypo)?;
            all.extend((0..5).rev().map(|i| value >> i & 1 == 1));
        }
        let mut bytes = Zeroizing::new(
            all.chunks(8)
                .map(|eight| eight.iter().fold(0u8, |v, bit| v << 1 | u8::from(*bit)))
                .collect::<Vec<u8>>(),
        );
        // 17 whole bytes, then the four padding bits, which are zero.
        let padding = bytes.pop();
        let check_byte = bytes.pop();
        let key: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::AccountKeyTypo)?;
        let key = Zeroizing::new(key);
        if padding != Some(0) || check_byte != Some(check(&key)) {
            return Err(Error::AccountKeyTypo);
        }
        Ok(Self(key))
    }
}

#[cfg(test)]
mod tests {
    use super::AccountKey;
    use crate::Error;

    #[test]
    fn a_key_survives_its_text_typed_back_carelessly() {
        for seed in 0..64u8 {
            let key = AccountKey::from_bytes([seed.wrapping_mul(37); 16].map(|b| b ^ seed));
            let text = key.to_text();
            assert_eq!(text.len(), 4 + 7 * 5, "{}", *text);
            assert!(text.starts_with("PLI1-"));
            assert_eq!(AccountKey::parse(&text).unwrap(), key);
            // Lower case, spaces instead of dashes, O for 0 and l for 1.
            let sloppy = text
                .to_lowercase()
                .replace('-', " ")
                .replace('0', "o")
                .replace('1', "l");
            assert_eq!(AccountKey::parse(&sloppy).unwrap(), key);
        }
        let fresh = AccountKey::generate().unwrap();
        assert_ne!(fresh, AccountKey::generate().unwrap());
        assert_eq!(format!("{fresh:?}"), "AccountKey(…)");
    }

    #[test]
    fn a_mistyped_key_is_named_a_typo() {
        let key = AccountKey::from_bytes([7; 16]);
        let text = key.to_text().to_string();
        assert!(matches!(AccountKey::parse(""), Err(Error::AccountKeyTypo)));
        assert!(matches!(
            AccountKey::parse(&text[..text.len() - 1]),
            Err(Error::AccountKeyTypo)
        ));
        assert!(matches!(
            AccountKey::parse(&format!("{text}A")),
            Err(Error::AccountKeyTypo)
        ));
        assert!(matches!(
            AccountKey::parse(&text.replace("PLI1", "PLI2")),
            Err(Error::AccountKeyTypo)
        ));
        assert!(matches!(
            AccountKey::parse(&text.replace('-', "!")),
            Err(Error::AccountKeyTypo)
        ));
        // Every single-character change is caught (by the alphabet, the padding bits
        // or the check byte) but for about one in 256.
        let mut missed = 0;
        let mut tried = 0;
        for at in 5..text.len() {
            if text.as_bytes()[at] == b'-' {
                continue;
            }
            for replacement in super::ALPHABET {
                let mut typo = text.clone().into_bytes();
                if typo[at] == *replacement {
                    continue;
                }
                typo[at] = *replacement;
                tried += 1;
                if AccountKey::parse(std::str::from_utf8(&typo).unwrap()).is_ok() {
                    missed += 1;
                }
            }
        }
        assert!(missed * 100 < tried, "{missed} of {tried} typos accepted");
    }
}
