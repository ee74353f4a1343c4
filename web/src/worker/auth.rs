//! The worker's answers about sessions and keys: setting up the platform, accepting an
//! invitation, logging in or unlocking (each makes the worker's one session), logging
//! out, the fingerprints and root key the page shows, and the kit de secours. The account
//! key of each account logged in here is kept sealed in this browser (`keystore`).

use pli_api::ErrorCode;
use pli_client::protocol::RootPin;
use pli_client::{Client, Session};
use pli_crypto::account_key::AccountKey;

use super::{answer, keystore, session, set_session};
use crate::protocol::{
    Accept, ChangePassword, Fingerprints, Kit, KitView, LogPolicyView, Login, Logout,
    MyFingerprints, PasskeyLogin, Setup, SignedIn, Unlock, WorkerError,
};

fn kdf() -> pli_crypto::password::KdfParams {
    pli_crypto::password::KdfParams::generate()
        .unwrap_or_else(|_| pli_crypto::password::KdfParams::with_salt([0; 16]))
}

/// An account key typed from the kit, read strictly (a typo is named as one).
fn typed(text: Option<&str>) -> Result<Option<AccountKey>, WorkerError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| AccountKey::parse(t).map_err(|e| pli_client::ClientError::from(e).into()))
        .transpose()
}

/// The client, remembering what this browser verified of the directory's log for
/// `email` (a session made from it refuses an older or forked log).
async fn knowing(client: &Client, email: &str) -> Client {
    match keystore::recall_log(email).await {
        Ok(Some(known)) => client.with_known_log(known),
        _ => client.clone(),
    }
}

/// Keeps what `session` verified of the directory's log on this browser, if it grew.
/// Called once an answer is on its way (serialising and sealing a large directory takes
/// a while, and nobody waits for it); the size is claimed before the write so that two
/// requests do not both write.
pub(super) async fn keep_log(session: &Session) {
    let Some(known) = session.known_log() else {
        return;
    };
    let size = known.directory.size();
    let kept = super::kept_log_size();
    if kept >= size {
        return;
    }
    super::set_kept_log_size(size);
    if let Err(error) = keystore::remember_log(&session.me.email, &known).await {
        super::set_kept_log_size(kept);
        web_sys::console::warn_1(&format!("log not kept: {}", error.detail).into());
    }
}

/// Keeps the session, its account key on this browser, and says whether the kit is due.
async fn signed_in(mut session: Session) -> Result<SignedIn, WorkerError> {
    super::root::keep_or_recall(&mut session).await;
    // A browser that cannot keep it (no IndexedDB) still logs in: the kit is asked for
    // again next time.
    if let Some(key) = session.account_key()
        && let Err(error) = keystore::remember(&session.me.email, key).await
    {
        web_sys::console::warn_1(&format!("account key not kept: {}", error.detail).into());
    }
    super::set_kept_log_size(0);
    let answer = SignedIn {
        me: session.me.clone(),
        kit_due: session.kit_due(),
    };
    set_session(Some(session))?;
    Ok(answer)
}

/// The relay's proposed log policy, checked as the set-up will sign it, as people read it.
pub(super) async fn log_policy(client: &Client) -> Result<LogPolicyView, WorkerError> {
    let proposal = client.fetch(&pli_api::endpoints::LogProposal {}).await?;
    let policy = pli_client::protocol::log_policy(&proposal, 0)?;
    Ok(policy_view(policy))
}

/// A log policy as people read it: each witness's name and key fingerprint.
pub(super) fn policy_view(policy: pli_crypto::statement::LogPolicy) -> LogPolicyView {
    LogPolicyView {
        origin: policy.origin,
        quorum: policy.quorum,
        witnesses: policy
            .witnesses
            .into_iter()
            .map(|w| (w.name, w.key.fingerprint().to_string()))
            .collect(),
        max_age_s: policy.max_age_s,
    }
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
    answer(&r, &signed_in(session).await?)
}

