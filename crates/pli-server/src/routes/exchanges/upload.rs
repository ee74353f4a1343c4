//! Resumable uploads: which parts are stored, one part verified while it streams to the
//! blob store (its SHA-256, the one hash of its bytes the relay computes: the envelope
//! binds the parts' hashes, `complete.rs`), and cancelling an upload not yet completed.

use crate::routes::Found;
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::TryStreamExt as _;
use pli_api::ErrorCode;
use pli_api::endpoints as ep;
use pli_api::messages::{ExchangeCreated, ObjectProgress};
use pli_api::upload::{self, PartLengthError};

use super::super::Json;
use crate::app::AppState;
use crate::auth::Auth;
use crate::blob::{BlobKey, Expected};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::now_ms;
use crate::pace::BodyTimer;
use crate::store::exchanges::ExchangeState;
use crate::store::objects::PartRecord;

use super::*;
use crate::audit::{Action, AuditEvent, Chain};

pub(in crate::routes) async fn upload_status(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::UploadStatus { id }): Found<ep::UploadStatus>,
) -> Result<Json<ExchangeCreated>, ApiError> {
    let exchange = own_upload(&state, &auth, id).await?;
    let objects = state.store.objects(&exchange.id).await?;
    Ok(Json(created(&exchange, &objects)))
}

/// The part's SHA-256 from its `Content-Digest: sha-256=:<base64>:` (RFC 9530), read by
/// `pli_api::upload` (the client writes it with the same module).
fn content_digest(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    headers
        .get("content-digest")
        .and_then(|value| upload::parse_content_digest(value.as_bytes()))
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::MissingDigest,
                "send the part's SHA-256 as Content-Digest: sha-256=:…:",
            )
        })
}

/// Refuses a `Content-Length` that is not the part's exact length (`expected_len`); none
/// (a chunked body) is fine: the blob store counts the bytes anyway.
fn content_length(headers: &HeaderMap, expected_len: u64) -> Result<(), ApiError> {
    let value = headers.get(header::CONTENT_LENGTH).map(|v| v.as_bytes());
    let exact = || format!("this part is {expected_len} bytes");
    upload::check_content_length(value, expected_len).map_err(|error| match error {
        PartLengthError::TooLarge => ApiError::TooLarge(ErrorCode::PartTooLarge, exact()),
        PartLengthError::Incomplete => ApiError::bad_request(ErrorCode::PartIncomplete, exact()),
        PartLengthError::Malformed => {
            ApiError::bad_request(ErrorCode::BadRequest, error.to_string())
        }
    })
}

pub(in crate::routes) async fn put_part(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::PutPart { id, idx, part }): Found<ep::PutPart>,
    timer: BodyTimer,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ObjectProgress>, ApiError> {
    let exchange = own_upload(&state, &auth, id).await?;
    if exchange.state != ExchangeState::Uploading {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this exchange is not being uploaded",
        ));
    }
    recipient_key_usable(&state, &exchange).await?;
    let objects = state.store.objects(&exchange.id).await?;
    let object = objects
        .iter()
        .find(|o| o.idx == idx)
        .ok_or(ApiError::NotFound)?;
    if part >= object.part_count {
        return Err(ApiError::NotFound);
    }
    let expected_len = (object.size - u64::from(part) * PART_SIZE).min(PART_SIZE);
    let sha256 = content_digest(&headers)?;
    content_length(&headers, expected_len)?;
    if part < object.parts_stored {
        // A retry of a part already stored (its acknowledgement was lost): same bytes, same answer.
        let stored = state.store.part_sha256(&exchange.id, idx, part).await?;
        return if stored.as_deref() == Some(&sha256[..]) {
            Ok(Json(ObjectProgress {
                idx,
                size: object.size,
                part_count: object.part_count,
                parts_stored: object.parts_stored,
            }))
        } else {
            Err(ApiError::conflict(
                ErrorCode::Conflict,
                "a different part is already stored here",
            ))
        };
    }
    if part > object.parts_stored {
        return Err(ApiError::conflict(
            ErrorCode::PartOutOfOrder,
            format!("send part {} of this object first", object.parts_stored),
        ));
    }

    // Only now, with the body about to be read, does the upload take one of the account's
    // slots; it gives it back when this request ends, however it ends.
    let _slot = state
        .uploads
        .try_take(auth.user_id())
        .ok_or(ApiError::Busy)?;
    let blob_key = BlobKey::part(&exchange.id, idx, part, &sha256);
    let stored = state
        .blobs
        .put(
            &blob_key,
            Box::pin(body.into_data_stream().map_err(std::io::Error::other)),
            Expected {
                len: expected_len,
                sha256,
            },
        )
        .await;
    if let Err(error) = stored {
        // Nothing was kept: a part cut for its pace is `too_slow`, and can be sent again.
        return Err(if timer.cut() {
            ApiError::TooSlow
        } else {
            error.into()
        });
    }
    Metrics::add(&state.metrics.bytes_uploaded, expected_len);
    let mut tx = state.store.begin().await?;
    let recorded = tx
        .record_part(&exchange.id, idx, part, expected_len, &sha256, now_ms())
        .await?;
    tx.commit().await?;
    if recorded != PartRecord::Recorded {
        // Not recorded by this request. If the same bytes are recorded here (this part
        // sent again, its first upload recorded first, perhaps before the exchange was
        // completed), they are the blob this request has just written again, under the
        // same name: it stays, and the answer is the same as theirs. Otherwise ours go: a
        // different part is recorded here, or none is any more (the send was cancelled,
        // or the upload purged, while this part was arriving: its erasure may have run
        // already).
        let stored = state.store.part_sha256(&exchange.id, idx, part).await?;
        if stored.as_deref() != Some(&sha256[..]) {
            if let Err(error) = state.blobs.delete(&blob_key).await {
                tracing::warn!(%error, "an unrecorded part stays until its exchange is purged or swept");
            }
            return Err(if recorded == PartRecord::NotUploading {
                ApiError::conflict(ErrorCode::WrongState, "this exchange is not being uploaded")
            } else {
                ApiError::conflict(
                    ErrorCode::Conflict,
                    "a different part is already stored here",
                )
            });
        }
    }
    Ok(Json(ObjectProgress {
        idx,
        size: object.size,
        part_count: object.part_count,
        parts_stored: part + 1,
    }))
}

pub(in crate::routes) async fn cancel(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::CancelExchange { id }): Found<ep::CancelExchange>,
) -> Result<StatusCode, ApiError> {
    let exchange = own_upload(&state, &auth, id).await?;
    if exchange.state != ExchangeState::Uploading {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "only an upload in progress can be cancelled",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    // The audit chain's lock first, then the exchange's row, in the order of the
    // completion and of the maintenance (the other order could deadlock with them).
    tx.lock_orgs_chains(&[exchange.sender_org_id]).await?;
    // Completed since it was read: delivered, it is not cancelled (nor erased).
    if tx
        .mark_purged(&exchange.id, ExchangeState::Uploading, now)
        .await?
        .is_none()
    {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "only an upload in progress can be cancelled",
        ));
    }
    tx.audit(AuditEvent {
        chain: Chain::Org(exchange.sender_org_id),
        at: now,
        actor: Some(auth.user_id()),
        action: Action::ExchangeCancelled,
        object_id: exchange.id.to_string(),
        detail: "{}".to_owned(),
    })
    .await?;
    tx.commit().await?;
    // The row first (nothing can complete it any more), then the blobs; leftovers of a
    // crash in between are orphans for the maintenance sweep.
    state
        .blobs
        .delete_prefix(&BlobKey::exchange_prefix(&exchange.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
