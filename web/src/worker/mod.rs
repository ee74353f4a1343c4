//! The Web Worker: holds the session (and so the unlocked keys) in its memory, serves the
//! page's requests through `pli-client`, streams decrypted files back with flow control.
//!
//! This module holds the worker's state (the one session, the exchanges it opened, the
//! downloads' windows), starts it, reads the page's messages and dispatches each request;
//! what takes more than a call to `pli-client` is answered by area: `auth` (sessions and
//! keys), `send` (recipients, sends and resumes, cancellation), `receive` (opening and
//! acknowledging), `download` (files sent back under flow control), `admin`
//! (organisations, key rotation and history, audit); `io` reads the files picked.

use pli_api::ErrorCode;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use pli_api::endpoints as ep;
use pli_api::messages::TokenRequest;
use pli_api::{ExchangeId, UserId};
use pli_client::protocol::Mailbox;
use pli_client::{Client, Progress, Received, Session};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{Call, Phase, ProgressReport, Request, WorkerError};

mod admin;
mod auth;
mod download;
mod io;
mod keystore;
mod lock;
pub mod pool;
mod receive;
mod root;
mod send;

use download::{Window, acknowledge_bytes, stop_download};
use send::{cancel, plan_bytes, plan_stored};

/// What the worker keeps between requests.
struct State {
    client: Client,
    /// The one session: requests share it (`Rc`), so that each sees what the others
    /// recorded (the key generations seen); those that change the account apply their
    /// change to it when they end (see [`update_session`]).
    session: Option<Rc<Session>>,
    opened: HashMap<ExchangeId, Received>,
    /// Flow control of downloads in progress: bytes the page has not acknowledged yet.
    windows: HashMap<u32, Rc<RefCell<Window>>>,
    /// The size of the directory's log last kept in this browser for the session.
    kept_log: u64,
    /// Whose session the relay said had ended, until someone logs in: the keys are
    /// forgotten at once, the exchanges they opened wait for them (and them only).
    ended: Option<UserId>,
}

/// The size of the directory's log last kept for the session (0: none yet).
fn kept_log_size() -> u64 {
    with_state(|s| s.kept_log).unwrap_or(0)
}

