//! Organisations: listing and creating them (platform admin), their retention, and who
//! administers or belongs to which (used by the members' routes too).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use pli_api::endpoints as ep;
use pli_api::messages::{CreateOrg, OrgSummary, ProConnectPolicy, Retention, SecondFactorPolicy};
use pli_api::{ErrorCode, OrgId, SecondFactor, UserId};
use pli_crypto::cert::{OrgCertificate, OrgKind};

use super::common::{check_name, detail, signed};
use super::{Json, common};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::now_ms;
use crate::routes::Found;
use crate::store::directory::Org;
use crate::store::users::{Role, User};

fn summary(org: &Org) -> OrgSummary {
    OrgSummary {
        org_id: org.id,
        kind: org.kind,
        name: org.name.clone(),
        code: org.code.clone(),
        retention_days: org.retention_days,
    }
}

/// The organisation in the path, if the caller administers it (org admin of it, or the
/// platform admin for any organisation but the platform's); 404 otherwise.
pub(super) async fn administered(
    state: &AppState,
    auth: &Auth,
    org_id: OrgId,
) -> Result<Org, ApiError> {
    let allowed = match auth.user.role {
        Role::OrgAdmin => auth.user.org_id == org_id,
        Role::PlatformAdmin => true,
        Role::Member => false,
    };
    let org = state
        .store
        .org(&org_id)
        .await?
        .filter(|_| allowed)
        .ok_or(ApiError::NotFound)?;
    if auth.user.role == Role::PlatformAdmin && org.kind == OrgKind::Platform {
        return Err(ApiError::NotFound);
    }
    Ok(org)
}

/// A user of `org`, 404 otherwise.
pub(super) async fn member_of(
    state: &AppState,
    org: &Org,
    user_id: UserId,
) -> Result<User, ApiError> {
    state
        .store
        .user(&user_id)
        .await?
        .filter(|u| u.org_id == org.id)
        .ok_or(ApiError::NotFound)
}

pub(super) async fn list(State(state): State<AppState>) -> Result<Json<Vec<OrgSummary>>, ApiError> {
    Ok(Json(
        state.store.orgs().await?.iter().map(summary).collect(),
    ))
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Json(request): Json<CreateOrg>,
) -> Result<(StatusCode, Json<OrgSummary>), ApiError> {
    let root = common::trust_root(&state).await?;
    let certificate = signed::<OrgCertificate>(&request.certificate)?;
    let cert = root
        .verify_org(&certificate)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    if cert.kind == OrgKind::Platform {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "there is only one platform organisation",
        ));
    }
    check_name(&cert.name, "organisation name")?;
    if cert.code.is_empty()
        || !cert
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "the code must be letters, digits, - or _",
        ));
    }
    let now = now_ms();
    let org = Org {
        id: cert.org_id,
        kind: cert.kind,
        name: cert.name.clone(),
        code: cert.code.clone(),
        certificate: common::blob_of(&certificate),
        retention_days: state.config.limits.retention_days,
        second_factor: SecondFactor::Required,
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    tx.insert_org(&org).await.map_err(|e| match e {
        crate::store::StoreError::Conflict(_) => {
            ApiError::conflict(ErrorCode::AlreadyExists, "this organisation or code exists")
        }
        other => other.into(),
    })?;
    let actor = Some(auth.user_id());
    let id = org.id.to_string();
    tx.audit(AuditEvent {
        chain: Chain::Platform,
        at: now,
        actor,
        action: Action::OrgCreated,
        object_id: id.clone(),
        detail: detail(&[("kind", cert.kind.as_str().into())]),
    })
    .await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor,
        action: Action::OrgCreated,
        object_id: id.clone(),
        detail: "{}".to_owned(),
    })
    .await?;
    tx.commit().await?;
    common::logged(&state).await?;
    Ok((StatusCode::CREATED, Json(summary(&org))))
}

pub(super) async fn retention(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::SetRetention { org }): Found<ep::SetRetention>,
    Json(request): Json<Retention>,
) -> Result<StatusCode, ApiError> {
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let org = administered(&state, &auth, org).await?;
    if !(1..=3650).contains(&request.retention_days) {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "retention must be 1 to 3650 days",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.set_retention(&org.id, request.retention_days).await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor: Some(auth.user_id()),
        action: Action::OrgRetention,
        object_id: org.id.to_string(),
        detail: detail(&[("days", request.retention_days.to_string())]),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's SIRET numbers (whose agents ProConnect may vouch for) and whether
/// its people must sign in with ProConnect. Any change needs a recent password proof;
/// requiring ProConnect needs a SIRET, and ProConnect configured on the relay.
pub(super) async fn proconnect(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::SetProConnect { org }): Found<ep::SetProConnect>,
    Json(mut request): Json<ProConnectPolicy>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &auth, org).await?;
    request.sirets.sort();
    request.sirets.dedup();
    if request.sirets.len() > 100 {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "at most 100 SIRET numbers",
        ));
    }
    if request.required && request.sirets.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "requiring ProConnect needs at least one SIRET",
        ));
    }
    if request.required && state.config.oidc.is_none() {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this relay has no ProConnect client (PLI_OIDC_ISSUER)",
        ));
    }
    // Every change needs a recent password proof: widening who may sign in, relaxing the
    // rule, and also narrowing or requiring, which can lock the service's people out.
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let sirets: Vec<&str> = request.sirets.iter().map(|s| s.as_str()).collect();
    let mut tx = state.store.begin().await?;
    tx.set_org_proconnect(&org.id, &request).await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now_ms(),
        actor: Some(auth.user_id()),
        action: Action::OrgProConnect,
        object_id: org.id.to_string(),
        detail: detail(&[
            ("sirets", sirets.join(" ")),
            ("required", request.required.to_string()),
        ]),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the organisation's members must use two-factor authentication. Members
/// without it are asked to enrol at their next request once it is required; relaxing it
/// (which needs a recent password proof) turns nobody's off.
pub(super) async fn second_factor(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::SetSecondFactor { org }): Found<ep::SetSecondFactor>,
    Json(request): Json<SecondFactorPolicy>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &auth, org).await?;
    if request.second_factor == SecondFactor::Optional {
        auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.set_second_factor(&org.id, request.second_factor).await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor: Some(auth.user_id()),
        action: Action::OrgSecondFactor,
        object_id: org.id.to_string(),
        detail: detail(&[("policy", request.second_factor.as_str().to_owned())]),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