/// Accepts an invitation and keeps the new session.
pub(super) async fn accept(client: &Client, r: Accept) -> Result<String, WorkerError> {
    let root = RootPin::parse(&r.root)?;
    let session = Session::accept_invitation(
        client,
        &r.token,
        &r.password,
        kdf(),
        &root,
        r.totp.as_deref(),
    )
    .await?;
    answer(&r, &signed_in(session).await?)
}

/// Logs in and keeps the session. The account key is the one typed, else the one this
/// browser keeps for the address.
pub(super) async fn login(client: &Client, r: Login) -> Result<String, WorkerError> {
    let key = match typed(r.account_key.as_deref())? {
        Some(key) => Some(key),
        None => keystore::recall(&r.email).await.unwrap_or(None),
    };
    let client = knowing(client, &r.email).await;
    let session = Session::login(
        &client,
        &r.email,
        &r.password,
        key.as_ref(),
        r.totp.as_deref(),
        None,
    )
    .await?;
    answer(&r, &signed_in(session).await?)
}

/// Logs in with a passkey: the keys (and the account key, kept on this browser from now
/// on) unlocked with its PRF output.
pub(super) async fn passkey_login(client: &Client, r: PasskeyLogin) -> Result<String, WorkerError> {
    let client = knowing(client, &r.email).await;
    let session = Session::login_with_passkey(
        &client,
        &r.ceremony,
        &r.answer,
        &r.credential_id,
        &r.prf,
        None,
    )
    .await?;
    answer(&r, &signed_in(session).await?)
}

/// Unlocks the keys of a session whose cookie is still valid.
pub(super) async fn unlock(client: &Client, r: Unlock) -> Result<String, WorkerError> {
    let me: pli_api::messages::Me = client.fetch(&pli_api::endpoints::GetMe {}).await?;
    let key = match typed(r.account_key.as_deref())? {
        Some(key) => Some(key),
        None => keystore::recall(&me.email).await.unwrap_or(None),
    };
    let client = knowing(client, &me.email).await;
    let session = Session::resume(&client, me, &r.password, key.as_ref(), None).await?;
    let me = signed_in(session).await?.me;
    answer(&r, &me)
}

/// The kit de secours of the session's account.
pub(super) fn kit(r: Kit, address: String) -> Result<String, WorkerError> {
    let session = session()?;
    let key = session
        .account_key()
        .ok_or_else(|| WorkerError::new(ErrorCode::AccountKeyNeeded, "no account key"))?;
    answer(
        &r,
        &KitView {
            account_key: key.to_text().to_string(),
            email: session.me.email.clone(),
            display_name: session.me.display_name.clone(),
            org_name: session.me.org_name.clone(),
            address,
            root_fingerprint: session.trust.fingerprint().to_string(),
        },
    )
}

/// Logs out (even if the relay cannot be reached) and forgets the session; answers where
/// to end the ProConnect session, if it began with one.
pub(super) async fn logout(r: Logout) -> Result<String, WorkerError> {
    let mut proconnect = None;
    if let Ok(session) = session() {
        proconnect = session.logout().await.ok().flatten();
    }
    set_session(None)?;
    answer(&r, &proconnect)
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
            encryption: pli_crypto::sign::Fingerprint::of_encryption_key(
                &session.keys.encryption.to_recipient().into(),
            )
            .to_string(),
            root: session.trust.fingerprint().to_string(),
        },
    )
}

/// Changes the password: the current one (and the second factor) proved again first.
/// The relay ends the person's other sessions; this one goes on.
pub(super) async fn change_password(r: ChangePassword) -> Result<String, WorkerError> {
    let mut session = (*session()?).clone();
    session.reauth(&r.current, r.totp.as_deref()).await?;
    session.change_password(&r.new).await?;
    let user = session.me.user_id;
    super::update_session(user, move |s| *s = session)?;
    answer(&r, &())
}
