//! Saving a decrypted file with bounded memory, whatever its size.
//!
//! The worker decrypts the file chunk by chunk (op `download`), never more than
//! [`WINDOW`](crate::protocol::WINDOW) bytes ahead of what was acknowledged as written
//! (by the page, by the service worker, or by the picked file's writes resolving). The
//! chunks go to the first of:
//!
//! 1. the file the person chooses in `window.showSaveFilePicker()` (called in the click
//!    handler itself, which the browser requires), handed to the worker, which writes it
//!    through its `FileSystemWritableFileStream` (its writes resolving are the flow
//!    control), closes it once the whole file verified, and aborts it (the browser then
//!    discards what it wrote) if decryption or verification fails;
//! 2. the browser's download manager, through the service worker (`/sw.js`): the page
//!    hands it two `MessagePort`s, navigates to `/__download/<id>`, and the service
//!    worker answers with a `ReadableStream` fed by the second port, which the page has
//!    transferred to the decrypting worker; the service worker acknowledges each chunk to
//!    it when its stream wants more (`pull`), ends the stream when it says the whole file
//!    verified (and tells the page), and errors it — the download then shows as failed —
//!    if the worker or the page reports a failure or a cancel (an older service worker,
//!    still active after an update, reads one port: the page forwards the chunks);
//! 3. for small files only ([`MEMORY_LIMIT`]), a `Blob` saved through `<a download>`,
//!    made only once the whole file decrypted and verified.
//!
//! Nothing here is a partial file presented as complete: a file is closed (1), its stream
//! ended (2) or its blob made (3) only after the worker said the whole file verified, and
//! a saving the person cancelled meanwhile is not one either.
//!
//! When the picker exists but cannot be shown (`NotAllowedError`, `SecurityError`: no
//! user activation left, a policy, a headless browser) or the person closes it
//! (`AbortError`), nothing is saved and nothing else starts by itself: [`save`] says so
//! ([`Saved::PickerUnavailable`], [`Saved::PickerClosed`]) and the page offers the
//! download instead ([`download_instead`]: ways 2 and 3). Any other failure of the picker
//! (an older implementation) goes on to way 2 at once, as in browsers without it.
//!
//! The three ways live in `picker.rs`, `service_worker.rs` and `memory.rs`; this module
//! chooses between them, runs the worker's download for each, and holds the small
//! JavaScript helpers they share.

use pli_api::ErrorCode;
use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Function, Promise, Reflect};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::bridge;
use crate::protocol::{ProgressReport, WorkerError};

mod memory;
mod picker;
mod service_worker;

use memory::through_memory;
use picker::{open_picker, to_file};
use service_worker::{service_worker, through_service_worker};

/// The largest file saved through memory when the browser offers neither a file picker
/// nor a service worker.
pub(crate) const MEMORY_LIMIT: u64 = 16 * 1024 * 1024;

/// How a file was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saved {
    /// Written to the file the person chose.
    ToFile,
    /// Handed to the browser's downloads.
    ToDownloads,
    /// The person cancelled (the button, or the browser's download).
    Cancelled,
    /// The person closed the file picker: nothing was saved.
    PickerClosed,
    /// The file picker could not be shown: nothing was saved.
    PickerUnavailable,
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
                Ok(handle) => match to_file(handle, &target, &control, on_progress.clone()).await {
                    // Workers that cannot write the file (an older implementation): the
                    // next way.
                    Err(error) if error.code == ErrorCode::SaveUnsupported => {}
                    saved => return saved,
                },
                Err(_) if control.cancelled() => return Ok(Saved::Cancelled),
                Err(error) => match error_name(&error).as_str() {
                    "AbortError" => return Ok(Saved::PickerClosed),
                    "NotAllowedError" | "SecurityError" => return Ok(Saved::PickerUnavailable),
                    // An older implementation (options it refuses…): the next way.
                    _ => {}
                },
            }
        }
        to_downloads(&target, &control, on_progress).await
    }
}

/// Saves `target` to the browser's downloads, without the file picker: what the page
/// offers when the picker could not be shown or was closed. Call it from a click too
/// (some browsers start downloads only after one).
pub(crate) async fn download_instead(
    target: Target,
    control: Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    to_downloads(&target, &control, on_progress).await
}

/// Ways 2 and 3.
async fn to_downloads(
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    if let Some(worker) = service_worker().await {
        return through_service_worker(&worker, target, control, on_progress).await;
    }
    if target.size <= MEMORY_LIMIT {
        return through_memory(target, control, on_progress).await;
    }
    Err(WorkerError::new(
        ErrorCode::SaveUnsupported,
        "no file picker, no service worker, and the file is too large for memory",
    ))
}

/// Where the worker sends a download's decrypted chunks.
enum Chunks {
    /// To the page, which hands each to this function.
    Page(Box<dyn FnMut(ArrayBuffer)>),
    /// Where the worker sends them itself: the service worker's stream, the picked file.
    Worker(bridge::Destination),
}

/// Runs the worker's `download` of `target`, its decrypted chunks sent to `chunks`.
async fn download(
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
    chunks: Chunks,
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
    let (on_chunk, destination) = match chunks {
        Chunks::Page(on_chunk) => (Some(on_chunk), None),
        Chunks::Worker(destination) => (None, Some(destination)),
    };
    let with = bridge::With {
        files: &[],
        on_progress: Some(progress),
        on_chunk,
        plans: None,
        destination,
    };
    let running = bridge::start(request, with)?;
    control.0.request.set(Some(running.handle()));
    let result = running.outcome().await;
    control.0.request.set(None);
    result
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

pub(crate) use crate::model::file_name::safe_file_name;
