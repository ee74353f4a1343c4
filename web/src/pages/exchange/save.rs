//! Saving a decrypted file with bounded memory, whatever its size.
//!
//! The worker decrypts the file chunk by chunk (op `download`) and waits for the page to
//! acknowledge what it wrote before sending more than [`WINDOW`](crate::protocol::WINDOW)
//! bytes. The page writes the chunks to the first of:
//!
//! 1. the file the person chooses in `window.showSaveFilePicker()` (called in the click
//!    handler itself, which the browser requires), through its
//!    `FileSystemWritableFileStream`: each chunk is acknowledged once its write resolved,
//!    and the stream is aborted (the browser then discards what it wrote) if decryption
//!    or verification fails;
//! 2. the browser's download manager, through the service worker (`/sw.js`): the page
//!    hands it a `MessagePort`, navigates to `/__download/<id>`, and the service worker
//!    answers with a `ReadableStream` fed by the port; it acknowledges each chunk when
//!    its stream wants more (`pull`), and errors the stream — the download then shows as
//!    failed — if the page reports a failure;
//! 3. for small files only ([`MEMORY_LIMIT`]), a `Blob` saved through `<a download>`,
//!    made only once the whole file decrypted and verified.
//!
//! Nothing here is a partial file presented as complete: a file is closed (1), its stream
//! ended (2) or its blob made (3) only after the worker said the whole file verified.

use pli_api::ErrorCode;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{Array, ArrayBuffer, Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::bridge;
use crate::protocol::{ProgressReport, WorkerError};

/// The largest file saved through memory when the browser offers neither a file picker
/// nor a service worker.
pub(crate) const MEMORY_LIMIT: u64 = 16 * 1024 * 1024;

/// How long the service worker may take to take a download in hand.
const SERVICE_WORKER_TIMEOUT_MS: u32 = 20_000;

/// How often the page pings the service worker during a download, so that the browser
/// does not stop it as idle.
const KEEPALIVE_MS: i32 = 10_000;

/// How a file was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saved {
    /// Written to the file the person chose.
    ToFile,
    /// Handed to the browser's downloads.
    ToDownloads,
    /// The person cancelled (the picker, the button, or the browser's download).
    Cancelled,
}

/// One file to save.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The exchange (opened by the worker already).
    pub(crate) exchange_id: String,
    /// The file's index in the manifest.
    pub(crate) index: usize,
    /// The sanitised name.
    pub(crate) name: String,
    /// Its plaintext size, from the verified manifest.
    pub(crate) size: u64,
}

/// Lets the page cancel a saving in progress.
#[derive(Debug, Clone, Default)]
pub(crate) struct Control(Rc<ControlState>);

#[derive(Debug, Default)]
struct ControlState {
    /// The person cancelled.
    cancelled: Cell<bool>,
    /// The worker request of the download in progress.
    request: Cell<Option<bridge::Handle>>,
}

impl Control {
    /// The person cancels.
    pub(crate) fn cancel(&self) {
        self.0.cancelled.set(true);
        self.stop();
    }

    /// Stops the worker's download (it ends with an error at its next chunk).
    fn stop(&self) {
        if let Some(running) = self.0.request.get() {
            running.stop_download();
        }
    }

    fn cancelled(&self) -> bool {
        self.0.cancelled.get()
    }

    /// Acknowledges `bytes` to the worker, if its download is still running.
    fn acknowledge(&self, bytes: u64) {
        if let Some(running) = self.0.request.get() {
            running.acknowledge(bytes);
        }
    }
}

type OnProgress = Rc<dyn Fn(ProgressReport)>;

