//! Pli's wire types, shared by the relay server, the web app and the command line.
//!
//! This crate holds only data: typed identifiers, the JSON forms of the signed objects
//! (certificates, envelopes, receipts) and of key grants, requests, responses and the
//! stable machine error codes, and the part upload's headers ([`upload`]). It depends on
//! `serde` (and `base64`) only, so every component can link it, including the
//! WebAssembly bundle.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::cast_possible_truncation, reason = "test data"))]

mod bytes;
pub mod codes;
mod digest;
pub mod endpoints;
mod id;
pub mod messages;
mod signed;
pub mod upload;
mod vocab;

pub use bytes::{Base64, Base64Error};
pub use codes::ErrorCode;
pub use digest::{Sha256Hex, Sha256HexError};
pub use id::{ExchangeId, Id, IdParseError, OrgId, UserId};
pub use signed::{SignedObject, WireKeyGrant};
pub use vocab::{
    AccountStatus, Category, ExchangeState, InvitationKind, OrgKind, Role, SecondFactor,
    UnknownWord,
};
