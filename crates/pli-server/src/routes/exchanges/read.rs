//! What the parties read: the inbox and outbox, an exchange's detail, its objects
//! (with `Range`), and read receipts.

use crate::routes::Found;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{StreamExt as _, TryStreamExt as _};
use pli_api::ErrorCode;
use pli_api::ExchangeId;
use pli_api::endpoints as ep;
use pli_api::messages::{ExchangeDetail, ExchangePage, PartHashes, PostReceipt, ReceiptEntry};
use pli_crypto::envelope::PartList;
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::Signed;

use super::super::Json;
use super::super::common::{self, signed};
use super::super::directory::{chain, chain_of};
use crate::app::AppState;
use crate::auth::Auth;
use crate::blob::{BlobError, BlobKey, BlobStore, ByteStream};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::now_ms;
use crate::store::exchanges::{Cursor, Exchange, ExchangeState, ListFilter, Mailbox, ReceiptRow};

use super::*;
use crate::audit::{Action, AuditEvent, Chain};

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
    // Each sender's chain once, in the order the page first names them: a page of fifty
    // rows often comes from a handful of people. Two queries for the whole page (the
    // senders' certificates, then their issuers'), not two per sender.
    let mut fingerprints = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for fingerprint in rows.iter().filter_map(|e| e.sender_fingerprint.as_ref()) {
        if seen.insert(fingerprint) {
            fingerprints.push(fingerprint.clone());
        }
    }
    let certificates = state.store.user_certificates(&fingerprints).await?;
    let issuers: Vec<String> = certificates
        .values()
        .map(|cert| cert.issuer_fingerprint.clone())
        .collect();
    let issuers = state.store.user_certificates(&issuers).await?;
    let senders = fingerprints
        .iter()
        .filter_map(|fingerprint| certificates.get(fingerprint))
        .map(|cert| chain_of(cert, issuers.get(&cert.issuer_fingerprint)))
        .collect();
    Ok(Json(ExchangePage {
        exchanges: rows.iter().map(summary).collect(),
        next_cursor,
        senders,
    }))
}

pub(in crate::routes) async fn inbox(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(query): Query<pli_api::messages::ExchangeQuery>,
) -> Result<Json<ExchangePage>, ApiError> {
    list(&state, &auth, Mailbox::Inbox, query).await
}

pub(in crate::routes) async fn outbox(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(query): Query<pli_api::messages::ExchangeQuery>,
) -> Result<Json<ExchangePage>, ApiError> {
    list(&state, &auth, Mailbox::Outbox, query).await
}

pub(in crate::routes) async fn detail_handler(
    state: &AppState,
    auth: &Auth,
    id: ExchangeId,
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
        sender,
        receipts,
    })
}

pub(in crate::routes) async fn detail(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Exchange { id }): Found<ep::Exchange>,
) -> Result<Json<ExchangeDetail>, ApiError> {
    Ok(Json(detail_handler(&state, &auth, id).await?))
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

/// One stored part of an object, as the database records it.
pub(super) struct PartAt {
    pub(super) exchange: ExchangeId,
    pub(super) idx: u32,
    pub(super) part: u32,
    pub(super) sha256: [u8; 32],
}

impl PartAt {
    /// Streams `range` of the part (all of it: `None`): from the blob named by its
    /// content, or, for an exchange uploaded before parts were, from where it was kept
    /// then.
    pub(super) async fn open(
        &self,
        blobs: &dyn BlobStore,
        range: Option<(u64, u64)>,
    ) -> Result<ByteStream, BlobError> {
        let key = BlobKey::part(&self.exchange, self.idx, self.part, &self.sha256);
        match blobs.get(&key, range).await {
            Err(BlobError::NotFound) => {
                let legacy = BlobKey::legacy_part(&self.exchange, self.idx, self.part);
                blobs.get(&legacy, range).await
            }
            other => other,
        }
    }
}

/// A delivered exchange the caller sees, or why its objects cannot be read.
async fn readable(state: &AppState, auth: &Auth, id: ExchangeId) -> Result<Exchange, ApiError> {
    let exchange = visible(state, auth, id).await?;
    match exchange.state {
        ExchangeState::Delivered => Ok(exchange),
        ExchangeState::Expired => Err(ApiError::Gone(
            ErrorCode::Expired,
            "this exchange has expired and its files were deleted".into(),
        )),
        ExchangeState::Uploading | ExchangeState::Abandoned => Err(ApiError::NotFound),
    }
}

pub(in crate::routes) async fn part_hashes(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::PartHashes { id, idx }): Found<ep::PartHashes>,
) -> Result<Json<PartHashes>, ApiError> {
    let exchange = readable(&state, &auth, id).await?;
    let objects = state.store.objects(&exchange.id).await?;
    if !objects.iter().any(|o| o.idx == idx) {
        return Err(ApiError::NotFound);
    }
    let hashes = state.store.part_hashes(&exchange.id, idx).await?;
    Ok(Json(PartHashes {
        part_size: PART_SIZE,
        sha256: pli_api::Base64(hashes.concat()),
    }))
}

