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
mod proconnect;

pub use accounts::*;
pub use audit::*;
pub use directory::*;
pub use exchanges::*;
pub use orgs::*;
pub use proconnect::*;

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
    /// For a failed or refused login (and a password proved again): how long to wait,
    /// and how many attempts are left before the wait.
    #[serde(flatten)]
    pub attempts: Attempts,
}

/// What a person needs to know about login throttling: the real remaining wait, and a
/// warning before the last attempt. Absent from every other error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    /// `rate_limited`: seconds until an attempt is accepted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    /// `invalid_credentials`, `totp_invalid`: attempts left before logins from here are
    /// refused for [`Self::lockout_s`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u64>,
    /// How long the refusal then lasts, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout_s: Option<u64>,
}

fn code_from_wire<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<ErrorCode, D::Error> {
    let word = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    Ok(ErrorCode::from_wire(&word))
}
