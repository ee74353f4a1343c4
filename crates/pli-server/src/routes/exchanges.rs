//! Exchanges: creation, resumable part uploads verified while streaming, completion with
//! the signed envelope (delivered in one transaction), lists, downloads with `Range`,
//! read receipts.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use futures_util::{StreamExt as _, TryStreamExt as _};
use pli_api::ErrorCode;
use pli_api::messages::{
    CompleteExchange, CreateExchange, ExchangeCreated, ExchangeDetail, ExchangePage,
    ExchangeSummary, ObjectProgress, PostReceipt, ReceiptEntry,
};
use pli_api::{ExchangeId, OrgId, OrgKind};
use pli_crypto::envelope::{Envelope, Priority};
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::{Signed, VerifyingKey};
use sha2::digest::common::hazmat::SerializableState as _;
use sha2::{Digest as _, Sha256};

use super::common::{self, detail as audit_detail, signed};
use super::directory::chain;
use super::{Json, parse_id};
use crate::app::AppState;
use crate::auth::{Auth, secrets};
use crate::blob::{BlobKey, ByteStream, Expected};
use crate::error::ApiError;
use crate::mail::Notice;
use crate::metrics::Metrics;
use crate::now_ms;
use crate::store::directory::SignedBlob;
use crate::store::exchanges::{
    Cursor, Exchange, ExchangeState, ListFilter, Mailbox, NewExchange, Object, ReceiptRow,
};
use crate::store::users::AccountStatus;

/// Bytes per part: every part of an object is full but the last.
pub(crate) const PART_SIZE: u64 = 16 * 1024 * 1024;

fn summary(e: &Exchange) -> ExchangeSummary {
    ExchangeSummary {
        exchange_id: e.id,
        sender_org_id: e.sender_org_id,
        sender_user_id: e.sender_user_id,
        recipient_org_id: e.recipient_org_id,
        state: e.state,
        urgent: e.urgent,
        file_count: e.object_count.saturating_sub(1),
        total_size: e.total_size,
        created_at: e.created_at,
        delivered_at: e.delivered_at,
        expires_at: e.expires_at,
        first_read_at: e.first_read_at,
        in_reply_to: e.in_reply_to,
    }
}

fn progress(objects: &[Object]) -> Vec<ObjectProgress> {
    objects
        .iter()
        .map(|o| ObjectProgress {
            idx: o.idx,
            size: o.size,
            part_count: o.part_count,
            parts_stored: o.parts_stored,
        })
        .collect()
}

fn empty_hash_state() -> Vec<u8> {
    Sha256::new().serialize().to_vec()
}

