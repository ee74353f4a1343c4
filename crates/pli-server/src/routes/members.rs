//! An organisation's members: listing, invitations (issued, withdrawn), certification
//! with key grants, grants, password-loss resets, removal.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use pli_api::endpoints as ep;
use pli_api::messages::{
    CertifyRequest, GrantUpload, InvitationInfo, InviteRequest, InviteResponse, MemberSummary,
    Members, PublicKeys, Removed, ResetRequest,
};
use pli_api::{Base64, ErrorCode, UserId};
use pli_crypto::cert::UserCertificate;

use super::common::{check_name, detail, normalize_email, signed};
use super::{Json, JsonOrDefault, common};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::{Auth, secrets};
use crate::error::ApiError;
use crate::mail::Notice;
use crate::now_ms;
use crate::routes::Found;
use crate::store::directory::{GrantRow, Org, UserCertRow};
use crate::store::invitations::Invitation;
use crate::store::users::{AccountStatus, InvitationKind, Role, User};

use super::orgs::{administered, member_of};

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
    let users = state.store.users_of_org(&org.id).await?;
    // Three queries for the whole list, not three per member.
    let grants = state.store.grants_of_org(&org.id).await?;
    let upgrades = state.store.key_upgrades_of_org(&org.id).await?;
    let certificates = state
        .store
        .current_user_certificates_of_org(&org.id)
        .await?;
    let with_passkeys = state.store.passkey_holders_of_org(&org.id).await?;
    let mut members = Vec::new();
    for user in &users {
        let granted = grants
            .iter()
            .filter(|g| g.user_id == user.id)
            .map(|g| g.generation)
            .collect();
        let upgrade = upgrades.iter().find(|u| u.user_id == user.id);
        let certificate = certificates.iter().find(|c| c.user_id == user.id);
        members.push(MemberSummary {
            user_id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            status: user.status,
            totp_enabled: user.totp_enabled,
            has_passkey: with_passkeys.contains(&user.id),
            service: user.service,
            keys: PublicKeys {
                signing_key: Base64(user.signing_key.to_vec()),
                encryption_key: Base64(user.encryption_key.to_vec()),
            },
            granted_generations: granted,
            key_upgrade: super::upgrade::pending(upgrade, user),
            certificate_expires_at: super::upgrade::certificate_expiry(certificate, user),
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
            totp_required: super::invitations::asks_code(
                i,
                users.iter().find(|u| u.id == i.user_id),
            ),
            service: i.service || users.iter().any(|u| u.id == i.user_id && u.service),
            // What the admin's list shows needs it not (the link's lookup says it).
            proconnect_required: false,
        })
        .collect();
    Ok(Json(Members {
        members,
        invitations,
        generations,
        retention_days: org.retention_days,
        second_factor: org.second_factor,
        proconnect: state.store.org_proconnect(&org.id).await?,
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
    if request.service && role != Role::Member {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "a service account is a member, never an admin",
        ));
    }
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
        Issue::Join {
            service: request.service,
        },
        secrets::new_id()?,
        email,
        display_name,
        role,
    )
    .await
}

/// What a link is issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Issue {
    /// Joining the organisation, as a person or (`service`) as a program's account.
    Join { service: bool },
    /// A member's new account set-up; `clear_second_factor` if they lost their
    /// authenticator too.
    Reset { clear_second_factor: bool },
}

