//! Passkeys (WebAuthn, through `webauthn-rs`): adding one to an account, listing and
//! removing them, and logging in with one.
//!
//! The relay runs the ceremonies and keeps each passkey's public key and counter; it
//! also keeps what the passkey unlocks, sealed in the browser under a key derived from
//! the passkey's PRF output, which the relay never sees (the browser drops the client
//! extension results before sending an answer). A login with a passkey opens a session
//! like a password and a code (a passkey's user verification is a second factor in
//! itself) and answers that sealed value; the browser opens it with the PRF output the
//! same assertion gave it.
//!
//! Ceremonies live in the database (any replica finishes what another began), each used
//! once, for [`CEREMONY_MS`]. A login asked for an address without passkeys (or unknown)
//! gets options naming fake credentials derived from the address and the relay's pepper,
//! stable from one ask to the next, so that the answer does not say which addresses have
//! passkeys (`webauthn-rs`'s fake credential generator).

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pli_api::endpoints as ep;
use pli_api::messages::{
    PasskeyCeremony, PasskeyInfo, PasskeyLoginBegin, PasskeyLoginRequest, PasskeyLoginResponse,
    PasskeyRegistration,
};
use pli_api::{Base64, ErrorCode};
use webauthn_rs::Webauthn;
use webauthn_rs::fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration as RegistrationState, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid,
};

use super::accounts::{
    audit_login, failed_attempt, notify_credentials_changed, open_session, release_attempt,
    reserve_attempt, throttle_keys,
};
use super::{ClientAddr, Found, Json};
use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::auth::{self, Auth, secrets};
use crate::error::ApiError;
use crate::now_ms;
use crate::store::passkeys::{Ceremony, StoredPasskey};
use crate::store::users::AccountStatus;

/// How long a ceremony may take (WebAuthn's recommended timeout).
pub(crate) const CEREMONY_MS: u64 = 300_000;

/// The most a sealed unlock may weigh (it holds two keys, an id and a root: ~200 bytes).
const MAX_SEALED: usize = 2048;

/// The most an authenticator's answer may weigh, as JSON text.
const MAX_CREDENTIAL_JSON: usize = 64 * 1024;

/// Logins begun from one address (an IPv6 /64) per login window, at most: each leaves a
/// ceremony in the database for five minutes.
const BEGINS_PER_ADDRESS: u64 = 60;

/// Ceremonies under way at most, all addresses together: past it, `busy`.
const LIVE_CEREMONIES: u64 = 10_000;

const REGISTER: &str = "register";
const LOGIN: &str = "login";
/// What [`admit_begin`] counts for passkeys: the name, the kinds, the limit per address.
const PASSKEY_BEGINS: (&str, &[&str], u64) = ("passkey", &[REGISTER, LOGIN], BEGINS_PER_ADDRESS);

/// The relying party for a relay served at `public_url`: its host is the RP id. None if
/// the host is not a domain name (browsers refuse passkeys on an IP address).
pub(crate) fn relying_party(public_url: &str) -> anyhow::Result<Option<Webauthn>> {
    let url = Url::parse(public_url)?;
    let Some(domain) = url.domain().map(str::to_owned) else {
        return Ok(None);
    };
    let webauthn = webauthn_rs::WebauthnBuilder::new(&domain, &url)
        .and_then(|builder| builder.rp_name("Pli").build())
        .map_err(|e| anyhow::anyhow!("passkeys cannot be set up for {public_url}: {e}"))?;
    Ok(Some(webauthn))
}

fn relying(state: &AppState) -> Result<&Webauthn, ApiError> {
    state.webauthn.as_deref().ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::PasskeyUnavailable,
            "passkeys need the relay to be reached by a domain name",
        )
    })
}

fn invalid(what: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(ErrorCode::PasskeyInvalid, format!("the passkey {what}"))
}

fn user_handle(user: &pli_api::UserId) -> Uuid {
    Uuid::from_bytes(*user.as_bytes())
}

fn info(passkey: &StoredPasskey) -> PasskeyInfo {
    PasskeyInfo {
        id: passkey.id.clone(),
        device: passkey.device.clone(),
        created_at: passkey.created_at,
        last_used_at: passkey.last_used_at,
    }
}

