//! Resumable uploads: which parts are stored, one part verified while it streams to the
//! blob store, and cancelling an upload not yet completed.

use crate::routes::Found;
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use futures_util::StreamExt as _;
use pli_api::ErrorCode;
use pli_api::endpoints as ep;
use pli_api::messages::{ExchangeCreated, ObjectProgress};
use pli_api::upload::{self, PartLengthError};
use sha2::digest::common::hazmat::SerializableState as _;
use sha2::{Digest as _, Sha256};
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;

use super::super::Json;
use crate::app::AppState;
use crate::auth::Auth;
use crate::blob::{BlobKey, ByteStream, Expected};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::now_ms;
use crate::pace::BodyTimer;
use crate::store::exchanges::ExchangeState;

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

/// Bytes of a part gathered before the object's hash of them is started on a blocking
/// thread: one call per body frame cost more in calls than in hashing.
const HASH_BATCH: usize = 1 << 20;

/// The object's running SHA-256 while a part streams through: idle between batches, or
/// hashing one on a blocking thread.
enum ObjectHash {
    Idle(Sha256),
    Hashing(tokio::task::JoinHandle<Sha256>),
    Gone,
}

/// The object's hash and the chunks not yet given to it (they are on their way to the
/// blob store meanwhile; these are shared references, not copies).
struct TeeState {
    hash: ObjectHash,
    pending: Vec<Bytes>,
    pending_len: usize,
}

/// Shared between the part's stream, which feeds it, and the handler, which takes the
/// state once the blob store has the part.
type SharedHash = Arc<Mutex<TeeState>>;

fn lock(hash: &SharedHash) -> MutexGuard<'_, TeeState> {
    hash.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Feeds every chunk of the body to the object's running SHA-256 on its way to the blob
/// store. Chunks are gathered into batches of about [`HASH_BATCH`] bytes; each batch is
/// hashed by a short blocking call while the store checks the part's own digest and writes
/// it, so the two hashes use two cores. A full batch waits for the previous one's call to
/// return before the next chunk is asked of the client, so no thread is ever held waiting
/// for a slow client, batches are hashed in order, and at most two batches are held.
fn tee_hash(body: Body, hash: SharedHash) -> ByteStream {
    let mut data = body.into_data_stream();
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        let mut state = lock(&hash);
        if state.pending_len >= HASH_BATCH {
            if let ObjectHash::Hashing(task) = &mut state.hash {
                match Pin::new(task).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(hasher)) => state.hash = ObjectHash::Idle(hasher),
                    Poll::Ready(Err(error)) => {
                        state.hash = ObjectHash::Gone;
                        return Poll::Ready(Some(Err(std::io::Error::other(error))));
                    }
                }
            }
            let ObjectHash::Idle(hasher) = std::mem::replace(&mut state.hash, ObjectHash::Gone)
            else {
                return Poll::Ready(Some(Err(std::io::Error::other("the object hash is gone"))));
            };
            let batch = std::mem::take(&mut state.pending);
            state.pending_len = 0;
            state.hash = ObjectHash::Hashing(spawn_hash(hasher, batch));
        }
        let chunk = match data.poll_next_unpin(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Ready(Some(Err(error))) => {
                return Poll::Ready(Some(Err(std::io::Error::other(error))));
            }
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        state.pending_len += chunk.len();
        state.pending.push(chunk.clone());
        Poll::Ready(Some(Ok(chunk)))
    }))
}

/// Hashes `batch` into `hasher` on a blocking thread.
fn spawn_hash(mut hasher: Sha256, batch: Vec<Bytes>) -> tokio::task::JoinHandle<Sha256> {
    tokio::task::spawn_blocking(move || {
        for chunk in &batch {
            hasher.update(chunk);
        }
        hasher
    })
}

/// The object's hash state once every chunk of the part is in it.
async fn hashed(hash: &SharedHash) -> Result<Sha256, ApiError> {
    let (state, pending) = {
        let mut shared = lock(hash);
        shared.pending_len = 0;
        (
            std::mem::replace(&mut shared.hash, ObjectHash::Gone),
            std::mem::take(&mut shared.pending),
        )
    };
    let hasher = match state {
        ObjectHash::Idle(hasher) => hasher,
        ObjectHash::Hashing(task) => task.await.map_err(ApiError::internal)?,
        ObjectHash::Gone => return Err(ApiError::internal("the object hash is gone")),
    };
    spawn_hash(hasher, pending)
        .await
        .map_err(ApiError::internal)
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
    let hasher = Sha256::deserialize(
        object
            .hash_state
            .as_slice()
            .try_into()
            .map_err(|_| ApiError::internal("bad stored hash state length"))?,
    )
    .map_err(|_| ApiError::internal("bad stored hash state"))?;
    let hash: SharedHash = Arc::new(Mutex::new(TeeState {
        hash: ObjectHash::Idle(hasher),
        pending: Vec::new(),
        pending_len: 0,
    }));
    let blob_key = BlobKey::part(&exchange.id, idx, part, &sha256);
    let stored = state
        .blobs
        .put(
            &blob_key,
            tee_hash(body, hash.clone()),
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
    let hasher = hashed(&hash).await?;
    let last = part + 1 == object.part_count;
    let object_sha256: Option<[u8; 32]> = last.then(|| hasher.clone().finalize().into());
    let mut tx = state.store.begin().await?;
    let recorded = tx
        .record_part(
            &exchange.id,
            idx,
            part,
            expected_len,
            &sha256,
            &hasher.serialize(),
            object_sha256.as_ref(),
            now_ms(),
        )
        .await?;
    tx.commit().await?;
    if !recorded {
        // A concurrent upload of this part recorded it first: the same bytes (then the
        // same blob), or others, kept under their own name; ours are not needed.
        let stored = state.store.part_sha256(&exchange.id, idx, part).await?;
        if stored.as_deref() != Some(&sha256[..]) {
            if let Err(error) = state.blobs.delete(&blob_key).await {
                tracing::warn!(%error, "an unrecorded part stays until its exchange is purged");
            }
            return Err(ApiError::conflict(
                ErrorCode::Conflict,
                "a different part is already stored here",
            ));
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
    tx.mark_purged(&exchange.id, now).await?;
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
