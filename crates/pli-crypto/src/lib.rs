//! Pli's cryptography, identical natively and in the browser (`wasm32-unknown-unknown`).
//!
//! * [`age`]: the age v1 file format (C2SP), written from the specification on RustCrypto
//!   and dalek primitives: X25519 recipients, ChaCha20-Poly1305 STREAM, ASCII armor,
//!   streaming in both directions with bounded memory through a push API, strict header
//!   parsing with a cap on stanzas and header size.
//! * [`codec`]: the canonical, versioned, domain-separated encoding of signed objects.
//! * [`sign`], [`cert`], [`envelope`], [`receipt`]: Ed25519 signatures, the key
//!   certificates, the exchange envelope and the read receipt.
//! * [`manifest`]: what an exchange contains (subject, message, files), sealed as an age
//!   object.
//! * [`password`]: the password scheme's parameters (public) and derivation (`secret`).
//! * [`keys`], [`bundle`], [`grant`]: a person's keys, their sealed key bundle, and
//!   organisation keys granted to members (feature `secret` for private halves).
//!
//! This crate does no I/O: callers pass bytes in and take bytes out, and pass the current
//! time in. Everything that holds or uses a private key sits behind the `secret` feature,
//! which the relay server does not enable.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::cast_possible_truncation, reason = "test data"))]

pub mod age;
pub mod cert;
pub mod codec;
pub mod envelope;
mod error;
pub mod keys;
pub mod manifest;
pub mod password;
pub mod preview;
pub mod receipt;
pub mod sign;
pub mod statement;
pub mod upgrade;

#[cfg(feature = "secret")]
pub mod account_key;
#[cfg(feature = "secret")]
pub mod authority;
#[cfg(feature = "secret")]
pub mod bundle;
#[cfg(feature = "secret")]
pub mod grant;
#[cfg(feature = "secret")]
pub mod passkey;
#[cfg(feature = "secret")]
mod random;

pub use error::{DecryptError, Error};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(data).into()
}