#[allow(clippy::too_many_arguments, reason = "the invitation's fields")]
async fn issue_invitation(
    state: &AppState,
    auth: &Auth,
    org: &Org,
    issue: Issue,
    user_id: UserId,
    email: String,
    display_name: String,
    role: Role,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    let (token, token_hash) = secrets::new_token()?;
    let now = now_ms();
    let expires_at = now + state.config.limits.invitation_hours * 3_600_000;
    let (kind, action, clears_second_factor) = match issue {
        Issue::Join { .. } => (InvitationKind::Join, Action::MemberInvited, false),
        Issue::Reset {
            clear_second_factor,
        } => (
            InvitationKind::Reset,
            Action::MemberResetIssued,
            clear_second_factor,
        ),
    };
    let mut pairs = vec![("role", role.as_str().to_owned())];
    if kind == InvitationKind::Reset {
        pairs.push(("clear_second_factor", clears_second_factor.to_string()));
    }
    let service = issue == Issue::Join { service: true };
    if service {
        pairs.push(("service", "true".to_owned()));
    }
    let mut tx = state.store.begin().await?;
    tx.withdraw_invitation(&org.id, &user_id, now).await?;
    let issued_entry = tx
        .audit(AuditEvent {
            chain: Chain::Org(org.id),
            at: now,
            actor: Some(auth.user_id()),
            action,
            object_id: user_id.to_string(),
            detail: detail(&pairs),
        })
        .await?;
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
        clears_second_factor,
        issued_entry: Some(issued_entry),
        service,
    })
    .await?;
    tx.commit().await?;
    let link = format!("{}/#/invitation/{token}", state.config.public_url);
    if let Some(mailer) = state.mailer.clone() {
        let link = link.clone();
        let by = auth.user.display_name.clone();
        tokio::spawn(async move {
            if kind == InvitationKind::Reset {
                // The link, and apart from it who issued it and when: whoever did not ask
                // for it learns so, even if the link itself is used before they read it.
                mailer.send(&email, Notice::ResetLink, Some(&link)).await;
                let notice = Notice::ResetIssued {
                    by,
                    at: now,
                    clears_second_factor,
                };
                mailer.send(&email, notice, None).await;
            } else {
                mailer.send(&email, Notice::Invitation, Some(&link)).await;
            }
        });
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

/// Certifies a member: a pending one's keys (they become active), or an active one's
/// signing key again — their move to a post-quantum encryption key (the key they asked
/// for, signed: `upgrade.rs`), or a renewal of the same keys. Either way the certificate
/// is issued by the caller (an admin of the organisation; the root for its admins), and
/// describes exactly this member's keys.
pub(super) async fn certify(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::Certify { org, user }): Found<ep::Certify>,
    Json(request): Json<CertifyRequest>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &auth, org).await?;
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let member = member_of(&state, &org, user).await?;
    let again = match member.status {
        AccountStatus::Pending => None,
        AccountStatus::Active => Some(super::upgrade::certified_again(&state, &member).await?),
        AccountStatus::Removed => {
            return Err(ApiError::conflict(
                ErrorCode::WrongState,
                "a removed member cannot be certified",
            ));
        }
    };
    let root = common::trust_root(&state).await?;
    let certificate = signed::<UserCertificate>(&request.certificate)?;
    let bad =
        |e: pli_crypto::Error| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string());
    let cert = match (auth.user.role, member.role) {
        (Role::PlatformAdmin, Role::OrgAdmin) => root.verify_admin(&certificate).map_err(bad)?,
        (Role::OrgAdmin, Role::Member) => {
            let own = common::own_certificate(&state, &auth.user.id).await?;
            // Verified against the caller's own certificate: issued by the caller, or refused.
            let own = common::signed_of::<UserCertificate>(&own.certificate)?;
            root.verify_user(&certificate, Some(&own)).map_err(bad)?
        }
        _ => return Err(ApiError::Forbidden),
    };
    let key = cert.encryption_key.to_bytes();
    let key_allowed = key == member.encryption_key
        || again
            .as_ref()
            .is_some_and(|again| again.upgrade_key.as_deref() == Some(key.as_slice()));
    // A first certification marks a service account as the relay lists it (what the
    // admin was shown); certifying the same signing key again keeps its mark.
    let service = again
        .as_ref()
        .map_or(member.service, |again| again.current_service);
    if cert.user_id != member.id
        || cert.org_id != org.id
        || cert.role != member.role
        || cert.service != service
        || cert.display_name != member.display_name
        || cert.signing_key.to_bytes() != member.signing_key
        || !key_allowed
    {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "the certificate does not describe this member's keys",
        ));
    }
    if let Some(again) = &again {
        again.check_later(&cert)?;
    }
    let mut grants = check_grants(&state, &org, &member, &request.grants).await?;
    grants.iter_mut().for_each(|g| g.granted_by = auth.user.id);
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    // What was read above must still hold: another certification of this member may
    // have committed meanwhile (two admins, or a double click).
    let unchanged = match &again {
        Some(again) => {
            tx.supersede_user_certificate(&member.id, again.current_created_at, now)
                .await?
        }
        None => tx.activate_user(&member.id, now).await?,
    };
    if !unchanged {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this member was certified meanwhile: reload and try again",
        ));
    }
    tx.insert_user_certificate(&UserCertRow {
        fingerprint: common::fingerprint_hex(&cert.signing_key),
        user_id: member.id,
        issuer_fingerprint: crate::audit::to_hex(&cert.issuer.0),
        certificate: common::blob_of(&certificate),
        created_at: now,
        superseded_at: None,
    })
    .await?;
    let action = if again.is_some() {
        if key != member.encryption_key {
            tx.set_encryption_key(&member.id, &key, now).await?;
        }
        Action::MemberRecertified
    } else {
        Action::MemberCertified
    };
    write_grants(&mut tx, &org, &auth, &member, &grants, action, now).await?;
    tx.commit().await?;
    common::logged(&state).await?;
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
    JsonOrDefault(request): JsonOrDefault<ResetRequest>,
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
    // A member with a TOTP keeps it through the reset (the link asks a code of it). One
    // whose only second factor is a passkey does not need a reset to change a forgotten
    // password (the passkey logs them in and unlocks their keys), and accepting a reset
    // cannot ask for it: issued anyway, the link alone would open the account.
    if !member.totp_enabled
        && !request.clear_second_factor
        && !state.store.passkeys(&member.id).await?.is_empty()
    {
        return Err(ApiError::conflict(
            ErrorCode::SecondFactorIsPasskey,
            "this member's second factor is a passkey, with which they can log in and choose a new password; reset them only if they lost it too (clear_second_factor)",
        ));
    }
    issue_invitation(
        &state,
        &auth,
        &org,
        Issue::Reset {
            clear_second_factor: request.clear_second_factor,
        },
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
    Json(request): Json<pli_api::messages::Revoke>,
) -> Result<Json<Removed>, ApiError> {
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
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
    // Who removes whom is who certified whom: the platform authority its organisations'
    // admins, an organisation admin its members (the log's rules say the same). A
    // certified person's removal is a revocation the remover signs, in the log.
    let allowed = matches!(
        (auth.user.role, member.role),
        (Role::PlatformAdmin, Role::OrgAdmin) | (Role::OrgAdmin, Role::Member)
    );
    if !allowed {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "the platform authority removes organisation admins, an organisation admin its members",
        ));
    }
    let certified = state.store.current_user_certificate(&member.id).await?;
    let revocation = match &certified {
        None => None,
        Some(cert) => {
            let stored: UserCertificate =
                pli_crypto::codec::Canonical::from_canonical(&cert.certificate.data)
                    .map_err(ApiError::internal)?;
            let key = stored.signing_key.fingerprint();
            Some(
                common::revocation(
                    &state,
                    &auth,
                    request.revocation.as_ref(),
                    &org.id,
                    pli_crypto::statement::Revoked::Person {
                        user_id: member.id,
                        key,
                    },
                )
                .await?,
            )
        }
    };
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    if let Some(revocation) = &revocation {
        tx.log_append(&revocation.leaf(), now).await?;
    }
    tx.set_user_status(&member.id, AccountStatus::Removed, now)
        .await?;
    let sessions_ended = tx.delete_user_sessions(&member.id).await?;
    tx.delete_passkeys(&member.id).await?;
    // Its ProConnect identity is free again: the person may be invited anew, elsewhere.
    tx.unlink_proconnect(&member.id).await?;
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
    common::logged(&state).await?;
    Ok(Json(Removed {
        sessions_ended,
        grants_deleted,
        rotation_recommended: true,
    }))
}