/// Saves `target`. **Call it synchronously from the click handler**: it opens the file
/// picker at once (browsers allow it only while handling the click), then returns the
/// rest of the work.
pub(crate) fn save(
    target: Target,
    control: Control,
    on_progress: OnProgress,
) -> impl Future<Output = Result<Saved, WorkerError>> {
    let picker = open_picker(&target.name);
    async move {
        if let Some(picked) = picker {
            match JsFuture::from(picked).await {
                Ok(handle) => return to_file(handle, &target, &control, on_progress).await,
                Err(error) if error_name(&error) == "AbortError" => return Ok(Saved::Cancelled),
                // Not allowed here (a policy, an old implementation): try the next way.
                Err(_) => {}
            }
        }
        if let Some(worker) = service_worker().await {
            return through_service_worker(&worker, &target, &control, on_progress).await;
        }
        if target.size <= MEMORY_LIMIT {
            return through_memory(&target, &control, on_progress).await;
        }
        Err(WorkerError::new(
            ErrorCode::SaveUnsupported,
            "no file picker, no service worker, and the file is too large for memory",
        ))
    }
}

/// Runs the worker's `download` of `target`, handing each decrypted chunk to `on_chunk`.
async fn download(
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
    on_chunk: Box<dyn FnMut(ArrayBuffer)>,
) -> Result<(), WorkerError> {
    if control.cancelled() {
        return Err(WorkerError::new(ErrorCode::Cancelled, "cancelled"));
    }
    let exchange_id = target
        .exchange_id
        .parse()
        .map_err(|_| WorkerError::new(ErrorCode::BadRequest, "not an exchange id"))?;
    let request = crate::protocol::Download {
        exchange_id,
        index: target.index,
    };
    let progress: Box<dyn Fn(ProgressReport)> = Box::new(move |report| on_progress(report));
    let with = bridge::With {
        files: &[],
        on_progress: Some(progress),
        on_chunk: Some(on_chunk),
    };
    let running = bridge::start(request, with)?;
    control.0.request.set(Some(running.handle()));
    let result = running.outcome().await;
    control.0.request.set(None);
    result
}

// ----- 1. the file picker ---------------------------------------------------------------