/// Records a ceremony for its state; answers the id the browser finishes it with.
async fn begin(
    state: &AppState,
    user: Option<pli_api::UserId>,
    kind: &str,
    ceremony_state: String,
    options: String,
) -> Result<PasskeyCeremony, ApiError> {
    let (id, id_hash) = secrets::new_token()?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.delete_stale_ceremonies(now).await?;
    tx.insert_ceremony(
        &id_hash,
        &Ceremony {
            user_id: user,
            kind: kind.to_owned(),
            state: ceremony_state,
        },
        now + CEREMONY_MS,
    )
    .await?;
    tx.commit().await?;
    Ok(PasskeyCeremony {
        ceremony: id,
        options,
    })
}

/// Takes the ceremony `id` out, if it is still valid and of `kind`.
async fn finish(state: &AppState, id: &str, kind: &str) -> Result<Ceremony, ApiError> {
    let mut tx = state.store.begin().await?;
    let taken = tx
        .take_ceremony_of(kind, &secrets::token_hash(id), now_ms())
        .await?;
    tx.commit().await?;
    match taken {
        crate::store::proconnect::Taken::Fresh(ceremony) => Ok(ceremony),
        _ => Err(invalid("ceremony is unknown, used or expired: begin again")),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

fn parse_answer<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ApiError> {
    if json.len() > MAX_CREDENTIAL_JSON {
        return Err(invalid("answer is too long"));
    }
    serde_json::from_str(json).map_err(|e| invalid(format_args!("answer is malformed: {e}")))
}

pub(super) async fn register_begin(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<PasskeyCeremony>, ApiError> {
    // As for a first TOTP enrolment: a stolen session must not add the thief's passkey.
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    auth.require_person()?;
    let webauthn = relying(&state)?;
    let existing = state.store.passkeys(&auth.user.id).await?;
    let exclude = existing
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.credential).ok())
        .map(|p| p.cred_id().clone())
        .collect();
    let (challenge, registration) = webauthn
        .start_passkey_registration(
            user_handle(&auth.user.id),
            &auth.user.email,
            &auth.user.display_name,
            Some(exclude),
        )
        .map_err(ApiError::internal)?;
    let ceremony = begin(
        &state,
        Some(auth.user.id),
        REGISTER,
        to_json(&registration)?,
        to_json(&challenge.public_key)?,
    )
    .await?;
    Ok(Json(ceremony))
}

pub(super) async fn register(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Json(request): Json<PasskeyRegistration>,
) -> Result<Json<PasskeyInfo>, ApiError> {
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let webauthn = relying(&state)?;
    let ceremony = finish(&state, &request.ceremony, REGISTER).await?;
    if ceremony.user_id != Some(auth.user.id) {
        return Err(invalid("ceremony is not this account's"));
    }
    if request.sealed_unlock.0.is_empty() || request.sealed_unlock.0.len() > MAX_SEALED {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "sealed_unlock is empty or too long",
        ));
    }
    let registration: RegistrationState =
        serde_json::from_str(&ceremony.state).map_err(ApiError::internal)?;
    let answer: RegisterPublicKeyCredential = parse_answer(&request.credential)?;
    let passkey = webauthn
        .finish_passkey_registration(&answer, &registration)
        .map_err(|e| invalid(format_args!("does not verify: {e}")))?;
    let now = now_ms();
    let stored = StoredPasskey {
        id: secrets::random::<9>().map(|b| URL_SAFE_NO_PAD.encode(b))?,
        user_id: auth.user.id,
        credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id()),
        credential: to_json(&passkey)?,
        sealed_unlock: request.sealed_unlock.0,
        device: super::sessions::device(&headers),
        created_at: now,
        last_used_at: None,
    };
    let mut tx = state.store.begin().await?;
    if state
        .store
        .passkeys(&auth.user.id)
        .await?
        .iter()
        .any(|p| p.credential_id == stored.credential_id)
    {
        return Err(ApiError::conflict(
            ErrorCode::AlreadyExists,
            "this passkey is already on the account",
        ));
    }
    tx.insert_passkey(&stored).await?;
    tx.audit(AuditEvent {
        chain: Chain::Org(auth.user.org_id),
        at: now,
        actor: Some(auth.user.id),
        action: Action::PasskeyAdded,
        object_id: auth.user.id.to_string(),
        detail: serde_json::json!({ "passkey": stored.id }).to_string(),
    })
    .await?;
    tx.commit().await?;
    notify_credentials_changed(&state, &auth.user);
    Ok(Json(info(&stored)))
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<PasskeyInfo>>, ApiError> {
    let passkeys = state.store.passkeys(&auth.user.id).await?;
    Ok(Json(passkeys.iter().map(info).collect()))
}