fn set_kept_log_size(size: u64) {
    let _ = with_state(|s| s.kept_log = size);
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> Result<T, WorkerError> {
    STATE
        .with(|state| state.borrow_mut().as_mut().map(f))
        .ok_or_else(|| WorkerError::new(ErrorCode::Internal, "worker not started"))
}

/// The session, for one request. After the relay ended it, requests are told so (as the
/// relay would tell them) until someone logs in again.
fn session() -> Result<Rc<Session>, WorkerError> {
    with_state(|s| match (&s.session, &s.ended) {
        (Some(session), _) => Ok(Rc::clone(session)),
        (None, Some(_)) => Err(WorkerError::new(
            ErrorCode::Unauthenticated,
            "the session ended: log in again",
        )),
        (None, None) => Err(WorkerError::new(ErrorCode::Locked, "no unlocked session")),
    })?
}

/// Applies `change` to the session, if it is still `user`'s (they did not log out, nor
/// someone else log in, meanwhile). Requests in flight keep the session they started
/// with; the next ones see the change.
fn update_session(user: UserId, change: impl FnOnce(&mut Session)) -> Result<(), WorkerError> {
    with_state(|s| {
        if let Some(session) = s.session.as_mut()
            && session.me.user_id == user
        {
            change(Rc::make_mut(session));
        }
    })
}

/// Reads the account again (and the organisation keys it holds) and takes it in.
async fn refresh(session: &Session) -> Result<pli_api::messages::Me, WorkerError> {
    let account = session.fetch_account().await?;
    let me = account.me.clone();
    update_session(session.me.user_id, |s| s.set_account(account))?;
    Ok(me)
}

/// The relay says the session ended (logged out elsewhere, timed out, access removed):
/// the unlocked keys go at once, not at the next log-in.
fn session_ended() {
    let _ = with_state(|s| {
        if let Some(old) = s.session.take() {
            s.ended = Some(old.me.user_id);
        }
    });
}

fn set_session(session: Option<Session>) -> Result<(), WorkerError> {
    with_state(|s| {
        // The same person logging in again (their session had ended) keeps the exchanges
        // they opened: the page still shows them, with their "Enregistrer" buttons.
        let previous = s
            .session
            .as_ref()
            .map(|old| old.me.user_id)
            .or(s.ended.take());
        let same = matches!((previous, &session), (Some(old), Some(new)) if old == new.me.user_id);
        if !same {
            s.opened.clear();
        }
        s.session = session.map(Rc::new);
    })
}

/// Installs the message handler.
pub fn start() {
    let origin = scope().location().origin();
    STATE.with(|state| {
        *state.borrow_mut() = Some(State {
            client: Client::new(&origin),
            session: None,
            opened: HashMap::new(),
            windows: HashMap::new(),
            kept_log: 0,
            ended: None,
        });
    });
    // A send's chunks are sealed, and a download's opened, by a pool of helpers, one per
    // core (`pool.rs`).
    pli_client::use_pool(Rc::new(pool::Pool::new()));
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        let id = Reflect::get(&data, &"id".into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0) as u32;
        let kind = Reflect::get(&data, &"kind".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let json = Reflect::get(&data, &"data".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| "null".into());
        let files: Vec<web_sys::File> = Reflect::get(&data, &"files".into())
            .ok()
            .filter(|v| v.is_object())
            .map(|v| {
                Array::from(&v)
                    .iter()
                    .filter_map(|f| f.dyn_into().ok())
                    .collect()
            })
            .unwrap_or_default();
        let destination = download::Destination::of_message(&data);
        match kind.as_str() {
            "ack" => return acknowledge_bytes(id, &json),
            "stop_download" => return stop_download(id),
            "cancel" => return cancel(id),
            "plan_stored" => return plan_stored(id),
            "plan_current" => return send::plan_current(id, &json),
            _ => {}
        }
        wasm_bindgen_futures::spawn_local(async move {
            let result = match serde_json::from_str::<Request>(&json) {
                Ok(request) => {
                    let ends_session = request.ends_session_on_unauthenticated();
                    let result = handle(id, request, files, destination).await;
                    if ends_session
                        && result
                            .as_ref()
                            .is_err_and(|e| e.code == ErrorCode::Unauthenticated)
                    {
                        session_ended();
                    }
                    result
                }
                Err(e) => Err(WorkerError::new(ErrorCode::BadRequest, e.to_string())),
            };
            match result {
                Ok(json) => post(id, "ok", Some(&json), None),
                Err(error) => post(
                    id,
                    "err",
                    Some(&serde_json::to_string(&error).unwrap_or_default()),
                    None,
                ),
            }
            // The request may have verified more of the directory's log (a log-in always
            // does): keep it, once the answer is on its way.
            if let Ok(session) = session() {
                auth::keep_log(&session).await;
            }
        });
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(0, "ready", None, None);
}

/// Posts an answer to the page; `bytes` is transferred, not copied.
fn post(id: u32, kind: &str, data: Option<&str>, bytes: Option<&js_sys::ArrayBuffer>) {
    let message = Object::new();
    let _ = Reflect::set(&message, &"id".into(), &JsValue::from(id));
    let _ = Reflect::set(&message, &"kind".into(), &JsValue::from_str(kind));
    if let Some(data) = data {
        let _ = Reflect::set(&message, &"data".into(), &JsValue::from_str(data));
    }
    let transfer = Array::new();
    if let Some(bytes) = bytes {
        let _ = Reflect::set(&message, &"bytes".into(), bytes);
        transfer.push(bytes);
    }
    let _ = scope().post_message_with_transfer(&message, &transfer);
}

fn progress(id: u32, report: ProgressReport) {
    post(
        id,
        "progress",
        Some(&serde_json::to_string(&report).unwrap_or_default()),
        None,
    );
}

/// The answer to `_request`, of the type its [`Call`] says.
fn answer<C: Call>(_request: &C, value: &C::Response) -> Result<String, WorkerError> {
    serde_json::to_string(value).map_err(|e| WorkerError::new(ErrorCode::Internal, e.to_string()))
}

async fn handle(
    id: u32,
    request: Request,
    files: Vec<web_sys::File>,
    destination: download::Destination,
) -> Result<String, WorkerError> {
    let client = with_state(|s| s.client.clone())?;
    match request {
        Request::Probe(r) => answer(&r, &client.fetch(&ep::GetMe {}).await?),
        Request::Status(r) => {
            let me = with_state(|s| s.session.as_ref().map(|s| s.me.clone()))?;
            answer(&r, &me)
        }
        Request::LookupSetup(r) => {
            let token = TokenRequest {
                token: r.token.clone(),
            };
            answer(&r, &client.call(&ep::SetupLookup {}, &token).await?)
        }
        Request::LogPolicyPreview(r) => answer(&r, &auth::log_policy(&client).await?),
        Request::LookupInvitation(r) => {
            let token = TokenRequest {
                token: r.token.clone(),
            };
            answer(&r, &client.call(&ep::InvitationLookup {}, &token).await?)
        }
        Request::ProConnectStatus(r) => answer(&r, &client.fetch(&ep::ProConnectInfo {}).await?),
        Request::Setup(r) => auth::setup(&client, r).await,
        Request::Accept(r) => auth::accept(&client, r).await,
        Request::Login(r) => auth::login(&client, r).await,
        Request::Unlock(r) => auth::unlock(&client, r).await,
        Request::Logout(r) => auth::logout(r).await,
        Request::Refresh(r) => answer(&r, &refresh(&*session()?).await?),
        Request::Fingerprints(r) => auth::fingerprints(r),
        Request::Kit(r) => auth::kit(r, scope().location().origin()),
        Request::TotpSetup(r) => answer(&r, &session()?.totp_setup().await?),
        Request::TotpConfirm(r) => {
            let session = session()?;
            session.totp_confirm(&r.code).await?;
            answer(&r, &refresh(&session).await?)
        }
        Request::TotpDisable(r) => {
            let session = session()?;
            session.reauth(&r.password, Some(&r.totp)).await?;
            session.totp_disable().await?;
            answer(&r, &refresh(&session).await?)
        }
        Request::Reauth(r) => {
            session()?.reauth(&r.password, r.totp.as_deref()).await?;
            answer(&r, &())
        }
        Request::ChangePassword(r) => auth::change_password(r).await,
        Request::MySessions(r) => answer(&r, &session()?.sessions().await?),
        Request::EndSession(r) => {
            session()?.end_session(&r.id).await?;
            answer(&r, &())
        }
        Request::PasskeyBegin(r) => answer(&r, &session()?.passkey_begin().await?),
        Request::PasskeyAdd(r) => {
            let added = session()?
                .passkey_add(&r.ceremony, &r.answer, &r.credential_id, &r.prf)
                .await?;
            answer(&r, &added)
        }
        Request::MyPasskeys(r) => answer(&r, &session()?.passkeys().await?),
        Request::RemovePasskey(r) => {
            session()?.remove_passkey(&r.id).await?;
            answer(&r, &())
        }
        Request::PasskeyLoginBegin(r) => {
            answer(&r, &Session::passkey_login_begin(&client, &r.email).await?)
        }
        Request::PasskeyLogin(r) => auth::passkey_login(&client, r).await,
        Request::RootStatus(r) => root::status(r).await,
        Request::ExportRoot(r) => root::export(r).await,
        Request::ImportRoot(r) => root::import(r).await,
        Request::RootOffRelay(r) => root::off_relay(r).await,
        Request::LogPolicies(r) => root::policies(r).await,
        Request::SignLogPolicy(r) => root::sign_policy(r).await,
        Request::Recipients(r) => send::recipients(r).await,
        Request::OrgNames(r) => answer(&r, &session()?.certified_org_names().await?),
        Request::Send(r) => send::send(id, r, files).await,
        Request::Pending(r) => send::pending(r),
        Request::Resume(r) => send::resume(id, r, files).await,
        Request::Abandon(r) => {
            session()?.abandon_send(&plan_bytes(&r.plan)?).await?;
            answer(&r, &true)
        }
        Request::Open(r) => receive::open(r).await,
        Request::Acknowledge(r) => receive::acknowledge(r).await,
        Request::Download(r) => download::download(id, r, destination).await,
        Request::CreateOrg(r) => admin::create_org(r).await,
        Request::Invite(r) => {
            let session = session()?;
            let invited = if r.service {
                session
                    .invite_service(&r.org, &r.email, &r.display_name)
                    .await?
            } else {
                session
                    .invite(&r.org, &r.email, &r.display_name, r.role)
                    .await?
            };
            answer(&r, &invited)
        }
        Request::Members(r) => answer(&r, &session()?.members(&r.org).await?),
        Request::Certify(r) => {
            session()?
                .certify_shown(&r.org, &r.user, Some(r.service))
                .await?;
            answer(&r, &())
        }
        Request::Grant(r) => {
            session()?.grant_keys(&r.org, &r.user).await?;
            answer(&r, &())
        }
        Request::Remove(r) => answer(&r, &session()?.remove_member(&r.org, &r.user).await?),
        Request::Reset(r) => answer(
            &r,
            &session()?
                .reset_member(&r.org, &r.user, r.clear_second_factor)
                .await?,
        ),
        Request::Rotate(r) => admin::rotate(r).await,
        Request::MoveToPostQuantum(r) => admin::move_to_post_quantum(r).await,
        Request::CertifyKeyUpgrade(r) => {
            session()?.certify_key_upgrade(&r.org, &r.user).await?;
            answer(&r, &())
        }
        Request::RenewCertificate(r) => {
            session()?.renew_certificate(&r.org, &r.user).await?;
            answer(&r, &())
        }
        Request::ListOrgs(r) => answer(&r, &session()?.list_orgs().await?),
        Request::SetRetention(r) => {
            session()?.set_retention(&r.org, r.retention_days).await?;
            answer(&r, &())
        }
        Request::SetSecondFactor(r) => {
            session()?
                .set_second_factor(&r.org, r.second_factor)
                .await?;
            answer(&r, &())
        }
        Request::SetProConnect(r) => {
            session()?.set_proconnect(&r.org, &r.policy).await?;
            answer(&r, &())
        }
        Request::WithdrawInvitation(r) => {
            session()?.withdraw_invitation(&r.org, &r.user).await?;
            answer(&r, &())
        }
        Request::SuspendKey(r) => {
            session()?.suspend_key(&r.org, r.generation).await?;
            answer(&r, &())
        }
        Request::KeyHistory(r) => admin::key_history(r).await,
        Request::Audit(r) => admin::audit(r).await,
        Request::DirectoryNames(r) => answer(&r, &session()?.directory_names()),
        Request::VerifyAudit(r) => answer(&r, &session()?.verify_audit(&r.org).await?),
        Request::Exchange(r) => answer(&r, &session()?.exchange(&r.id).await?),
        Request::Inbox(r) => {
            let page = session()?.list(Mailbox::Inbox, r.query.clone()).await?;
            answer(&r, &page)
        }
        Request::Outbox(r) => {
            let page = session()?.list(Mailbox::Outbox, r.query.clone()).await?;
            answer(&r, &page)
        }
    }
}

/// A `pli-client` progress report, as the page reads it.
fn progress_report(p: &Progress) -> ProgressReport {
    let phase = match p.phase {
        pli_client::Phase::Encrypt => Phase::Encrypt,
        pli_client::Phase::Upload => Phase::Upload,
        pli_client::Phase::Download => Phase::Download,
    };
    ProgressReport {
        phase,
        done: p.done,
        total: p.total,
        busy_ms: p.busy_ms,
        pooled: pool::pooled(),
        hashed: pool::hashed(),
        plan: None,
    }
}
