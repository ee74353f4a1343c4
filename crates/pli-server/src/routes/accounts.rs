//! Accounts and their sessions: pre-login and login (throttled per account and address,
//! TOTP for those who turned it on), sessions, log-out, re-authentication, the account
//! itself, password change, TOTP enrolment.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pli_api::ErrorCode;
use pli_api::messages::{
    LoggedOut, LoginRequest, LoginResponse, Me, PasswordChange, PreloginRequest, PreloginResponse,
    ReauthRequest, TotpCode, TotpSetupResponse,
};
use pli_crypto::password::KdfParams;

use super::common::credentials;
use super::{ClientAddr, Json, common};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::{Auth, secrets, totp};
use crate::error::ApiError;
use crate::mail::Notice;
use crate::metrics::Metrics;
use crate::store::users::{AccountStatus, User};
use crate::{auth, now_ms};

pub(super) async fn prelogin(
    State(state): State<AppState>,
    Json(request): Json<PreloginRequest>,
) -> Result<Json<PreloginResponse>, ApiError> {
    let email = request.email.trim().to_lowercase();
    let kdf = match state.store.user_by_email(&email).await? {
        Some(user) if user.status != AccountStatus::Removed => user.kdf,
        _ => KdfParams::fake(&state.kdf_pepper, &email),
    };
    Ok(Json(PreloginResponse { kdf: kdf.to_wire() }))
}

/// Throttling keys for a login attempt: per account and address, and per address (an
/// IPv6 client counts by its /64).
pub(super) fn throttle_keys(email: &str, ip: Option<std::net::IpAddr>) -> (String, String) {
    let ip = ip.map_or_else(|| "unknown".to_owned(), auth::address::throttled_prefix);
    (
        format!("acct:{}|ip:{ip}", secrets::token_hash(email)),
        format!("ip:{ip}"),
    )
}

/// Where an attempt stands in each throttling window (per account and address, per
/// address): the attempts counted in it, this one included, when it began, and its limit.
pub(super) type Windows = [(u64, u64, u64); 2];

/// Counts the attempt under both keys before anything is checked (one atomic statement
/// each, so a burst of simultaneous attempts cannot all be checked while the first are
/// still hashing); refuses it, giving the counts back, if either key is past its limit,
/// with the real wait: until the window that filled up ends.
pub(super) async fn reserve_attempt(
    state: &AppState,
    keys: &(String, String),
) -> Result<Windows, ApiError> {
    let limits = &state.config.limits;
    let window = limits.login_window_minutes * 60_000;
    let now = now_ms();
    let cutoff = now.saturating_sub(window);
    let mut windows = [(0, 0, 0); 2];
    for (slot, (key, limit)) in windows.iter_mut().zip([
        (&keys.0, limits.login_failures_per_account),
        (&keys.1, limits.login_failures_per_address),
    ]) {
        let (counted, start) = state.store.reserve_login_attempt(key, now, cutoff).await?;
        *slot = (counted, start, limit);
    }
    let wait = windows
        .iter()
        .filter(|(counted, _, limit)| counted > limit)
        .map(|(_, start, _)| start.saturating_add(window).saturating_sub(now))
        .max();
    if let Some(wait_ms) = wait {
        release_attempt(state, keys, &windows).await?;
        return Err(ApiError::RateLimited(wait_ms.div_ceil(1000).max(1)));
    }
    Ok(windows)
}

/// Gives an attempt back under both keys: it was not checked, or it was not a failure.
pub(super) async fn release_attempt(
    state: &AppState,
    keys: &(String, String),
    windows: &Windows,
) -> Result<(), ApiError> {
    for (key, (_, start, _)) in [&keys.0, &keys.1].into_iter().zip(windows) {
        state.store.release_login_attempt(key, *start).await?;
    }
    Ok(())
}

/// A failed attempt, already counted, as the person is told of it: the attempts left
/// before logins from here are refused, and for how long; the account's audit log
/// records it.
pub(super) async fn failed_attempt(
    state: &AppState,
    windows: &Windows,
    user: Option<&User>,
    code: ErrorCode,
) -> Result<ApiError, ApiError> {
    Metrics::add(&state.metrics.login_failures, 1);
    if let Some(user) = user {
        // Written beside the answer, not before it: a known account's failure must not
        // take longer to answer than an unknown address's, which writes nothing. (It
        // grants nothing, so answering before the entry is written opens nothing.)
        let event = AuditEvent {
            chain: Chain::Org(user.org_id),
            at: now_ms(),
            actor: Some(user.id),
            action: Action::LoginFailed,
            object_id: user.id.to_string(),
            detail: "{}".to_owned(),
        };
        let store = state.store.clone();
        tokio::spawn(async move {
            let written = async {
                let mut tx = store.begin().await?;
                tx.audit(event).await?;
                tx.commit().await
            };
            if let Err(error) = written.await {
                tracing::error!(%error, "a failed login could not be audited");
            }
        });
    }
    let attempts_left = windows
        .iter()
        .map(|(counted, _, limit)| limit.saturating_sub(*counted))
        .min()
        .unwrap_or_default();
    Ok(ApiError::FailedAttempt {
        code,
        attempts_left,
        lockout_s: state.config.limits.login_window_minutes * 60,
    })
}

