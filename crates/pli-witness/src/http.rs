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
//! | not received within [`REQUEST_DEADLINE`]  | 408    | `too slow`                   |
//! | the state could not be recorded           | 500    | `internal error`             |
//!
//! No other route: the spec's monitoring side is not written yet.

use axum::Router;
use axum::body::Bytes;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use pli_log::witness::{AddCheckpoint, Refusal};

use crate::{Witness, WitnessError};

/// The largest request body accepted: a checkpoint with a few signatures and 63 proof
/// lines is a few KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// The `Content-Type` of a 409's body (C2SP).
pub const TLOG_SIZE: &str = "text/x.tlog.size";

/// How long one request may take, its body included: an honest one takes milliseconds
/// (a few KiB, a signature check, a state write), so a body trickled a byte at a time
/// cannot hold a connection for long.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);

/// The witness's routes, at the root of its submission prefix; a request not answered
/// within `deadline` (its body still coming, say) is answered 408 and its connection closed.
pub fn router(witness: Witness, deadline: Duration) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(move |request, next: Next| {
            within(deadline, request, next)
        }))
        .with_state(witness)
}

/// Runs `request` through `next`, or answers 408 once `deadline` passes.
async fn within(deadline: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = text(StatusCode::REQUEST_TIMEOUT, "too slow\n".to_owned());
            // Part of the body may still be on its way: the connection cannot carry
            // another request.
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            response
        }
    }
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