/// The exchange in the path if the caller's organisation is a party to it: the sender's
/// organisation always, the recipient's once delivered. 404 otherwise.
async fn visible(state: &AppState, auth: &Auth, id: &str) -> Result<Exchange, ApiError> {
    let id: ExchangeId = parse_id(id)?;
    let exchange = state.store.exchange(&id).await?.ok_or(ApiError::NotFound)?;
    let org = auth.user.org_id;
    let recipient_sees = exchange.recipient_org_id == org
        && exchange.state != ExchangeState::Uploading
        && exchange.state != ExchangeState::Abandoned;
    if exchange.sender_org_id == org || recipient_sees {
        Ok(exchange)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The exchange in the path if the caller is uploading it (the sender themself).
async fn own_upload(state: &AppState, auth: &Auth, id: &str) -> Result<Exchange, ApiError> {
    let exchange = visible(state, auth, id).await?;
    if exchange.sender_user_id != auth.user.id {
        return Err(ApiError::NotFound);
    }
    Ok(exchange)
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Json(request): Json<CreateExchange>,
) -> Result<(StatusCode, Json<ExchangeCreated>), ApiError> {
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value.to_str().ok().filter(|k| {
                !k.is_empty() && k.len() <= 200 && k.bytes().all(|c| c.is_ascii_graphic())
            });
            Some(
                key.ok_or_else(|| {
                    ApiError::bad_request(
                        ErrorCode::BadRequest,
                        "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    )
                })?
                .to_owned(),
            )
        }
    };
    let request_hash =
        Sha256::digest(serde_json::to_vec(&request).map_err(ApiError::internal)?).to_vec();
    if let Some(key) = &idempotency_key
        && let Some(existing) = state
            .store
            .exchange_by_idempotency_key(&auth.user.id, key)
            .await?
    {
        if existing.request_hash != request_hash {
            return Err(ApiError::IdempotencyMismatch);
        }
        let objects = state.store.objects(&existing.id).await?;
        return Ok((StatusCode::OK, Json(created(&existing, &objects))));
    }

    let limits = &state.config.limits;
    if request.sizes.len() < 2 || request.sizes.len() > 1 + pli_crypto::envelope::MAX_FILES {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "an exchange has a manifest and 1 to 256 files",
        ));
    }
    if request.sizes.contains(&0) {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "an age file is never empty",
        ));
    }
    let total = request
        .sizes
        .iter()
        .try_fold(0u64, |sum, size| sum.checked_add(*size))
        .filter(|total| *total <= limits.max_exchange_bytes)
        .ok_or_else(|| {
            ApiError::TooLarge(
                ErrorCode::ExchangeTooLarge,
                format!("an exchange is at most {} bytes", limits.max_exchange_bytes),
            )
        })?;
    let recipient = state
        .store
        .org(&request.recipient_org_id)
        .await?
        .filter(|org| org.kind != OrgKind::Platform)
        .ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::UnknownRecipient,
                "no such recipient organisation",
            )
        })?;
    let current = state
        .store
        .current_org_key(&recipient.id)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(ErrorCode::UnknownRecipient, "the recipient has no key yet")
        })?;
    if current.generation != request.recipient_generation {
        return Err(ApiError::conflict(
            ErrorCode::StaleKeyGeneration,
            format!(
                "the recipient's current key is generation {}",
                current.generation
            ),
        ));
    }
    if current.suspended {
        return Err(ApiError::conflict(
            ErrorCode::KeyGenerationSuspended,
            "the recipient's key is suspended",
        ));
    }
    if let Some(generation) = request.sender_generation {
        let own = state.store.org_key(&auth.user.org_id, generation).await?;
        if own.is_none_or(|k| k.suspended) {
            return Err(ApiError::conflict(
                ErrorCode::StaleKeyGeneration,
                "your organisation has no usable key of this generation",
            ));
        }
    }
    if let Some(original) = &request.in_reply_to {
        let original = state.store.exchange(original).await?;
        let related = original.is_some_and(|o| {
            o.sender_org_id == auth.user.org_id || o.recipient_org_id == auth.user.org_id
        });
        if !related {
            return Err(ApiError::NotFound);
        }
    }

    let now = now_ms();
    let exchange = Exchange {
        id: secrets::new_id()?,
        sender_org_id: auth.user.org_id,
        sender_user_id: auth.user.id,
        recipient_org_id: recipient.id,
        recipient_generation: request.recipient_generation,
        sender_generation: request.sender_generation,
        urgent: request.urgent,
        state: ExchangeState::Uploading,
        idempotency_key,
        request_hash,
        in_reply_to: request.in_reply_to,
        object_count: u32::try_from(request.sizes.len()).map_err(ApiError::internal)?,
        total_size: total,
        envelope: None,
        sender_fingerprint: None,
        created_at: now,
        expires_at: now + recipient.retention_days * 86_400_000,
        delivered_at: None,
        first_read_at: None,
    };
    let new = NewExchange {
        exchange: exchange.clone(),
        sizes: request.sizes.clone(),
        part_size: PART_SIZE,
        empty_hash_state: empty_hash_state(),
    };
    let mut tx = state.store.begin().await?;
    match tx.insert_exchange(&new, limits.org_quota_bytes).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(ApiError::TooLarge(
                ErrorCode::QuotaExceeded,
                "your organisation's storage quota is full".into(),
            ));
        }
        // The same key raced with itself: answer like the retry it is.
        Err(crate::store::StoreError::Conflict(_)) => {
            drop(tx);
            let key = exchange.idempotency_key.as_deref().unwrap_or_default();
            let existing = state
                .store
                .exchange_by_idempotency_key(&auth.user.id, key)
                .await?
                .ok_or(ApiError::IdempotencyMismatch)?;
            if existing.request_hash != exchange.request_hash {
                return Err(ApiError::IdempotencyMismatch);
            }
            let objects = state.store.objects(&existing.id).await?;
            return Ok((StatusCode::OK, Json(created(&existing, &objects))));
        }
        Err(other) => return Err(other.into()),
    }
    tx.append_audit(
        &format!("audit:{}", exchange.sender_org_id),
        now,
        Some(auth.user_id().to_string()),
        "exchange.created",
        "exchange",
        &exchange.id.to_string(),
        &audit_detail(&[
            ("recipient", recipient.id.to_string()),
            ("bytes", total.to_string()),
        ]),
    )
    .await?;
    tx.commit().await?;
    let objects = state.store.objects(&exchange.id).await?;
    Ok((StatusCode::CREATED, Json(created(&exchange, &objects))))
}

