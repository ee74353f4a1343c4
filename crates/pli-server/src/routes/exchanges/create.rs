//! `POST /api/exchanges`: an exchange created with its declared sizes, or found again by
//! its Idempotency-Key.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use pli_api::ErrorCode;
use pli_api::OrgKind;
use pli_api::messages::{CreateExchange, ExchangeCreated};
use sha2::{Digest as _, Sha256};

use super::super::Json;
use super::super::common::detail as audit_detail;
use crate::app::AppState;
use crate::auth::{Auth, secrets};
use crate::error::ApiError;
use crate::now_ms;
use crate::store::exchanges::{Exchange, ExchangeState, NewExchange};

use super::*;
use crate::audit::{Action, AuditEvent, Chain};
use crate::routes::IdempotencyKey;

pub(in crate::routes) async fn create(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    IdempotencyKey(idempotency_key): IdempotencyKey,
    Json(request): Json<CreateExchange>,
) -> Result<(StatusCode, Json<ExchangeCreated>), ApiError> {
    let request_hash =
        Sha256::digest(serde_json::to_vec(&request).map_err(ApiError::internal)?).to_vec();
    if let Some(key) = &idempotency_key
        && let Some(replayed) = replay(&state, &auth, key, &request_hash).await?
    {
        return Ok(replayed);
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
    if request
        .sizes
        .first()
        .is_some_and(|manifest| *manifest > pli_crypto::manifest::MAX_SEALED_LEN)
    {
        return Err(ApiError::TooLarge(
            ErrorCode::ExchangeTooLarge,
            format!(
                "a manifest is at most {} bytes",
                pli_crypto::manifest::MAX_SEALED_LEN
            ),
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
            return replay(&state, &auth, key, &exchange.request_hash)
                .await?
                .ok_or(ApiError::IdempotencyMismatch);
        }
        Err(other) => return Err(other.into()),
    }
    tx.audit(AuditEvent {
        chain: Chain::Org(exchange.sender_org_id),
        at: now,
        actor: Some(auth.user_id()),
        action: Action::ExchangeCreated,
        object_id: exchange.id.to_string(),
        detail: audit_detail(&[
            ("recipient", recipient.id.to_string()),
            ("bytes", total.to_string()),
        ]),
    })
    .await?;
    tx.commit().await?;
    let objects = state.store.objects(&exchange.id).await?;
    Ok((StatusCode::CREATED, Json(created(&exchange, &objects))))
}

/// The exchange this account already created with `key`, answered again as the retry
/// it is; refused if the request differs from the one first sent under that key.
async fn replay(
    state: &AppState,
    auth: &Auth,
    key: &str,
    request_hash: &[u8],
) -> Result<Option<(StatusCode, Json<ExchangeCreated>)>, ApiError> {
    let Some(existing) = state
        .store
        .exchange_by_idempotency_key(&auth.user.id, key)
        .await?
    else {
        return Ok(None);
    };
    if existing.request_hash != request_hash {
        return Err(ApiError::IdempotencyMismatch);
    }
    let objects = state.store.objects(&existing.id).await?;
    Ok(Some((StatusCode::OK, Json(created(&existing, &objects)))))
}
