//! Completion: the signed envelope checked against everything the relay recorded, then
//! delivered, audited and announced in one transaction.

use crate::routes::Found;
use axum::Extension;
use axum::extract::State;
use futures_util::StreamExt as _;
use pli_api::ErrorCode;
use pli_api::endpoints as ep;
use pli_api::messages::{CompleteExchange, ExchangeSummary};
use pli_api::{ExchangeId, OrgId};
use pli_crypto::envelope::{Envelope, Hashing, ObjectRef, PartList, Priority};
use pli_crypto::sign::VerifyingKey;

use super::super::Json;
use super::super::common::{self, detail as audit_detail, signed};
use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::mail::Notice;
use crate::metrics::Metrics;
use crate::now_ms;
use crate::store::exchanges::{Exchange, ExchangeState};
use crate::store::objects::Object;
use crate::store::users::AccountStatus;

use super::read::PartAt;

use super::*;
use crate::audit::{Action, AuditEvent, Chain};

fn mismatch(field: &str) -> ApiError {
    ApiError::unprocessable(
        ErrorCode::EnvelopeMismatch,
        format!("the envelope's {field} does not match the exchange"),
    )
}

/// The answer to completing `exchange` again, already delivered: the first answer if it
/// is the same envelope (a retry after a lost answer), else a conflict.
fn completed_again<T>(
    exchange: &Exchange,
    envelope: &pli_crypto::sign::Signed<T>,
) -> Result<Json<ExchangeSummary>, ApiError> {
    match &exchange.envelope {
        Some(stored) if *stored == common::blob_of(envelope) => Ok(Json(summary(exchange))),
        _ => Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this exchange is already delivered",
        )),
    }
}

pub(in crate::routes) async fn complete(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Complete { id }): Found<ep::Complete>,
    Json(request): Json<CompleteExchange>,
) -> Result<Json<ExchangeSummary>, ApiError> {
    let exchange = own_upload(&state, &auth, id).await?;
    let envelope_signed = signed::<Envelope>(&request.envelope)?;
    if exchange.state == ExchangeState::Delivered {
        return completed_again(&exchange, &envelope_signed);
    }
    if exchange.state != ExchangeState::Uploading {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this exchange can no longer be completed",
        ));
    }
    let objects = state.store.objects(&exchange.id).await?;
    if objects.iter().any(|o| o.parts_stored != o.part_count) {
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
    // Every field and size first: only an envelope that could match makes the relay read
    // objects back (format 1).
    check_fields(&envelope, &exchange, &objects, &signing_key)?;
    let stored = stored_refs(&state, &auth, &exchange.id, &objects, envelope.hashing).await?;
    check_hashes(&envelope, &stored)?;

    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.lock_orgs_chains(&[exchange.sender_org_id, exchange.recipient_org_id])
        .await?;
    if !tx
        .deliver(
            &exchange.id,
            &common::blob_of(&envelope_signed),
            &fingerprint,
            now,
        )
        .await?
    {
        // Another completion got there first: this one's retry, sent while it was under
        // way (a proxy that gave up waiting for it), gets its answer.
        drop(tx);
        let current = own_upload(&state, &auth, id).await?;
        if current.state == ExchangeState::Delivered {
            return completed_again(&current, &envelope_signed);
        }
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
    let actor = Some(auth.user_id());
    let id_text = exchange.id.to_string();
    tx.audit(AuditEvent {
        chain: Chain::Org(exchange.sender_org_id),
        at: now,
        actor,
        action: Action::ExchangeSent,
        object_id: id_text.clone(),
        detail: info.clone(),
    })
    .await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(exchange.recipient_org_id),
        at: now,
        actor,
        action: Action::ExchangeDelivered,
        object_id: id_text.clone(),
        detail: info,
    })
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

