//! The Web Worker: holds the session (and so the unlocked keys) in its memory, serves the
//! page's requests through `pli-client`, streams decrypted files back with flow control.

use pli_api::ErrorCode;
use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::future::{AbortHandle, Abortable};
use futures_util::io::{AsyncRead, AsyncWrite};
use js_sys::{Array, Object, Reflect, Uint8Array};
use pli_api::endpoints as ep;
use pli_api::messages::TokenRequest;
use pli_api::{ExchangeId, UserId};
use pli_client::{Client, DirectoryEntry, FileInput, Progress, Received, SendOptions, Session};
use pli_crypto::cert::OrgKind;
use pli_crypto::sign::{Fingerprint, VerifyingKey};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{
    AuditSource, Call, Fingerprints, KeyGeneration, Opened, OpenedFile, Phase, ProgressReport,
    ReadBy, Recipient, Request, VerifiedKey, WINDOW, WorkerError,
};

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
}

#[derive(Default)]
struct Window {
    in_flight: u64,
    waker: Option<Waker>,
    /// The page gave up on this download (`stop_download`): stop at the next chunk.
    cancelled: bool,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
    /// Sends in progress, by request id, so that a `cancel` request can abort them.
    static SENDS: RefCell<HashMap<u32, AbortHandle>> = RefCell::new(HashMap::new());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> Result<T, WorkerError> {
    STATE
        .with(|state| state.borrow_mut().as_mut().map(f))
        .ok_or_else(|| WorkerError::new(ErrorCode::Internal, "worker not started"))
}

/// The session, for one request.
fn session() -> Result<Rc<Session>, WorkerError> {
    with_state(|s| s.session.clone())?
        .ok_or_else(|| WorkerError::new(ErrorCode::Locked, "no unlocked session"))
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

fn set_session(session: Option<Session>) -> Result<(), WorkerError> {
    with_state(|s| {
        // The same person logging in again (their session had ended) keeps the exchanges
        // they opened: the page still shows them, with their "Enregistrer" buttons.
        let same = matches!((&s.session, &session),
            (Some(old), Some(new)) if old.me.user_id == new.me.user_id);
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
        });
    });
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
        match kind.as_str() {
            "ack" => return acknowledge_bytes(id, &json),
            "stop_download" => return stop_download(id),
            "cancel" => return cancel(id),
            _ => {}
        }
        wasm_bindgen_futures::spawn_local(async move {
            let result = match serde_json::from_str::<Request>(&json) {
                Ok(request) => handle(id, request, files).await,
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

fn pinned(root: Option<&str>) -> Result<Option<VerifyingKey>, WorkerError> {
    use base64::Engine as _;
    root.map(|text| {
        let bytes: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| WorkerError::new(ErrorCode::Verification, "bad pinned root"))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|e| WorkerError::new(ErrorCode::Verification, e.to_string()))
    })
    .transpose()
}

fn kdf() -> pli_crypto::password::KdfParams {
    pli_crypto::password::KdfParams::generate()
        .unwrap_or_else(|_| pli_crypto::password::KdfParams::with_salt([0; 16]))
}

/// Serves one request.
async fn handle(
    id: u32,
    request: Request,
    files: Vec<web_sys::File>,
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
        Request::LookupInvitation(r) => {
            let token = TokenRequest {
                token: r.token.clone(),
            };
            answer(&r, &client.call(&ep::InvitationLookup {}, &token).await?)
        }
        Request::Setup(r) => {
            let session = Session::setup_platform(
                &client,
                &r.token,
                &r.email,
                &r.display_name,
                &r.password,
                kdf(),
            )
            .await?;
            let me = session.me.clone();
            set_session(Some(session))?;
            answer(&r, &me)
        }
        Request::Accept(r) => {
            let session = Session::accept_invitation(&client, &r.token, &r.password, kdf()).await?;
            let me = session.me.clone();
            set_session(Some(session))?;
            answer(&r, &me)
        }
        Request::Login(r) => {
            let session = Session::login(
                &client,
                &r.email,
                &r.password,
                r.totp.as_deref(),
                pinned(r.pinned_root.as_deref())?,
            )
            .await?;
            let me = session.me.clone();
            set_session(Some(session))?;
            answer(&r, &me)
        }
        Request::Unlock(r) => {
            let session =
                Session::resume(&client, &r.password, pinned(r.pinned_root.as_deref())?).await?;
            let me = session.me.clone();
            set_session(Some(session))?;
            answer(&r, &me)
        }
        Request::Logout(r) => {
            if let Ok(session) = session() {
                let _ = session.logout().await;
            }
            set_session(None)?;
            answer(&r, &())
        }
        Request::Refresh(r) => answer(&r, &refresh(&*session()?).await?),
        Request::Fingerprints(r) => {
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
                    encryption: pli_crypto::sign::Fingerprint::of_recipient(
                        &session.keys.encryption.to_recipient(),
                    )
                    .to_string(),
                    root: session.trust.fingerprint().to_string(),
                },
            )
        }
        Request::RootKey(r) => {
            use base64::Engine as _;
            let session = session()?;
            answer(
                &r,
                &base64::engine::general_purpose::STANDARD.encode(session.trust.0.to_bytes()),
            )
        }
        Request::TotpSetup(r) => answer(&r, &session()?.totp_setup().await?),
        Request::TotpConfirm(r) => {
            let session = session()?;
            session.totp_confirm(&r.code).await?;
            answer(&r, &refresh(&session).await?)
        }
        Request::Reauth(r) => {
            session()?.reauth(&r.password, r.totp.as_deref()).await?;
            answer(&r, &())
        }
        Request::Recipients(r) => {
            let directory = session()?.verified_directory().await?;
            let recipients: Vec<Recipient> = directory
                .into_iter()
                .map(|DirectoryEntry { org, key }| match key {
                    Ok(key) => Recipient {
                        org_id: org.org_id,
                        name: key.org.name.clone(),
                        kind: org.kind,
                        generation: Some(key.key.generation),
                        fingerprint: Some(key.fingerprint().to_string()),
                        problem: None,
                    },
                    Err(error) => Recipient {
                        org_id: org.org_id,
                        name: org.name,
                        kind: org.kind,
                        generation: None,
                        fingerprint: None,
                        problem: Some(error.code()),
                    },
                })
                .collect();
            answer(&r, &recipients)
        }
        Request::OrgNames(r) => answer(&r, &session()?.certified_org_names().await?),
        Request::Send(r) => {
            let inputs = file_inputs(files);
            let options = SendOptions {
                category: r.category,
                subject: r.subject.clone(),
                message: r.message.clone(),
                case_reference: r.case_reference.clone(),
                urgent: r.urgent,
                copy_to_sender: true,
                in_reply_to: r.in_reply_to,
            };
            let session = session()?;
            let report = move |p: Progress| progress(id, progress_report(&p));
            // The sealed plan goes to the page, which keeps it to resume after a reload,
            // and stays here to erase the upload if the person cancels.
            let plan = std::cell::RefCell::new(None::<Vec<u8>>);
            let on_plan = |sealed: &[u8]| {
                *plan.borrow_mut() = Some(sealed.to_vec());
                progress(id, plan_report(sealed));
            };
            let sending = session.send_resumable(&r.recipient, inputs, &options, &report, &on_plan);
            let result = cancellable(id, sending).await;
            let plan = plan.borrow_mut().take();
            let exchange = finish_send(&session, result, plan.as_deref()).await?;
            answer(&r, &exchange)
        }
        Request::Pending(r) => {
            let pending = session()?.pending_send(&plan_bytes(&r.plan)?)?;
            answer(
                &r,
                &crate::protocol::Pending {
                    exchange_id: pending.exchange_id,
                    recipient: pending.recipient_org_id,
                    subject: pending.subject,
                    files: pending
                        .files
                        .into_iter()
                        .map(|f| crate::protocol::PendingFile {
                            name: f.name,
                            size: f.size,
                        })
                        .collect(),
                },
            )
        }
        Request::Resume(r) => {
            let plan = plan_bytes(&r.plan)?;
            let session = session()?;
            let report = move |p: Progress| progress(id, progress_report(&p));
            // The plan again, each time it records more of the files: the page keeps it.
            let on_plan = |sealed: &[u8]| progress(id, plan_report(sealed));
            let resuming = session.resume_send(&plan, file_inputs(files), &report, &on_plan);
            let result = cancellable(id, resuming).await;
            let exchange = finish_send(&session, result, Some(&plan)).await?;
            answer(&r, &exchange)
        }
        Request::Abandon(r) => {
            session()?.abandon_send(&plan_bytes(&r.plan)?).await?;
            answer(&r, &true)
        }
        Request::Open(r) => {
            let session = session()?;
            let received = session.open(&r.exchange_id).await?;
            let opened = opened(&received);
            with_state(|s| s.opened.insert(r.exchange_id, received))?;
            answer(&r, &opened)
        }
        Request::Acknowledge(r) => {
            let received = opened_exchange(&r.exchange_id)?;
            session()?.acknowledge(&received).await?;
            answer(&r, &())
        }
        Request::Download(r) => {
            let received = opened_exchange(&r.exchange_id)?;
            let session = session()?;
            let window = Rc::new(RefCell::new(Window::default()));
            with_state(|s| s.windows.insert(id, window.clone()))?;
            let mut writer = ChunkWriter { id, window };
            let report = move |p: Progress| progress(id, progress_report(&p));
            let result = session
                .download_file_with_progress(&received, r.index, &mut writer, &report)
                .await;
            with_state(|s| s.windows.remove(&id))?;
            result?;
            answer(&r, &())
        }
        Request::CreateOrg(r) => {
            if r.kind == OrgKind::Platform {
                return Err(WorkerError::new(
                    ErrorCode::BadRequest,
                    "the platform's organisation is made at set-up only",
                ));
            }
            let org = session()?.create_org(r.kind, &r.name, &r.code).await?;
            answer(&r, &org)
        }
        Request::Invite(r) => {
            let invited = session()?
                .invite(&r.org, &r.email, &r.display_name, r.role)
                .await?;
            answer(&r, &invited)
        }
        Request::Members(r) => answer(&r, &session()?.members(&r.org).await?),
        Request::Certify(r) => {
            session()?.certify(&r.org, &r.user).await?;
            answer(&r, &())
        }
        Request::Grant(r) => {
            session()?.grant_keys(&r.org, &r.user).await?;
            answer(&r, &())
        }
        Request::Remove(r) => answer(&r, &session()?.remove_member(&r.org, &r.user).await?),
        Request::Reset(r) => answer(&r, &session()?.reset_member(&r.org, &r.user).await?),
        Request::Rotate(r) => {
            let session = session()?;
            let (generation, key) = session.publish_org_key().await?;
            update_session(session.me.user_id, |s| {
                s.org_keys.insert(generation, key);
            })?;
            answer(&r, &generation)
        }
        Request::ListOrgs(r) => answer(&r, &session()?.list_orgs().await?),
        Request::SetRetention(r) => {
            session()?.set_retention(&r.org, r.retention_days).await?;
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
        Request::KeyHistory(r) => {
            let history = session()?.key_history(&r.org).await?;
            let rows: Vec<KeyGeneration> = history
                .into_iter()
                .map(|(entry, verified)| KeyGeneration {
                    generation: entry.generation,
                    suspended: entry.suspended,
                    verified: verified.ok().map(|v| VerifiedKey {
                        fingerprint: Fingerprint::of_recipient(&v.key.public_key).to_string(),
                        issuer: v.issuer.display_name,
                        issued_at: v.key.issued_at,
                    }),
                })
                .collect();
            answer(&r, &rows)
        }
        Request::Audit(r) => {
            let session = session()?;
            let entries = match r.source {
                AuditSource::Org(org) => session.org_audit(&org, r.query.clone()).await?,
                AuditSource::Platform => session.platform_audit(r.query.clone()).await?,
            };
            answer(&r, &entries)
        }
        Request::VerifyAudit(r) => answer(&r, &session()?.verify_audit(&r.org).await?),
        Request::Exchange(r) => answer(&r, &session()?.exchange(&r.id).await?),
        Request::Inbox(r) => answer(&r, &session()?.inbox_page(r.query.clone()).await?),
        Request::Outbox(r) => answer(&r, &session()?.outbox_page(r.query.clone()).await?),
    }
}