/// Checks the auth key (and TOTP) of `user`, the attempt counted before the slow hash and
/// kept as a failure unless it succeeds. Unknown accounts cost the same Argon2id time.
async fn verify_credentials(
    state: &AppState,
    keys: &(String, String),
    user: Option<&User>,
    auth_key: &pli_api::Base64,
    totp_code: Option<&str>,
) -> Result<(), ApiError> {
    let windows = reserve_attempt(state, keys).await?;
    let key = auth_key.0.clone();
    let stored = user
        .filter(|u| u.status != AccountStatus::Removed)
        .map(|u| u.auth_hash.clone());
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| secrets::dummy_hash().to_owned());
    let checked =
        common::password_work(state, move || secrets::verify_auth_key(&stored, &key)).await;
    let matches = match checked {
        Ok(matches) => matches && known && auth_key.0.len() == 32,
        Err(ApiError::Busy) => {
            release_attempt(state, keys, &windows).await?;
            return Err(ApiError::Busy);
        }
        Err(other) => return Err(other),
    };
    let Some(user) = user.filter(|_| matches) else {
        return Err(failed_attempt(state, &windows, user, ErrorCode::InvalidCredentials).await?);
    };
    if user.totp_enabled {
        second_step(state, keys, &windows, user, totp_code).await?;
    }
    succeeded(state, keys, &windows).await
}

/// The code of an account with two-factor authentication on, in an attempt already
/// counted in `windows`: none yet is not a failure (the attempt is given back, and
/// `totp_required` asks for it); a wrong or already used one is.
async fn second_step(
    state: &AppState,
    keys: &(String, String),
    windows: &Windows,
    user: &User,
    totp_code: Option<&str>,
) -> Result<(), ApiError> {
    let Some(code) = totp_code else {
        // The first of two steps: what came before was right, the code comes next.
        release_attempt(state, keys, windows).await?;
        return Err(ApiError::TotpRequired);
    };
    if !check_totp(state, user, code).await? {
        return Err(failed_attempt(state, windows, Some(user), ErrorCode::TotpInvalid).await?);
    }
    Ok(())
}

/// A successful attempt: the account's failures from this address are forgotten, and
/// the attempt is given back to the address.
async fn succeeded(
    state: &AppState,
    keys: &(String, String),
    windows: &Windows,
) -> Result<(), ApiError> {
    let [_, (_, address_window, _)] = windows;
    state.store.clear_login_failures(&keys.0).await?;
    state
        .store
        .release_login_attempt(&keys.1, *address_window)
        .await?;
    Ok(())
}

/// Checks a current code of `user`'s second factor where no password is typed (accepting
/// a reset, which replaces the password): as a login's second step, throttled and counted
/// with the account's logins from this address (`keys`), its time step burnt.
pub(super) async fn verify_current_code(
    state: &AppState,
    keys: &(String, String),
    user: &User,
    totp_code: Option<&str>,
) -> Result<(), ApiError> {
    let windows = reserve_attempt(state, keys).await?;
    second_step(state, keys, &windows, user, totp_code).await?;
    succeeded(state, keys, &windows).await
}

/// Checks a code against the account's TOTP secret and burns its time step.
async fn check_totp(state: &AppState, user: &User, code: &str) -> Result<bool, ApiError> {
    let (secret, _, last_step) = state.store.user_totp(&user.id).await?;
    let Some(sealed) = secret else {
        return Ok(false);
    };
    let secret = state.server_key.open(user.id.as_bytes(), &sealed)?;
    let Some(step) = totp::matching_step(&secret, code, now_ms(), last_step) else {
        return Ok(false);
    };
    let mut tx = state.store.begin().await?;
    let fresh = tx.use_totp_step(&user.id, step).await?;
    tx.commit().await?;
    Ok(fresh)
}

