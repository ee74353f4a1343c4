//! Who is asking, and may they: sessions, the per-route policy, CSRF, throttling.
//!
//! Every route declares a [`Policy`] in the route table (`routes::ROUTES`); the policy
//! middleware enforces it before the handler runs and hands the handler an [`Auth`].
//! Checks on a particular object (this exchange belongs to your organisation) are the
//! handler's, and answer 404 rather than 403 so they leak nothing across tenants.

pub mod address;
pub mod secrets;
pub mod totp;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use pli_api::{SecondFactor, UserId};

use crate::app::AppState;
use crate::error::ApiError;
use crate::now_ms;
use crate::store::sessions::Session;
use crate::store::users::{AccountStatus, Role, User};

/// The session cookie. `__Host-`: Secure, no Domain, Path=/.
pub const COOKIE: &str = "__Host-pli_session";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Anyone (login, set-up, health).
    Public,
    /// Any logged-in account, even one whose keys are not certified yet.
    Session,
    /// A certified member or org admin of an organisation (not the platform admin).
    Member,
    /// A certified admin of an organisation, with TOTP on.
    OrgAdmin,
    /// The platform admin, with TOTP on.
    PlatformAdmin,
    /// An org admin or the platform admin, with TOTP on.
    AnyAdmin,
    /// The operator's monitoring: the bearer token of the configuration
    /// (`PLI_METRICS_TOKEN`), never a person's session; without one configured, the
    /// route does not exist (404).
    Operator,
}

/// An authenticated request.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The account.
    pub user: User,
    /// The session.
    pub session: Session,
}

impl Auth {
    /// The account's id.
    pub fn user_id(&self) -> UserId {
        self.user.id
    }

    /// Fails unless the password was proven in the last `minutes` minutes.
    pub fn require_recent_reauth(&self, minutes: u64) -> Result<(), ApiError> {
        if now_ms().saturating_sub(self.session.reauth_at) <= minutes * 60_000 {
            Ok(())
        } else {
            Err(ApiError::ReauthRequired)
        }
    }

    /// Fails for a service account: what only a person has (a second factor, a passkey).
    pub fn require_person(&self) -> Result<(), ApiError> {
        if self.user.service {
            Err(ApiError::conflict(
                pli_api::ErrorCode::WrongState,
                "a service account has no second factor: its secret and keys stay on its machine",
            ))
        } else {
            Ok(())
        }
    }
}

/// Enforces a route's policy, then runs the handler with an [`Auth`] extension. `activity`:
/// whether the request counts as the person's activity (see [`authenticate`]).
pub async fn enforce(
    State((state, policy, activity)): State<(AppState, Policy, bool)>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if policy == Policy::Operator {
        operator(&state, request.headers())?;
    } else if policy != Policy::Public {
        let auth = authenticate(&state, request.headers(), request.method(), activity).await?;
        check(&auth.user, policy)?;
        if policy == Policy::Member {
            second_factor_policy(&state, &auth.user).await?;
        }
        request.extensions_mut().insert(auth);
    }
    Ok(next.run(request).await)
}

/// Admits the operator's bearer token, and nothing else.
fn operator(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return Err(ApiError::NotFound);
    };
    match token(headers) {
        Some((presented, false)) if secrets::same_token(&presented, expected) => Ok(()),
        _ => Err(ApiError::Unauthenticated),
    }
}

fn check(user: &User, policy: Policy) -> Result<(), ApiError> {
    let admin_ok = |role: Role| {
        let role_ok = user.role == role
            || (policy == Policy::AnyAdmin
                && matches!(user.role, Role::OrgAdmin | Role::PlatformAdmin));
        if !role_ok || user.status != AccountStatus::Active {
            Err(ApiError::Forbidden)
        } else if !user.totp_enabled {
            Err(ApiError::TotpSetupRequired)
        } else {
            Ok(())
        }
    };
    match policy {
        Policy::Public | Policy::Session => Ok(()),
        Policy::Operator => Err(ApiError::Forbidden),
        Policy::Member => {
            if user.status == AccountStatus::Active
                && matches!(user.role, Role::Member | Role::OrgAdmin)
            {
                Ok(())
            } else {
                Err(ApiError::Forbidden)
            }
        }
        Policy::OrgAdmin | Policy::AnyAdmin => admin_ok(Role::OrgAdmin),
        Policy::PlatformAdmin => admin_ok(Role::PlatformAdmin),
    }
}