/// An exchange this worker opened (its keys stay here, for downloads and receipts).
fn opened_exchange(id: &ExchangeId) -> Result<Received, WorkerError> {
    with_state(|s| s.opened.get(id).cloned())?
        .ok_or_else(|| WorkerError::new(ErrorCode::BadRequest, "open the exchange first"))
}

/// An opened exchange, as the page shows it.
fn opened(received: &Received) -> Opened {
    Opened {
        summary: received.detail.summary.clone(),
        sender_name: received.exchange.sender.display_name.clone(),
        sender_org_id: received.exchange.sender.org_id,
        sender_fingerprint: received
            .exchange
            .sender
            .signing_key
            .fingerprint()
            .to_string(),
        category: received.manifest.category,
        subject: received.manifest.subject.clone(),
        message: received.manifest.message.clone(),
        case_reference: received.manifest.case_reference.clone(),
        files: received
            .manifest
            .files
            .iter()
            .map(|f| OpenedFile {
                name: f.name.clone(),
                size: f.size,
                media_type: f.media_type.clone(),
            })
            .collect(),
        receipts: received
            .receipts
            .iter()
            .map(|r| ReadBy {
                name: r.reader.display_name.clone(),
                org_id: r.reader.org_id,
                read_at: r.receipt.read_at,
            })
            .collect(),
    }
}

