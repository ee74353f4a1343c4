//! The fixed keys the targets use, so that every run of an input does the same thing
//! (a crash found once is found again): signing keys, the X25519 identity files are
//! encrypted to, an encryption seed for it, and the identities of the CCTV vectors.
//!
//! These are test keys, public in this repository; nothing else trusts them.

use std::sync::OnceLock;

use pli_crypto::age::{AnyIdentity, EncryptionSeed, Identity};
use pli_crypto::sign::SigningKey;

/// The platform authority of the fixtures.
pub(crate) fn root() -> SigningKey {
    SigningKey::from_bytes(&[0x01; 32])
}

/// An organisation admin, certified by [`root`].
pub(crate) fn admin() -> SigningKey {
    SigningKey::from_bytes(&[0x02; 32])
}

/// A member, certified by [`admin`].
pub(crate) fn member() -> SigningKey {
    SigningKey::from_bytes(&[0x03; 32])
}

/// The key that signs what the `signed` target verifies (and no certificate names).
pub(crate) fn signer() -> SigningKey {
    SigningKey::from_bytes(&[0x04; 32])
}

/// Someone else, whose signature must never pass for [`signer`]'s.
pub(crate) fn stranger() -> SigningKey {
    SigningKey::from_bytes(&[0x05; 32])
}

/// The X25519 identity the fixtures' files are encrypted to.
pub(crate) fn identity() -> Identity {
    Identity::from_bytes([0x50; 32])
}

/// An encryption seed for [`identity`]: `1 ‖ file key ‖ header ‖ nonce`, drawn once and
/// written here so that the files the targets encrypt are the same at every run.
const SEED_HEX: &str = concat!(
    "01c36c829ff14368005a34064b035dd0766167652d656e6372797074696f6e2e6f72672f76310a2d",
    "3e20583235353139204a70367668567a513154323145544f2b6c69734a3461326c557147547a4242",
    "454e46357966787272556d590a7349314837356a6947722f6d4e5834464b445a4750766b4e536369",
    "54724e386136304b796a5a5430464d730a2d2d2d207167576e3233707053744370567962576f4a67",
    "6c496c56506f712b7347535262653574536d6277542b6f730a793511991ff5a0ae9b6626f3d13b0d",
    "40",
);

/// [`SEED_HEX`] as a seed.
pub(crate) fn seed() -> &'static EncryptionSeed {
    static SEED: OnceLock<EncryptionSeed> = OnceLock::new();
    SEED.get_or_init(|| {
        EncryptionSeed::from_bytes(&hex(SEED_HEX)).unwrap_or_else(|_| broken("SEED_HEX"))
    })
}

/// A constant of this module is not what it must be (a test of this module says which).
#[allow(
    clippy::panic,
    reason = "a broken fixture must stop the run, not make it random"
)]
fn broken(what: &str) -> ! {
    panic!("the fixture {what} is broken")
}

/// The bytes the header of every file encrypted from [`seed`] takes, with its nonce.
pub(crate) fn seed_prefix_len() -> usize {
    // `1 ‖ file key (16) ‖ header ‖ nonce`.
    seed().to_bytes().len().saturating_sub(17)
}

/// [`identity`], then every identity of the CCTV vectors (X25519 and hybrid), so that the
/// vectors' files get past their header into the payload.
pub(crate) fn identities() -> &'static [AnyIdentity] {
    static IDENTITIES: OnceLock<Vec<AnyIdentity>> = OnceLock::new();
    IDENTITIES.get_or_init(|| {
        let mut texts: Vec<String> = Vec::new();
        for vector in vectors() {
            for text in &vector.identities {
                if !texts.contains(text) {
                    texts.push(text.clone());
                }
            }
        }
        std::iter::once(AnyIdentity::X25519(identity()))
            .chain(texts.iter().filter_map(|text| text.parse().ok()))
            .collect()
    })
}

/// The CCTV vectors, inflated once.
pub(crate) fn vectors() -> &'static [pli_testvectors::Vector] {
    static VECTORS: OnceLock<Vec<pli_testvectors::Vector>> = OnceLock::new();
    VECTORS.get_or_init(|| pli_testvectors::cctv().0)
}

/// Decodes hexadecimal digits (the fixtures' own constants).
fn hex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks_exact(2)
        .filter_map(|pair| {
            let pair = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_a_valid_one_for_the_identity() {
        let seed = EncryptionSeed::from_bytes(&hex(SEED_HEX)).unwrap();
        let (file, _) = {
            let mut out = Vec::new();
            let mut encryptor = pli_crypto::age::Encryptor::from_seed(&seed).unwrap();
            encryptor.update(b"fixture", &mut out).unwrap();
            let summary = encryptor.finish(&mut out).unwrap();
            (out, summary)
        };
        let plaintext = pli_crypto::age::decrypt_to_vec(&[identity()], &file).unwrap();
        assert_eq!(plaintext, b"fixture");
        assert_eq!(
            seed_prefix_len() as u64,
            pli_crypto::age::x25519_header_len(1) + 16
        );
    }

    #[test]
    fn the_cctv_identities_parse() {
        // The fixture's and the vectors' own (several X25519 ones and hybrid ones).
        assert!(identities().len() > 2, "{}", identities().len());
    }
}
