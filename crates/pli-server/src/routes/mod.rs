//! The HTTP API. [`ROUTES`] is the one list of routes with their [`Policy`]: the router is
//! built from it, the OpenAPI document is generated from it, and the authorisation test
//! enumerates it (a route without a policy case fails that test).

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::MethodFilter;
use pli_api::ErrorCode;
use pli_api::endpoints::{self, Endpoint, Method};
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::auth::{self, Policy};
use crate::error::ApiError;

mod accounts;
mod audit;
pub(crate) mod common;
mod directory;
mod events;
mod exchanges;
mod invitations;
mod log;
mod members;
mod ops;
mod orgs;
pub(crate) mod passkeys;
mod proconnect;
pub(crate) mod sessions;
mod upgrade;
mod web;

pub use web::CONTENT_SECURITY_POLICY;

/// One route: method, path template, who may call it, and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RouteSpec {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    pub method: &'static str,
    /// Path template (`/api/exchanges/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub policy: Policy,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
}

macro_rules! routes {
    ($( $endpoint:ident, $policy:ident, $handler:path; )*) => {
        /// Every route of the relay: each endpoint `pli_api::endpoints` describes, with its
        /// policy.
        pub const ROUTES: &[RouteSpec] = &[$(
            RouteSpec {
                method: <endpoints::$endpoint as Endpoint>::METHOD.as_str(),
                path: <endpoints::$endpoint as Endpoint>::PATH,
                policy: Policy::$policy,
                summary: <endpoints::$endpoint as Endpoint>::SUMMARY,
            },
        )*];

        fn api(state: &AppState) -> Router<AppState> {
            let mut router = Router::new();
            $(
                router = router.route(
                    <endpoints::$endpoint as Endpoint>::PATH,
                    axum::routing::on(
                        method_filter(<endpoints::$endpoint as Endpoint>::METHOD),
                        $handler,
                    )
                    .route_layer(from_fn_with_state(
                        (
                            state.clone(),
                            Policy::$policy,
                            is_activity(<endpoints::$endpoint as Endpoint>::PATH),
                        ),
                        auth::enforce,
                    )),
                );
            )*
            router
        }
    };
}

/// Whether a request to this path is the person's doing, and so keeps their session from
/// its idle timeout. Opening the live-event stream is not: the page does it by itself, and
/// again after every network loss, so a page left open would otherwise never time out.
fn is_activity(path: &str) -> bool {
    path != <endpoints::Events as Endpoint>::PATH
}

fn method_filter(method: Method) -> MethodFilter {
    match method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Delete => MethodFilter::DELETE,
    }
}

routes! {
    Healthz, Public, ops::healthz;
    Readyz, Public, ops::readyz;
    Metrics, Operator, ops::metrics;
    OpenApi, Public, ops::openapi;

    SetupLookup, Public, invitations::setup_lookup;
    Setup, Public, invitations::setup;
    Prelogin, Public, accounts::prelogin;
    Login, Public, accounts::login;
    Logout, Session, accounts::logout;
    ProConnectInfo, Public, proconnect::info;
    ProConnectStart, Public, proconnect::start;
    ProConnectCallback, Public, proconnect::callback;
    Reauth, Session, accounts::reauth;
    GetMe, Session, accounts::me;
    PutSeenCheckpoint, Session, log::put_seen;
    PutKeyUpgrade, Session, upgrade::put_key_upgrade;
    ChangePassword, Session, accounts::change_password;
    MySessions, Session, sessions::list;
    EndSession, Session, sessions::end;
    TotpSetup, Session, accounts::totp_setup;
    TotpConfirm, Session, accounts::totp_confirm;
    TotpDisable, Session, accounts::totp_disable;
    PasskeyRegisterBegin, Session, passkeys::register_begin;
    PasskeyRegister, Session, passkeys::register;
    MyPasskeys, Session, passkeys::list;
    RemovePasskey, Session, passkeys::remove;
    PasskeyLoginStart, Public, passkeys::login_begin;
    PasskeyLogin, Public, passkeys::login;
    MyGrants, Session, directory::my_grants;
    InvitationLookup, Public, invitations::invitation_lookup;
    AcceptInvitation, Public, invitations::invitation_accept;

    ListOrgs, PlatformAdmin, orgs::list;
    CreateOrg, PlatformAdmin, orgs::create;
    Members, AnyAdmin, members::members;
    Invite, AnyAdmin, members::invite;
    WithdrawInvitation, AnyAdmin, members::withdraw;
    Certify, AnyAdmin, members::certify;
    Grant, OrgAdmin, members::grant;
    ResetMember, OrgAdmin, members::reset;
    RemoveMember, AnyAdmin, members::remove;
    SetRetention, OrgAdmin, orgs::retention;
    SetSecondFactor, OrgAdmin, orgs::second_factor;
    SetProConnect, OrgAdmin, orgs::proconnect;
    PublishKey, OrgAdmin, directory::publish_key;
    SuspendKey, AnyAdmin, directory::suspend_key;
    OrgKeys, Session, directory::org_keys;
    OrgAudit, Session, audit::list;
    ExportAudit, OrgAdmin, audit::export;
    VerifyAudit, OrgAdmin, audit::verify;
    PlatformAudit, PlatformAdmin, audit::platform;
    SignLogPolicy, PlatformAdmin, log::sign_policy;

    LogProposal, Public, log::proposal;
    LogState, Session, log::state;
    LogEntries, Session, log::entries;
    Root, Public, directory::root;
    Directory, Session, directory::orgs;
    Certificate, Session, directory::certificate;

    CreateExchange, Member, exchanges::create;
    Inbox, Member, exchanges::inbox;
    Outbox, Member, exchanges::outbox;
    Exchange, Member, exchanges::detail;
    CancelExchange, Member, exchanges::cancel;
    UploadStatus, Member, exchanges::upload_status;
    PutPart, Member, exchanges::put_part;
    Complete, Member, exchanges::complete;
    Download, Member, exchanges::download;
    PartHashes, Member, exchanges::part_hashes;
    PostReceipt, Member, exchanges::post_receipt;
    Events, Member, events::stream;
}

