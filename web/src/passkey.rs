//! The page's side of passkeys: `navigator.credentials` (which workers do not have),
//! with the PRF extension evaluated on Pli's input. The answers and the PRF output go to
//! the worker, which strips the answers of their extension results before the relay sees
//! them and derives the key that seals (or opens) what the passkey unlocks.
//!
//! The relay's options are WebAuthn's JSON form, read with
//! `PublicKeyCredential.parseCreationOptionsFromJSON` / `…RequestOptionsFromJSON`, and
//! answers are sent as `toJSON()` gives them (Chromium 129, Firefox 119, Safari 18).
//! A browser without them, or an authenticator without PRF, is told apart by name
//! (`passkey_unsupported`): such a passkey could log in but not unlock keys, so it is
//! not added.

use js_sys::{Array, Function, JSON, Object, Reflect, Uint8Array};
use pli_api::ErrorCode;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::protocol::WorkerError;

/// What a passkey ceremony gave: the answer for the relay (`toJSON()`, as JSON text), the
/// credential's raw id, and its PRF output on Pli's input.
pub struct Answer {
    /// `PublicKeyCredential.toJSON()`, stringified.
    pub json: String,
    /// `rawId`.
    pub credential_id: Vec<u8>,
    /// `getClientExtensionResults().prf.results.first`.
    pub prf: Vec<u8>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer").finish_non_exhaustive()
    }
}

fn unsupported(what: &str) -> WorkerError {
    WorkerError::new(ErrorCode::PasskeyUnsupported, what)
}

/// A WebAuthn failure as the person is told of it: cancelled (or timed out: browsers do
/// not tell them apart), else not possible here.
fn failed(error: JsValue) -> WorkerError {
    let name = Reflect::get(&error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let message = Reflect::get(&error, &"message".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "AbortError" => {
            WorkerError::new(ErrorCode::Cancelled, format!("{name}: {message}"))
        }
        "InvalidStateError" => WorkerError::new(
            ErrorCode::AlreadyExists,
            format!("this authenticator already holds a passkey for this account: {message}"),
        ),
        _ => unsupported(&format!("{name}: {message}")),
    }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: &JsValue) -> Result<(), WorkerError> {
    Reflect::set(target, &key.into(), value)
        .map(|_| ())
        .map_err(|_| unsupported("cannot build the passkey options"))
}

/// `PublicKeyCredential[parser](JSON.parse(options))`.
fn parse_options(options: &str, parser: &str) -> Result<JsValue, WorkerError> {
    let window = web_sys::window().ok_or_else(|| unsupported("no window"))?;
    let class = get(&window, "PublicKeyCredential");
    let parse = get(&class, parser)
        .dyn_into::<Function>()
        .map_err(|_| unsupported("this browser has no WebAuthn JSON support"))?;
    let json = JSON::parse(options).map_err(|_| unsupported("the relay's options are not JSON"))?;
    parse
        .call1(&class, &json)
        .map_err(|e| unsupported(&format!("the relay's options: {e:?}")))
}

/// `{ prf: { eval: { first: <Pli's input> } } }` merged into the options' extensions.
fn with_prf(options: &JsValue) -> Result<(), WorkerError> {
    let extensions = match get(options, "extensions") {
        value if value.is_object() => value,
        _ => Object::new().into(),
    };
    let first = Uint8Array::from(pli_crypto::passkey::prf_input().as_slice());
    let eval = Object::new();
    set(&eval, "first", &first)?;
    let prf = Object::new();
    set(&prf, "eval", &eval)?;
    set(&extensions, "prf", &prf)?;
    set(options, "extensions", &extensions)
}

fn credentials() -> Result<JsValue, WorkerError> {
    let window = web_sys::window().ok_or_else(|| unsupported("no window"))?;
    let credentials = get(&window.navigator(), "credentials");
    if credentials.is_undefined() {
        return Err(unsupported(
            "no navigator.credentials (not a secure context?)",
        ));
    }
    Ok(credentials)
}

/// `navigator.credentials[method]({ publicKey: options })`.
async fn ceremony(method: &str, options: &JsValue) -> Result<JsValue, WorkerError> {
    let credentials = credentials()?;
    let call = get(&credentials, method)
        .dyn_into::<Function>()
        .map_err(|_| unsupported("no WebAuthn"))?;
    let request = Object::new();
    set(&request, "publicKey", options)?;
    let promise = call
        .call1(&credentials, &request)
        .map_err(failed)?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| unsupported("WebAuthn did not answer a promise"))?;
    let credential = JsFuture::from(promise).await.map_err(failed)?;
    if credential.is_null() || credential.is_undefined() {
        return Err(WorkerError::new(ErrorCode::Cancelled, "no passkey chosen"));
    }
    Ok(credential)
}

