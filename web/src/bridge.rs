//! The page's side of the worker: starts it, sends requests, routes its answers,
//! progress reports and file chunks back to the callers.
//!
//! The worker starts, and its WebAssembly module is fetched, at the first request the
//! page does not answer itself ([`call`]): until then a visit to the login page loads
//! the door's module only (`door.rs`), which hands the worker over to the whole
//! interface once the keys are unlocked ([`hand_over`], [`adopt`]).

use pli_api::ErrorCode;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::protocol::{Call, Phase, ProgressReport, Request, WorkerError};

type OnProgress = Box<dyn Fn(ProgressReport)>;
type OnChunk = Box<dyn FnMut(js_sys::ArrayBuffer)>;

/// Where a send's sealed plans are kept for a reload (the page's storage), owning all it
/// needs, so that it keeps plans even after the page that started the send is gone.
pub trait PlanStore {
    /// Keeps `plan` in place of the one kept before.
    fn keep(&self, plan: &str);
    /// The plan kept now, if any.
    fn current(&self) -> Option<String>;
}

/// What goes with a request besides its arguments.
#[derive(Default)]
pub struct With<'a> {
    /// Files to send or resume.
    pub files: &'a [web_sys::File],
    /// Called with each progress report.
    pub on_progress: Option<OnProgress>,
    /// Called with each chunk of a download.
    pub on_chunk: Option<OnChunk>,
    /// For a send or a resume: keeps each sealed plan the worker hands over, and tells
    /// a resume, once it holds the exchange's lock, which plan is kept now. The worker
    /// sends no part a plan covers until it is kept; a request without a store never
    /// gets that answer, so its upload waits.
    pub plans: Option<Box<dyn PlanStore>>,
    /// For a download: where the worker sends the decrypted chunks itself, instead of
    /// through `on_chunk`.
    pub destination: Option<Destination>,
}

/// Where a download's decrypted chunks go when the worker sends them on itself.
#[derive(Debug)]
pub enum Destination {
    /// The service worker's stream, through this port (transferred to the worker).
    ServiceWorker(web_sys::MessagePort),
    /// The file the person picked, which the worker opens and writes (the handle is
    /// cloned: the page keeps its own, to remove the file if the saving fails).
    File(web_sys::FileSystemFileHandle),
}

struct Pending {
    resolve: Function,
    reject: Function,
    on_progress: Option<OnProgress>,
    on_chunk: Option<OnChunk>,
    plans: Option<Box<dyn PlanStore>>,
}

struct Bridge {
    worker: Worker,
    next: Cell<u32>,
    pending: RefCell<HashMap<u32, Pending>>,
}

type OnSessionEnded = Rc<dyn Fn()>;
type OnRequest = Rc<dyn Fn(&Request)>;

thread_local! {
    static BRIDGE: RefCell<Option<Rc<Bridge>>> = const { RefCell::new(None) };
    static ON_SESSION_ENDED: RefCell<Option<OnSessionEnded>> = const { RefCell::new(None) };
    static ON_REQUEST: RefCell<Option<OnRequest>> = const { RefCell::new(None) };
    /// Set by [`hand_over`]: this module's interface is gone, and it must never start a
    /// second worker beside the one it gave up.
    static HANDED_OVER: Cell<bool> = const { Cell::new(false) };
}

/// Calls `hook` with each request this module sends the worker: the door then knows
/// when a log-in is under way, and has the whole interface's module loaded meanwhile
/// (`door.rs`).
pub fn on_request(hook: impl Fn(&Request) + 'static) {
    ON_REQUEST.with(|h| *h.borrow_mut() = Some(Rc::new(hook)));
}

/// Calls `hook` whenever the relay answers `unauthenticated` to a request made with a
/// session (the session ended: logged out elsewhere, timed out, or access removed).
/// Requests that check or open a session (`probe`, `login`…) do not call it.
pub fn on_session_ended(hook: impl Fn() + 'static) {
    ON_SESSION_ENDED.with(|h| *h.borrow_mut() = Some(Rc::new(hook)));
}

fn session_ended() {
    let hook = ON_SESSION_ENDED.with(|h| h.borrow().clone());
    if let Some(hook) = hook {
        hook();
    }
}

