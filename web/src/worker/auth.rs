//! The worker's answers about sessions and keys: setting up the platform, accepting an
//! invitation, logging in or unlocking (each makes the worker's one session), logging
//! out, and the fingerprints and root key the page shows.

use pli_api::ErrorCode;
use pli_client::{Client, Session};
use pli_crypto::sign::VerifyingKey;

use super::{answer, session, set_session};
use crate::protocol::{
    Accept, Fingerprints, Login, Logout, MyFingerprints, RootKey, Setup, Unlock, WorkerError,
};

fn pinned(root: Option<&str>) -> Result<Option<VerifyingKey>, WorkerError> {
    use base64::Engine as _;
    root.map(|text| {
        let bytes: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| WorkerError::new(ErrorCode::Verification, "bad pinned root"))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|e| WorkerError::new(ErrorCode::Verification, e.to_string()))
    })
    .transpose()
}

fn kdf() -> pli_crypto::password::KdfParams {
    pli_crypto::password::KdfParams::generate()
        .unwrap_or_else(|_| pli_crypto::password::KdfParams::with_salt([0; 16]))
}

/// Sets the platform up and keeps its admin's session.
pub(super) async fn setup(client: &Client, r: Setup) -> Result<String, WorkerError> {
    let session = Session::setup_platform(
        client,
        &r.token,
        &r.email,
        &r.display_name,
        &r.password,
        kdf(),
    )
    .await?;
    let me = session.me.clone();
    set_session(Some(session))?;
    answer(&r, &me)
}

/// Accepts an invitation and keeps the new session.
pub(super) async fn accept(client: &Client, r: Accept) -> Result<String, WorkerError> {
    let session = Session::accept_invitation(client, &r.token, &r.password, kdf()).await?;
    let me = session.me.clone();
    set_session(Some(session))?;
    answer(&r, &me)
}

/// Logs in and keeps the session.
pub(super) async fn login(client: &Client, r: Login) -> Result<String, WorkerError> {
    let session = Session::login(
        client,
        &r.email,
        &r.password,
        r.totp.as_deref(),
        pinned(r.pinned_root.as_deref())?,
    )
    .await?;
    let me = session.me.clone();
    set_session(Some(session))?;
    answer(&r, &me)
}

/// Unlocks the keys of a session whose cookie is still valid.
pub(super) async fn unlock(client: &Client, r: Unlock) -> Result<String, WorkerError> {
    let session = Session::resume(client, &r.password, pinned(r.pinned_root.as_deref())?).await?;
    let me = session.me.clone();
    set_session(Some(session))?;
    answer(&r, &me)
}

/// Logs out (even if the relay cannot be reached) and forgets the session.
pub(super) async fn logout(r: Logout) -> Result<String, WorkerError> {
    if let Ok(session) = session() {
        let _ = session.logout().await;
    }
    set_session(None)?;
    answer(&r, &())
}

/// My fingerprints and the root's.
pub(super) fn fingerprints(r: MyFingerprints) -> Result<String, WorkerError> {
    let session = session()?;
    answer(
        &r,
        &Fingerprints {
            signing: session
                .keys
                .signing
                .verifying_key()
                .fingerprint()
                .to_string(),
            encryption: pli_crypto::sign::Fingerprint::of_recipient(
                &session.keys.encryption.to_recipient(),
            )
            .to_string(),
            root: session.trust.fingerprint().to_string(),
        },
    )
}

/// The pinned root key (base64).
pub(super) fn root_key(r: RootKey) -> Result<String, WorkerError> {
    use base64::Engine as _;
    let session = session()?;
    answer(
        &r,
        &base64::engine::general_purpose::STANDARD.encode(session.trust.0.to_bytes()),
    )
}