fn created(exchange: &Exchange, objects: &[Object]) -> ExchangeCreated {
    ExchangeCreated {
        exchange_id: exchange.id,
        created_at: exchange.created_at,
        expires_at: exchange.expires_at,
        part_size: PART_SIZE,
        objects: progress(objects),
    }
}

pub(super) async fn upload_status(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
) -> Result<Json<ExchangeCreated>, ApiError> {
    let exchange = own_upload(&state, &auth, &id).await?;
    let objects = state.store.objects(&exchange.id).await?;
    Ok(Json(created(&exchange, &objects)))
}

/// `Content-Digest: sha-256=:<base64>:` (RFC 9530).
fn content_digest(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    let missing = || {
        ApiError::bad_request(
            ErrorCode::MissingDigest,
            "send the part's SHA-256 as Content-Digest: sha-256=:…:",
        )
    };
    let value = headers
        .get("content-digest")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let encoded = value
        .split(',')
        .map(str::trim)
        .find_map(|item| {
            item.strip_prefix("sha-256=:")
                .and_then(|rest| rest.strip_suffix(':'))
        })
        .ok_or_else(missing)?;
    STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(missing)
}

/// Adds every chunk of a stream to a shared hasher on its way through.
/// Feeds every chunk of the body to the object's running SHA-256 on its way to the blob
/// store. The object hash runs on a blocking thread of its own while the request's task
/// checks the part's digest and writes it: the two hashes use two cores.
fn tee_hash(body: Body, sender: tokio::sync::mpsc::Sender<bytes::Bytes>) -> ByteStream {
    Box::pin(body.into_data_stream().then(move |chunk| {
        let sender = sender.clone();
        async move {
            let chunk = chunk.map_err(std::io::Error::other)?;
            sender
                .send(chunk.clone())
                .await
                .map_err(|_| std::io::Error::other("the object hasher stopped"))?;
            Ok(chunk)
        }
    }))
}

/// Starts the object hasher from its stored state; it ends when the sender is dropped.
fn spawn_object_hasher(
    mut hasher: Sha256,
) -> (
    tokio::sync::mpsc::Sender<bytes::Bytes>,
    tokio::task::JoinHandle<Sha256>,
) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<bytes::Bytes>(64);
    let done = tokio::task::spawn_blocking(move || {
        while let Some(chunk) = receiver.blocking_recv() {
            hasher.update(&chunk);
        }
        hasher
    });
    (sender, done)
}