pub(super) async fn remove(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::RemovePasskey { id }): Found<ep::RemovePasskey>,
) -> Result<StatusCode, ApiError> {
    auth.require_recent_reauth(state.config.limits.reauth_minutes)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    if !tx.delete_passkey(&auth.user.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    tx.audit(AuditEvent {
        chain: Chain::Org(auth.user.org_id),
        at: now,
        actor: Some(auth.user.id),
        action: Action::PasskeyRemoved,
        object_id: auth.user.id.to_string(),
        detail: serde_json::json!({ "passkey": id }).to_string(),
    })
    .await?;
    tx.commit().await?;
    notify_credentials_changed(&state, &auth.user);
    Ok(StatusCode::NO_CONTENT)
}

/// The options of a login no passkey can finish, shaped as a real one: fake credential
/// ids derived from the address (stable), a fresh challenge.
fn decoy_options(state: &AppState, email: &str) -> Result<String, ApiError> {
    let generator =
        WebauthnFakeCredentialGenerator::<FakePasskeyDistribution>::new(&state.kdf_pepper)
            .map_err(ApiError::internal)?;
    let ids = generator
        .generate(email.as_bytes())
        .map_err(ApiError::internal)?;
    let options = webauthn_rs_proto::PublicKeyCredentialRequestOptions {
        challenge: secrets::random::<32>()?.to_vec(),
        timeout: Some(u32::try_from(CEREMONY_MS).unwrap_or(u32::MAX)),
        rp_id: Url::parse(&state.config.public_url)
            .ok()
            .and_then(|url| url.domain().map(str::to_owned))
            .unwrap_or_default(),
        allow_credentials: ids.into_iter().map(allowed).collect(),
        user_verification: webauthn_rs_proto::UserVerificationPolicy::Required,
        hints: None,
        extensions: None,
    };
    to_json(&options)
}

fn allowed(id: webauthn_rs::prelude::CredentialID) -> webauthn_rs_proto::AllowCredentials {
    webauthn_rs_proto::AllowCredentials {
        type_: "public-key".to_owned(),
        id,
        // Not said for real passkeys either: the answer's shape must not tell them apart.
        transports: None,
    }
}

/// Bounds what anonymous callers can leave in the database: `per_address` begins of
/// `what` per address and window ([`BEGINS_PER_ADDRESS`] for passkeys), and
/// [`LIVE_CEREMONIES`] of `kinds` under way in all.
pub(super) async fn admit_begin(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    (what, kinds, per_address): (&str, &[&str], u64),
) -> Result<(), ApiError> {
    let ip = auth::client_ip(state, headers, peer)
        .map_or_else(|| "unknown".to_owned(), auth::address::throttled_prefix);
    let window = state.config.limits.login_window_minutes * 60_000;
    let now = now_ms();
    let (begun, since) = state
        .store
        .reserve_login_attempt(
            &format!("{what}-begin|ip:{ip}"),
            now,
            now.saturating_sub(window),
        )
        .await?;
    if begun > per_address {
        let wait_ms = since.saturating_add(window).saturating_sub(now);
        return Err(ApiError::RateLimited(wait_ms.div_ceil(1000).max(1)));
    }
    if state.store.live_ceremonies(kinds, now).await? >= LIVE_CEREMONIES {
        return Err(ApiError::Busy);
    }
    Ok(())
}

pub(super) async fn login_begin(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Json(request): Json<PasskeyLoginBegin>,
) -> Result<Json<PasskeyCeremony>, ApiError> {
    let webauthn = relying(&state)?;
    admit_begin(&state, &headers, peer, PASSKEY_BEGINS).await?;
    let email = request.email.trim().to_lowercase();
    let user = state
        .store
        .user_by_email(&email)
        .await?
        .filter(|u| u.status != AccountStatus::Removed);
    let passkeys: Vec<Passkey> = match &user {
        Some(user) => state
            .store
            .passkeys(&user.id)
            .await?
            .iter()
            .filter_map(|p| serde_json::from_str(&p.credential).ok())
            .collect(),
        None => Vec::new(),
    };
    let ceremony = match user.filter(|_| !passkeys.is_empty()) {
        Some(user) => {
            let (mut challenge, authentication) = webauthn
                .start_passkey_authentication(&passkeys)
                .map_err(ApiError::internal)?;
            for allowed in &mut challenge.public_key.allow_credentials {
                allowed.transports = None;
            }
            begin(
                &state,
                Some(user.id),
                LOGIN,
                to_json(&authentication)?,
                to_json(&challenge.public_key)?,
            )
            .await?
        }
        None => {
            let options = decoy_options(&state, &email)?;
            begin(&state, None, LOGIN, String::new(), options).await?
        }
    };
    Ok(Json(ceremony))
}

pub(super) async fn login(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Json(request): Json<PasskeyLoginRequest>,
) -> Result<Response, ApiError> {
    let webauthn = relying(&state)?;
    let ceremony = finish(&state, &request.ceremony, LOGIN).await?;
    let user = match ceremony.user_id {
        Some(id) => state.store.user(&id).await?,
        None => None,
    };
    let email = user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    let keys = throttle_keys(&email, auth::client_ip(&state, &headers, peer));
    let windows = reserve_attempt(&state, &keys).await?;
    let verified = match (&user, ceremony.state.is_empty()) {
        (Some(user), false) if user.status != AccountStatus::Removed => {
            verify_assertion(&state, webauthn, user, &ceremony.state, &request.credential).await
        }
        _ => Err(invalid("does not belong to this account")),
    };
    let (user, passkey) = match (user, verified) {
        (Some(user), Ok(passkey)) => (user, passkey),
        (user, Err(_)) => {
            return Err(
                failed_attempt(&state, &windows, user.as_ref(), ErrorCode::PasskeyInvalid).await?,
            );
        }
        (None, Ok(_)) => return Err(invalid("does not belong to this account")),
    };
    release_attempt(&state, &keys, &windows).await?;
    state.store.clear_login_failures(&keys.0).await?;
    let proconnect = super::proconnect::admit(&state, &headers, &user).await?;
    let detail = match proconnect {
        Some(_) => serde_json::json!({ "passkey": passkey.id, "proconnect": "true" }),
        None => serde_json::json!({ "passkey": passkey.id }),
    };
    audit_login(&state, &user, detail.to_string()).await?;
    let (login, cookie) = open_session(
        &state,
        &user,
        request.bearer,
        &headers,
        proconnect.as_deref().map(String::as_str),
    )
    .await?;
    let body = PasskeyLoginResponse {
        login,
        credential_id: passkey.credential_id,
        sealed_unlock: Base64(passkey.sealed_unlock),
    };
    Ok(super::accounts::signed_in(
        body,
        cookie,
        proconnect.is_some(),
    ))
}

/// Verifies the assertion against the ceremony and the account's passkey that made it;
/// records the passkey's new counter and use.
async fn verify_assertion(
    state: &AppState,
    webauthn: &Webauthn,
    user: &crate::store::users::User,
    ceremony_state: &str,
    answer: &str,
) -> Result<StoredPasskey, ApiError> {
    let authentication: PasskeyAuthentication =
        serde_json::from_str(ceremony_state).map_err(ApiError::internal)?;
    let answer: PublicKeyCredential = parse_answer(answer)?;
    let result = webauthn
        .finish_passkey_authentication(&answer, &authentication)
        .map_err(|e| invalid(format_args!("does not verify: {e}")))?;
    let credential_id = URL_SAFE_NO_PAD.encode(result.cred_id());
    let mut stored = state
        .store
        .passkeys(&user.id)
        .await?
        .into_iter()
        .find(|p| p.credential_id == credential_id)
        .ok_or_else(|| invalid("is not this account's"))?;
    let mut passkey: Passkey =
        serde_json::from_str(&stored.credential).map_err(ApiError::internal)?;
    passkey.update_credential(&result);
    stored.credential = to_json(&passkey)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.passkey_used(&stored.id, &stored.credential, now).await?;
    tx.commit().await?;
    stored.last_used_at = Some(now);
    Ok(stored)
}
