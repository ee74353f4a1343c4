//! The key directory's transparency log: what the relay proposes as its policy, the
//! policy and latest checkpoint, ranges of entries, and a new policy the platform
//! authority signed (the witnesses or quorum changed in the relay's configuration).

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use pli_api::SignedObject;
use pli_api::messages::{
    LogEntries, LogProposal, LogRange, LogState, MAX_LOG_ENTRIES, ProposedWitness,
};
use pli_api::{Base64, ErrorCode};
use pli_crypto::cert::UserCertificate;
use pli_crypto::codec::Canonical;
use pli_crypto::statement::{LogPolicy, SeenCheckpoint};

use super::Json;
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::now_ms;

pub(super) async fn proposal(State(state): State<AppState>) -> Result<Json<LogProposal>, ApiError> {
    let policy = state.log.proposal(now_ms()).map_err(ApiError::internal)?;
    Ok(Json(LogProposal {
        origin: policy.origin,
        log_key: Base64(policy.log_key.to_bytes().to_vec()),
        witnesses: policy
            .witnesses
            .into_iter()
            .map(|w| ProposedWitness {
                name: w.name,
                key: Base64(w.key.to_bytes().to_vec()),
            })
            .collect(),
        quorum: policy.quorum,
        max_age_s: policy.max_age_s,
    }))
}

pub(super) async fn state(State(state): State<AppState>) -> Result<Json<LogState>, ApiError> {
    let policy = state.store.log_policy().await?;
    let checkpoint = state.store.log_head().await?.checkpoint;
    Ok(Json(LogState {
        policy: policy.map(|leaf| leaf.to_wire()),
        checkpoint: checkpoint.map(|note| String::from_utf8_lossy(&note).into_owned()),
    }))
}

pub(super) async fn entries(
    State(state): State<AppState>,
    Query(range): Query<LogRange>,
) -> Result<Json<LogEntries>, ApiError> {
    if range.end < range.start || range.end - range.start > MAX_LOG_ENTRIES {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            format!("a range of 0 to {MAX_LOG_ENTRIES} entries"),
        ));
    }
    let entries = state.store.log_entries(range.start, range.end).await?;
    Ok(Json(LogEntries {
        entries: entries.into_iter().map(Base64).collect(),
    }))
}

/// Records the checkpoint the caller verified: signed with the key of their current
/// certificate, for them, of this log, no larger than it, and not smaller than the one
/// recorded (409).
pub(super) async fn put_seen(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Json(wire): Json<SignedObject>,
) -> Result<StatusCode, ApiError> {
    let signed = super::common::signed::<SeenCheckpoint>(&wire)?;
    let own = super::common::own_certificate(&state, &auth.user.id).await?;
    let cert: UserCertificate =
        Canonical::from_canonical(&own.certificate.data).map_err(ApiError::internal)?;
    let seen = signed
        .verify(&cert.signing_key)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    let head = state.store.log_head().await?;
    let origin = state.log.proposal(0).map_err(ApiError::internal)?.origin;
    if seen.user_id != auth.user.id || seen.origin != origin || seen.size > head.size {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "this checkpoint is not the caller's, or not of this log",
        ));
    }
    let recorded = state
        .store
        .set_seen_checkpoint(
            &auth.user.id,
            seen.size,
            &super::common::blob_of(&signed),
            now_ms(),
        )
        .await?;
    if !recorded {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "a checkpoint of a larger log is recorded",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Appends a new log policy, signed by the root: exactly what this relay is configured
/// with (its origin, log key, witnesses, quorum and maximum age), and able to follow the
/// policy in force (same log, signed later, a quorum of 1 to its number of witnesses),
/// as every client's replay will judge it. Audited on the platform's chain; the
/// checkpoint holding it is published before answering.
#[tracing::instrument(skip_all)]
pub(super) async fn sign_policy(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Json(wire): Json<SignedObject>,
) -> Result<StatusCode, ApiError> {
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let root = super::common::trust_root(&state).await?;
    let signed = super::common::signed::<LogPolicy>(&wire)?;
    let policy = signed
        .verify(&root.0)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    let invalid = |why: &str| ApiError::unprocessable(ErrorCode::LogPolicyInvalid, why);
    let proposed = state
        .log
        .proposal(policy.issued_at)
        .map_err(ApiError::internal)?;
    if policy != proposed {
        return Err(invalid(
            "the log policy is not this relay's: its witnesses, quorum or maximum age differ from its configuration",
        ));
    }
    let current = state
        .store
        .log_policy()
        .await?
        .ok_or_else(|| invalid("the platform is not set up: it has no log policy yet"))?;
    let current: LogPolicy =
        Canonical::from_canonical(&current.data).map_err(ApiError::internal)?;
    policy.check_succession(&current).map_err(invalid)?;
    if policy.witnesses == current.witnesses
        && policy.quorum == current.quorum
        && policy.max_age_s == current.max_age_s
    {
        return Err(invalid("this policy is the one in force"));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let index = tx.log_policy(&super::common::blob_of(&signed), now).await?;
    tx.audit(AuditEvent {
        chain: Chain::Platform,
        at: now,
        actor: Some(auth.user_id()),
        action: Action::LogPolicyChanged,
        object_id: index.to_string(),
        detail: super::common::detail(&[
            ("witnesses", policy.witnesses.len().to_string()),
            ("quorum", policy.quorum.to_string()),
        ]),
    })
    .await?;
    tx.commit().await?;
    super::common::logged(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}