pub(super) async fn put_part(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((id, idx, part)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ObjectProgress>, ApiError> {
    let exchange = own_upload(&state, &auth, &id).await?;
    if exchange.state != ExchangeState::Uploading {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this exchange is not being uploaded",
        ));
    }
    recipient_key_usable(&state, &exchange).await?;
    let idx: u32 = idx.parse().map_err(|_| ApiError::NotFound)?;
    let part: u32 = part.parse().map_err(|_| ApiError::NotFound)?;
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
    if let Some(declared) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if declared > expected_len {
            return Err(ApiError::TooLarge(
                ErrorCode::PartTooLarge,
                format!("this part is {expected_len} bytes"),
            ));
        }
        if declared < expected_len {
            return Err(ApiError::bad_request(
                ErrorCode::PartIncomplete,
                format!("this part is {expected_len} bytes"),
            ));
        }
    }
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

    let hasher = Sha256::deserialize(
        object
            .hash_state
            .as_slice()
            .try_into()
            .map_err(|_| ApiError::internal("bad stored hash state length"))?,
    )
    .map_err(|_| ApiError::internal("bad stored hash state"))?;
    let (sender, hashed) = spawn_object_hasher(hasher);
    let blob_key = BlobKey::part(&exchange.id, idx, part);
    state
        .blobs
        .put(
            &blob_key,
            tee_hash(body, sender),
            Expected {
                len: expected_len,
                sha256,
            },
        )
        .await?;
    Metrics::add(&state.metrics.bytes_uploaded, expected_len);
    // The stream, and with it the sender, is gone: the hasher finishes.
    let hasher = hashed.await.map_err(ApiError::internal)?;
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
        // A concurrent retry recorded it first; the blob written is identical.
        let stored = state.store.part_sha256(&exchange.id, idx, part).await?;
        if stored.as_deref() != Some(&sha256[..]) {
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

/// Refuses to go on with an upload whose recipient key generation was suspended since:
/// the recipient may no longer trust it, so the sender must encrypt again.
async fn recipient_key_usable(state: &AppState, exchange: &Exchange) -> Result<(), ApiError> {
    let key = state
        .store
        .org_key(&exchange.recipient_org_id, exchange.recipient_generation)
        .await?;
    if key.is_none_or(|k| k.suspended) {
        return Err(ApiError::conflict(
            ErrorCode::KeyGenerationSuspended,
            "the recipient's key was suspended: encrypt again to its current key",
        ));
    }
    Ok(())
}

/// The sender's current certificate and its signing key.
async fn signer(state: &AppState, auth: &Auth) -> Result<(String, VerifyingKey), ApiError> {
    let cert = state
        .store
        .current_user_certificate(&auth.user.id)
        .await?
        .ok_or_else(|| ApiError::conflict(ErrorCode::WrongState, "your keys are not certified"))?;
    let key = pli_crypto::sign::VerifyingKey::from_bytes(&auth.user.signing_key)
        .map_err(ApiError::internal)?;
    Ok((cert.fingerprint, key))
}

fn mismatch(field: &str) -> ApiError {
    ApiError::unprocessable(
        ErrorCode::EnvelopeMismatch,
        format!("the envelope's {field} does not match the exchange"),
    )
}

pub(super) async fn complete(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
    Json(request): Json<CompleteExchange>,
) -> Result<Json<ExchangeSummary>, ApiError> {
    let exchange = own_upload(&state, &auth, &id).await?;
    let envelope_signed = signed::<Envelope>(&request.envelope)?;
    if exchange.state == ExchangeState::Delivered {
        // A retry after a lost answer: fine if it is the same envelope.
        return match &exchange.envelope {
            Some(stored) if *stored == common::blob_of(&envelope_signed) => {
                Ok(Json(summary(&exchange)))
            }
            _ => Err(ApiError::conflict(
                ErrorCode::WrongState,
                "this exchange is already delivered",
            )),
        };
    }
    if exchange.state != ExchangeState::Uploading {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this exchange can no longer be completed",
        ));
    }
    let objects = state.store.objects(&exchange.id).await?;
    if objects
        .iter()
        .any(|o| o.parts_stored != o.part_count || o.sha256.is_none())
    {
        return Err(ApiError::conflict(
            ErrorCode::UploadIncomplete,
            "some parts are missing",
        ));
    }
    recipient_key_usable(&state, &exchange).await?;
    let (fingerprint, signing_key) = signer(&state, &auth).await?;
    let envelope = envelope_signed.verify(&signing_key).map_err(|e| {
        ApiError::unprocessable(
            ErrorCode::BadSignature,
            format!("the envelope does not verify: {e}"),
        )
    })?;
    check_envelope(&envelope, &exchange, &objects, &signing_key)?;

    let now = now_ms();
    let mut tx = state.store.begin().await?;
    if !tx
        .deliver(
            &exchange.id,
            &common::blob_of(&envelope_signed),
            &fingerprint,
            now,
        )
        .await?
    {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this exchange can no longer be completed",
        ));
    }
    let files = (exchange.object_count - 1).to_string();
    let info = audit_detail(&[
        ("files", files),
        ("bytes", exchange.total_size.to_string()),
        ("urgent", exchange.urgent.to_string()),
    ]);
    let actor = Some(auth.user_id().to_string());
    let id_text = exchange.id.to_string();
    tx.append_audit(
        &format!("audit:{}", exchange.sender_org_id),
        now,
        actor.clone(),
        "exchange.sent",
        "exchange",
        &id_text,
        &info,
    )
    .await?;
    tx.append_audit(
        &format!("audit:{}", exchange.recipient_org_id),
        now,
        actor,
        "exchange.delivered",
        "exchange",
        &id_text,
        &info,
    )
    .await?;
    tx.append_event(
        &exchange.recipient_org_id,
        now,
        "exchange.delivered",
        Some(&exchange.id),
    )
    .await?;
    tx.append_event(
        &exchange.sender_org_id,
        now,
        "exchange.sent",
        Some(&exchange.id),
    )
    .await?;
    tx.commit().await?;
    Metrics::add(&state.metrics.exchanges_delivered, 1);
    state.notify(exchange.recipient_org_id);
    state.notify(exchange.sender_org_id);
    notify_recipients(&state, exchange.recipient_org_id, exchange.urgent).await;
    let delivered = state
        .store
        .exchange(&exchange.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(summary(&delivered)))
}

