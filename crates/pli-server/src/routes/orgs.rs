//! Organisations and their members: creation (platform admin), invitations,
//! certification with key grants, removal, password-loss resets, retention.

use crate::routes::Found;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use pli_api::ErrorCode;
use pli_api::endpoints as ep;
use pli_api::messages::{
    CertifyRequest, CreateOrg, GrantUpload, InvitationInfo, InviteRequest, InviteResponse,
    MemberSummary, Members, OrgSummary, PublicKeys, Removed, Retention,
};
use pli_api::{Base64, OrgId, UserId};
use pli_crypto::cert::{OrgCertificate, OrgKind, UserCertificate};

use super::Json;
use super::common::{self, check_name, detail, normalize_email, signed};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::{Auth, secrets};
use crate::error::ApiError;
use crate::mail::Notice;
use crate::now_ms;
use crate::store::directory::{GrantRow, Org, UserCertRow};
use crate::store::invitations::Invitation;
use crate::store::users::{AccountStatus, InvitationKind, Role, User};

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
async fn member_of(state: &AppState, org: &Org, user_id: UserId) -> Result<User, ApiError> {
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
    Ok((StatusCode::CREATED, Json(summary(&org))))
}

pub(super) async fn members(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Members { org }): Found<ep::Members>,
) -> Result<Json<Members>, ApiError> {
    let org = administered(&state, &auth, org).await?;
    let generations: Vec<u32> = state
        .store
        .org_keys(&org.id)
        .await?
        .iter()
        .map(|k| k.generation)
        .collect();
    let mut members = Vec::new();
    for user in state.store.users_of_org(&org.id).await? {
        let granted = state
            .store
            .grants_of_user(&user.id)
            .await?
            .into_iter()
            .filter(|g| g.org_id == org.id)
            .map(|g| g.generation)
            .collect();
        members.push(MemberSummary {
            user_id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            status: user.status,
            totp_enabled: user.totp_enabled,
            keys: PublicKeys {
                signing_key: Base64(user.signing_key.to_vec()),
                encryption_key: Base64(user.encryption_key.to_vec()),
            },
            granted_generations: granted,
        });
    }
    let invitations = state
        .store
        .open_invitations(&org.id)
        .await?
        .iter()
        .map(|i| InvitationInfo {
            kind: i.kind,
            user_id: i.user_id,
            email: i.email.clone(),
            display_name: i.display_name.clone(),
            role: i.role,
            org_id: i.org_id,
            org_name: Some(org.name.clone()),
            expires_at: i.expires_at,
        })
        .collect();
    Ok(Json(Members {
        members,
        invitations,
        generations,
        retention_days: org.retention_days,
    }))
}

pub(super) async fn invite(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Invite { org }): Found<ep::Invite>,
    Json(request): Json<InviteRequest>,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    let org = administered(&state, &auth, org).await?;
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let email = normalize_email(&request.email)?;
    let display_name = check_name(&request.display_name, "name")?;
    // The platform admin invites an organisation's admins (whom the root certifies);
    // an organisation admin invites members (whom they certify).
    let role = match (auth.user.role, request.role) {
        (Role::PlatformAdmin, Role::OrgAdmin) | (Role::OrgAdmin, Role::Member) => request.role,
        _ => {
            return Err(ApiError::bad_request(
                ErrorCode::BadRequest,
                "this role cannot be invited by you",
            ));
        }
    };
    if state.store.user_by_email(&email).await?.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::AlreadyExists,
            "an account with this address already exists",
        ));
    }
    issue_invitation(
        &state,
        &auth,
        &org,
        InvitationKind::Join,
        secrets::new_id()?,
        email,
        display_name,
        role,
    )
    .await
}

