//! The worker's answers about the platform root (`pli-client`'s `session/authority.rs`):
//! the root a platform admin's session holds is kept in this browser, sealed to the
//! person's own key, and taken back at the next login here; another browser imports the
//! root file. Nothing here reaches the relay but the re-sealed key bundle.

use pli_api::Role;
use pli_client::Session;

use super::{answer, keystore, session, update_session};
use crate::protocol::{
    ExportRoot, ImportRoot, LogPolicies, LogPoliciesView, RootOffRelay, RootStatus, RootView,
    SignLogPolicy, WorkerError,
};

/// At sign-in: keeps the root the session holds (made at set-up, or still in an old
/// bundle), or takes back the one this browser keeps. A browser that cannot keep it
/// still signs in: the page then says the root is not held here.
pub(super) async fn keep_or_recall(session: &mut Session) {
    if session.me.role != Role::PlatformAdmin {
        return;
    }
    let email = session.me.email.clone();
    if session.holds_root() {
        keep(session).await;
        return;
    }
    match keystore::recall_root(&email).await {
        Ok(Some(sealed)) => {
            if let Err(error) = session.adopt_sealed_root(&sealed) {
                web_sys::console::warn_1(&format!("root not taken back: {error}").into());
            }
        }
        Ok(None) => {}
        Err(error) => {
            web_sys::console::warn_1(&format!("root not read: {}", error.detail).into());
        }
    }
}

async fn keep(session: &Session) {
    let kept = match session.sealed_root() {
        Ok(Some(sealed)) => keystore::remember_root(&session.me.email, &sealed).await,
        Ok(None) => Ok(()),
        Err(error) => Err(error.into()),
    };
    if let Err(error) = kept {
        web_sys::console::warn_1(&format!("root not kept: {}", error.detail).into());
    }
}

async fn view(session: &Session) -> RootView {
    RootView {
        held: session.holds_root(),
        saved: keystore::root_saved(&session.me.email).await,
        on_relay: session.root_on_relay(),
        fingerprint: session.trust.fingerprint().to_string(),
    }
}

/// Where the root is.
pub(super) async fn status(r: RootStatus) -> Result<String, WorkerError> {
    answer(&r, &view(&*session()?).await)
}

/// The root file's text (the page saves it); recorded as saved.
pub(super) async fn export(r: ExportRoot) -> Result<String, WorkerError> {
    let session = session()?;
    let text = session.export_root(&r.passphrase)?;
    keystore::remember_root_saved(&session.me.email).await?;
    answer(&r, &text)
}

/// Takes the root from a root file, and keeps it in this browser.
pub(super) async fn import(r: ImportRoot) -> Result<String, WorkerError> {
    let mut session = (*session()?).clone();
    session.import_root(&r.text, &r.passphrase)?;
    keep(&session).await;
    keystore::remember_root_saved(&session.me.email).await?;
    let root = session.root_key.clone();
    update_session(session.me.user_id, |s| s.root_key = root)?;
    answer(&r, &view(&session).await)
}

/// Seals the bundle again without the root, once the root file is saved.
pub(super) async fn off_relay(r: RootOffRelay) -> Result<String, WorkerError> {
    let mut session = (*session()?).clone();
    if !keystore::root_saved(&session.me.email).await {
        return Err(WorkerError::new(
            pli_api::ErrorCode::RootNotSaved,
            "save the root file before taking the root off the relay",
        ));
    }
    session
        .take_root_off_relay(&r.password, r.totp.as_deref())
        .await?;
    let answered = view(&session).await;
    update_session(session.me.user_id, move |s| *s = session)?;
    answer(&r, &answered)
}

/// The log's policy in force (verified) and the one the relay is configured with.
pub(super) async fn policies(r: LogPolicies) -> Result<String, WorkerError> {
    let change = session()?.log_policies().await?;
    let differs = change.differs();
    answer(
        &r,
        &LogPoliciesView {
            current: super::auth::policy_view(change.current),
            proposed: super::auth::policy_view(change.proposed),
            differs,
        },
    )
}

/// Signs the relay's proposed log policy with the root, has it logged, and answers it
/// as the log now holds it.
pub(super) async fn sign_policy(r: SignLogPolicy) -> Result<String, WorkerError> {
    let signed = session()?.sign_log_policy().await?;
    answer(&r, &super::auth::policy_view(signed))
}