/// Every field of the signed envelope must be what the relay recorded and verified.
fn check_envelope(
    envelope: &Envelope,
    exchange: &Exchange,
    objects: &[Object],
    key: &VerifyingKey,
) -> Result<(), ApiError> {
    let checks: [(&str, bool); 12] = [
        ("exchange id", envelope.exchange_id == exchange.id),
        ("sender", envelope.sender_user_id == exchange.sender_user_id),
        ("sender key", envelope.sender_key == key.fingerprint()),
        (
            "sender organisation",
            envelope.sender_org_id == exchange.sender_org_id,
        ),
        (
            "sender key generation",
            envelope.sender_generation == exchange.sender_generation,
        ),
        (
            "recipient organisation",
            envelope.recipient_org_id == exchange.recipient_org_id,
        ),
        (
            "recipient key generation",
            envelope.recipient_generation == exchange.recipient_generation,
        ),
        (
            "priority",
            (envelope.priority == Priority::Urgent) == exchange.urgent,
        ),
        ("creation time", envelope.created_at == exchange.created_at),
        ("expiry", envelope.expires_at == exchange.expires_at),
        ("reply", envelope.in_reply_to == exchange.in_reply_to),
        ("object count", envelope.objects().count() == objects.len()),
    ];
    if let Some((field, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(mismatch(field));
    }
    for (declared, stored) in envelope.objects().zip(objects) {
        if declared.size != stored.size || Some(declared.sha256) != stored.sha256 {
            return Err(ApiError::unprocessable(
                ErrorCode::EnvelopeMismatch,
                format!(
                    "object {} does not have the size or SHA-256 the envelope declares",
                    stored.idx
                ),
            ));
        }
    }
    Ok(())
}

/// E-mails the recipient organisation's active members (no content), in the background.
async fn notify_recipients(state: &AppState, org: OrgId, urgent: bool) {
    let Some(mailer) = state.mailer.clone() else {
        return;
    };
    let members = match state.store.users_of_org(&org).await {
        Ok(members) => members,
        Err(error) => {
            tracing::warn!(error = %error, "cannot list members to notify");
            return;
        }
    };
    let addresses: Vec<String> = members
        .into_iter()
        .filter(|u| u.status == AccountStatus::Active)
        .map(|u| u.email)
        .collect();
    tokio::spawn(async move {
        for address in addresses {
            mailer
                .send(&address, Notice::NewExchange { urgent }, None)
                .await;
        }
    });
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let exchange = own_upload(&state, &auth, &id).await?;
    if exchange.state != ExchangeState::Uploading {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "only an upload in progress can be cancelled",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.mark_purged(&exchange.id, now).await?;
    tx.append_audit(
        &format!("audit:{}", exchange.sender_org_id),
        now,
        Some(auth.user_id().to_string()),
        "exchange.cancelled",
        "exchange",
        &exchange.id.to_string(),
        "{}",
    )
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

fn encode_cursor(e: &Exchange, which: Mailbox) -> String {
    let at = match which {
        Mailbox::Inbox => e.delivered_at.unwrap_or_default(),
        Mailbox::Outbox => e.created_at,
    };
    URL_SAFE_NO_PAD.encode(format!("{}:{at}:{}", u8::from(e.urgent), e.id))
}

fn decode_cursor(text: &str) -> Result<Cursor, ApiError> {
    let bad = || ApiError::bad_request(ErrorCode::BadRequest, "invalid cursor");
    let raw =
        String::from_utf8(URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?).map_err(|_| bad())?;
    let mut parts = raw.splitn(3, ':');
    let priority = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let at = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let id: ExchangeId = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    Ok(Cursor {
        priority,
        at,
        id: id.to_string(),
    })
}

async fn list(
    state: &AppState,
    auth: &Auth,
    which: Mailbox,
    query: pli_api::messages::ExchangeQuery,
) -> Result<Json<ExchangePage>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = ListFilter {
        urgent: query.urgent,
        unread: query.unread,
        counterpart: query.counterpart,
    };
    let mut rows = state
        .store
        .list_exchanges(
            which,
            &auth.user.org_id,
            &filter,
            cursor.as_ref(),
            limit + 1,
        )
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|e| encode_cursor(e, which))
    } else {
        None
    };
    Ok(Json(ExchangePage {
        exchanges: rows.iter().map(summary).collect(),
        next_cursor,
    }))
}

