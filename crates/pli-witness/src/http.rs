//! The HTTP interface (C2SP `tlog-witness`): `POST /add-checkpoint`.
//!
//! | outcome                                   | status | body                         |
//! |-------------------------------------------|--------|------------------------------|
//! | cosigned                                  | 200    | the cosignature line         |
//! | not a request, old size past the new one  | 400    | why, one line                |
//! | not signed by the log's key               | 403    | why                          |
//! | unknown origin                            | 404    | why                          |
//! | old size is not the witness's             | 409    | its size (`text/x.tlog.size`)|
//! | not an extension of what was cosigned     | 422    | why                          |
//! | larger than [`MAX_BODY`]                  | 413    |                              |
//! | the state could not be recorded           | 500    | `internal error`             |
//!
//! No other route: the spec's monitoring side is not written yet.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use pli_log::witness::{AddCheckpoint, Refusal};

use crate::{Witness, WitnessError};

/// The largest request body accepted: a checkpoint with a few signatures and 63 proof
/// lines is a few KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// The `Content-Type` of a 409's body (C2SP).
pub const TLOG_SIZE: &str = "text/x.tlog.size";

/// The witness's routes, at the root of its submission prefix.
pub fn router(witness: Witness) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(witness)
}

#[tracing::instrument(skip_all)]
async fn add_checkpoint(State(witness): State<Witness>, body: Bytes) -> Response {
    let answer = match AddCheckpoint::parse(&body) {
        Ok(request) => witness.add_checkpoint(request).await,
        Err(refusal) => Err(refusal.into()),
    };
    match answer {
        Ok(line) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            line,
        )
            .into_response(),
        Err(WitnessError::Refused(Refusal::Conflict { size })) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, TLOG_SIZE)],
            format!("{size}\n"),
        )
            .into_response(),
        Err(WitnessError::Refused(refusal)) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            text(status, format!("{refusal}\n"))
        }
        Err(error @ WitnessError::Internal(_)) => {
            tracing::error!(%error, "internal error");
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error\n".to_owned(),
            )
        }
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}