/// Aborts the send or resume `id`, if it is running.
fn cancel(id: u32) {
    let abort = SENDS.with(|s| s.borrow_mut().remove(&id));
    if let Some(abort) = abort {
        abort.abort();
    }
}

/// The files the page handed over, to read in turn.
fn file_inputs(files: Vec<web_sys::File>) -> Vec<FileInput> {
    files
        .into_iter()
        .map(|file| FileInput {
            name: file.name(),
            media_type: if file.type_().is_empty() {
                "application/octet-stream".into()
            } else {
                file.type_()
            },
            size: file.size() as u64,
            reader: Box::new(BlobReader::new(file.into())),
        })
        .collect()
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
        plan: None,
    }
}

/// The report that hands the page a sealed plan (phase `plan`).
fn plan_report(sealed: &[u8]) -> ProgressReport {
    use base64::Engine as _;
    ProgressReport {
        phase: Phase::Plan,
        done: 0,
        total: 0,
        busy_ms: 0,
        plan: Some(base64::engine::general_purpose::STANDARD.encode(sealed)),
    }
}

fn plan_bytes(plan: &str) -> Result<Vec<u8>, WorkerError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(plan)
        .map_err(|_| WorkerError::new(ErrorCode::BadRequest, "the interrupted send is not base64"))
}

