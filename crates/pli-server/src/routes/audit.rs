//! Audit logs: an organisation's (admins read all of it, members their own actions),
//! its export as JSON lines, the verification of its hash chain, and the platform's.

use crate::routes::Found;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pli_api::OrgId;
use pli_api::endpoints as ep;
use pli_api::messages::{self, AuditQuery};

use super::Json;
use crate::app::AppState;
use crate::audit::{AuditEntry, Verification, Verifier};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::store::users::{AccountStatus, Role};

/// The organisation's chain name, if the caller belongs to it (404 otherwise).
fn own_chain(auth: &Auth, org: OrgId) -> Result<(OrgId, String), ApiError> {
    if auth.user.org_id != org {
        return Err(ApiError::NotFound);
    }
    Ok((org, format!("audit:{org}")))
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::OrgAudit { org, .. }): Found<ep::OrgAudit>,
    Query(page): Query<AuditQuery>,
) -> Result<Json<Vec<messages::AuditEntry>>, ApiError> {
    let (_, chain) = own_chain(&auth, org)?;
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    // The whole log for a certified admin with two-factor on (what the OrgAdmin policy
    // asks); anyone else, an admin not certified yet (or whoever holds a leaked
    // invitation) included, reads only their own entries.
    let admin = auth.user.role == Role::OrgAdmin
        && auth.user.status == AccountStatus::Active
        && auth.user.totp_enabled;
    let entries = if admin {
        state
            .store
            .audit_entries(&chain, page.after.unwrap_or(0), limit)
            .await?
    } else {
        state
            .store
            .audit_entries_by(&chain, &auth.user.id.to_string(), limit)
            .await?
    };
    Ok(Json(entries))
}

/// Reads a whole chain in pages.
async fn all_entries(
    state: &AppState,
    chain: &str,
    mut visit: impl FnMut(&AuditEntry),
) -> Result<(), ApiError> {
    let mut after = 0;
    loop {
        let batch = state.store.audit_entries(chain, after, 1000).await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.seq;
        batch.iter().for_each(&mut visit);
    }
}

/// The entries after `after`, one JSON line each, as one chunk of the export (empty
/// when the chain has no more).
async fn export_page(state: &AppState, chain: &str, after: u64) -> Result<(Bytes, u64), ApiError> {
    let batch = state.store.audit_entries(chain, after, EXPORT_PAGE).await?;
    let mut lines = Vec::new();
    for entry in &batch {
        serde_json::to_writer(&mut lines, entry).map_err(ApiError::internal)?;
        lines.push(b'\n');
    }
    let last = batch.last().map_or(after, |entry| entry.seq);
    Ok((Bytes::from(lines), last))
}

/// Entries read per database query of an export.
const EXPORT_PAGE: u32 = 1000;

/// The organisation's whole audit log as JSON lines, streamed a page at a time (memory
/// stays flat however long the log). The first page is read before answering, so that a
/// failure then is an error status; a failure later cuts the download short, which the
/// person sees as an incomplete file (the last line's hash no longer chains).
pub(super) async fn export(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::ExportAudit { org }): Found<ep::ExportAudit>,
) -> Result<Response, ApiError> {
    let (org, chain) = own_chain(&auth, org)?;
    let (first, after) = export_page(&state, &chain, 0).await?;
    let pages = futures_util::stream::unfold(
        (Some(first), after, false, state, chain),
        |(pending, after, failed, state, chain)| async move {
            if let Some(lines) = pending.filter(|lines| !lines.is_empty()) {
                return Some((Ok(lines), (None, after, failed, state, chain)));
            }
            if failed || after == 0 {
                return None;
            }
            match export_page(&state, &chain, after).await {
                Ok((lines, _)) if lines.is_empty() => None,
                Ok((lines, last)) => Some((Ok(lines), (None, last, false, state, chain))),
                Err(error) => {
                    tracing::warn!(code = error.code().as_str(), "audit export cut short");
                    let cut = std::io::Error::other("audit export cut short");
                    Some((Err(cut), (None, after, true, state, chain)))
                }
            }
        },
    );
    let mut response = Body::from_stream(pages).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    let disposition = format!("attachment; filename=\"audit-{org}.jsonl\"");
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    Ok(response)
}

pub(super) async fn verify(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::VerifyAudit { org }): Found<ep::VerifyAudit>,
) -> Result<Json<messages::ChainVerification>, ApiError> {
    let (_, chain) = own_chain(&auth, org)?;
    Ok(Json(verify_chain(&state, &chain).await?))
}

/// Verifies a whole chain against its stored head: the entries up to the head read
/// first (those appended meanwhile are the next verification's).
pub(crate) async fn verify_chain(state: &AppState, chain: &str) -> Result<Verification, ApiError> {
    let head = state.store.chain_head(chain).await?;
    let mut verifier = Verifier::up_to(head.0);
    all_entries(state, chain, |entry| verifier.push(entry)).await?;
    Ok(verifier.finish(head))
}

pub(super) async fn platform(
    State(state): State<AppState>,
    Query(page): Query<AuditQuery>,
) -> Result<Json<Vec<messages::AuditEntry>>, ApiError> {
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state
        .store
        .audit_entries("audit:platform", page.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(entries))
}
