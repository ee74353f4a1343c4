//! Requests and responses of the relay's HTTP API (JSON).
//!
//! Binary values travel as [`Base64`]; times as milliseconds since the Unix epoch; ids as
//! lowercase hyphenated UUIDs. Every request type refuses unknown fields.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

mod accounts;
mod audit;
mod directory;
mod exchanges;
mod orgs;

pub use accounts::*;
pub use audit::*;
pub use directory::*;
pub use exchanges::*;
pub use orgs::*;

/// An error body: `{"error": {"code": "…", "message": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable machine code and an English explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine code (a word this version does not know reads as [`ErrorCode::Unknown`]).
    #[serde(deserialize_with = "code_from_wire")]
    pub code: ErrorCode,
    /// Explanation for people (the web app shows its own French text per code).
    pub message: String,
}

fn code_from_wire<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<ErrorCode, D::Error> {
    let word = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    Ok(ErrorCode::from_wire(&word))
}
