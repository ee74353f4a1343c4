//! One error type for every request: a stable machine `code`, the right status, and a
//! message safe to show. 5xx bodies are generic; their detail goes to the log only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pli_api::ErrorCode;
use serde::Serialize;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The request is malformed; the text says what is wrong (never secret).
    #[error("{1}")]
    BadRequest(ErrorCode, String),
    /// No valid session.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong e-mail or password (never says which).
    #[error("wrong e-mail address or password")]
    InvalidCredentials,
    /// The account has TOTP: a code is needed.
    #[error("a one-time code is required")]
    TotpRequired,
    /// The TOTP code is wrong or was already used.
    #[error("wrong or already used one-time code")]
    TotpInvalid,
    /// Admins must enable TOTP before using admin functions.
    #[error("enable two-factor authentication first")]
    TotpSetupRequired,
    /// A sensitive operation needs a recent password proof.
    #[error("confirm your password to continue")]
    ReauthRequired,
    /// The request's origin is not this server's.
    #[error("cross-origin request refused")]
    OriginMismatch,
    /// Authenticated, but not allowed.
    #[error("not allowed")]
    Forbidden,
    /// No such object, or not visible to this account (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The object is not in a state that allows this.
    #[error("{1}")]
    Conflict(ErrorCode, String),
    /// The object existed but is gone for good (an expired exchange).
    #[error("{1}")]
    Gone(ErrorCode, String),
    /// The requested byte range is outside the object.
    #[error("the requested range is outside the object")]
    RangeNotSatisfiable(u64),
    /// The Idempotency-Key was used for a different request.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyMismatch,
    /// A signed object does not verify or does not match what the relay knows.
    #[error("{1}")]
    Unprocessable(ErrorCode, String),
    /// The body is larger than allowed.
    #[error("{1}")]
    TooLarge(ErrorCode, String),
    /// Too many attempts; retry after the given seconds.
    #[error("too many attempts, retry later")]
    RateLimited(u64),
    /// A failed login (or password proof): `code` is `invalid_credentials` or
    /// `totp_invalid`, with the attempts left before logins from here are refused for
    /// `lockout_s` seconds.
    #[error("wrong credentials; {attempts_left} attempts left before a wait")]
    FailedAttempt {
        /// What failed.
        code: ErrorCode,
        /// Attempts left.
        attempts_left: u64,
        /// The wait that follows the last.
        lockout_s: u64,
    },
    /// The storage is full.
    #[error("storage is full, retry later")]
    StorageFull,
    /// A dependency (database, blob store) is unavailable; retry.
    #[error("temporarily unavailable, retry later")]
    Unavailable,
    /// The relay does as much of this as it can at once (password checks, part uploads,
    /// live-event streams); retry in a second.
    #[error("the relay is busy, retry in a moment")]
    Busy,
    /// The request body arrived too slowly (nothing for too long, or too little on
    /// average) and was cut; nothing of it was kept.
    #[error("the request body arrived too slowly and was cut; send it again")]
    TooSlow,
    /// A bug or an unexpected failure; the detail is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 400 with a code and a safe explanation.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::BadRequest(code, message.into())
    }

    /// A 409 with a code and a safe explanation.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict(code, message.into())
    }

    /// A 422 with a code and a safe explanation.
    pub fn unprocessable(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Unprocessable(code, message.into())
    }

    /// An unexpected failure, logged with its detail.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// The stable machine code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(code, _)
            | Self::Conflict(code, _)
            | Self::Gone(code, _)
            | Self::Unprocessable(code, _)
            | Self::TooLarge(code, _) => *code,
            Self::RangeNotSatisfiable(_) => ErrorCode::RangeNotSatisfiable,
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::TotpRequired => ErrorCode::TotpRequired,
            Self::TotpInvalid => ErrorCode::TotpInvalid,
            Self::TotpSetupRequired => ErrorCode::TotpSetupRequired,
            Self::ReauthRequired => ErrorCode::ReauthRequired,
            Self::OriginMismatch => ErrorCode::OriginMismatch,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::NotFound => ErrorCode::NotFound,
            Self::IdempotencyMismatch => ErrorCode::IdempotencyMismatch,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::FailedAttempt { code, .. } => *code,
            Self::StorageFull => ErrorCode::StorageFull,
            Self::Unavailable => ErrorCode::Unavailable,
            Self::Busy => ErrorCode::Busy,
            Self::TooSlow => ErrorCode::TooSlow,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(..) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated
            | Self::InvalidCredentials
            | Self::TotpRequired
            | Self::TotpInvalid => StatusCode::UNAUTHORIZED,
            Self::TotpSetupRequired
            | Self::ReauthRequired
            | Self::OriginMismatch
            | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::TooSlow => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict(..) => StatusCode::CONFLICT,
            Self::Gone(..) => StatusCode::GONE,
            Self::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::IdempotencyMismatch | Self::Unprocessable(..) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge(..) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::FailedAttempt { .. } => StatusCode::UNAUTHORIZED,
            Self::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Self::Unavailable | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The JSON body of an error: `{"error": {"code": "…", "message": "…"}}`.