/// Fails with [`ApiError::TotpSetupRequired`] if the account must have a second factor
/// and has none: an admin always (sending and reading included), a member when their
/// organisation requires it (asked only of accounts without one, so it costs the others
/// nothing).
pub async fn second_factor_policy(state: &AppState, user: &User) -> Result<(), ApiError> {
    // A service account's secret and keys live on its machine, where a code generator
    // would live too: a second factor there adds nothing (ARCHITECTURE.md, "Service
    // accounts"). It is only ever a member.
    if user.totp_enabled || (user.service && user.role == Role::Member) {
        return Ok(());
    }
    if user.role != Role::Member {
        return Err(ApiError::TotpSetupRequired);
    }
    let org = crate::routes::common::own_org(state, user).await?;
    if org.second_factor == SecondFactor::Required {
        Err(ApiError::TotpSetupRequired)
    } else {
        Ok(())
    }
}

/// The session token from the cookie or an `Authorization: Bearer` header, and whether it
/// came from the cookie.
fn token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some((bearer.trim().to_owned(), false));
    }
    cookie(headers, COOKIE).map(|value| (value, true))
}

/// The value of the cookie `name` the request carries, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned())
}

/// Finds the session and account behind a request. If `activity`, the request counts as
/// the person's: it keeps the session from its idle timeout.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    activity: bool,
) -> Result<Auth, ApiError> {
    let (token, from_cookie) = token(headers).ok_or(ApiError::Unauthenticated)?;
    if from_cookie && !is_safe(method) && !same_origin(state, headers) {
        // A cookie rides along with cross-site requests: insist on a same-origin proof.
        return Err(ApiError::OriginMismatch);
    }
    let hash = secrets::token_hash(&token);
    let (session, user) = state
        .store
        .session_with_user(&hash)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let now = now_ms();
    if session_timed_out(&state.config.limits, &session, now) {
        let mut tx = state.store.begin().await?;
        tx.delete_session(&hash).await?;
        tx.commit().await?;
        return Err(ApiError::Unauthenticated);
    }
    if user.status == AccountStatus::Removed {
        return Err(ApiError::Unauthenticated);
    }
    // Write the activity time at most once a minute, and from one request only: the
    // others on the same session do not queue for the same write.
    if activity
        && now.saturating_sub(session.last_seen_at) > 60_000
        && state.claim_touch(&hash, now)
    {
        // A disk too full to note the time must not stop the person reading what is
        // already stored: the next request a minute later tries again.
        match touch(state, &hash, now).await {
            Err(crate::store::StoreError::Full(detail)) => {
                tracing::warn!(%detail, "session activity not recorded: database disk full");
            }
            other => other?,
        }
    }
    Ok(Auth { user, session })
}

/// Records a session's activity time.
async fn touch(state: &AppState, hash: &str, now: u64) -> crate::store::StoreResult<()> {
    let mut tx = state.store.begin().await?;
    tx.touch_session(hash, now).await?;
    tx.commit().await
}

/// Whether a session is past its absolute or its idle timeout at `now`.
pub fn session_timed_out(limits: &crate::config::Limits, session: &Session, now: u64) -> bool {
    let idle_ms = limits.session_idle_minutes.saturating_mul(60_000);
    session.expires_at <= now || now.saturating_sub(session.last_seen_at) > idle_ms
}

/// Whether the session of `token_hash` still lets its account in at `now`: it exists (no
/// logout ended it), is within its timeouts, and its account was not removed. What a
/// long-lived answer (the live-event stream) checks again as it goes.
pub async fn session_still_valid(
    state: &AppState,
    token_hash: &str,
    now: u64,
) -> Result<bool, ApiError> {
    Ok(match state.store.session_with_user(token_hash).await? {
        Some((session, user)) => {
            !session_timed_out(&state.config.limits, &session, now)
                && user.status != AccountStatus::Removed
        }
        None => false,
    })
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request provably comes from the relay's own pages.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin == state.config.public_url,
        None => headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin"),
    }
}

/// Refuses any unsafe request whose `Origin` names another site (login CSRF included),
/// whatever its authentication.
pub async fn origin_guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !is_safe(request.method())
        && let Some(origin) = request.headers().get(header::ORIGIN)
        && origin.to_str().ok() != Some(state.config.public_url.as_str())
    {
        return Err(ApiError::OriginMismatch);
    }
    Ok(next.run(request).await)
}

/// The client's address, behind the proxies the configuration trusts
/// ([`address::client_ip`]).
pub fn client_ip(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<IpAddr> {
    address::client_ip(&state.config.trusted_proxies, headers, peer)
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(token: &str, max_age_seconds: u64) -> String {
    format!(
        "{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}"
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}
