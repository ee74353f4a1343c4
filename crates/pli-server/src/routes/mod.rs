//! The HTTP API. [`ROUTES`] is the one list of routes with their [`Policy`]: the router is
//! built from it, the OpenAPI document is generated from it, and the authorisation test
//! enumerates it (a route without a policy case fails that test).

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use pli_api::ErrorCode;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::auth::{self, Policy};
use crate::error::ApiError;

mod accounts;
mod audit;
mod common;
mod directory;
mod events;
mod exchanges;
mod ops;
mod orgs;
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
    ($( $method:ident $path:literal, $policy:ident, $handler:path, $summary:literal; )*) => {
        /// Every route of the relay.
        pub const ROUTES: &[RouteSpec] = &[$(
            RouteSpec {
                method: const_upper(stringify!($method)),
                path: $path,
                policy: Policy::$policy,
                summary: $summary,
            },
        )*];

        fn api(state: &AppState) -> Router<AppState> {
            let mut router = Router::new();
            $(
                router = router.route(
                    $path,
                    axum::routing::$method($handler).route_layer(from_fn_with_state(
                        (state.clone(), Policy::$policy),
                        auth::enforce,
                    )),
                );
            )*
            router
        }
    };
}

const fn const_upper(method: &'static str) -> &'static str {
    match method.as_bytes() {
        b"get" => "GET",
        b"post" => "POST",
        b"put" => "PUT",
        b"delete" => "DELETE",
        _ => "?",
    }
}

routes! {
    get "/healthz", Public, ops::healthz, "Liveness: the process answers.";
    get "/readyz", Public, ops::readyz, "Readiness: the database and the blob store answer.";
    get "/metrics", Public, ops::metrics, "Prometheus counters.";
    get "/api/openapi.json", Public, ops::openapi, "This API's OpenAPI document.";

    post "/api/setup/lookup", Public, accounts::setup_lookup, "Checks a one-time platform set-up token.";
    post "/api/setup", Public, accounts::setup, "Creates the platform admin, root key and platform organisation.";
    post "/api/auth/prelogin", Public, accounts::prelogin, "KDF parameters for an address (stable fake ones if unknown).";
    post "/api/auth/login", Public, accounts::login, "Logs in with the auth key (and TOTP code).";
    post "/api/auth/logout", Session, accounts::logout, "Ends this session.";
    post "/api/auth/reauth", Session, accounts::reauth, "Proves the password again before a sensitive operation.";
    get "/api/me", Session, accounts::me, "The logged-in account.";
    post "/api/me/password", Session, accounts::change_password, "Changes the password (same keys, bundle sealed again).";
    post "/api/me/totp/setup", Session, accounts::totp_setup, "Starts TOTP enrolment.";
    post "/api/me/totp/confirm", Session, accounts::totp_confirm, "Turns TOTP on with a first code.";
    get "/api/me/grants", Session, directory::my_grants, "The organisation keys wrapped for me.";
    post "/api/invitations/lookup", Public, accounts::invitation_lookup, "Checks an invitation token.";
    post "/api/invitations/accept", Public, accounts::invitation_accept, "Creates (or re-keys) the invited account.";

    get "/api/orgs", PlatformAdmin, orgs::list, "Every organisation.";
    post "/api/orgs", PlatformAdmin, orgs::create, "Creates an organisation (certificate signed by the root).";
    get "/api/orgs/{org}/members", AnyAdmin, orgs::members, "An organisation's members and pending invitations.";
    post "/api/orgs/{org}/invitations", AnyAdmin, orgs::invite, "Invites a member (platform admin: the first admin).";
    delete "/api/orgs/{org}/invitations/{user}", AnyAdmin, orgs::withdraw, "Withdraws an unused invitation.";
    post "/api/orgs/{org}/members/{user}/certify", AnyAdmin, orgs::certify, "Certifies a member's keys and grants them the organisation keys.";
    post "/api/orgs/{org}/members/{user}/grants", OrgAdmin, orgs::grant, "Grants organisation keys to a certified member.";
    post "/api/orgs/{org}/members/{user}/reset", OrgAdmin, orgs::reset, "Issues a new account set-up link to a member who lost their password.";
    delete "/api/orgs/{org}/members/{user}", OrgAdmin, orgs::remove, "Removes a member: sessions ended and key grants deleted at once.";
    put "/api/orgs/{org}/retention", OrgAdmin, orgs::retention, "Sets how long exchanges are kept.";
    post "/api/orgs/{org}/keys", OrgAdmin, directory::publish_key, "Publishes a new key generation (first key or rotation).";
    post "/api/orgs/{org}/keys/{generation}/suspend", AnyAdmin, directory::suspend_key, "Suspends a key generation: new uploads to it are refused.";
    get "/api/orgs/{org}/keys", Session, directory::org_keys, "An organisation's key generations (for its members).";
    get "/api/orgs/{org}/audit", Session, audit::list, "The organisation's audit log (admins: all; members: their own actions).";
    get "/api/orgs/{org}/audit/export", OrgAdmin, audit::export, "The whole audit log as JSON lines.";
    get "/api/orgs/{org}/audit/verify", OrgAdmin, audit::verify, "Verifies the audit log's hash chain.";
    get "/api/platform/audit", PlatformAdmin, audit::platform, "The platform's audit log.";

    get "/api/directory/root", Public, directory::root, "The platform root public key.";
    get "/api/directory/orgs", Session, directory::orgs, "Every organisation with its current certified key.";
    get "/api/directory/certificates/{fingerprint}", Session, directory::certificate, "A signing key's certificate chain.";

    post "/api/exchanges", Member, exchanges::create, "Creates an exchange (Idempotency-Key header).";
    get "/api/exchanges/inbox", Member, exchanges::inbox, "Exchanges delivered to my organisation, urgent first.";
    get "/api/exchanges/outbox", Member, exchanges::outbox, "Exchanges my organisation sent.";
    get "/api/exchanges/{id}", Member, exchanges::detail, "An exchange: envelope, sender's certificate, receipts.";
    delete "/api/exchanges/{id}", Member, exchanges::cancel, "Cancels an upload not yet completed.";
    get "/api/exchanges/{id}/upload", Member, exchanges::upload_status, "Which parts are stored (to resume).";
    put "/api/exchanges/{id}/objects/{idx}/parts/{part}", Member, exchanges::put_part, "Uploads one part (Content-Digest: sha-256).";
    post "/api/exchanges/{id}/complete", Member, exchanges::complete, "Completes with the signed envelope; delivered in one transaction.";
    get "/api/exchanges/{id}/objects/{idx}", Member, exchanges::download, "Downloads a ciphertext object (Range supported).";
    post "/api/exchanges/{id}/receipts", Member, exchanges::post_receipt, "Posts a signed read receipt.";
    get "/api/events", Member, events::stream, "Live events of my organisation (server-sent events).";
}

/// The whole application: the API routes with their middleware, and the web app.
pub fn router(state: AppState) -> Router {
    let part_route_limit = DefaultBodyLimit::disable();
    let api = api(&state).layer(from_fn(api_headers));
    api.fallback(web::serve)
        .layer(part_route_limit)
        .layer(from_fn_with_state(state.clone(), auth::origin_guard))
        .layer(from_fn(web::security_headers))
        .layer(from_fn_with_state(state.clone(), crate::metrics::count))
        .with_state(state)
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
        let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .map_err(|_| {
                ApiError::TooLarge(
                    ErrorCode::BadRequest,
                    "the JSON body could not be read or is larger than 1 MiB".into(),
                )
            })?;
        serde_json::from_slice(&bytes).map(Json).map_err(|e| {
            ApiError::bad_request(ErrorCode::InvalidJson, format!("invalid request: {e}"))
        })
    }
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

/// Parses an id from a path segment, answering 404 for anything malformed.
pub(crate) fn parse_id<K>(text: &str) -> Result<pli_api::Id<K>, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound)
}