#[allow(clippy::too_many_arguments, reason = "the invitation's fields")]
async fn issue_invitation(
    state: &AppState,
    auth: &Auth,
    org: &Org,
    kind: InvitationKind,
    user_id: UserId,
    email: String,
    display_name: String,
    role: Role,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    let (token, token_hash) = secrets::new_token()?;
    let now = now_ms();
    let expires_at = now + state.config.limits.invitation_hours * 3_600_000;
    let mut tx = state.store.begin().await?;
    tx.withdraw_invitation(&org.id, &user_id, now).await?;
    tx.insert_invitation(&Invitation {
        token_hash,
        kind,
        org_id: Some(org.id),
        user_id,
        email: email.clone(),
        display_name,
        role,
        created_by: Some(auth.user_id()),
        created_at: now,
        expires_at,
        used_at: None,
    })
    .await?;
    let action = if kind == InvitationKind::Reset {
        Action::MemberResetIssued
    } else {
        Action::MemberInvited
    };
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor: Some(auth.user_id()),
        action,
        object_id: user_id.to_string(),
        detail: detail(&[("role", role.as_str().into())]),
    })
    .await?;
    tx.commit().await?;
    let link = format!("{}/#/invitation/{token}", state.config.public_url);
    if let Some(mailer) = state.mailer.clone() {
        let link = link.clone();
        tokio::spawn(async move { mailer.send(&email, Notice::Invitation, Some(&link)).await });
    }
    Ok((
        StatusCode::CREATED,
        Json(InviteResponse {
            user_id,
            link,
            expires_at,
        }),
    ))
}

pub(super) async fn withdraw(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::WithdrawInvitation { org, user: user_id }): Found<ep::WithdrawInvitation>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &auth, org).await?;
    let mut tx = state.store.begin().await?;
    if !tx.withdraw_invitation(&org.id, &user_id, now_ms()).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks grants for `member` in `org`: for existing generations only.
async fn check_grants(
    state: &AppState,
    org: &Org,
    member: &User,
    grants: &[GrantUpload],
) -> Result<Vec<GrantRow>, ApiError> {
    let generations: Vec<u32> = state
        .store
        .org_keys(&org.id)
        .await?
        .iter()
        .map(|k| k.generation)
        .collect();
    grants
        .iter()
        .map(|g| {
            if g.user_id != member.id
                || !generations.contains(&g.generation)
                || g.wrapped.0.is_empty()
                || g.wrapped.0.len() > 4096
            {
                return Err(ApiError::unprocessable(
                    ErrorCode::BadRequest,
                    "a grant names another member or an unknown generation",
                ));
            }
            Ok(GrantRow {
                org_id: org.id,
                generation: g.generation,
                user_id: member.id,
                wrapped: g.wrapped.0.clone(),
                granted_by: member.id,
            })
        })
        .collect()
}

