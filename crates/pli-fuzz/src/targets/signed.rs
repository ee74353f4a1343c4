//! `signed`: signed-object verification ([`Signed::verify`]) and the certificate chains of
//! [`TrustRoot`], on encodings the fixtures' keys sign.
//!
//! The input's first byte picks a mode ([`SIGNED_MODES`]); the rest is what is signed:
//! one encoding, or for a chain several, each but the last preceded by its length (two
//! bytes, big-endian).
//!
//! * One signed type: verification with the signer's key accepts exactly what decoding
//!   accepts, giving the same value (and refuses, with decoding's error, what it refuses);
//!   with a bit of the signature flipped it refuses, as a bad signature, whatever the
//!   bytes; what it accepts, it refuses with another key, a malleated signature (`s + ℓ`)
//!   or a byte of the data changed. The JSON wire form carries the same bytes and
//!   signature back.
//! * A key upgrade is the same, signed by the person's own signing key (the fixture
//!   member's, whose certificate names it): the other key it must be refused with is
//!   their admin's, who cannot ask for a key in their name; and what verifies is to a
//!   post-quantum key.
//! * Chains: an admin's certificate the root signed is accepted only if it decodes, names
//!   the root as issuer and is not a member's; a member's, only with its admin's
//!   certificate, an admin of the same organisation whose key signed it and is named as
//!   issuer; an organisation key, only with the organisation's certificate and its
//!   admin's, whose key signed it. Nothing signed by the wrong key passes.

use std::fmt::Debug;

use pli_api::SignedObject;
use pli_crypto::Error;
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, Role, TrustRoot, UserCertificate};
use pli_crypto::codec::Canonical;
use pli_crypto::envelope::Envelope;
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::{Signed, SigningKey};
use pli_crypto::statement::{LogPolicy, Revocation, SeenCheckpoint};
use pli_crypto::upgrade::KeyUpgrade;

use super::property;
use crate::fixtures;

/// The modes, by the input's first byte (modulo their number). Seeds name a mode by its
/// index: add new ones at the end.
pub const SIGNED_MODES: &[&str] = &[
    "org certificate",
    "user certificate",
    "org key certificate",
    "envelope",
    "receipt",
    "revocation",
    "log policy",
    "seen checkpoint",
    "chain: admin",
    "chain: member and admin",
    "chain: org, org key and admin",
    "key upgrade",
];

/// The `signed` target.
pub fn signed(data: &[u8]) {
    let Some((&mode, payload)) = data.split_first() else {
        return;
    };
    match usize::from(mode) % SIGNED_MODES.len() {
        0 => one::<OrgCertificate>(payload),
        1 => one::<UserCertificate>(payload),
        2 => one::<OrgKeyCertificate>(payload),
        3 => one::<Envelope>(payload),
        4 => one::<Receipt>(payload),
        5 => one::<Revocation>(payload),
        6 => one::<LogPolicy>(payload),
        7 => one::<SeenCheckpoint>(payload),
        8 => admin(payload),
        9 => member(payload),
        10 => org_key(payload),
        _ => key_upgrade(payload),
    }
}

/// `data` signed by `key`.
fn sign<T>(data: &[u8], key: &SigningKey) -> Signed<T> {
    Signed::from_parts(data.to_vec(), key.sign(data))
}

/// `data` signed by the fixture signer, which no certificate names.
fn one<T: Canonical + PartialEq + Debug>(data: &[u8]) {
    one_signed_by::<T>(data, &fixtures::signer(), &fixtures::stranger());
}

/// A key upgrade, signed by the person whose certificate names the key (the fixture
/// member), refused with their admin's key.
fn key_upgrade(data: &[u8]) {
    if let Some(upgrade) =
        one_signed_by::<KeyUpgrade>(data, &fixtures::member(), &fixtures::admin())
    {
        property(upgrade.encryption_key.is_post_quantum(), || {
            format!("a key upgrade to a key that is not post-quantum: {upgrade:?}")
        });
    }
}