/// Runs a send that a `cancel` request with the same id can abort.
async fn cancellable<T>(
    id: u32,
    sending: impl Future<Output = Result<T, pli_client::ClientError>>,
) -> Result<Result<T, pli_client::ClientError>, futures_util::future::Aborted> {
    // Registered before anything is awaited, so that a `cancel` always finds it.
    let (abort, registration) = AbortHandle::new_pair();
    SENDS.with(|s| s.borrow_mut().insert(id, abort));
    let result = Abortable::new(sending, registration).await;
    SENDS.with(|s| s.borrow_mut().remove(&id));
    result
}

/// The answer to a send or a resume. A cancelled one is erased from the relay at once
/// (through its plan); a failed one is kept, for the page to offer resuming it.
async fn finish_send(
    session: &Session,
    result: Result<Result<ExchangeId, pli_client::ClientError>, futures_util::future::Aborted>,
    plan: Option<&[u8]>,
) -> Result<ExchangeId, WorkerError> {
    match result {
        Ok(Ok(exchange)) => Ok(exchange),
        Ok(Err(error)) => Err(error.into()),
        Err(_aborted) => {
            if let Some(plan) = plan {
                let _ = session.abandon_send(plan).await;
            }
            Err(WorkerError::new(
                ErrorCode::Cancelled,
                "the send was cancelled",
            ))
        }
    }
}

