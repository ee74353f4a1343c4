//! A person's move to a post-quantum encryption key, keeping their signing key (issue 10).
//!
//! Their client, at a login, finds their certified key is X25519: it makes a hybrid
//! identity, seals it under a key only their bundle gives (`LaterIdentities`), signs a
//! `KeyUpgrade` naming the new public key with their certified signing key, and hands both
//! to [`put_key_upgrade`]. The relay checks the signature against the caller's current
//! certificate (so that it stores only what the person asked), keeps both, and shows the
//! request to the admins (`members.rs`), whose client verifies it again against the logged
//! certificate before certifying the new key (`members::certify`, an active member). The
//! same certification of an active member, with their current key, renews a certificate
//! that expires.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use pli_api::messages::KeyUpgradeRequest;
use pli_api::{ErrorCode, SignedObject};
use pli_crypto::cert::UserCertificate;
use pli_crypto::codec::Canonical as _;
use pli_crypto::upgrade::KeyUpgrade;

use super::Json;
use super::common::{self, detail, signed};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::now_ms;
use crate::store::directory::{KeyUpgradeRow, UserCertRow};
use crate::store::users::{AccountStatus, User};

/// The most sealed later identities may weigh (a few 32-byte seeds: under 400 bytes).
const MAX_LATER_IDENTITIES: usize = 1024;

/// Records the caller's move to a post-quantum key: an active account whose certified key
/// is X25519, a request signed by that certificate's signing key for this account, once
/// (409 if one is already recorded: the client reads it back from `/api/me`).
pub(super) async fn put_key_upgrade(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Json(request): Json<KeyUpgradeRequest>,
) -> Result<StatusCode, ApiError> {
    if auth.user.status != AccountStatus::Active {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "only an account whose keys are certified moves to a post-quantum key",
        ));
    }
    let own = common::own_certificate(&state, &auth.user.id).await?;
    let cert =
        UserCertificate::from_canonical(&own.certificate.data).map_err(ApiError::internal)?;
    if cert.encryption_key.is_post_quantum() {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "this account's encryption key is already post-quantum",
        ));
    }
    let sealed = request.later_identities.0;
    if sealed.is_empty() || sealed.len() > MAX_LATER_IDENTITIES {
        return Err(ApiError::unprocessable(
            ErrorCode::BadRequest,
            "later_identities is empty or too long",
        ));
    }
    let signed = signed::<KeyUpgrade>(&request.upgrade)?;
    let upgrade = signed
        .verify(&cert.signing_key)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    if upgrade.user_id != auth.user.id || upgrade.org_id != auth.user.org_id {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "this key upgrade is not the caller's",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let recorded = tx
        .insert_key_upgrade(&KeyUpgradeRow {
            user_id: auth.user.id,
            upgrade: common::blob_of(&signed),
            later_identities: sealed,
            created_at: now,
        })
        .await?;
    if !recorded {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "a move to a post-quantum key is already recorded",
        ));
    }
    tx.audit(AuditEvent {
        chain: Chain::Org(auth.user.org_id),
        at: now,
        actor: Some(auth.user_id()),
        action: Action::KeyUpgradeRequested,
        object_id: auth.user.id.to_string(),
        detail: detail(&[]),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The person's request to move to a post-quantum key (`row`, theirs if any), while no
/// certificate holds its key (what admins are shown).
pub(super) fn pending(row: Option<&KeyUpgradeRow>, user: &User) -> Option<SignedObject> {
    let row = row?;
    let certified = KeyUpgrade::from_canonical(&row.upgrade.data)
        .is_ok_and(|u| u.encryption_key.to_bytes() == user.encryption_key);
    (!certified).then(|| row.upgrade.to_wire())
}

/// When an active person's current certificate (`row`, theirs if any) expires, if it
/// does.
pub(super) fn certificate_expiry(row: Option<&UserCertRow>, user: &User) -> Option<u64> {
    if user.status != AccountStatus::Active {
        return None;
    }
    UserCertificate::from_canonical(&row?.certificate.data)
        .ok()
        .and_then(|cert| cert.expires_at)
}

/// What certifying an active member's signing key again must respect.
pub(super) struct CertifiedAgain {
    /// The post-quantum key they asked for, if they did.
    pub(super) upgrade_key: Option<Vec<u8>>,
    /// When their current certificate was issued: the new one must be later (the log
    /// sets aside anything else).
    current_issued_at: u64,
    /// When the relay stored that certificate: the row the new one supersedes, if no
    /// other certification did first.
    pub(super) current_created_at: u64,
    /// Whether that certificate marks a service account: a certificate of the same
    /// signing key says the same (only new keys, after a reset, may say otherwise, as the
    /// account is marked then; a service account certified before the mark existed keeps
    /// reading as a person's until then).
    pub(super) current_service: bool,
}

impl CertifiedAgain {
    /// Refuses a certificate not issued after the current one.
    pub(super) fn check_later(&self, cert: &UserCertificate) -> Result<(), ApiError> {
        if cert.issued_at <= self.current_issued_at {
            return Err(ApiError::unprocessable(
                ErrorCode::BadCertificate,
                "the certificate is not later than the member's current one",
            ));
        }
        Ok(())
    }
}

/// What an active member's new certificate must respect.
pub(super) async fn certified_again(
    state: &AppState,
    member: &User,
) -> Result<CertifiedAgain, ApiError> {
    let current = common::own_certificate(state, &member.id).await?;
    let current_created_at = current.created_at;
    let current =
        UserCertificate::from_canonical(&current.certificate.data).map_err(ApiError::internal)?;
    let upgrade_key = state
        .store
        .key_upgrade(&member.id)
        .await?
        .and_then(|row| KeyUpgrade::from_canonical(&row.upgrade.data).ok())
        .map(|upgrade| upgrade.encryption_key.to_bytes());
    Ok(CertifiedAgain {
        upgrade_key,
        current_issued_at: current.issued_at,
        current_created_at,
        current_service: current.service,
    })
}
