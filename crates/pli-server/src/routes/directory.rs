//! The key directory: the root key, organisations with their certified keys, user
//! certificate chains, key grants, key publication (rotation) and suspension.

use crate::routes::Found;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use pli_api::ErrorCode;
use pli_api::endpoints as ep;
use pli_api::messages::{
    CertificateChain, DirectoryKey, DirectoryOrg, MyGrants, PublishKey, Revoke, RootKey,
};
use pli_api::{Base64, OrgKind, WireKeyGrant};
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, UserCertificate};
use pli_crypto::statement::Revoked;

use super::Json;
use super::common::{self, detail, signed};
use super::orgs::administered;
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::now_ms;
use crate::store::directory::{GrantRow, OrgKeyRow, UserCertRow};
use crate::store::users::{AccountStatus, Role};

pub(super) async fn root(State(state): State<AppState>) -> Result<Json<RootKey>, ApiError> {
    Ok(Json(RootKey {
        root_key: common::root_key(&state)
            .await?
            .map(|k| Base64(k.to_bytes().to_vec())),
    }))
}

/// A user certificate and its issuer's (when an admin, not the root, issued it).
pub(super) async fn chain(
    state: &AppState,
    cert: &UserCertRow,
) -> Result<CertificateChain, ApiError> {
    let issuer = state
        .store
        .user_certificate(&cert.issuer_fingerprint)
        .await?;
    Ok(chain_of(cert, issuer.as_ref()))
}

/// A certificate and its issuer's, as read already (a list page reads all of its senders'
/// in two queries).
pub(super) fn chain_of(cert: &UserCertRow, issuer: Option<&UserCertRow>) -> CertificateChain {
    CertificateChain {
        certificate: cert.certificate.to_wire(),
        issuer: issuer.map(|i| i.certificate.to_wire()),
    }
}

/// The directory entry of one key generation, with the certificate of the admin key that
/// issued it (even if that admin has since been given new keys).
async fn directory_key(
    state: &AppState,
    key: &OrgKeyRow,
) -> Result<Option<DirectoryKey>, ApiError> {
    let Some(issuer) = state
        .store
        .user_certificate(&key.issuer_fingerprint)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(DirectoryKey {
        generation: key.generation,
        certificate: key.certificate.to_wire(),
        issuer_certificate: issuer.certificate.to_wire(),
        suspended: key.suspended,
    }))
}

pub(super) async fn orgs(
    State(state): State<AppState>,
) -> Result<Json<Vec<DirectoryOrg>>, ApiError> {
    let mut out = Vec::new();
    for org in state
        .store
        .orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind != OrgKind::Platform)
    {
        let key = match state.store.current_org_key(&org.id).await? {
            Some(key) => directory_key(&state, &key).await?,
            None => None,
        };
        out.push(DirectoryOrg {
            org_id: org.id,
            kind: org.kind,
            name: org.name,
            certificate: org.certificate.to_wire(),
            key,
        });
    }
    Ok(Json(out))
}

pub(super) async fn certificate(
    State(state): State<AppState>,
    Found(ep::Certificate { fingerprint }): Found<ep::Certificate>,
) -> Result<Json<CertificateChain>, ApiError> {
    if fingerprint.len() != 64 || !fingerprint.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::NotFound);
    }
    let cert = state
        .store
        .user_certificate(&fingerprint.to_lowercase())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(chain(&state, &cert).await?))
}

pub(super) async fn my_grants(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<MyGrants>, ApiError> {
    let grants = state
        .store
        .grants_of_user(&auth.user.id)
        .await?
        .into_iter()
        .map(|g| WireKeyGrant {
            org_id: g.org_id,
            generation: g.generation,
            user_id: g.user_id,
            wrapped: Base64(g.wrapped),
        })
        .collect();
    Ok(Json(MyGrants { grants }))
}

pub(super) async fn org_keys(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::OrgKeys { org: org_id }): Found<ep::OrgKeys>,
) -> Result<Json<Vec<DirectoryKey>>, ApiError> {
    // Members see their own organisation's history; the platform admin any organisation's.
    if auth.user.org_id != org_id && auth.user.role != Role::PlatformAdmin {
        return Err(ApiError::NotFound);
    }
    let mut out = Vec::new();
    for key in state.store.org_keys(&org_id).await? {
        if let Some(entry) = directory_key(&state, &key).await? {
            out.push(entry);
        }
    }
    Ok(Json(out))
}