/// `data` signed by `key`, checked as the module says (`other` is the key it must be
/// refused with); what verification accepted, if it did.
fn one_signed_by<T: Canonical + PartialEq + Debug>(
    data: &[u8],
    key: &SigningKey,
    other: &SigningKey,
) -> Option<T> {
    let signed = sign::<T>(data, key);
    let verified = signed.verify(&key.verifying_key());
    let decoded = T::from_canonical(data);
    property(verified == decoded, || {
        format!("verified: {verified:?}; decoded: {decoded:?}")
    });

    // The signature is checked before the bytes are read: a wrong one is refused as such,
    // whatever the bytes.
    let flipped = Signed::<T>::from_parts(data.to_vec(), flipped(signed.signature(), data));
    property(
        flipped.verify(&key.verifying_key()) == Err(Error::BadSignature),
        || "verified with a bit of the signature flipped".to_owned(),
    );
    // What is accepted with its signature is refused with any other (each check costs a
    // verification: done only for bytes that decode, which is where they matter).
    if verified.is_ok() {
        property(
            signed.verify(&other.verifying_key()) == Err(Error::BadSignature),
            || "verified with another key".to_owned(),
        );
        let forged = Signed::<T>::from_parts(data.to_vec(), malleated(signed.signature()));
        property(
            forged.verify(&key.verifying_key()) == Err(Error::BadSignature),
            || "verified with a malleated signature (s + ℓ)".to_owned(),
        );
        let mut altered = data.to_vec();
        let at = usize::from(data.first().copied().unwrap_or(0)) % altered.len().max(1);
        if let Some(byte) = altered.get_mut(at) {
            *byte ^= 0x01;
        }
        let altered = Signed::<T>::from_parts(altered, *signed.signature());
        property(
            altered.verify(&key.verifying_key()) == Err(Error::BadSignature),
            || format!("verified with byte {at} of the data changed"),
        );
    }

    let json = serde_json::to_vec(&signed.to_wire()).unwrap_or_default();
    let back = serde_json::from_slice::<SignedObject>(&json)
        .map_err(|error| error.to_string())
        .and_then(|wire| Signed::<T>::from_wire(&wire).map_err(|error| error.to_string()));
    property(back.as_ref() == Ok(&signed), || {
        format!("the wire form does not carry the signed object back: {back:?}")
    });
    verified.ok()
}

/// One bit of the signature flipped (which one depends on the data).
fn flipped(signature: &[u8; 64], data: &[u8]) -> [u8; 64] {
    let bit = data.iter().fold(data.len(), |acc, byte| {
        acc.wrapping_mul(31).wrapping_add(usize::from(*byte))
    }) % 512;
    let mut out = *signature;
    if let Some(byte) = out.get_mut(bit / 8) {
        *byte ^= 1 << (bit % 8);
    }
    out
}

/// The group order ℓ, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The signature with `s + ℓ` for `s`: the same point equation, a non-canonical scalar.
fn malleated(signature: &[u8; 64]) -> [u8; 64] {
    let mut out = *signature;
    let mut carry = 0u16;
    for (byte, ell) in out.iter_mut().skip(32).zip(ELL) {
        let sum = u16::from(*byte) + u16::from(ell) + carry;
        *byte = sum.to_le_bytes().first().copied().unwrap_or(0);
        carry = sum >> 8;
    }
    out
}

/// The first `N - 1` length-prefixed parts of `data`, then the rest (empty parts once it
/// runs out).
fn parts<const N: usize>(mut data: &[u8]) -> [&[u8]; N] {
    let mut out = [&[][..]; N];
    for (index, part) in out.iter_mut().enumerate() {
        if index + 1 == N {
            *part = data;
            break;
        }
        let Some((len, rest)) = data.split_first_chunk::<2>() else {
            *part = data;
            data = &[];
            continue;
        };
        let len = usize::from(u16::from_be_bytes(*len));
        let (head, tail) = rest.split_at(len.min(rest.len()));
        *part = head;
        data = tail;
    }
    out
}

fn trust_root() -> TrustRoot {
    TrustRoot(fixtures::root().verifying_key())
}