pub(super) async fn login(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let email = request.email.trim().to_lowercase();
    let keys = throttle_keys(&email, auth::client_ip(&state, &headers, peer));
    let user = state.store.user_by_email(&email).await?;
    verify_credentials(
        &state,
        &keys,
        user.as_ref(),
        &request.auth_key,
        request.totp.as_deref(),
    )
    .await?;
    let user = user.ok_or(ApiError::InvalidCredentials)?;
    // A service account's credential is a program's: it opens no browser session (a
    // cookie), so a stolen credential cannot be used from a page either.
    if user.service && !request.bearer {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "a service account logs in with pli, not from a browser",
        ));
    }
    let detail = if user.service {
        super::common::detail(&[("service", "true".to_owned())])
    } else {
        "{}".to_owned()
    };
    let proconnect = super::proconnect::admit(&state, &headers, &user).await?;
    let detail = if proconnect.is_some() {
        super::common::detail(&[("proconnect", "true".to_owned())])
    } else {
        detail
    };
    audit_login(&state, &user, detail).await?;
    let (body, cookie) = open_session(
        &state,
        &user,
        request.bearer,
        &headers,
        proconnect.as_deref().map(String::as_str),
    )
    .await?;
    Ok(signed_in(body, cookie, proconnect.is_some()))
}

/// A login's answer: `body`, the session cookie, and the ProConnect ticket's removal if
/// the login took one.
pub(super) fn signed_in(
    body: impl serde::Serialize,
    cookie: HeaderValue,
    took_ticket: bool,
) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    if took_ticket {
        response
            .headers_mut()
            .append(header::SET_COOKIE, super::proconnect::clear_ticket());
    }
    response
}