pub(super) async fn certify(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Certify { org, user }): Found<ep::Certify>,
    Json(request): Json<CertifyRequest>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &auth, org).await?;
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let member = member_of(&state, &org, user).await?;
    if member.status != AccountStatus::Pending {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "only a member whose keys await certification can be certified",
        ));
    }
    let root = common::trust_root(&state).await?;
    let certificate = signed::<UserCertificate>(&request.certificate)?;
    let bad =
        |e: pli_crypto::Error| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string());
    let cert = match (auth.user.role, member.role) {
        (Role::PlatformAdmin, Role::OrgAdmin) => root.verify_admin(&certificate).map_err(bad)?,
        (Role::OrgAdmin, Role::Member) => {
            let own = state
                .store
                .current_user_certificate(&auth.user.id)
                .await?
                .ok_or_else(|| {
                    ApiError::conflict(ErrorCode::WrongState, "your own keys are not certified")
                })?;
            // Verified against the caller's own certificate: issued by the caller, or refused.
            let own = common::signed_of::<UserCertificate>(&own.certificate)?;
            root.verify_user(&certificate, Some(&own)).map_err(bad)?
        }
        _ => return Err(ApiError::Forbidden),
    };
    if cert.user_id != member.id
        || cert.org_id != org.id
        || cert.role != member.role
        || cert.display_name != member.display_name
        || cert.signing_key.to_bytes() != member.signing_key
        || cert.encryption_key.to_bytes() != member.encryption_key
    {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "the certificate does not describe this member's keys",
        ));
    }
    let mut grants = check_grants(&state, &org, &member, &request.grants).await?;
    grants.iter_mut().for_each(|g| g.granted_by = auth.user.id);
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.supersede_user_certificates(&member.id, now).await?;
    tx.insert_user_certificate(&UserCertRow {
        fingerprint: common::fingerprint_hex(&cert.signing_key),
        user_id: member.id,
        issuer_fingerprint: crate::audit::to_hex(&cert.issuer.0),
        certificate: common::blob_of(&certificate),
        created_at: now,
        superseded_at: None,
    })
    .await?;
    tx.set_user_status(&member.id, AccountStatus::Active, now)
        .await?;
    write_grants(
        &mut tx,
        &org,
        &auth,
        &member,
        &grants,
        Action::MemberCertified,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores grants for a member and records it in the organisation's audit log.
async fn write_grants(
    tx: &mut crate::store::Tx,
    org: &Org,
    auth: &Auth,
    member: &User,
    grants: &[GrantRow],
    action: Action,
    now: u64,
) -> Result<(), ApiError> {
    for grant in grants {
        tx.upsert_grant(grant, now).await?;
    }
    let generations = grants
        .iter()
        .map(|g| g.generation.to_string())
        .collect::<Vec<_>>()
        .join(",");
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor: Some(auth.user_id()),
        action,
        object_id: member.id.to_string(),
        detail: detail(&[("generations", generations)]),
    })
    .await?;
    Ok(())
}

pub(super) async fn grant(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Grant { org, user }): Found<ep::Grant>,
    Json(request): Json<Vec<GrantUpload>>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &auth, org).await?;
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let member = member_of(&state, &org, user).await?;
    if member.status != AccountStatus::Active {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "certify the member first",
        ));
    }
    let mut grants = check_grants(&state, &org, &member, &request).await?;
    grants.iter_mut().for_each(|g| g.granted_by = auth.user.id);
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    write_grants(
        &mut tx,
        &org,
        &auth,
        &member,
        &grants,
        Action::MemberGranted,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn reset(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::ResetMember { org, user }): Found<ep::ResetMember>,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    let org = administered(&state, &auth, org).await?;
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let member = member_of(&state, &org, user).await?;
    if member.status == AccountStatus::Removed || member.role != Role::Member {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "only a current member can be given a new account set-up",
        ));
    }
    issue_invitation(
        &state,
        &auth,
        &org,
        InvitationKind::Reset,
        member.id,
        member.email.clone(),
        member.display_name.clone(),
        member.role,
    )
    .await
}

pub(super) async fn remove(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::RemoveMember { org, user }): Found<ep::RemoveMember>,
) -> Result<Json<Removed>, ApiError> {
    let org = administered(&state, &auth, org).await?;
    let member = member_of(&state, &org, user).await?;
    if member.id == auth.user.id {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "you cannot remove yourself",
        ));
    }
    if member.status == AccountStatus::Removed {
        return Err(ApiError::NotFound);
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.set_user_status(&member.id, AccountStatus::Removed, now)
        .await?;
    let sessions_ended = tx.delete_user_sessions(&member.id).await?;
    let grants_deleted = tx.delete_grants_of_user(&member.id).await?;
    tx.withdraw_invitation(&org.id, &member.id, now).await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(org.id),
        at: now,
        actor: Some(auth.user_id()),
        action: Action::MemberRemoved,
        object_id: member.id.to_string(),
        detail: "{}".to_owned(),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(Removed {
        sessions_ended,
        grants_deleted,
        rotation_recommended: true,
    }))
}

pub(super) async fn retention(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::SetRetention { org }): Found<ep::SetRetention>,
    Json(request): Json<Retention>,
) -> Result<StatusCode, ApiError> {
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
