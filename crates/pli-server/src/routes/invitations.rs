//! Joining: the platform's one-time set-up and invitations into an organisation (looked
//! up, then accepted: the account made or re-keyed, and a session started).

use axum::extract::State;
use axum::response::Response;
use pli_api::messages::{AcceptRequest, InvitationInfo, SetupRequest, TokenRequest};
use pli_api::{ErrorCode, SecondFactor};
use pli_crypto::cert::{OrgCertificate, OrgKind};
use pli_crypto::statement::LogPolicy;

use super::accounts::{start_session, throttle_keys, verify_current_code};
use super::common::{check_name, credentials, detail, key32, normalize_email, signed};
use super::{ClientAddr, Json, common};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::secrets;
use crate::error::ApiError;
use crate::mail::Notice;
use crate::store::Tx;
use crate::store::directory::{Org, UserCertRow};
use crate::store::invitations::Invitation;
use crate::store::users::{AccountStatus, InvitationKind, Role, User};
use crate::{auth, now_ms};

/// Finds a usable invitation (unused, unexpired) of one of `kinds` by its token.
async fn usable_invitation(
    state: &AppState,
    token: &str,
    kinds: &[InvitationKind],
) -> Result<Invitation, ApiError> {
    let invitation = state.store.invitation(&secrets::token_hash(token)).await?;
    match invitation {
        Some(inv)
            if kinds.contains(&inv.kind) && inv.used_at.is_none() && inv.expires_at > now_ms() =>
        {
            Ok(inv)
        }
        _ => Err(link_refused()),
    }
}

/// A one-time link that cannot be used (unknown, used, withdrawn or expired: the same
/// answer for all).
fn link_refused() -> ApiError {
    ApiError::bad_request(
        ErrorCode::InvitationInvalid,
        "this link is invalid, already used or expired",
    )
}

/// Marks `invitation` used, in the transaction that acts on it: a link works once, and
/// a link used or expired meanwhile is refused.
async fn spend(tx: &mut Tx, invitation: &Invitation, now: u64) -> Result<(), ApiError> {
    if !tx.use_invitation(&invitation.token_hash, now).await? {
        return Err(link_refused());
    }
    Ok(())
}

pub(super) async fn setup_lookup(
    State(state): State<AppState>,
    Json(request): Json<TokenRequest>,
) -> Result<Json<InvitationInfo>, ApiError> {
    let invitation = usable_invitation(&state, &request.token, &[InvitationKind::Setup]).await?;
    Ok(Json(info(&state, &invitation).await?))
}

pub(super) async fn setup(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Json(request): Json<SetupRequest>,
) -> Result<Response, ApiError> {
    let invitation = usable_invitation(&state, &request.token, &[InvitationKind::Setup]).await?;
    let email = normalize_email(&request.email)?;
    let display_name = check_name(&request.display_name, "name")?;
    let root_bytes = key32(&request.root_key, "root key")?;
    let root = pli_crypto::cert::TrustRoot(
        pli_crypto::sign::VerifyingKey::from_bytes(&root_bytes)
            .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?,
    );
    let org_signed = signed::<OrgCertificate>(&request.org_certificate)?;
    let org_cert = root
        .verify_org(&org_signed)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    if org_cert.kind != OrgKind::Platform {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "the platform organisation must be of kind platform",
        ));
    }
    let user_signed = signed(&request.user_certificate)?;
    let cert = root
        .verify_admin(&user_signed)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    if cert.user_id != invitation.user_id
        || cert.org_id != org_cert.org_id
        || cert.role != pli_crypto::cert::Role::PlatformAdmin
        || cert.display_name != display_name
    {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "the certificate does not describe this account",
        ));
    }
    let policy_signed = signed::<LogPolicy>(&request.log_policy)?;
    let policy = policy_signed
        .verify(&root.0)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    let proposed = state
        .log
        .proposal(policy.issued_at)
        .map_err(ApiError::internal)?;
    if policy != proposed {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "the log policy is not this relay's: its origin, key or witnesses differ",
        ));
    }
    let credentials = credentials(
        &state,
        &request.credentials,
        cert.signing_key.to_bytes(),
        cert.encryption_key.to_bytes(),
    )
    .await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    // The links other replicas (or earlier starts) printed end with this one.
    if !tx.spend_setup_links(&invitation.token_hash, now).await? {
        return Err(link_refused());
    }
    // A link printed while another set-up was under way gets here if that set-up
    // commits meanwhile: the root is then taken, and the link no longer valid.
    tx.insert_setting("root_key", &root_bytes)
        .await
        .map_err(|error| match error {
            crate::store::StoreError::Conflict(_) => link_refused(),
            other => other.into(),
        })?;
    tx.log_policy(&common::blob_of(&policy_signed), now).await?;
    tx.insert_org(&Org {
        id: org_cert.org_id,
        kind: OrgKind::Platform,
        name: org_cert.name.clone(),
        code: org_cert.code.clone(),
        certificate: common::blob_of(&org_signed),
        retention_days: state.config.limits.retention_days,
        second_factor: SecondFactor::Required,
        created_at: now,
    })
    .await?;
    tx.insert_user(
        &cert.user_id,
        &org_cert.org_id,
        &email,
        &display_name,
        Role::PlatformAdmin,
        AccountStatus::Active,
        &credentials,
        now,
    )
    .await?;
    tx.insert_user_certificate(&UserCertRow {
        fingerprint: common::fingerprint_hex(&cert.signing_key),
        user_id: cert.user_id,
        issuer_fingerprint: crate::audit::to_hex(&cert.issuer.0),
        certificate: common::blob_of(&user_signed),
        created_at: now,
        superseded_at: None,
    })
    .await?;
    let actor = Some(cert.user_id);
    let root_fp = crate::audit::to_hex(&root.fingerprint().0);
    tx.audit(AuditEvent {
        chain: Chain::Platform,
        at: now,
        actor,
        action: Action::PlatformSetup,
        object_id: org_cert.org_id.to_string(),
        detail: detail(&[("root_fingerprint", root_fp)]),
    })
    .await?;
    tx.commit().await?;
    common::logged(&state).await?;
    let user = state
        .store
        .user(&cert.user_id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))?;
    start_session(&state, &user, false, &headers).await
}