/// Records a successful login in the account's organisation chain (before the session
/// opens: no session the audit log does not know of).
pub(super) async fn audit_login(
    state: &AppState,
    user: &User,
    detail: String,
) -> Result<(), ApiError> {
    let mut tx = state.store.begin().await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(user.org_id),
        at: now_ms(),
        actor: Some(user.id),
        action: Action::LoginSucceeded,
        object_id: user.id.to_string(),
        detail,
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Opens a session for `user`: a fresh token (never reused across logins) in the cookie,
/// and in the body if `bearer`.
pub(super) async fn start_session(
    state: &AppState,
    user: &User,
    bearer: bool,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let (body, cookie) = open_session(state, user, bearer, headers, None).await?;
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// What [`start_session`] answers, for a caller that wraps it: the login's body and the
/// session cookie. A session that began with ProConnect keeps its identity token
/// (`proconnect`), sealed, for its logout.
pub(super) async fn open_session(
    state: &AppState,
    user: &User,
    bearer: bool,
    headers: &HeaderMap,
    proconnect: Option<&str>,
) -> Result<(LoginResponse, HeaderValue), ApiError> {
    let (token, token_hash) = secrets::new_token()?;
    let now = now_ms();
    let absolute = state.config.limits.session_absolute_hours * 3_600_000;
    let device = super::sessions::device(headers);
    let mut tx = state.store.begin().await?;
    tx.insert_session(&token_hash, &user.id, now, now + absolute, &device)
        .await?;
    if let Some(id_token) = proconnect {
        let sealed = super::proconnect::seal_for_session(state, &token_hash, id_token)?;
        tx.set_session_proconnect(&token_hash, &sealed).await?;
    }
    tx.commit().await?;
    let me = common::me(state, user).await?;
    let body = LoginResponse {
        me,
        token: bearer.then(|| token.clone()),
    };
    let cookie = auth::session_cookie(&token, absolute / 1000);
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    Ok((body, cookie))
}

pub(super) async fn logout(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, ApiError> {
    let proconnect_logout = super::proconnect::logout_url(&state, &auth.session.token_hash).await;
    let mut tx = state.store.begin().await?;
    tx.delete_session(&auth.session.token_hash).await?;
    tx.commit().await?;
    let mut response = Json(LoggedOut { proconnect_logout }).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&auth::clear_cookie()).map_err(ApiError::internal)?,
    );
    Ok(response)
}

pub(super) async fn reauth(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Json(request): Json<ReauthRequest>,
) -> Result<axum::http::StatusCode, ApiError> {
    let keys = throttle_keys(&auth.user.email, auth::client_ip(&state, &headers, peer));
    verify_credentials(
        &state,
        &keys,
        Some(&auth.user),
        &request.auth_key,
        request.totp.as_deref(),
    )
    .await?;
    let mut tx = state.store.begin().await?;
    tx.set_reauth(&auth.session.token_hash, now_ms()).await?;
    tx.commit().await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

pub(super) async fn me(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Me>, ApiError> {
    Ok(Json(common::me(&state, &auth.user).await?))
}

pub(super) async fn change_password(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Json(request): Json<PasswordChange>,
) -> Result<axum::http::StatusCode, ApiError> {
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    // A service account's secret changes only through a reset its admin issues: a stolen
    // credential cannot replace it and lock the program out.
    auth.require_person()?;
    let new = credentials(
        &state,
        &request.credentials,
        auth.user.signing_key,
        auth.user.encryption_key.clone(),
    )
    .await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.update_password(
        &auth.user.id,
        &new.kdf,
        &new.auth_hash,
        &new.key_bundle,
        now,
    )
    .await?;
    // Other sessions end; this one continues.
    tx.delete_other_sessions(&auth.user.id, &auth.session.token_hash)
        .await?;
    let id = auth.user.id.to_string();
    tx.audit(AuditEvent {
        chain: Chain::Org(auth.user.org_id),
        at: now,
        actor: Some(auth.user.id),
        action: Action::PasswordChanged,
        object_id: id.clone(),
        detail: "{}".to_owned(),
    })
    .await?;
    tx.commit().await?;
    notify_credentials_changed(&state, &auth.user);
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Turns two-factor authentication off: for a member only (admins must keep it), after a
/// recent password proof — which, for an account with two-factor on, took a current code
/// too (the page asks both at once, as for a password change).
pub(super) async fn totp_disable(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<axum::http::StatusCode, ApiError> {
    if auth.user.role != pli_api::Role::Member {
        return Err(ApiError::Forbidden);
    }
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let org = common::own_org(&state, &auth.user).await?;
    if org.second_factor == pli_api::SecondFactor::Required {
        return Err(ApiError::conflict(
            ErrorCode::TotpMandatory,
            "the organisation requires two-factor authentication",
        ));
    }
    if !auth.user.totp_enabled {
        return Err(ApiError::conflict(
            ErrorCode::WrongState,
            "two-factor authentication is off",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.disable_totp(&auth.user.id, now).await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(auth.user.org_id),
        at: now,
        actor: Some(auth.user.id),
        action: Action::TotpDisabled,
        object_id: auth.user.id.to_string(),
        detail: "{}".to_owned(),
    })
    .await?;
    tx.commit().await?;
    notify_credentials_changed(&state, &auth.user);
    Ok(axum::http::StatusCode::NO_CONTENT)
}

pub(super) fn notify_credentials_changed(state: &AppState, user: &User) {
    if let Some(mailer) = state.mailer.clone() {
        let to = user.email.clone();
        tokio::spawn(async move { mailer.send(&to, Notice::CredentialsChanged, None).await });
    }
}

pub(super) async fn totp_setup(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<TotpSetupResponse>, ApiError> {
    // Even the first enrolment: a stolen session must not be able to tie the account to
    // the thief's authenticator and lock its owner out.
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    auth.require_person()?;
    let secret = secrets::random::<20>()?;
    let sealed = state.server_key.seal(auth.user.id.as_bytes(), &secret)?;
    let mut tx = state.store.begin().await?;
    tx.set_totp_pending(&auth.user.id, &sealed).await?;
    tx.commit().await?;
    let secret = totp::base32(&secret);
    let uri = format!(
        "otpauth://totp/Pli:{}?secret={secret}&issuer=Pli&algorithm=SHA1&digits=6&period=30",
        auth.user.email
    );
    Ok(Json(TotpSetupResponse { secret, uri }))
}

pub(super) async fn totp_confirm(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Json(request): Json<TotpCode>,
) -> Result<axum::http::StatusCode, ApiError> {
    let (_, pending, last_step) = state.store.user_totp(&auth.user.id).await?;
    let pending = pending
        .ok_or_else(|| ApiError::conflict(ErrorCode::WrongState, "start the enrolment first"))?;
    let secret = state.server_key.open(auth.user.id.as_bytes(), &pending)?;
    let step = totp::matching_step(&secret, &request.code, now_ms(), last_step)
        .ok_or(ApiError::TotpInvalid)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.enable_totp(&auth.user.id, step, now).await?;
    let id = auth.user.id.to_string();
    tx.audit(AuditEvent {
        chain: Chain::Org(auth.user.org_id),
        at: now,
        actor: Some(auth.user.id),
        action: Action::TotpEnabled,
        object_id: id.clone(),
        detail: "{}".to_owned(),
    })
    .await?;
    tx.commit().await?;
    notify_credentials_changed(&state, &auth.user);
    Ok(axum::http::StatusCode::NO_CONTENT)
}