/// An admin's certificate, signed by the root (and by the admin itself, which must fail).
fn admin(data: &[u8]) {
    let root = trust_root();
    let verified = root.verify_admin(&sign(data, &fixtures::root()));
    if let Ok(cert) = &verified {
        property(
            UserCertificate::from_canonical(data).as_ref() == Ok(cert)
                && cert.issuer == root.fingerprint()
                && cert.role != Role::Member,
            || format!("an admin certificate accepted: {cert:?}"),
        );
    }
    property(
        root.verify_admin(&sign(data, &fixtures::admin())).is_err(),
        || "an admin certificate the root did not sign is accepted".to_owned(),
    );
}

/// A member's certificate signed by the fixture admin, with an admin certificate signed
/// by the root.
fn member(data: &[u8]) {
    let [member, issuer] = parts::<2>(data);
    let root = trust_root();
    let admin_key = fixtures::admin().verifying_key();
    let cert = sign::<UserCertificate>(member, &fixtures::admin());
    let issuer_cert = sign::<UserCertificate>(issuer, &fixtures::root());
    let verified = root.verify_user(&cert, Some(&issuer_cert));
    if let Ok(accepted) = &verified {
        let admin = UserCertificate::from_canonical(issuer);
        property(
            UserCertificate::from_canonical(member).as_ref() == Ok(accepted)
                && accepted.role == Role::Member
                && accepted.issuer == admin_key.fingerprint()
                && admin.as_ref().is_ok_and(|admin| {
                    admin.signing_key == admin_key
                        && admin.role == Role::OrgAdmin
                        && admin.issuer == root.fingerprint()
                        && admin.org_id == accepted.org_id
                }),
            || format!("a member certificate accepted: {accepted:?} (issuer {admin:?})"),
        );
    }
    property(root.verify_user(&cert, None).is_err(), || {
        "a member certificate accepted without its issuer".to_owned()
    });
    if !names_member_key(issuer) {
        let by_member = sign::<UserCertificate>(member, &fixtures::member());
        property(
            root.verify_user(&by_member, Some(&issuer_cert)).is_err(),
            || "a certificate signed by a member is accepted".to_owned(),
        );
    }
}

/// An organisation key signed by the fixture admin, with the organisation's certificate
/// and the admin's, both signed by the root.
fn org_key(data: &[u8]) {
    let [org, key, admin] = parts::<3>(data);
    let root = trust_root();
    let admin_key = fixtures::admin().verifying_key();
    let org_cert = sign::<OrgCertificate>(org, &fixtures::root());
    let key_cert = sign::<OrgKeyCertificate>(key, &fixtures::admin());
    let admin_cert = sign::<UserCertificate>(admin, &fixtures::root());
    if let Ok((org_value, key_value)) = root.verify_org_key(&org_cert, &key_cert, &admin_cert) {
        let admin_value = UserCertificate::from_canonical(admin);
        property(
            OrgCertificate::from_canonical(org).as_ref() == Ok(&org_value)
                && OrgKeyCertificate::from_canonical(key).as_ref() == Ok(&key_value)
                && key_value.org_id == org_value.org_id
                && key_value.issuer == admin_key.fingerprint()
                && admin_value.as_ref().is_ok_and(|admin| {
                    admin.signing_key == admin_key
                        && admin.role == Role::OrgAdmin
                        && admin.issuer == root.fingerprint()
                        && admin.org_id == org_value.org_id
                }),
            || format!("an organisation key accepted: {key_value:?}"),
        );
    }
    if !names_member_key(admin) {
        let by_member = sign::<OrgKeyCertificate>(key, &fixtures::member());
        property(
            root.verify_org_key(&org_cert, &by_member, &admin_cert)
                .is_err(),
            || "an organisation key signed by a member is accepted".to_owned(),
        );
    }
}

/// Whether `data` is a certificate for the fixture member's key (which then is an
/// admin's, as far as that certificate goes).
fn names_member_key(data: &[u8]) -> bool {
    UserCertificate::from_canonical(data)
        .is_ok_and(|cert| cert.signing_key == fixtures::member().verifying_key())
}
