//! ProConnect sign-in, as the browser goes through it:
//!
//! 1. `GET /api/proconnect/start` records the sign-in (its state's hash, and sealed with
//!    the server key: the nonce, the PKCE verifier and the hash of a cookie this browser
//!    gets), and sends the browser to ProConnect;
//! 2. `GET /api/proconnect/callback` takes that record (once), checks the return comes
//!    back to the same browser, has ProConnect's identity verified (`crate::proconnect`),
//!    finds the Pli account (by its tied ProConnect identity, or at the first sign-in by
//!    its address, which ties it), checks the establishment is one of its organisation's,
//!    and leaves this browser a one-use **ticket** (a cookie; the relay keeps its hash)
//!    before sending it to the login page — every failure goes to the login page too,
//!    with a word it says in French;
//! 3. the login page (`GET /api/proconnect` names who signed in) asks for what unlocks the
//!    keys — password and account key, or a passkey — and the login that follows takes
//!    the ticket ([`admit`]): the session keeps ProConnect's identity token, sealed, to
//!    end the ProConnect session at logout.
//!
//! ProConnect never sees a key, and the relay never lets a ProConnect identity alone open
//! a session: a compromised identity provider reads nothing.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pli_api::messages::{ProConnectFailure, ProConnectIdentity, ProConnectInfo, ProConnectReturn};
use pli_api::{ErrorCode, OrgId, UserId};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{ClientAddr, Json};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::{self, secrets};
use crate::error::ApiError;
use crate::now_ms;
use crate::proconnect::Identity;
use crate::store::Tx;
use crate::store::passkeys::Ceremony;
use crate::store::proconnect::Taken;
use crate::store::users::{AccountStatus, User};

/// The ceremonies' kind of a sign-in under way.
const FLOW: &str = "proconnect";
/// The ceremonies' kind of a ticket.
const TICKET: &str = "proconnect_ticket";
/// Ties a sign-in's return to the browser that began it (sent on ProConnect's redirect
/// back, a cross-site top-level navigation: `SameSite=Lax`).
const FLOW_COOKIE: &str = "__Host-pli_proconnect_flow";
/// The ticket.
const TICKET_COOKIE: &str = "__Host-pli_proconnect";

/// What a sign-in under way must find at its return (sealed in the ceremony).
#[derive(Serialize, Deserialize)]
struct Flow {
    nonce: String,
    verifier: String,
    browser: String,
}

/// What a ticket carries (sealed in the ceremony).
#[derive(Serialize, Deserialize)]
struct Ticket {
    id_token: String,
    email: String,
    given_name: String,
    usual_name: String,
    siret: pli_api::messages::Siret,
    /// ProConnect's subject, and whether the account is not tied to one yet: it is tied
    /// by the login that takes this ticket, once the person proved their credentials.
    sub: String,
    first: bool,
    idp_id: String,
    acr: String,
    /// A one-time link waits for this account (invited without an account yet, or reset):
    /// the login page sends the person to it.
    #[serde(default)]
    invited: bool,
}

/// Begins of ProConnect sign-ins per address (an IPv6 /64) and login window: more than
/// passkeys', since a whole administration may reach the relay from one address.
const STARTS_PER_ADDRESS: u64 = 600;
/// What `passkeys::admit_begin` counts: the name, the kinds, the limit per address.
const STARTS: (&str, &[&str], u64) = ("proconnect", &[FLOW], STARTS_PER_ADDRESS);

/// A cookie of the sign-in (`same_site`: `Lax` for the flow's, which must come back on
/// ProConnect's cross-site redirect; `Strict` for the ticket, only read by the page's
/// own requests).
fn cookie(name: &str, value: &str, max_age_seconds: u64, same_site: &str) -> String {
    format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}; Max-Age={max_age_seconds}"
    )
}