/// The worker script's URL, set by `boot.js` on `window.PLI_WORKER_URL`.
fn worker_url() -> String {
    web_sys::window()
        .and_then(|w| Reflect::get(&w, &"PLI_WORKER_URL".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "/worker.js".to_owned())
}

/// The worker this module talks to, if one runs.
fn running() -> Option<Rc<Bridge>> {
    BRIDGE.with(|b| b.borrow().clone())
}

/// The worker this module talks to, started if none runs.
fn bridge() -> Result<Rc<Bridge>, WorkerError> {
    if let Some(bridge) = running() {
        return Ok(bridge);
    }
    if HANDED_OVER.get() {
        return Err(WorkerError::new(
            ErrorCode::Internal,
            "this interface handed its worker over",
        ));
    }
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(&worker_url(), &options).map_err(|e| {
        WorkerError::new(
            ErrorCode::Internal,
            format!("cannot start the worker: {e:?}"),
        )
    })?;
    Ok(install(worker, 1))
}

/// The first request id of a module that adopts a worker: the door's ids start at 1 and
/// never come near it, so an answer the worker still gives to one of the door's
/// requests (one in flight at the hand-over, failed on the door's side) can never be
/// taken for the answer to one of the adopter's.
const ADOPTED_FIRST_ID: u32 = 1 << 31;

/// Takes over a worker another of the page's modules started (the door's, handed over
/// once the keys are unlocked: `door.rs`): its answers come here from now on, and the
/// page asks it everything, as if it had started it.
pub fn adopt(worker: Worker) {
    install(worker, ADOPTED_FIRST_ID);
}

/// Gives up the worker, if one was started: its answers no longer come here, and what
/// was still waiting for one fails (nothing should be: the door hands over once its
/// log-in is done). For [`adopt`] in the module that takes over.
pub fn hand_over() -> Option<Worker> {
    HANDED_OVER.set(true);
    let bridge = BRIDGE.with(|b| b.borrow_mut().take())?;
    bridge.worker.set_onmessage(None);
    bridge.worker.set_onerror(None);
    bridge.fail_all();
    Some(bridge.worker.clone())
}

fn install(worker: Worker, first_id: u32) -> Rc<Bridge> {
    let bridge = Rc::new(Bridge {
        worker,
        next: Cell::new(first_id),
        pending: RefCell::new(HashMap::new()),
    });
    let weak = Rc::downgrade(&bridge);
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(bridge) = weak.upgrade() {
            bridge.receive(&event.data());
        }
    });
    bridge
        .worker
        .set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    // A worker that fails (a panic, a script that does not load) answers nothing more:
    // fail every request in flight instead of leaving the page waiting.
    let weak = Rc::downgrade(&bridge);
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
        if let Some(bridge) = weak.upgrade() {
            bridge.fail_all();
        }
    });
    bridge
        .worker
        .set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    BRIDGE.with(|b| *b.borrow_mut() = Some(bridge.clone()));
    bridge
}

impl Bridge {
    /// Rejects every request in flight with an internal error.
    fn fail_all(&self) {
        let pending: Vec<Pending> = self.pending.borrow_mut().drain().map(|(_, p)| p).collect();
        let error =
            serde_json::to_string(&WorkerError::new(ErrorCode::Internal, "the worker stopped"))
                .unwrap_or_default();
        for p in pending {
            let _ = p.reject.call1(&JsValue::NULL, &JsValue::from_str(&error));
        }
    }

    fn receive(&self, message: &JsValue) {
        let id = Reflect::get(message, &"id".into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0) as u32;
        let kind = Reflect::get(message, &"kind".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let data = Reflect::get(message, &"data".into())
            .ok()
            .and_then(|v| v.as_string());
        match kind.as_str() {
            "progress" => {
                let report = data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<ProgressReport>(d).ok());
                let Some(report) = report else {
                    return;
                };
                let mut kept = false;
                if let Some(pending) = self.pending.borrow().get(&id) {
                    if report.phase == Phase::Plan
                        && let (Some(plan), Some(plans)) = (&report.plan, &pending.plans)
                    {
                        plans.keep(plan);
                        kept = true;
                    }
                    if let Some(on_progress) = &pending.on_progress {
                        on_progress(report);
                    }
                }
                // The plan is kept: the upload may go on.
                if kept {
                    let _ = self.post(id, "plan_stored", "null", &[]);
                }
            }
            // A resume holding its exchange's lock asks which plan is kept now (another
            // tab may have moved the send on since this page read it).
            "plan_wanted" => {
                let current = self
                    .pending
                    .borrow()
                    .get(&id)
                    .and_then(|pending| pending.plans.as_ref())
                    .and_then(|plans| plans.current());
                let answer = serde_json::json!({ "plan": current }).to_string();
                let _ = self.post(id, "plan_current", &answer, &[]);
            }
            "chunk" => {
                let bytes = Reflect::get(message, &"bytes".into())
                    .ok()
                    .and_then(|v| v.dyn_into::<js_sys::ArrayBuffer>().ok());
                if let (Some(bytes), Some(pending)) =
                    (bytes, self.pending.borrow_mut().get_mut(&id))
                    && let Some(on_chunk) = pending.on_chunk.as_mut()
                {
                    on_chunk(bytes);
                }
            }
            "ok" | "err" => {
                if let Some(pending) = self.pending.borrow_mut().remove(&id) {
                    let value = JsValue::from_str(data.as_deref().unwrap_or("null"));
                    let callback = if kind == "ok" {
                        pending.resolve
                    } else {
                        pending.reject
                    };
                    let _ = callback.call1(&JsValue::NULL, &value);
                }
            }
            _ => {}
        }
    }