fn bytes(value: &JsValue) -> Option<Vec<u8>> {
    if value.is_undefined() || value.is_null() {
        return None;
    }
    Some(Uint8Array::new(value).to_vec())
}

/// The PRF output in a credential's client extension results, if the authenticator gave
/// one; whether it has the extension at all.
fn prf_of(credential: &JsValue) -> Result<(bool, Option<Vec<u8>>), WorkerError> {
    let results = get(credential, "getClientExtensionResults")
        .dyn_into::<Function>()
        .map_err(|_| unsupported("no client extension results"))?
        .call0(credential)
        .map_err(failed)?;
    let prf = get(&results, "prf");
    let enabled = get(&prf, "enabled").as_bool().unwrap_or(false);
    let first = bytes(&get(&get(&prf, "results"), "first"));
    Ok((enabled || first.is_some(), first))
}

fn to_json(credential: &JsValue) -> Result<String, WorkerError> {
    let json = get(credential, "toJSON")
        .dyn_into::<Function>()
        .map_err(|_| unsupported("this browser cannot write a passkey's answer as JSON"))?
        .call0(credential)
        .map_err(failed)?;
    JSON::stringify(&json)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| unsupported("the passkey's answer"))
}

fn raw_id(credential: &JsValue) -> Result<Vec<u8>, WorkerError> {
    bytes(&get(credential, "rawId")).ok_or_else(|| unsupported("the passkey has no id"))
}

/// Creates a passkey with the relay's creation options, and evaluates its PRF (at
/// creation where the authenticator can, else by one assertion right after, made
/// locally: the relay does not need to see it).
pub async fn create(options: &str) -> Result<Answer, WorkerError> {
    let options = parse_options(options, "parseCreationOptionsFromJSON")?;
    with_prf(&options)?;
    let credential = ceremony("create", &options).await?;
    let (enabled, first) = prf_of(&credential)?;
    if !enabled {
        return Err(unsupported("the authenticator has no PRF extension"));
    }
    let credential_id = raw_id(&credential)?;
    let json = to_json(&credential)?;
    let prf = match first {
        Some(prf) => prf,
        None => evaluate(&options, &credential_id).await?,
    };
    Ok(Answer {
        json,
        credential_id,
        prf,
    })
}

/// The PRF output of a passkey just created, by an assertion with a local challenge.
async fn evaluate(creation: &JsValue, credential_id: &[u8]) -> Result<Vec<u8>, WorkerError> {
    let mut challenge = [0u8; 32];
    getrandom::fill(&mut challenge).map_err(|_| unsupported("no random numbers"))?;
    let request = Object::new();
    set(
        &request,
        "challenge",
        &Uint8Array::from(challenge.as_slice()),
    )?;
    let rp_id = get(&get(creation, "rp"), "id");
    if !rp_id.is_undefined() {
        set(&request, "rpId", &rp_id)?;
    }
    let allowed = Object::new();
    set(&allowed, "type", &"public-key".into())?;
    set(&allowed, "id", &Uint8Array::from(credential_id))?;
    set(&request, "allowCredentials", &Array::of1(&allowed))?;
    set(&request, "userVerification", &"required".into())?;
    with_prf(&request)?;
    let assertion = ceremony("get", &request).await?;
    prf_of(&assertion)?
        .1
        .ok_or_else(|| unsupported("the authenticator gave no PRF output"))
}

/// Signs the relay's login challenge with a passkey, with its PRF output.
pub async fn assert(options: &str) -> Result<Answer, WorkerError> {
    let options = parse_options(options, "parseRequestOptionsFromJSON")?;
    with_prf(&options)?;
    let credential = ceremony("get", &options).await?;
    let prf = prf_of(&credential)?
        .1
        .ok_or_else(|| unsupported("the authenticator gave no PRF output"))?;
    Ok(Answer {
        json: to_json(&credential)?,
        credential_id: raw_id(&credential)?,
        prf,
    })
}
