//! `canonical`: every canonical decoder of `pli-crypto` on the same input —
//! certificates (organisation, person, organisation key), the envelope, the receipt, the
//! manifest, the preview, the key bundle, the key grant's organisation key, the
//! revocation, the log policy, the seen checkpoint, the key upgrade, the later identities
//! — and the encryption seed's decoder.
//!
//! * One value, one encoding: whatever decodes encodes back to exactly its input (the one
//!   exception, written on purpose: a version 1 key bundle, which ends before the
//!   trusted root's marker, encodes as version 2 with that marker at 0).
//! * What decodes can be encoded (no value a decoder accepts is refused by its encoder).
//! * At most one decoder accepts an input: the domain prefixes tell the types apart.

use pli_crypto::age::EncryptionSeed;
use pli_crypto::bundle::KeyBundle;
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, UserCertificate};
use pli_crypto::codec::Canonical;
use pli_crypto::envelope::Envelope;
use pli_crypto::grant::OrgKey;
use pli_crypto::manifest::Manifest;
use pli_crypto::preview::Preview;
use pli_crypto::receipt::Receipt;
use pli_crypto::statement::{LogPolicy, Revocation, SeenCheckpoint};
use pli_crypto::upgrade::{KeyUpgrade, LaterIdentities};

use super::property;

/// The `canonical` target.
pub fn canonical(data: &[u8]) {
    let count = accepted(data);
    property(count <= 1, || {
        format!("{count} decoders accept the same input")
    });
}

/// How many decoders accept `data` (checking each round trip).
pub(crate) fn accepted(data: &[u8]) -> usize {
    let accepted = [
        round_trip::<OrgCertificate>(data),
        round_trip::<UserCertificate>(data),
        round_trip::<OrgKeyCertificate>(data),
        round_trip::<Envelope>(data),
        round_trip::<Receipt>(data),
        round_trip::<Manifest>(data),
        round_trip::<Preview>(data),
        round_trip::<KeyBundle>(data),
        round_trip::<OrgKey>(data),
        round_trip::<Revocation>(data),
        round_trip::<LogPolicy>(data),
        round_trip::<SeenCheckpoint>(data),
        round_trip::<KeyUpgrade>(data),
        round_trip::<LaterIdentities>(data),
        seed(data),
    ];
    accepted.iter().filter(|ok| **ok).count()
}

/// Decodes `data` as a `T`; if it decodes, checks that it encodes back to `data`.
fn round_trip<T: Canonical>(data: &[u8]) -> bool {
    let Ok(value) = T::from_canonical(data) else {
        return false;
    };
    let name = T::DOMAIN.name();
    let encoded = value.to_canonical();
    let Ok(encoded) = encoded else {
        property(false, || {
            format!("a {name} decodes but does not encode: {encoded:?}")
        });
        return true;
    };
    let version_1_bundle = T::DOMAIN == KeyBundle::DOMAIN
        && encoded.strip_suffix(&[0]) == Some(data)
        && T::from_canonical(&encoded).is_ok();
    property(encoded == data || version_1_bundle, || {
        format!("a {name} encodes to other bytes than it was decoded from")
    });
    true
}

/// The encryption seed: `1 ‖ file key ‖ header ‖ nonce`, its MAC checked on decoding.
fn seed(data: &[u8]) -> bool {
    let Ok(seed) = EncryptionSeed::from_bytes(data) else {
        return false;
    };
    property(seed.to_bytes().as_slice() == data, || {
        "an encryption seed encodes to other bytes than it was decoded from".to_owned()
    });
    true
}