/// What the relay holds of each object, as an envelope of `hashing`'s format binds it:
/// the SHA-256 of its parts' list (format 2, from the hashes each part was checked
/// against as it arrived) or of the whole object (format 1, [`whole_sha256`]). `None` for
/// an object it cannot state so (a part size other than the relay's: the envelope then
/// does not match).
async fn stored_refs(
    state: &AppState,
    auth: &Auth,
    exchange: &ExchangeId,
    objects: &[Object],
    hashing: Hashing,
) -> Result<Vec<(u32, Option<ObjectRef>)>, ApiError> {
    // Reading objects back is an upload's work: it takes one of the account's upload
    // slots, so a sender cannot start more of them at once than uploads.
    let _slot = if hashing == Hashing::Whole && objects.iter().any(|o| o.whole_sha256.is_none()) {
        Some(
            state
                .uploads
                .try_take(auth.user_id())
                .ok_or(ApiError::Busy)?,
        )
    } else {
        None
    };
    let mut part_hashes = state.store.exchange_part_hashes(exchange).await?;
    let mut stored = Vec::with_capacity(objects.len());
    for object in objects {
        let parts = part_hashes.remove(&object.idx).unwrap_or_default();
        let reference = match hashing {
            Hashing::Parts { part_size } if part_size == PART_SIZE => PartList {
                part_size,
                size: object.size,
                parts,
            }
            .object_ref()
            .ok(),
            Hashing::Parts { .. } => None,
            Hashing::Whole => Some(ObjectRef {
                size: object.size,
                sha256: whole_sha256(state, object, &parts).await?,
            }),
        };
        stored.push((object.idx, reference));
    }
    Ok(stored)
}

/// The SHA-256 of an object's whole ciphertext, for an envelope of format 1 (older
/// clients): the relay no longer hashes every object as its parts arrive, since format 2
/// binds the hashes it checks anyway, so it reads the object back, once. The result is
/// kept with the object as soon as it is known, so that a sender completing again (after
/// a refusal, or a request cut while another object was read) does not make the relay
/// read it again.
async fn whole_sha256(
    state: &AppState,
    object: &Object,
    parts: &[[u8; 32]],
) -> Result<[u8; 32], ApiError> {
    if let Some(sha256) = object.whole_sha256 {
        return Ok(sha256);
    }
    // Every part recorded, each read whole: otherwise no hash (a purge may have removed
    // the rows meanwhile), rather than the hash of fewer bytes.
    let incomplete = || ApiError::conflict(ErrorCode::UploadIncomplete, "some parts are missing");
    if parts.len() != object.part_count as usize {
        return Err(incomplete());
    }
    let mut hash = Sha256::new();
    let mut read = 0u64;
    for (part, sha256) in (0u32..).zip(parts) {
        let at = PartAt {
            exchange: object.exchange_id,
            idx: object.idx,
            part,
            sha256: *sha256,
        };
        let mut stream = at.open(state.blobs.as_ref(), None).await?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(ApiError::internal)?;
            read += chunk.len() as u64;
            hash.update(&chunk);
        }
    }
    if read != object.size {
        return Err(incomplete());
    }
    let sha256: [u8; 32] = hash.finalize().into();
    state
        .store
        .keep_whole_sha256(&object.exchange_id, object.idx, &sha256)
        .await?;
    Ok(sha256)
}

/// Every field of the signed envelope, and each object's size, must be what the relay
/// recorded.
fn check_fields(
    envelope: &Envelope,
    exchange: &Exchange,
    objects: &[Object],
    key: &VerifyingKey,
) -> Result<(), ApiError> {
    let checks: [(&str, bool); 13] = [
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
        (
            "part size",
            match envelope.hashing {
                Hashing::Whole => true,
                Hashing::Parts { part_size } => part_size == PART_SIZE,
            },
        ),
    ];
    if let Some((field, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(mismatch(field));
    }
    match envelope
        .objects()
        .zip(objects)
        .find(|(declared, object)| declared.size != object.size)
    {
        Some((_, object)) => Err(object_mismatch(object.idx)),
        None => Ok(()),
    }
}

/// Each object's reference in the envelope must be the one the relay computed.
fn check_hashes(envelope: &Envelope, objects: &[(u32, Option<ObjectRef>)]) -> Result<(), ApiError> {
    match envelope
        .objects()
        .zip(objects)
        .find(|(declared, (_, stored))| Some(*declared) != stored.as_ref())
    {
        Some((_, (idx, _))) => Err(object_mismatch(*idx)),
        None => Ok(()),
    }
}

fn object_mismatch(idx: u32) -> ApiError {
    ApiError::unprocessable(
        ErrorCode::EnvelopeMismatch,
        format!("object {idx} does not have the size or SHA-256 the envelope declares"),
    )
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