pub(super) async fn inbox(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(query): Query<pli_api::messages::ExchangeQuery>,
) -> Result<Json<ExchangePage>, ApiError> {
    list(&state, &auth, Mailbox::Inbox, query).await
}

pub(super) async fn outbox(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(query): Query<pli_api::messages::ExchangeQuery>,
) -> Result<Json<ExchangePage>, ApiError> {
    list(&state, &auth, Mailbox::Outbox, query).await
}

pub(super) async fn detail_handler(
    state: &AppState,
    auth: &Auth,
    id: &str,
) -> Result<ExchangeDetail, ApiError> {
    let exchange = visible(state, auth, id).await?;
    let sender = match &exchange.sender_fingerprint {
        Some(fingerprint) => match state.store.user_certificate(fingerprint).await? {
            Some(cert) => Some(chain(state, &cert).await?),
            None => None,
        },
        None => None,
    };
    let mut receipts = Vec::new();
    for row in state.store.receipts(&exchange.id).await? {
        let reader = match state
            .store
            .user_certificate(&row.reader_fingerprint)
            .await?
        {
            Some(cert) => Some(chain(state, &cert).await?),
            None => None,
        };
        receipts.push(ReceiptEntry {
            user_id: row.user_id,
            receipt: row.receipt.to_wire(),
            reader,
        });
    }
    Ok(ExchangeDetail {
        summary: summary(&exchange),
        envelope: exchange.envelope.as_ref().map(SignedBlob::to_wire),
        sender,
        receipts,
    })
}

pub(super) async fn detail(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
) -> Result<Json<ExchangeDetail>, ApiError> {
    Ok(Json(detail_handler(&state, &auth, &id).await?))
}

/// One `bytes=start-end` range (or suffix `bytes=-n`), clamped; `None` for no header.
fn parse_range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let spec = value
        .strip_prefix("bytes=")
        .filter(|s| !s.contains(','))
        .ok_or(ApiError::RangeNotSatisfiable(size))?;
    let (start, end) = spec
        .split_once('-')
        .ok_or(ApiError::RangeNotSatisfiable(size))?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix
                .parse()
                .map_err(|_| ApiError::RangeNotSatisfiable(size))?;
            (size.saturating_sub(n), size)
        }
        (start, "") => (
            start
                .parse()
                .map_err(|_| ApiError::RangeNotSatisfiable(size))?,
            size,
        ),
        (start, end) => {
            let start: u64 = start
                .parse()
                .map_err(|_| ApiError::RangeNotSatisfiable(size))?;
            let end: u64 = end
                .parse()
                .map_err(|_| ApiError::RangeNotSatisfiable(size))?;
            (start, end.saturating_add(1).min(size))
        }
    };
    if range.0 >= range.1 {
        return Err(ApiError::RangeNotSatisfiable(size));
    }
    Ok(Some(range))
}