#[derive(Debug, Serialize)]
struct Body {
    error: Inner,
}

#[derive(Debug, Serialize)]
struct Inner {
    code: ErrorCode,
    message: String,
    #[serde(flatten)]
    attempts: pli_api::messages::Attempts,
}

impl ApiError {
    /// What a person is told about login throttling.
    fn attempts(&self) -> pli_api::messages::Attempts {
        match self {
            Self::RateLimited(seconds) => pli_api::messages::Attempts {
                retry_after_s: Some((*seconds).max(1)),
                ..Default::default()
            },
            Self::FailedAttempt {
                attempts_left,
                lockout_s,
                ..
            } => pli_api::messages::Attempts {
                attempts_left: Some(*attempts_left),
                lockout_s: Some(*lockout_s),
                ..Default::default()
            },
            _ => pli_api::messages::Attempts::default(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(detail) = &self {
            tracing::error!(code = self.code().as_str(), detail = %detail, "request failed");
        } else if status.is_server_error() {
            tracing::warn!(code = self.code().as_str(), "request failed");
        }
        let body = Body {
            error: Inner {
                code: self.code(),
                message: self.to_string(),
                attempts: self.attempts(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        let retry_after = match self {
            Self::RateLimited(seconds) => Some(seconds.max(1)),
            Self::Unavailable | Self::StorageFull => Some(5),
            Self::Busy => Some(1),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Self::RangeNotSatisfiable(size) = self
            && let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(what) => Self::conflict(ErrorCode::Conflict, what),
            StoreError::Unavailable(detail) => {
                tracing::warn!(detail = %detail, "database unavailable");
                Self::Unavailable
            }
            StoreError::Full(detail) => {
                tracing::warn!(detail = %detail, "database disk full");
                Self::StorageFull
            }
            StoreError::Other(detail) => Self::Internal(detail),
        }
    }
}

impl From<crate::blob::BlobError> for ApiError {
    fn from(error: crate::blob::BlobError) -> Self {
        use crate::blob::BlobError;
        match error {
            BlobError::NotFound => Self::NotFound,
            BlobError::TooLong => Self::TooLarge(
                ErrorCode::PartTooLarge,
                "the part is larger than declared".into(),
            ),
            BlobError::TooShort => Self::bad_request(
                ErrorCode::PartIncomplete,
                "the part is shorter than declared",
            ),
            BlobError::DigestMismatch => Self::bad_request(
                ErrorCode::PartHashMismatch,
                "the part does not match its Content-Digest",
            ),
            BlobError::Interrupted(_) => {
                Self::bad_request(ErrorCode::PartInterrupted, "the upload was interrupted")
            }
            BlobError::Full => Self::StorageFull,
            BlobError::Backend(detail) => {
                tracing::warn!(detail = %detail, "blob store failure");
                Self::Unavailable
            }
        }
    }
}