pub(super) async fn publish_key(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::PublishKey { org }): Found<ep::PublishKey>,
    Json(request): Json<PublishKey>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &auth, org).await?;
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let root = common::trust_root(&state).await?;
    let own = common::own_certificate(&state, &auth.user.id).await?;
    let org_signed = common::signed_of::<OrgCertificate>(&org.certificate)?;
    let own_signed = common::signed_of::<UserCertificate>(&own.certificate)?;
    let key_signed = signed::<OrgKeyCertificate>(&request.certificate)?;
    let (_, key) = root
        .verify_org_key(&org_signed, &key_signed, &own_signed)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    let next = state
        .store
        .current_org_key(&org.id)
        .await?
        .map_or(1, |k| k.generation + 1);
    if key.generation != next {
        return Err(ApiError::conflict(
            ErrorCode::StaleKeyGeneration,
            format!("the next generation is {next}"),
        ));
    }
    if state.config.require_post_quantum && !key.public_key.is_post_quantum() {
        return Err(ApiError::conflict(
            ErrorCode::PostQuantumRequired,
            "this platform requires post-quantum key generations: every active member needs a post-quantum key first",
        ));
    }
    // The new key must reach every active member at once, or some would be locked out.
    let active: Vec<_> = state
        .store
        .users_of_org(&org.id)
        .await?
        .into_iter()
        .filter(|u| u.status == AccountStatus::Active)
        .collect();
    let mut grants = Vec::new();
    for member in &active {
        let grant = request
            .grants
            .iter()
            .find(|g| g.user_id == member.id && g.generation == key.generation)
            .ok_or_else(|| {
                ApiError::conflict(
                    ErrorCode::GrantsIncomplete,
                    format!("no grant for member {}", member.id),
                )
            })?;
        if grant.wrapped.0.is_empty() || grant.wrapped.0.len() > 4096 {
            return Err(ApiError::bad_request(
                ErrorCode::BadRequest,
                "a grant must be 1 to 4096 bytes",
            ));
        }
        grants.push(GrantRow {
            org_id: org.id,
            generation: key.generation,
            user_id: member.id,
            wrapped: grant.wrapped.0.clone(),
            granted_by: auth.user.id,
        });
    }
    if request.grants.len() != grants.len() {
        return Err(ApiError::unprocessable(
            ErrorCode::BadRequest,
            "grants name someone who is not an active member",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.insert_org_key(&OrgKeyRow {
        org_id: org.id,
        generation: key.generation,
        public_key: key.public_key.to_bytes(),
        certificate: common::blob_of(&key_signed),
        issuer_user_id: auth.user.id,
        issuer_fingerprint: own.fingerprint.clone(),
        suspended: false,
        created_at: now,
    })
    .await
    .map_err(|e| match e {
        crate::store::StoreError::Conflict(_) => {
            ApiError::conflict(ErrorCode::StaleKeyGeneration, "this generation exists")
        }
        other => other.into(),
    })?;
    for grant in &grants {
        tx.upsert_grant(grant, now).await?;
    }
    let fingerprint =
        crate::audit::to_hex(&pli_crypto::sign::Fingerprint::of_encryption_key(&key.public_key).0);
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor: Some(auth.user_id()),
        action: Action::KeyPublished,
        object_id: key.generation.to_string(),
        detail: detail(&[("fingerprint", fingerprint)]),
    })
    .await?;
    tx.append_event(&org.id, now, "key.published", None).await?;
    tx.commit().await?;
    common::logged(&state).await?;
    state.notify(org.id);
    Ok(StatusCode::CREATED)
}

pub(super) async fn suspend_key(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::SuspendKey { org, generation }): Found<ep::SuspendKey>,
    Json(request): Json<Revoke>,
) -> Result<StatusCode, ApiError> {
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let org = administered(&state, &auth, org).await?;
    let revocation = common::revocation(
        &state,
        &auth,
        request.revocation.as_ref(),
        &org.id,
        Revoked::OrgKey { generation },
    )
    .await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    if !tx.suspend_org_key(&org.id, generation).await? {
        return Err(ApiError::NotFound);
    }
    tx.log_append(&revocation.leaf(), now).await?;
    let actor = Some(auth.user_id());
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor,
        action: Action::KeySuspended,
        object_id: generation.to_string(),
        detail: "{}".to_owned(),
    })
    .await?;
    if auth.user.role == Role::PlatformAdmin {
        tx.audit(AuditEvent {
            chain: Chain::Platform,
            at: now,
            actor,
            action: Action::KeySuspended,
            object_id: format!("{}/{generation}", org.id),
            detail: "{}".to_owned(),
        })
        .await?;
    }
    tx.append_event(&org.id, now, "key.suspended", None).await?;
    tx.commit().await?;
    common::logged(&state).await?;
    state.notify(org.id);
    Ok(StatusCode::NO_CONTENT)
}