pub(super) async fn download(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((id, idx)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let exchange = visible(&state, &auth, &id).await?;
    match exchange.state {
        ExchangeState::Delivered => {}
        ExchangeState::Expired => {
            return Err(ApiError::Gone(
                ErrorCode::Expired,
                "this exchange has expired and its files were deleted".into(),
            ));
        }
        ExchangeState::Uploading | ExchangeState::Abandoned => return Err(ApiError::NotFound),
    }
    let idx: u32 = idx.parse().map_err(|_| ApiError::NotFound)?;
    let objects = state.store.objects(&exchange.id).await?;
    let object = objects
        .into_iter()
        .find(|o| o.idx == idx)
        .ok_or(ApiError::NotFound)?;
    let range = parse_range(&headers, object.size)?;
    let (start, end) = range.unwrap_or((0, object.size));

    // The parts covering [start, end), each read from its own offset.
    let first = start / PART_SIZE;
    let last = (end - 1) / PART_SIZE;
    let pieces: Vec<(BlobKey, u64, u64)> = (first..=last)
        .filter_map(|p| {
            let part_start = p * PART_SIZE;
            let part = u32::try_from(p).ok()?;
            Some((
                BlobKey::part(&exchange.id, idx, part),
                start.max(part_start) - part_start,
                end.min(part_start + PART_SIZE) - part_start,
            ))
        })
        .collect();
    // Open the first part now, so a missing blob is an error status, not a broken stream.
    let mut pieces = pieces.into_iter();
    let Some((key, from, to)) = pieces.next() else {
        return Err(ApiError::RangeNotSatisfiable(object.size));
    };
    let head = state.blobs.get(&key, Some((from, to))).await?;
    let blobs = state.blobs.clone();
    let rest = futures_util::stream::iter(pieces)
        .then(move |(key, from, to)| {
            let blobs = blobs.clone();
            async move {
                blobs
                    .get(&key, Some((from, to)))
                    .await
                    .map_err(std::io::Error::other)
            }
        })
        .try_flatten();
    let length = end - start;
    let metrics_state = state.clone();
    let stream = head.chain(rest).inspect_ok(move |chunk| {
        Metrics::add(&metrics_state.metrics.bytes_downloaded, chunk.len() as u64)
    });

    let mut response = Body::from_stream(stream).into_response();
    *response.status_mut() = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let disposition = format!("attachment; filename=\"{}-{idx}.age\"", exchange.id);
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    if let Some(sha) = object.sha256 {
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&format!("\"{}\"", crate::audit::to_hex(&sha)))
                .map_err(ApiError::internal)?,
        );
    }
    if range.is_some() {
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {start}-{}/{}", end - 1, object.size))
                .map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

pub(super) async fn post_receipt(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
    Json(request): Json<PostReceipt>,
) -> Result<StatusCode, ApiError> {
    let exchange = visible(&state, &auth, &id).await?;
    if exchange.recipient_org_id != auth.user.org_id || exchange.state != ExchangeState::Delivered {
        return Err(ApiError::NotFound);
    }
    let envelope = exchange
        .envelope
        .as_ref()
        .ok_or_else(|| ApiError::internal("delivered without envelope"))?;
    let (fingerprint, signing_key) = signer(&state, &auth).await?;
    let receipt_signed: Signed<Receipt> = signed(&request.receipt)?;
    let receipt = receipt_signed.verify(&signing_key).map_err(|e| {
        ApiError::unprocessable(
            ErrorCode::BadSignature,
            format!("the receipt does not verify: {e}"),
        )
    })?;
    let now = now_ms();
    let ok = receipt.exchange_id == exchange.id
        && receipt.envelope_sha256 == pli_crypto::sha256(&envelope.data)
        && receipt.reader_user_id == auth.user.id
        && receipt.reader_key == signing_key.fingerprint()
        && receipt.reader_org_id == auth.user.org_id
        && receipt.read_at.abs_diff(now) < 86_400_000;
    if !ok {
        return Err(ApiError::unprocessable(
            ErrorCode::ReceiptMismatch,
            "the receipt does not match this exchange, reader or time",
        ));
    }
    let mut tx = state.store.begin().await?;
    let row = ReceiptRow {
        exchange_id: exchange.id,
        user_id: auth.user.id,
        org_id: auth.user.org_id,
        reader_fingerprint: fingerprint,
        receipt: common::blob_of(&receipt_signed),
        read_at: receipt.read_at,
    };
    if tx.insert_receipt(&row, now).await? {
        let actor = Some(auth.user_id().to_string());
        let id_text = exchange.id.to_string();
        tx.append_audit(
            &format!("audit:{}", exchange.recipient_org_id),
            now,
            actor.clone(),
            "exchange.read",
            "exchange",
            &id_text,
            "{}",
        )
        .await?;
        tx.append_audit(
            &format!("audit:{}", exchange.sender_org_id),
            now,
            actor,
            "exchange.read",
            "exchange",
            &id_text,
            "{}",
        )
        .await?;
        tx.append_event(
            &exchange.sender_org_id,
            now,
            "receipt.added",
            Some(&exchange.id),
        )
        .await?;
        tx.append_event(
            &exchange.recipient_org_id,
            now,
            "receipt.added",
            Some(&exchange.id),
        )
        .await?;
        tx.commit().await?;
        state.notify(exchange.sender_org_id);
        state.notify(exchange.recipient_org_id);
        Ok(StatusCode::CREATED)
    } else {
        Ok(StatusCode::OK)
    }
}
