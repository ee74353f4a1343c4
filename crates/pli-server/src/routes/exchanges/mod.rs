//! Exchanges, one file per step of their life: [`create`], resumable part uploads
//! verified while streaming ([`upload`]), completion with the signed envelope, delivered
//! in one transaction ([`complete`]), and what the parties read ([`read`]: lists,
//! details, downloads with `Range`, read receipts). This file holds what they share:
//! who may see an exchange, and its wire summaries.

mod complete;
mod create;
mod read;
mod upload;

pub(super) use complete::complete;
pub(super) use create::create;
pub(super) use read::{detail, download, inbox, outbox, part_hashes, post_receipt};
pub(super) use upload::{cancel, put_part, upload_status};

use pli_api::ErrorCode;
use pli_api::ExchangeId;
use pli_api::messages::{ExchangeCreated, ExchangeSummary, ObjectProgress};
use pli_crypto::sign::VerifyingKey;
use sha2::digest::common::hazmat::SerializableState as _;
use sha2::{Digest as _, Sha256};

use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::store::directory::SignedBlob;
use crate::store::exchanges::{Exchange, ExchangeState};
use crate::store::objects::Object;

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
        envelope: e.envelope.as_ref().map(SignedBlob::to_wire),
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

/// What a new object's `hash_state` column starts with: an empty SHA-256 state. This
/// relay never reads it (it hashes each part once, for its `Content-Digest`); a relay of
/// before 12 December does, to carry its running hash from part to part, so during a
/// rolling upgrade an exchange created here may get its parts from one of those.
fn empty_hash_state() -> Vec<u8> {
    Sha256::new().serialize().to_vec()
}

/// The exchange in the path if the caller's organisation is a party to it: the sender's
/// organisation always, the recipient's once delivered. 404 otherwise.
async fn visible(state: &AppState, auth: &Auth, id: ExchangeId) -> Result<Exchange, ApiError> {
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
async fn own_upload(state: &AppState, auth: &Auth, id: ExchangeId) -> Result<Exchange, ApiError> {
    let exchange = visible(state, auth, id).await?;
    if exchange.sender_user_id != auth.user.id {
        return Err(ApiError::NotFound);
    }
    Ok(exchange)
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