/// Whether accepting `invitation` asks a current code of the second factor of `user`,
/// the account it is for: a reset keeps the second factor of an account that has one,
/// unless its issuer said the member lost their authenticator too.
pub(super) fn asks_code(invitation: &Invitation, user: Option<&User>) -> bool {
    invitation.kind == InvitationKind::Reset
        && !invitation.clears_second_factor
        && user.is_some_and(|u| u.totp_enabled && u.status != AccountStatus::Removed)
}

async fn info(state: &AppState, invitation: &Invitation) -> Result<InvitationInfo, ApiError> {
    let org_name = match &invitation.org_id {
        Some(org) => state.store.org(org).await?.map(|o| o.name),
        None => None,
    };
    let user = match invitation.kind {
        InvitationKind::Reset => state.store.user(&invitation.user_id).await?,
        _ => None,
    };
    let service = invitation.service || user.as_ref().is_some_and(|u| u.service);
    let proconnect_required = match &invitation.org_id {
        Some(org) if !service => state.store.org_proconnect(org).await?.required,
        _ => false,
    };
    Ok(InvitationInfo {
        kind: invitation.kind,
        user_id: invitation.user_id,
        email: invitation.email.clone(),
        display_name: invitation.display_name.clone(),
        role: invitation.role,
        org_id: invitation.org_id,
        org_name,
        expires_at: invitation.expires_at,
        totp_required: asks_code(invitation, user.as_ref()),
        service,
        proconnect_required,
    })
}

pub(super) async fn invitation_lookup(
    State(state): State<AppState>,
    Json(request): Json<TokenRequest>,
) -> Result<Json<InvitationInfo>, ApiError> {
    let invitation = usable_invitation(
        &state,
        &request.token,
        &[InvitationKind::Join, InvitationKind::Reset],
    )
    .await?;
    Ok(Json(info(&state, &invitation).await?))
}