/// The page wrote `bytes` of a download: let the worker send more.
fn acknowledge_bytes(id: u32, json: &str) {
    let bytes = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get("bytes").and_then(serde_json::Value::as_u64))
        .unwrap_or(0);
    update_window(id, |window| {
        window.in_flight = window.in_flight.saturating_sub(bytes);
    });
}

/// The page gave up on download `id` (the person cancelled, or the file could not be
/// written): the download ends with an error at its next chunk.
fn stop_download(id: u32) {
    update_window(id, |window| window.cancelled = true);
}

/// Changes the window of download `id`, if it is still running, and wakes it.
fn update_window(id: u32, change: impl FnOnce(&mut Window)) {
    let window = STATE.with(|state| {
        state
            .borrow()
            .as_ref()
            .and_then(|s| s.windows.get(&id).cloned())
    });
    if let Some(window) = window {
        let mut window = window.borrow_mut();
        change(&mut window);
        if let Some(waker) = window.waker.take() {
            waker.wake();
        }
    }
}

/// Sends decrypted bytes to the page, waiting while more than [`WINDOW`] are unacknowledged.
struct ChunkWriter {
    id: u32,
    window: Rc<RefCell<Window>>,
}

impl AsyncWrite for ChunkWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut window = self.window.borrow_mut();
        if window.cancelled {
            return Poll::Ready(Err(std::io::Error::other("download cancelled by the page")));
        }
        if window.in_flight >= WINDOW {
            window.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        window.in_flight += buf.len() as u64;
        drop(window);
        let bytes = Uint8Array::from(buf);
        post(self.id, "chunk", None, Some(&bytes.buffer()));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Reads a `Blob` (a `File` the person dropped) by slices, without loading it whole.
struct BlobReader {
    blob: web_sys::Blob,
    offset: f64,
    pending: Option<JsFuture>,
    buffered: Vec<u8>,
    position: usize,
}

const SLICE: f64 = 4.0 * 1024.0 * 1024.0;

impl BlobReader {
    fn new(blob: web_sys::Blob) -> Self {
        Self {
            blob,
            offset: 0.0,
            pending: None,
            buffered: Vec::new(),
            position: 0,
        }
    }
}

impl AsyncRead for BlobReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            if self.position < self.buffered.len() {
                let available = self.buffered.get(self.position..).unwrap_or_default();
                let n = available.len().min(buf.len());
                buf.iter_mut().zip(available).for_each(|(d, s)| *d = *s);
                self.position += n;
                return Poll::Ready(Ok(n));
            }
            if self.pending.is_none() {
                if self.offset >= self.blob.size() {
                    return Poll::Ready(Ok(0));
                }
                let end = (self.offset + SLICE).min(self.blob.size());
                let slice = self
                    .blob
                    .slice_with_f64_and_f64(self.offset, end)
                    .map_err(js_error)?;
                self.offset = end;
                self.pending = Some(JsFuture::from(slice.array_buffer()));
            }
            let Some(pending) = self.pending.as_mut() else {
                continue;
            };
            match Pin::new(pending).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    self.pending = None;
                    let buffer = result.map_err(js_error)?;
                    self.buffered = Uint8Array::new(&buffer).to_vec();
                    self.position = 0;
                }
            }
        }
    }
}

fn js_error(value: JsValue) -> std::io::Error {
    std::io::Error::other(format!("{value:?}"))
}

use std::future::Future as _;