/// Calls `window.showSaveFilePicker({ suggestedName })` if the browser has it.
fn open_picker(name: &str) -> Option<Promise> {
    let window = web_sys::window()?;
    let picker = Reflect::get(&window, &"showSaveFilePicker".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let options = Object::new();
    let _ = Reflect::set(&options, &"suggestedName".into(), &name.into());
    let _ = Reflect::set(&options, &"startIn".into(), &"downloads".into());
    Some(match picker.call1(&window, &options) {
        Ok(value) => value
            .dyn_into::<Promise>()
            .unwrap_or_else(|value| Promise::resolve(&value)),
        Err(error) => Promise::reject(&error),
    })
}

/// Chunks waiting to be written, in order.
#[derive(Default)]
struct Queue {
    chunks: VecDeque<ArrayBuffer>,
    ended: bool,
    waker: Option<Waker>,
}

impl Queue {
    fn push(queue: &RefCell<Self>, chunk: ArrayBuffer) {
        let mut queue = queue.borrow_mut();
        queue.chunks.push_back(chunk);
        if let Some(waker) = queue.waker.take() {
            waker.wake();
        }
    }

    fn end(queue: &RefCell<Self>) {
        let mut queue = queue.borrow_mut();
        queue.ended = true;
        if let Some(waker) = queue.waker.take() {
            waker.wake();
        }
    }

    /// The next chunk, or `None` once the download ended and every chunk was taken.
    async fn next(queue: &RefCell<Self>) -> Option<ArrayBuffer> {
        futures_util::future::poll_fn(|cx| {
            let mut queue = queue.borrow_mut();
            if let Some(chunk) = queue.chunks.pop_front() {
                Poll::Ready(Some(chunk))
            } else if queue.ended {
                Poll::Ready(None)
            } else {
                queue.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

async fn to_file(
    handle: JsValue,
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    let handle: web_sys::FileSystemFileHandle = handle.unchecked_into();
    let writable = JsFuture::from(handle.create_writable())
        .await
        .map_err(|e| js_error(ErrorCode::Io, &e))?;
    let queue = Rc::new(RefCell::new(Queue::default()));
    let downloading = {
        let queue = queue.clone();
        async move {
            let pushed = queue.clone();
            let result = download(
                target,
                control,
                on_progress,
                Box::new(move |chunk| Queue::push(&pushed, chunk)),
            )
            .await;
            Queue::end(&queue);
            result
        }
    };
    let writing = async {
        while let Some(chunk) = Queue::next(&queue).await {
            let bytes = u64::from(chunk.byte_length());
            let written = match call_method(&writable, "write", &[chunk.into()]) {
                Ok(promise) => JsFuture::from(promise).await,
                Err(error) => Err(error),
            };
            if let Err(error) = written {
                // The disk is full, the file was moved…: stop decrypting.
                control.stop();
                return Err(js_error(ErrorCode::Io, &error));
            }
            control.acknowledge(bytes);
        }
        Ok(())
    };
    let (downloaded, written) = futures_util::future::join(downloading, writing).await;
    let outcome = match (downloaded, written) {
        (Ok(()), Ok(())) => match call_method(&writable, "close", &[]) {
            Ok(promise) => JsFuture::from(promise)
                .await
                .map(|_| Saved::ToFile)
                .map_err(|e| js_error(ErrorCode::Io, &e)),
            Err(error) => Err(js_error(ErrorCode::Io, &error)),
        },
        (_, Err(error)) if !control.cancelled() => Err(error),
        (Err(error), _) if !control.cancelled() => Err(error),
        _ => Ok(Saved::Cancelled),
    };
    if !matches!(outcome, Ok(Saved::ToFile)) {
        // The browser discards what an aborted stream wrote; the (empty) file the picker
        // created goes too, where the browser can remove it.
        if let Ok(promise) = call_method(&writable, "abort", &[]) {
            let _ = JsFuture::from(promise).await;
        }
        if let Ok(promise) = call_method(&handle, "remove", &[]) {
            let _ = JsFuture::from(promise).await;
        }
    }
    outcome
}

// ----- 2. the service worker -------------------------------------------------------------

/// The active service worker, if this browser has one running for Pli.
async fn service_worker() -> Option<web_sys::ServiceWorker> {
    let navigator = web_sys::window()?.navigator();
    let container = Reflect::get(&navigator, &"serviceWorker".into()).ok()?;
    if container.is_undefined() || container.is_null() {
        return None;
    }
    let container: web_sys::ServiceWorkerContainer = container.unchecked_into();
    let registration = JsFuture::from(container.get_registration_with_document_url("/"))
        .await
        .ok()?;
    if registration.is_undefined() {
        return None;
    }
    registration
        .unchecked_into::<web_sys::ServiceWorkerRegistration>()
        .active()
}

/// What the service worker said about a download.
#[derive(Debug, Default)]
struct WorkerSide {
    /// The download is registered under its id.
    ready: bool,
    /// The browser asked for it: the download started.
    started: bool,
    /// The person cancelled it in the browser, or it was never asked for in time.
    gone: bool,
}

async fn through_service_worker(
    worker: &web_sys::ServiceWorker,
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    let channel = web_sys::MessageChannel::new().map_err(|e| js_error(ErrorCode::Internal, &e))?;
    let port = channel.port1();
    let side = Rc::new(RefCell::new(WorkerSide::default()));
    let on_message = {
        let side = side.clone();
        let control = control.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let data = event.data();
            let kind = Reflect::get(&data, &"type".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            match kind.as_str() {
                "ready" => side.borrow_mut().ready = true,
                "started" => side.borrow_mut().started = true,
                "ack" => {
                    let bytes = Reflect::get(&data, &"bytes".into())
                        .ok()
                        .and_then(|v| v.as_f64())
                        .unwrap_or(0.0);
                    control.acknowledge(bytes as u64);
                }
                // The person cancelled the download in the browser.
                "cancelled" => {
                    side.borrow_mut().gone = true;
                    control.cancel();
                }
                // The browser never asked for it.
                "expired" => side.borrow_mut().gone = true,
                _ => {}
            }
        })
    };
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

    let id = random_id();
    let message = Object::new();
    let _ = Reflect::set(&message, &"type".into(), &"pli-download".into());
    let _ = Reflect::set(&message, &"id".into(), &id.as_str().into());
    let _ = Reflect::set(&message, &"name".into(), &target.name.as_str().into());
    let _ = Reflect::set(&message, &"size".into(), &(target.size as f64).into());
    let sent = worker.post_message_with_transferable(&message, &Array::of1(&channel.port2()));
    let outcome = match sent {
        Err(error) => Err(js_error(ErrorCode::Internal, &error)),
        Ok(()) => {
            let keepalive = KeepAlive::start(worker.clone());
            let outcome = stream_through(&port, &side, &id, target, control, on_progress).await;
            drop(keepalive);
            outcome
        }
    };
    if outcome.is_err() || control.cancelled() {
        post(&port, "abort", None);
    }
    port.set_onmessage(None);
    drop(on_message);
    outcome
}

async fn stream_through(
    port: &web_sys::MessagePort,
    side: &RefCell<WorkerSide>,
    id: &str,
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    if !wait_for(|| side.borrow().ready, SERVICE_WORKER_TIMEOUT_MS).await {
        return Err(WorkerError::new(
            ErrorCode::SaveBlocked,
            "the service worker did not answer",
        ));
    }
    // A navigation the service worker answers with an attachment: the browser downloads
    // it and the page stays. (No frame: the Content-Security-Policy allows none.)
    navigate_to(&format!("/__download/{id}"));
    if !wait_for(
        || side.borrow().started || side.borrow().gone,
        SERVICE_WORKER_TIMEOUT_MS,
    )
    .await
        || side.borrow().gone
    {
        if control.cancelled() {
            return Ok(Saved::Cancelled);
        }
        return Err(WorkerError::new(
            ErrorCode::SaveBlocked,
            "the browser did not start the download",
        ));
    }
    let forward = port.clone();
    let result = download(
        target,
        control,
        on_progress,
        Box::new(move |chunk| post(&forward, "chunk", Some(chunk))),
    )
    .await;
    match result {
        Ok(()) => {
            post(port, "done", None);
            Ok(Saved::ToDownloads)
        }
        Err(_) if control.cancelled() => Ok(Saved::Cancelled),
        Err(error) => Err(error),
    }
}

/// Posts `{ type, bytes? }` on the port, transferring `bytes`.
fn post(port: &web_sys::MessagePort, kind: &str, bytes: Option<ArrayBuffer>) {
    let message = Object::new();
    let _ = Reflect::set(&message, &"type".into(), &kind.into());
    let transfer = Array::new();
    if let Some(bytes) = bytes {
        let _ = Reflect::set(&message, &"bytes".into(), &bytes);
        transfer.push(&bytes);
    }
    let _ = port.post_message_with_transferable(&message, &transfer);
}

/// Pings the service worker while it streams a download; stops when dropped.
struct KeepAlive {
    timer: i32,
    _tick: Closure<dyn FnMut()>,
}

impl KeepAlive {
    fn start(worker: web_sys::ServiceWorker) -> Option<Self> {
        let tick = Closure::<dyn FnMut()>::new(move || {
            let message = Object::new();
            let _ = Reflect::set(&message, &"type".into(), &"pli-keepalive".into());
            let _ = worker.post_message(&message);
        });
        let timer = web_sys::window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                KEEPALIVE_MS,
            )
            .ok()?;
        Some(Self { timer, _tick: tick })
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_interval_with_handle(self.timer);
        }
    }
}

/// Navigates to `href` through a temporary link (the browser keeps the page when the
/// answer is an attachment).
fn navigate_to(href: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(link) = document.create_element("a") {
        let _ = link.set_attribute("href", href);
        let _ = link.set_attribute("rel", "noopener");
        click(&document, &link);
    }
}

/// Clicks a temporary link (attached for the time of the click: some browsers ignore
/// clicks on detached ones).
fn click(document: &web_sys::Document, link: &web_sys::Element) {
    let Ok(link) = link.clone().dyn_into::<web_sys::HtmlElement>() else {
        return;
    };
    link.set_hidden(true);
    let body = document.body();
    if let Some(body) = &body {
        let _ = body.append_child(&link);
    }
    link.click();
    if let Some(body) = &body {
        let _ = body.remove_child(&link);
    }
}

/// An unguessable download id.
fn random_id() -> String {
    let uuid = web_sys::window()
        .and_then(|w| Reflect::get(&w, &"crypto".into()).ok())
        .and_then(|crypto| {
            let random = Reflect::get(&crypto, &"randomUUID".into())
                .ok()?
                .dyn_into::<Function>()
                .ok()?;
            random.call0(&crypto).ok()?.as_string()
        });
    uuid.unwrap_or_else(|| {
        (0..4)
            .map(|_| {
                format!(
                    "{:08x}",
                    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
                )
            })
            .collect()
    })
}

// ----- 3. memory, for small files ------------------------------------------------------

async fn through_memory(
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    let parts = Array::new();
    let total = Rc::new(Cell::new(0u64));
    let result = {
        let parts = parts.clone();
        let total = total.clone();
        let control_for_chunks = control.clone();
        let size = target.size;
        download(
            target,
            control,
            on_progress,
            Box::new(move |chunk| {
                let bytes = u64::from(chunk.byte_length());
                total.set(total.get().saturating_add(bytes));
                if total.get() > size {
                    // More than the verified manifest says: the worker will refuse the
                    // file anyway; do not let it fill the memory first.
                    control_for_chunks.stop();
                    return;
                }
                parts.push(&chunk);
                control_for_chunks.acknowledge(bytes);
            }),
        )
        .await
    };
    match result {
        Ok(()) => {}
        Err(_) if control.cancelled() => return Ok(Saved::Cancelled),
        Err(error) => return Err(error),
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &options)
        .map_err(|e| js_error(ErrorCode::Internal, &e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|e| js_error(ErrorCode::Internal, &e))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| WorkerError::new(ErrorCode::Internal, "no document"))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| js_error(ErrorCode::Internal, &e))?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(&target.name);
    click(&document, &link);
    // Leave the browser time to read the blob before releasing it.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
    Ok(Saved::ToDownloads)
}

// ----- helpers ---------------------------------------------------------------------------

/// Calls `target[name](...args)`, expecting a promise.
fn call_method(target: &JsValue, name: &str, args: &[JsValue]) -> Result<Promise, JsValue> {
    let method: Function = Reflect::get(target, &name.into())?.dyn_into()?;
    let args: Array = args.iter().collect();
    method.apply(target, &args)?.dyn_into()
}

/// A DOM exception's name (`AbortError`…).
fn error_name(error: &JsValue) -> String {
    Reflect::get(error, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn js_error(code: ErrorCode, error: &JsValue) -> WorkerError {
    let message = Reflect::get(error, &"message".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| format!("{error:?}"));
    WorkerError::new(code, format!("{}: {message}", error_name(error)))
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits until `done()` (true), or `timeout_ms` passed (false).
async fn wait_for(done: impl Fn() -> bool, timeout_ms: u32) -> bool {
    const STEP: u32 = 25;
    let mut waited = 0;
    while !done() {
        if waited >= timeout_ms {
            return false;
        }
        sleep(STEP as i32).await;
        waited += STEP;
    }
    true
}

pub(crate) use crate::model::file_name::safe_file_name;