/// The whole application: the API routes with their middleware, and the web app.
pub fn router(state: AppState) -> Router {
    let part_route_limit = DefaultBodyLimit::disable();
    let api = api(&state)
        .layer(from_fn_with_state(state.clone(), carry_changes_through))
        .layer(from_fn(api_headers));
    api.fallback(web::serve)
        .layer(part_route_limit)
        .layer(from_fn_with_state(state.clone(), crate::pace::pace_bodies))
        .layer(from_fn_with_state(state.clone(), auth::origin_guard))
        .layer(from_fn(web::security_headers))
        .layer(from_fn_with_state(state.clone(), crate::metrics::count))
        .with_state(state)
}

/// A change the relay has begun, it carries out to its end, whether or not its client
/// still waits for the answer. Hyper drops a request's handler as soon as it sees the
/// client's connection close; a handler dropped between its commit and what follows it
/// would leave a delivered exchange whose recipients are never e-mailed (the client's
/// retry gets the first answer, and mails no one), or a reset accepted without its notice
/// to the person, which a client could even cut on purpose to keep them from learning it.
/// Every request but a read therefore runs in a task of its own, which the connection's
/// end does not cancel: its body still fails as soon as the client is gone, and the
/// pacing layer still ends a client too slow to send it, so nothing waits forever. A
/// stopping relay waits for these tasks, a while ([`crate::changes`]).
async fn carry_changes_through(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() == axum::http::Method::GET || request.method() == axum::http::Method::HEAD {
        return next.run(request).await;
    }
    match state.changes.spawn(next.run(request)).await {
        Ok(Some(response)) => response,
        Ok(None) => axum::response::IntoResponse::into_response(ApiError::Unavailable),
        Err(error) => axum::response::IntoResponse::into_response(ApiError::internal(error)),
    }
}

/// Headers on every API response: no caching of anything personal, no MIME sniffing, no
/// framing, no referrer.
async fn api_headers(request: Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A JSON body whose rejections are [`ApiError`]s (code `invalid_json`), capped at 1 MiB.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        parse_json(&json_body(request).await?).map(Json)
    }
}

/// A JSON body as [`Json`], except that an empty one is `T::default()`: for a request
/// that once had no body, which older clients still send without one.
#[derive(Debug)]
pub struct JsonOrDefault<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for JsonOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(request).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        parse_json(&bytes).map(JsonOrDefault)
    }
}

/// A request's body, at most 1 MiB; `too_slow` if the pacing layer cut it.
async fn json_body(request: Request) -> Result<axum::body::Bytes, ApiError> {
    let timer = request
        .extensions()
        .get::<crate::pace::BodyTimer>()
        .cloned()
        .unwrap_or_default();
    axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map_err(|_| {
            if timer.cut() {
                return ApiError::TooSlow;
            }
            ApiError::TooLarge(
                ErrorCode::BadRequest,
                "the JSON body could not be read or is larger than 1 MiB".into(),
            )
        })
}

/// `bytes` as a `T`, or `invalid_json`.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidJson, format!("invalid request: {e}")))
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The client's socket address, when the server runs with connect info (always, except
/// when tests drive the router without a socket).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible ASCII characters, or the
/// request is refused (400) before its handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        value
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 200 && k.bytes().all(|c| c.is_ascii_graphic()))
            .map(|key| Self(Some(key.to_owned())))
            .ok_or_else(|| {
                ApiError::bad_request(
                    ErrorCode::BadRequest,
                    "Idempotency-Key must be 1 to 200 visible ASCII characters",
                )
            })
    }
}

/// An endpoint's path parameters, parsed into its `pli_api::endpoints` struct: a path
/// whose ids or numbers do not parse answers 404, exactly as an object that does not
/// exist.
#[derive(Debug, Clone)]
pub struct Found<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Found<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(params)| Self(params))
            .map_err(|_| ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::ROUTES;

    #[test]
    fn every_endpoint_pli_api_describes_has_exactly_one_route() {
        let routed: HashSet<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        let described: HashSet<(&str, &str)> = pli_api::endpoints::ALL
            .iter()
            .map(|d| (d.method.as_str(), d.path))
            .collect();
        assert_eq!(routed, described);
        assert_eq!(ROUTES.len(), pli_api::endpoints::ALL.len());
    }
}
