//! The key directory's transparency log: what the relay proposes as its policy, the
//! policy and latest checkpoint, ranges of entries.

use axum::extract::{Query, State};
use pli_api::messages::{
    LogEntries, LogProposal, LogRange, LogState, MAX_LOG_ENTRIES, ProposedWitness,
};
use pli_api::{Base64, ErrorCode};

use super::Json;
use crate::app::AppState;
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
