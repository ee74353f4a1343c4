//! The age v1 file format ([age-encryption.org/v1](https://age-encryption.org/v1)).
//!
//! Two native recipient types: X25519 ([`Recipient`], [`Identity`]) and, with the
//! `secret` feature, the MLKEM768-X25519 hybrid post-quantum type ([`HybridRecipient`],
//! [`HybridIdentity`]); [`AnyRecipient`] and [`AnyIdentity`] hold either.
//!
//! Written from the specification on RustCrypto and dalek primitives (and the `hpke`
//! crate for the hybrid type's HPKE), so that:
//! * the header is parsed exactly as the spec's ABNF says (the `age` crate accepts some
//!   headers the spec rejects, such as a stanza without its final short line);
//! * the number of stanzas ([`MAX_STANZAS`]) and the header size ([`MAX_HEADER_LEN`])
//!   are capped *before* any expensive work (X25519, HKDF);
//! * encryption and decryption are push APIs ([`Encryptor`], [`Decryptor`]) that work the
//!   same in WebAssembly, with `Read`/`Write` adapters on top;
//! * the STREAM chunks, which are independent, can be sealed and opened on several cores
//!   (feature `parallel`) while the output stays byte-for-byte an age file and no
//!   unauthenticated plaintext is released;
//! * the SHA-256 of the ciphertext, which the envelope needs, is computed on the way, or
//!   not at all when the caller does not need it ([`Summary`]).
//!
//! Correctness is guarded by the C2SP CCTV vectors (native and in the browser) and by
//! interoperability tests with the reference `age` command and the `age` crate.

mod armor;
mod b64;
pub(crate) mod bech;
mod format;
mod x25519;

#[cfg(feature = "secret")]
mod decrypt;
#[cfg(feature = "secret")]
mod encrypt;
#[cfg(feature = "secret")]
mod io;
#[cfg(feature = "secret")]
mod mlkem768x25519;
#[cfg(feature = "secret")]
mod native;
#[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
mod parallel;
#[cfg(feature = "secret")]
mod stream;
#[cfg(feature = "secret")]
mod summary;

pub use armor::{ArmorDecoder, armor};
pub use format::{Header, HeaderParse, MAX_HEADER_LEN, MAX_STANZAS, Stanza, parse_header};
pub use x25519::Recipient;

#[cfg(feature = "secret")]
pub use decrypt::{Decryptor, Lent, decrypt_to_vec};
#[cfg(feature = "secret")]
pub use encrypt::{
    EncryptionSeed, Encryptor, Reserved, encrypt_to_vec, encrypt_to_vec_allowing_mix,
};
#[cfg(feature = "secret")]
pub use io::{DecryptReader, EncryptWriter};
#[cfg(feature = "secret")]
pub use mlkem768x25519::{HybridIdentity, HybridRecipient};
#[cfg(feature = "secret")]
pub use native::{AnyIdentity, AnyRecipient};
#[cfg(feature = "secret")]
pub use stream::{
    CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, TAG_SIZE, ciphertext_len, encrypted_len, encrypted_len_to,
    header_len, x25519_header_len,
};
#[cfg(feature = "secret")]
pub use summary::{EncryptSummary, Lengths, Summary};
#[cfg(feature = "secret")]
pub use x25519::Identity;

/// The 128-bit key that encrypts one file's payload.
#[cfg(feature = "secret")]
pub(crate) struct FileKey(pub(crate) zeroize::Zeroizing<[u8; 16]>);