pub(super) async fn invitation_accept(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: axum::http::HeaderMap,
    Json(request): Json<AcceptRequest>,
) -> Result<Response, ApiError> {
    let invitation = usable_invitation(
        &state,
        &request.token,
        &[InvitationKind::Join, InvitationKind::Reset],
    )
    .await?;
    let org = invitation
        .org_id
        .ok_or_else(|| ApiError::internal("invitation without organisation"))?;
    // A reset keeps the member's second factor: whoever holds the link (the admin who
    // issued it, anyone who read it) needs a current code of it too, checked as a
    // login's and counted with the account's logins. A wrong code leaves the link usable.
    let member = match invitation.kind {
        InvitationKind::Reset => state.store.user(&invitation.user_id).await?,
        _ => None,
    };
    if let Some(member) = member.as_ref().filter(|m| asks_code(&invitation, Some(m))) {
        let keys = throttle_keys(&member.email, auth::client_ip(&state, &headers, peer));
        verify_current_code(&state, &keys, member, request.totp.as_deref()).await?;
    }
    // A member's passkeys, read before the reset deletes them: one whose only second
    // factor is a passkey (added, or their TOTP turned off, since the link was issued) is
    // not reset by the link alone unless its issuer said it was lost (`members::reset`
    // refuses to issue such a link; this holds for links issued before).
    let passkeys = match &member {
        Some(member) => state.store.passkeys(&member.id).await?.len(),
        None => 0,
    };
    if member.as_ref().is_some_and(|m| !m.totp_enabled)
        && passkeys > 0
        && !invitation.clears_second_factor
    {
        return Err(ApiError::conflict(
            ErrorCode::SecondFactorIsPasskey,
            "this member's second factor is a passkey, with which they can log in and choose a new password; this link does not say it was lost",
        ));
    }
    let signing_key = key32(&request.keys.signing_key, "signing key")?;
    pli_crypto::sign::VerifyingKey::from_bytes(&signing_key)
        .map_err(|e| ApiError::bad_request(ErrorCode::BadRequest, e.to_string()))?;
    let encryption_key =
        pli_crypto::keys::EncryptionKey::from_bytes(&request.keys.encryption_key.0)
            .map_err(|e| ApiError::bad_request(ErrorCode::BadRequest, e.to_string()))?
            .to_bytes();
    let credentials =
        credentials(&state, &request.credentials, signing_key, encryption_key).await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    spend(&mut tx, &invitation, now).await?;
    let id = invitation.user_id.to_string();
    let mut reset_notice = None;
    match invitation.kind {
        InvitationKind::Reset => {
            let had_second_factor = member.as_ref().is_some_and(|m| m.totp_enabled) || passkeys > 0;
            let cleared = invitation.clears_second_factor && had_second_factor;
            tx.reset_user(
                &invitation.user_id,
                &credentials,
                invitation.clears_second_factor,
                now,
            )
            .await?;
            tx.supersede_user_certificates(&invitation.user_id, now)
                .await?;
            tx.delete_grants_of_user(&invitation.user_id).await?;
            tx.delete_key_upgrade(&invitation.user_id).await?;
            tx.delete_user_sessions(&invitation.user_id).await?;
            // What the passkeys unlocked are the keys the reset replaced.
            tx.delete_passkeys(&invitation.user_id).await?;
            // The entry names the link's issuer and the entry that issued it: a reset
            // is never anonymous, even though the member's own client accepts it.
            let issuer = invitation.created_by;
            let second_factor = match (had_second_factor, cleared) {
                (false, _) => "none",
                (true, false) => "kept",
                (true, true) => "cleared",
            };
            let mut pairs = vec![
                (
                    "issued_by",
                    issuer.map(|id| id.to_string()).unwrap_or_default(),
                ),
                ("second_factor", second_factor.to_owned()),
            ];
            if let Some(entry) = invitation.issued_entry {
                pairs.push(("reset_entry", entry.to_string()));
            }
            tx.audit(AuditEvent {
                chain: Chain::Org(org),
                at: now,
                actor: Some(invitation.user_id),
                action: Action::MemberResetAccepted,
                object_id: id.clone(),
                detail: detail(&pairs),
            })
            .await?;
            reset_notice = Some((issuer, cleared));
        }
        _ => {
            tx.insert_user(
                &invitation.user_id,
                &org,
                &invitation.email,
                &invitation.display_name,
                invitation.role,
                AccountStatus::Pending,
                &credentials,
                now,
            )
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => ApiError::conflict(
                    ErrorCode::AlreadyExists,
                    "an account with this address already exists",
                ),
                other => other.into(),
            })?;
            if invitation.service {
                tx.mark_service(&invitation.user_id).await?;
            }
            tx.audit(AuditEvent {
                chain: Chain::Org(org),
                at: now,
                actor: Some(invitation.user_id),
                action: Action::MemberJoined,
                object_id: id.clone(),
                detail: "{}".to_owned(),
            })
            .await?;
        }
    }
    // Where the organisation requires ProConnect, a person's link is accepted only right
    // after their ProConnect sign-in in this browser: checked in this transaction, so a
    // refusal changes nothing and the tie is made with the account or not at all.
    let service = invitation.service || member.as_ref().is_some_and(|m| m.service);
    let link = super::proconnect::Link {
        user: invitation.user_id,
        org,
        service,
        invited: (invitation.kind == InvitationKind::Join).then_some(invitation.email.as_str()),
    };
    let proconnect = super::proconnect::admit_link(&state, &mut tx, &headers, link).await?;
    tx.append_event(&org, now, "member.pending", None).await?;
    tx.commit().await?;
    state.notify(org);
    let user = state
        .store
        .user(&invitation.user_id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))?;
    if let (Some((issuer, cleared)), Some(mailer)) = (reset_notice, state.mailer.clone()) {
        let by = match issuer {
            Some(issuer) => state.store.user(&issuer).await?.map(|u| u.display_name),
            None => None,
        };
        let notice = Notice::ResetAccepted {
            by: by.unwrap_or_else(|| "(nom inconnu)".to_owned()),
            at: now,
            second_factor_cleared: cleared,
        };
        let to = user.email.clone();
        tokio::spawn(async move { mailer.send(&to, notice, None).await });
    }
    match proconnect {
        Some(id_token) => {
            let (body, cookie) =
                super::accounts::open_session(&state, &user, false, &headers, Some(&id_token))
                    .await?;
            Ok(super::accounts::signed_in(body, cookie, true))
        }
        None => start_session(&state, &user, false, &headers).await,
    }
}