    fn post(
        &self,
        id: u32,
        kind: &str,
        data: &str,
        files: &[web_sys::File],
    ) -> Result<(), WorkerError> {
        self.post_with(id, kind, data, files, None)
    }

    /// [`post`](Self::post), with a download's `destination`: the message's `port`
    /// (transferred) or `file` (cloned).
    fn post_with(
        &self,
        id: u32,
        kind: &str,
        data: &str,
        files: &[web_sys::File],
        destination: Option<&Destination>,
    ) -> Result<(), WorkerError> {
        let message = Object::new();
        let _ = Reflect::set(&message, &"id".into(), &JsValue::from(id));
        let _ = Reflect::set(&message, &"kind".into(), &JsValue::from_str(kind));
        let _ = Reflect::set(&message, &"data".into(), &JsValue::from_str(data));
        if !files.is_empty() {
            let array: Array = files.iter().map(JsValue::from).collect();
            let _ = Reflect::set(&message, &"files".into(), &array);
        }
        let transfer = Array::new();
        match destination {
            Some(Destination::ServiceWorker(port)) => {
                let _ = Reflect::set(&message, &"port".into(), port);
                transfer.push(port);
            }
            Some(Destination::File(handle)) => {
                let _ = Reflect::set(&message, &"file".into(), handle);
            }
            None => {}
        }
        self.worker
            .post_message_with_transfer(&message, &transfer)
            .map_err(|e| WorkerError::new(ErrorCode::Internal, format!("{e:?}")))
    }
}

/// Asks the worker to serve `request`, and waits for its answer. While no worker runs,
/// the page answers the requests a page that has not logged in makes ([`before_worker`]).
pub async fn call<C: Call>(request: C) -> Result<C::Response, WorkerError> {
    let request: Request = request.into();
    if BRIDGE.with(|b| b.borrow().is_none())
        && let Some(answer) = before_worker(&request).await
    {
        return answer_of(&answer?);
    }
    send(request, With::default())?.outcome().await
}

/// An answer's JSON (the worker's, or the page's own while no worker runs), read.
fn answer_of<T: DeserializeOwned>(json: &str) -> Result<T, WorkerError> {
    serde_json::from_str(json).map_err(|e| WorkerError::new(ErrorCode::Internal, e.to_string()))
}

/// The answer to `request` while no worker runs, for the requests that need neither a
/// key nor a session the worker holds (the JSON the worker would give): whether the
/// worker holds a session (it does not: there is none), who the relay's session cookie
/// is (a plain GET, as the worker makes it), and whether ProConnect is offered. `None`
/// for any other request: the worker starts for it.
async fn before_worker(request: &Request) -> Option<Result<String, WorkerError>> {
    use pli_api::endpoints::{self as ep, Endpoint as _};
    Some(match request {
        Request::Status(_) => Ok("null".to_owned()),
        Request::Probe(_) => get(&ep::GetMe {}.path()).await,
        Request::ProConnectStatus(_) => get(&ep::ProConnectInfo {}.path()).await,
        _ => return None,
    })
}