/// A `303 See Other` to `location`, with cookies to set.
fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    for (name, value) in std::iter::once((header::LOCATION, location))
        .chain(cookies.iter().map(|c| (header::SET_COOKIE, c.as_str())))
    {
        match HeaderValue::from_str(value) {
            Ok(value) => {
                headers.append(name, value);
            }
            Err(_) => return ApiError::internal("unprintable header").into_response(),
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Back to the login page, saying why the sign-in did not go through.
fn refused(failure: ProConnectFailure) -> Response {
    tracing::info!(failure = failure.as_str(), "ProConnect sign-in refused");
    see_other(
        &format!("/#/login?proconnect={}", failure.as_str()),
        &[cookie(FLOW_COOKIE, "", 0, "Lax")],
    )
}

fn seal<T: Serialize>(
    state: &AppState,
    kind: &str,
    id_hash: &str,
    value: &T,
) -> Result<String, ApiError> {
    let json = Zeroizing::new(serde_json::to_vec(value).map_err(ApiError::internal)?);
    let context = format!("{kind}|{id_hash}");
    Ok(STANDARD.encode(state.server_key.seal(context.as_bytes(), &json)?))
}

fn open<T: for<'de> Deserialize<'de>>(
    state: &AppState,
    kind: &str,
    id_hash: &str,
    sealed: &str,
) -> Result<T, ApiError> {
    let sealed = STANDARD.decode(sealed).map_err(ApiError::internal)?;
    let context = format!("{kind}|{id_hash}");
    let json = state.server_key.open(context.as_bytes(), &sealed)?;
    serde_json::from_slice(&json).map_err(ApiError::internal)
}

pub(super) async fn info(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ProConnectInfo>, ApiError> {
    let mut identity = None;
    if let Some(token) = auth::cookie(&headers, TICKET_COOKIE) {
        let id_hash = secrets::token_hash(&token);
        if let Some(ceremony) = state
            .store
            .peek_ceremony(TICKET, &id_hash, now_ms())
            .await?
        {
            let ticket: Ticket = open(&state, TICKET, &id_hash, &ceremony.state)?;
            identity = Some(ProConnectIdentity {
                email: ticket.email,
                given_name: ticket.given_name,
                usual_name: ticket.usual_name,
                siret: ticket.siret,
                invited: ticket.invited,
            });
        }
    }
    Ok(Json(ProConnectInfo {
        available: state.proconnect.is_some(),
        identity,
    }))
}

/// A step the browser navigates to: a failure of the relay itself (its database) sends
/// it back to the login page too, as `unavailable`, rather than showing it an API error.
fn navigated(step: &str, answer: Result<Response, ApiError>) -> Response {
    answer.unwrap_or_else(|error| {
        tracing::error!(%error, step, "a ProConnect step failed");
        refused(ProConnectFailure::Unavailable)
    })
}

pub(super) async fn start(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
) -> Response {
    navigated("start", begin(&state, &headers, peer).await)
}

async fn begin(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> Result<Response, ApiError> {
    let Some(relying) = &state.proconnect else {
        return Ok(refused(ProConnectFailure::Unavailable));
    };
    if let Err(refusal) = super::passkeys::admit_begin(state, headers, peer, STARTS).await {
        return Ok(refused(match refusal {
            ApiError::RateLimited(_) | ApiError::Busy => ProConnectFailure::Busy,
            other => return Err(other),
        }));
    }
    let begun = match relying.begin().await {
        Ok(begun) => begun,
        Err(failure) => return Ok(refused(failure)),
    };
    let (browser, browser_hash) = secrets::new_token()?;
    let id_hash = secrets::token_hash(&begun.state);
    let flow = Flow {
        nonce: begun.nonce,
        verifier: begun.verifier,
        browser: browser_hash,
    };
    let lifetime = state.config.limits.proconnect_flow_seconds;
    let ceremony = Ceremony {
        user_id: None,
        kind: FLOW.to_owned(),
        state: seal(state, FLOW, &id_hash, &flow)?,
    };
    let mut tx = state.store.begin().await?;
    tx.insert_ceremony(&id_hash, &ceremony, now_ms() + lifetime * 1000)
        .await?;
    tx.commit().await?;
    Ok(see_other(
        &begun.url,
        &[cookie(FLOW_COOKIE, &browser, lifetime, "Lax")],
    ))
}

pub(super) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(back): Query<ProConnectReturn>,
) -> Response {
    navigated("callback", welcome(&state, &headers, back).await)
}

/// The return checked, the ticket left for the login that follows.
async fn welcome(
    state: &AppState,
    headers: &HeaderMap,
    back: ProConnectReturn,
) -> Result<Response, ApiError> {
    let (vouched, identity) = match returned(state, headers, back).await? {
        Ok(found) => found,
        Err(failure) => return Ok(refused(failure)),
    };
    let (token, id_hash) = secrets::new_token()?;
    let ticket = Ticket {
        id_token: identity.id_token,
        email: vouched.email.clone(),
        given_name: identity.given_name,
        usual_name: identity.usual_name,
        siret: identity.siret,
        sub: identity.sub,
        first: vouched.first,
        idp_id: identity.idp_id,
        acr: identity.acr,
        invited: vouched.invited,
    };
    let lifetime = state.config.limits.proconnect_ticket_seconds;
    let ceremony = Ceremony {
        user_id: Some(vouched.user_id),
        kind: TICKET.to_owned(),
        state: seal(state, TICKET, &id_hash, &ticket)?,
    };
    let mut tx = state.store.begin().await?;
    tx.insert_ceremony(&id_hash, &ceremony, now_ms() + lifetime * 1000)
        .await?;
    tx.commit().await?;
    Ok(see_other(
        "/#/login",
        &[
            cookie(FLOW_COOKIE, "", 0, "Lax"),
            cookie(TICKET_COOKIE, &token, lifetime, "Strict"),
        ],
    ))
}

/// Checks a return from ProConnect down to the Pli account it names.
async fn returned(
    state: &AppState,
    headers: &HeaderMap,
    back: ProConnectReturn,
) -> Result<Result<(Vouched, Identity), ProConnectFailure>, ApiError> {
    let Some(relying) = &state.proconnect else {
        return Ok(Err(ProConnectFailure::Unavailable));
    };
    let Some(sent_state) = back.state else {
        return Ok(Err(ProConnectFailure::StateUnknown));
    };
    let id_hash = secrets::token_hash(&sent_state);
    let mut tx = state.store.begin().await?;
    let taken = tx.take_ceremony_of(FLOW, &id_hash, now_ms()).await?;
    tx.commit().await?;
    let ceremony = match taken {
        Taken::Fresh(ceremony) => ceremony,
        Taken::Expired => return Ok(Err(ProConnectFailure::StateExpired)),
        Taken::Unknown => return Ok(Err(ProConnectFailure::StateUnknown)),
    };
    let flow: Flow = open(state, FLOW, &id_hash, &ceremony.state)?;
    let browser = auth::cookie(headers, FLOW_COOKIE).map(|c| secrets::token_hash(&c));
    if !browser.is_some_and(|b| secrets::same_token(&b, &flow.browser)) {
        return Ok(Err(ProConnectFailure::BrowserMismatch));
    }
    if back.error.is_some() {
        return Ok(Err(ProConnectFailure::ProviderRefused));
    }
    let Some(code) = back.code else {
        return Ok(Err(ProConnectFailure::ProviderRefused));
    };
    let identity = match relying.finish(code, &flow.nonce, flow.verifier).await {
        Ok(identity) => identity,
        Err(failure) => return Ok(Err(failure)),
    };
    account(state, identity).await
}

/// Whom a return vouches for, in Pli's terms.
struct Vouched {
    /// The account (or, invited, the account its link will make).
    user_id: UserId,
    /// Its address.
    email: String,
    /// Not tied to a ProConnect identity yet: the login (or the link) that takes the
    /// ticket ties it.
    first: bool,
    /// A one-time link waits for this account: invited without an account yet, or reset.
    invited: bool,
}

/// The Pli account ProConnect's identity is: the one tied to it; or (the first time) the
/// person's account at that address; or, invited and without an account yet, the one
/// their invitation will make. An account is tied by the login that follows (`first`),
/// once the person has proved their credentials, and an invitee by accepting their link —
/// never by ProConnect's word alone. Either way the organisation must list the
/// establishment ProConnect named. A refusal that names an account goes into its
/// organisation's audit log.
async fn account(
    state: &AppState,
    identity: Identity,
) -> Result<Result<(Vouched, Identity), ProConnectFailure>, ApiError> {
    let tied = state.store.user_by_proconnect_sub(&identity.sub).await?;
    let found = match tied {
        Some(user) => Some((user, false)),
        None => state
            .store
            .user_by_email(&identity.email)
            .await?
            .map(|u| (u, true)),
    };
    let (vouched, org) = match found {
        Some((user, first)) => {
            // A program has no ProConnect identity; a removed account signs in nowhere.
            if user.service || user.status == AccountStatus::Removed {
                return Ok(Err(ProConnectFailure::UnknownAccount));
            }
            if first && state.store.proconnect_sub(&user.id).await?.is_some() {
                let failure = ProConnectFailure::LinkedElsewhere;
                refusal(state, user.org_id, user.id, failure, &identity).await?;
                return Ok(Err(failure));
            }
            // A reset waiting: the person has no password to type, but their link.
            let invited = state.store.reset_waits(&user.id, now_ms()).await?;
            let vouched = Vouched {
                user_id: user.id,
                email: user.email,
                first,
                invited,
            };
            (vouched, user.org_id)
        }
        None => {
            let invitation = state
                .store
                .join_invitation_for(&identity.email, now_ms())
                .await?;
            match invitation.filter(|i| !i.service) {
                Some(invitation) => {
                    let Some(org) = invitation.org_id else {
                        return Ok(Err(ProConnectFailure::UnknownAccount));
                    };
                    let vouched = Vouched {
                        user_id: invitation.user_id,
                        email: invitation.email,
                        first: true,
                        invited: true,
                    };
                    (vouched, org)
                }
                None => return Ok(Err(ProConnectFailure::UnknownAccount)),
            }
        }
    };
    let sirets = state.store.org_proconnect(&org).await?.sirets;
    if !sirets.contains(&identity.siret) {
        let failure = ProConnectFailure::SiretRefused;
        refusal(state, org, vouched.user_id, failure, &identity).await?;
        return Ok(Err(failure));
    }
    Ok(Ok((vouched, identity)))
}

/// Records a refused sign-in that named an account (or an invitation's).
async fn refusal(
    state: &AppState,
    org: OrgId,
    user: UserId,
    failure: ProConnectFailure,
    identity: &Identity,
) -> Result<(), ApiError> {
    let detail = [
        ("reason", failure.as_str().to_owned()),
        ("siret", identity.siret.to_string()),
        ("idp_id", identity.idp_id.clone()),
    ];
    audit(state, org, user, Action::ProConnectRefused, &detail).await
}

/// Writes `action` about `user` in `org`'s audit log, as theirs (the account's own view
/// of the log shows it to them: someone else's ProConnect identity naming their address).
async fn audit(
    state: &AppState,
    org: OrgId,
    user: UserId,
    action: Action,
    detail: &[(&str, String)],
) -> Result<(), ApiError> {
    let mut tx = state.store.begin().await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(org),
        at: now_ms(),
        actor: Some(user),
        action,
        object_id: user.to_string(),
        detail: super::common::detail(detail),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The ticket this browser carries, taken in `tx` (it is used once), with the account
/// it was made for.
async fn take_ticket(
    state: &AppState,
    tx: &mut Tx,
    headers: &HeaderMap,
) -> Result<Option<(Ticket, Option<UserId>)>, ApiError> {
    let Some(token) = auth::cookie(headers, TICKET_COOKIE) else {
        return Ok(None);
    };
    let id_hash = secrets::token_hash(&token);
    let Taken::Fresh(ceremony) = tx.take_ceremony_of(TICKET, &id_hash, now_ms()).await? else {
        return Ok(None);
    };
    let ticket: Ticket = open(state, TICKET, &id_hash, &ceremony.state)?;
    Ok(Some((ticket, ceremony.user_id)))
}

/// A ticket made for another account than the one it is presented for (refused, and
/// spent).
fn mismatch() -> ApiError {
    ApiError::conflict(
        ErrorCode::ProConnectMismatch,
        "the ProConnect sign-in of this browser was for another account",
    )
}

/// The refusal of a person's session where their organisation requires ProConnect and
/// this browser brought no sign-in for them (audited).
async fn required(state: &AppState, org: OrgId, user: UserId) -> Result<ApiError, ApiError> {
    let reason = [("reason", ErrorCode::ProConnectRequired.as_str().to_owned())];
    audit(state, org, user, Action::ProConnectRefused, &reason).await?;
    Ok(ApiError::conflict(
        ErrorCode::ProConnectRequired,
        "this organisation requires signing in with ProConnect first",
    ))
}

/// Whether `user` may open a session now, as far as ProConnect goes: the ticket this
/// browser carries is taken (used once) and its identity token returned for the session
/// to keep; without one, a person of an organisation that requires ProConnect is refused
/// (`proconnect_required`). Called after the credentials are checked, so neither answer
/// tells a guesser anything. Service accounts never need it.
pub(super) async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
) -> Result<Option<Zeroizing<String>>, ApiError> {
    if user.service {
        return Ok(None);
    }
    let mut tx = state.store.begin().await?;
    let taken = take_ticket(state, &mut tx, headers).await?;
    let id_token = match taken {
        Some((ticket, owner)) if owner == Some(user.id) => {
            tie(&mut tx, user.id, user.org_id, &ticket).await?;
            Some(Zeroizing::new(ticket.id_token))
        }
        Some(_) => {
            tx.commit().await?;
            return Err(mismatch());
        }
        None => None,
    };
    tx.commit().await?;
    if id_token.is_none() && state.store.org_proconnect(&user.org_id).await?.required {
        return Err(required(state, user.org_id, user.id).await?);
    }
    Ok(id_token)
}

/// What a one-time link being accepted needs of ProConnect: the link's account, its
/// organisation, whether it is a program's, and (an invitation) the address invited.
pub(super) struct Link<'a> {
    pub(super) user: UserId,
    pub(super) org: OrgId,
    pub(super) service: bool,
    pub(super) invited: Option<&'a str>,
}

/// Whether the one-time `link` may be accepted, as far as ProConnect goes, in the
/// accepting transaction `tx` (so that a failure later keeps the ticket, and the tie is
/// made with the account or not at all): where the organisation requires ProConnect, a
/// person's link is accepted only with this browser's ProConnect sign-in for that account
/// — or, for an invitation, for that address in that organisation's establishments (a
/// later invitation to the same address made the sign-in name its own account). A
/// program's link never needs it. The sign-in, if any, is taken, and the account tied to
/// its identity if it was not: its identity token is returned for the session.
pub(super) async fn admit_link(
    state: &AppState,
    tx: &mut Tx,
    headers: &HeaderMap,
    link: Link<'_>,
) -> Result<Option<Zeroizing<String>>, ApiError> {
    if link.service {
        return Ok(None);
    }
    let policy = state.store.org_proconnect(&link.org).await?;
    match take_ticket(state, tx, headers).await? {
        Some((ticket, owner)) => {
            let invitee = link.invited.is_some_and(|email| {
                ticket.invited && ticket.email == email && policy.sirets.contains(&ticket.siret)
            });
            if owner != Some(link.user) && !invitee {
                return Err(mismatch());
            }
            tie(tx, link.user, link.org, &ticket).await?;
            Ok(Some(Zeroizing::new(ticket.id_token)))
        }
        // Not audited: the accepting transaction is still open (and a refused link is
        // not a login attempt).
        None if policy.required => Err(ApiError::conflict(
            ErrorCode::ProConnectRequired,
            "this organisation requires signing in with ProConnect before accepting a link",
        )),
        None => Ok(None),
    }
}

/// Ties `user` (of `org`) to the ProConnect identity of `ticket`, in `tx`, if they were
/// not yet: at the login that proved their credentials after their first ProConnect
/// sign-in, or the link that made or reset their account. Already tied to it is done;
/// refused if another account took that identity, or this one another, meanwhile.
async fn tie(tx: &mut Tx, user: UserId, org: OrgId, ticket: &Ticket) -> Result<(), ApiError> {
    match tx.proconnect_sub_of(&user).await? {
        Some(sub) if sub == ticket.sub => return Ok(()),
        Some(_) => {
            return Err(ApiError::conflict(
                ErrorCode::ProConnectMismatch,
                "this account is tied to another ProConnect identity",
            ));
        }
        None => {}
    }
    if tx.user_by_proconnect_sub(&ticket.sub).await?.is_some()
        || !tx.link_proconnect(&user, &ticket.sub).await?
    {
        return Err(ApiError::conflict(
            ErrorCode::ProConnectMismatch,
            "this ProConnect identity is tied to another account",
        ));
    }
    tx.audit(AuditEvent {
        chain: Chain::Org(org),
        at: now_ms(),
        actor: Some(user),
        action: Action::ProConnectLinked,
        object_id: user.to_string(),
        detail: super::common::detail(&[
            ("sub", ticket.sub.clone()),
            ("siret", ticket.siret.to_string()),
            ("idp_id", ticket.idp_id.clone()),
            ("acr", ticket.acr.clone()),
        ]),
    })
    .await?;
    Ok(())
}

/// `Set-Cookie` that removes the ticket (after a login took it).
pub(super) fn clear_ticket() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-pli_proconnect=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

/// Seals a session's ProConnect identity token for the sessions table.
pub(super) fn seal_for_session(
    state: &AppState,
    token_hash: &str,
    id_token: &str,
) -> Result<Vec<u8>, ApiError> {
    state.server_key.seal(
        format!("proconnect-session|{token_hash}").as_bytes(),
        id_token.as_bytes(),
    )
}

/// Where the browser goes after logging out of a session that began with ProConnect: its
/// end-session URL. Best effort: none if the relay cannot say it (ProConnect unreachable,
/// a server key changed since), and the Pli session ends all the same.
pub(super) async fn logout_url(state: &AppState, token_hash: &str) -> Option<String> {
    let relying = state.proconnect.as_ref()?;
    let sealed = match state.store.session_proconnect(token_hash).await {
        Ok(sealed) => sealed?,
        Err(error) => {
            tracing::warn!(%error, "a ProConnect session's token could not be read at logout");
            return None;
        }
    };
    let context = format!("proconnect-session|{token_hash}");
    let Ok(id_token) = state.server_key.open(context.as_bytes(), &sealed) else {
        tracing::warn!("a ProConnect session's token could not be opened at logout");
        return None;
    };
    let id_token = std::str::from_utf8(&id_token).ok()?;
    relying.logout_url(id_token).await
}