pub(in crate::routes) async fn download(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Download { id, idx }): Found<ep::Download>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let exchange = readable(&state, &auth, id).await?;
    let objects = state.store.objects(&exchange.id).await?;
    let object = objects
        .into_iter()
        .find(|o| o.idx == idx)
        .ok_or(ApiError::NotFound)?;
    let range = parse_range(&headers, object.size)?;
    let (start, end) = range.unwrap_or((0, object.size));

    // The parts covering [start, end), each named by the hash recorded for it and read
    // from its own offset.
    let hashes = state.store.part_hashes(&exchange.id, idx).await?;
    let first = start / PART_SIZE;
    let last = (end - 1) / PART_SIZE;
    let pieces: Vec<(PartAt, u64, u64)> = (first..=last)
        .map(|p| {
            let part_start = p * PART_SIZE;
            let part = u32::try_from(p).map_err(ApiError::internal)?;
            let sha256 = usize::try_from(p)
                .ok()
                .and_then(|p| hashes.get(p))
                .ok_or_else(|| ApiError::internal("a delivered part has no recorded hash"))?;
            let at = PartAt {
                exchange: exchange.id,
                idx,
                part,
                sha256: *sha256,
            };
            Ok((
                at,
                start.max(part_start) - part_start,
                end.min(part_start + PART_SIZE) - part_start,
            ))
        })
        .collect::<Result<_, ApiError>>()?;
    // Open the first part now, so a missing blob is an error status, not a broken stream.
    let mut pieces = pieces.into_iter();
    let Some((at, from, to)) = pieces.next() else {
        return Err(ApiError::RangeNotSatisfiable(object.size));
    };
    let head = at.open(&*state.blobs, Some((from, to))).await?;
    let blobs = state.blobs.clone();
    let rest = futures_util::stream::iter(pieces)
        .then(move |(at, from, to)| {
            let blobs = blobs.clone();
            async move {
                at.open(&*blobs, Some((from, to)))
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
    // The object's strong validator: the SHA-256 of its parts' list, what an envelope of
    // format 2 binds (the relay no longer computes the whole object's hash as it arrives).
    if let Ok(reference) = (PartList {
        part_size: PART_SIZE,
        size: object.size,
        parts: hashes,
    })
    .object_ref()
    {
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&format!("\"{}\"", crate::audit::to_hex(&reference.sha256)))
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

pub(in crate::routes) async fn post_receipt(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::PostReceipt { id }): Found<ep::PostReceipt>,
    Json(request): Json<PostReceipt>,
) -> Result<StatusCode, ApiError> {
    let exchange = visible(&state, &auth, id).await?;
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
    tx.lock_orgs_chains(&[exchange.sender_org_id, exchange.recipient_org_id])
        .await?;
    let row = ReceiptRow {
        exchange_id: exchange.id,
        user_id: auth.user.id,
        org_id: auth.user.org_id,
        reader_fingerprint: fingerprint,
        receipt: common::blob_of(&receipt_signed),
        read_at: receipt.read_at,
    };
    if tx.insert_receipt(&row, now).await? {
        let actor = Some(auth.user_id());
        let id_text = exchange.id.to_string();
        // Both organisations' chains are taken above, in the order every transaction
        // takes them (`lock_orgs_chains`): a receipt and a completion between the same
        // two organisations deadlocked on PostgreSQL (found by `cargo xtask chaos`), and
        // so did two completions between them in opposite directions.
        for org in [exchange.sender_org_id, exchange.recipient_org_id] {
            tx.audit(AuditEvent {
                chain: Chain::Org(org),
                at: now,
                actor,
                action: Action::ExchangeRead,
                object_id: id_text.clone(),
                detail: "{}".to_owned(),
            })
            .await?;
        }
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