/// The body of a GET of `path` from the relay, with the page's cookies (the worker's
/// client sends the same), or the error the relay's answer says, read as the worker's
/// client reads it. With the browser's own `fetch`: the page's module links no HTTP
/// client (the worker's is some 200 KB with its URL and IDNA tables).
async fn get(path: &str) -> Result<String, WorkerError> {
    let failed = |e: JsValue| WorkerError::new(ErrorCode::Unavailable, format!("{e:?}"));
    let window =
        web_sys::window().ok_or_else(|| WorkerError::new(ErrorCode::Internal, "no window"))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(path))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    let text = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        return Ok(text);
    }
    let retry_after = response.headers().get("retry-after").ok().flatten();
    Err(
        pli_client::ClientError::from_answer(response.status(), retry_after.as_deref(), text)
            .into(),
    )
}

impl std::fmt::Debug for With<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("With")
            .field("files", &self.files.len())
            .field("on_progress", &self.on_progress.is_some())
            .field("on_chunk", &self.on_chunk.is_some())
            .field("plans", &self.plans.is_some())
            .field("destination", &self.destination.is_some())
            .finish()
    }
}

/// A request the worker is serving.
#[must_use = "a request's answer is read with `outcome`"]
pub struct Running<T> {
    handle: Handle,
    promise: Promise,
    ends_session: bool,
    answer: std::marker::PhantomData<T>,
}

/// Names a request in flight, to cancel it or to steer its download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    id: u32,
}

impl Handle {
    /// Aborts the send or resume: it then ends with the code `cancelled`, after the
    /// worker asked the relay to erase the upload it had begun.
    pub fn cancel(self) {
        self.post("cancel", "null");
    }

    /// Tells the worker that `bytes` of this download were written (flow control).
    pub fn acknowledge(self, bytes: u64) {
        self.post("ack", &format!("{{\"bytes\":{bytes}}}"));
    }

    /// Stops this download: it then fails at its next chunk.
    pub fn stop_download(self) {
        self.post("stop_download", "null");
    }

    fn post(self, kind: &str, data: &str) {
        if let Some(bridge) = running() {
            let _ = bridge.post(self.id, kind, data, &[]);
        }
    }
}

/// Sends `request` to the worker with its files and callbacks; the answer is read with
/// [`Running::outcome`], and [`Running::handle`] names the request meanwhile.
pub fn start<C: Call>(request: C, with: With<'_>) -> Result<Running<C::Response>, WorkerError> {
    send(request.into(), with)
}

fn send<T>(request: Request, with: With<'_>) -> Result<Running<T>, WorkerError> {
    if let Some(hook) = ON_REQUEST.with(|h| h.borrow().clone()) {
        hook(&request);
    }
    let bridge = bridge()?;
    let id = bridge.next.get();
    bridge.next.set(id.wrapping_add(1).max(1));
    let json = serde_json::to_string(&request)
        .map_err(|e| WorkerError::new(ErrorCode::Internal, e.to_string()))?;
    let mut slots: Option<(Function, Function)> = None;
    let promise = Promise::new(&mut |resolve, reject| slots = Some((resolve, reject)));
    let (resolve, reject) =
        slots.ok_or_else(|| WorkerError::new(ErrorCode::Internal, "promise"))?;
    bridge.pending.borrow_mut().insert(
        id,
        Pending {
            resolve,
            reject,
            on_progress: with.on_progress,
            on_chunk: with.on_chunk,
            plans: with.plans,
        },
    );
    if let Err(error) =
        bridge.post_with(id, "request", &json, with.files, with.destination.as_ref())
    {
        bridge.pending.borrow_mut().remove(&id);
        return Err(error);
    }
    Ok(Running {
        handle: Handle { id },
        promise,
        ends_session: request.ends_session_on_unauthenticated(),
        answer: std::marker::PhantomData,
    })
}

impl<T> std::fmt::Debug for Running<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> Running<T> {
    /// Names this request (to cancel it, or to acknowledge its chunks).
    pub fn handle(&self) -> Handle {
        self.handle
    }

    /// The worker's answer.
    pub async fn outcome(self) -> Result<T, WorkerError> {
        match JsFuture::from(self.promise).await {
            Ok(value) => answer_of(&value.as_string().unwrap_or_else(|| "null".into())),
            Err(value) => {
                let text = value.as_string().unwrap_or_default();
                let error: WorkerError = serde_json::from_str(&text)
                    .unwrap_or_else(|_| WorkerError::new(ErrorCode::Internal, text));
                if error.code == ErrorCode::Unauthenticated && self.ends_session {
                    session_ended();
                }
                Err(error)
            }
        }
    }
}
