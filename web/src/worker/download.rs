//! Downloads with flow control: the worker fetches a file's ciphertext into one reused
//! buffer ([`BodyReader`]), and sends its decrypted chunks to the page, or straight to the
//! service worker's stream when the page handed over its port ([`StreamPort`]), never more
//! than [`WINDOW`] bytes that were not acknowledged; the page acknowledges what it wrote
//! (`ack`) or gives up (`stop_download`), the service worker what its stream took. When
//! the page hands over the file the person picked, the worker writes it itself
//! ([`FileSink`]), through a few reused buffers, each lent to one write at a time.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future as _;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::io::AsyncWrite;
use js_sys::Reflect;
use js_sys::Uint8Array;
use pli_client::{ClientError, Progress, Session};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::io::BodyReader;
use super::receive::opened_exchange;
use super::{STATE, answer, post, progress, progress_report, session, with_state};
use crate::protocol::{Download, WINDOW, WorkerError};

/// The flow control of one download in progress.
#[derive(Default)]
pub(super) struct Window {
    in_flight: u64,
    waker: Option<Waker>,
    /// The page gave up on this download (`stop_download`), or the person cancelled it in
    /// the browser (the service worker's `cancelled`): stop at the next chunk.
    cancelled: bool,
    /// Aborts the download's fetch, so that a cancel also stops a relay that stalls.
    fetch: Option<web_sys::AbortController>,
}

impl Window {
    /// Stops the download: at its next chunk, and its fetch at once.
    fn cancel(&mut self) {
        self.cancelled = true;
        if let Some(fetch) = self.fetch.take() {
            fetch.abort();
        }
    }
}

/// Where the page wants a download's decrypted chunks.
pub(super) enum Destination {
    /// To the page, as `chunk` answers.
    Page,
    /// To the service worker's stream, through this port (transferred).
    ServiceWorker(web_sys::MessagePort),
    /// Into the file the person picked (`showSaveFilePicker`), which the worker writes
    /// itself; the handle is cloned, the page keeps its own to remove the file if the
    /// saving fails. (Checked to be a `FileSystemFileHandle` when opened: whatever the
    /// page sent as `file`, no chunk goes anywhere else.)
    File(JsValue),
}

impl Destination {
    /// What a request's message carries: a `port` or a `file`, or neither.
    pub(super) fn of_message(data: &JsValue) -> Self {
        let field = |name: &str| Reflect::get(data, &name.into()).ok();
        if let Some(port) = field("port").and_then(|v| v.dyn_into().ok()) {
            return Self::ServiceWorker(port);
        }
        if let Some(file) = field("file").filter(|v| !v.is_undefined()) {
            return Self::File(file);
        }
        Self::Page
    }
}

/// Decrypts a file of an opened exchange into `destination`. Its end — the service
/// worker's stream ended, the picked file closed — comes only once the whole file
/// verified; anything else fails it (the stream errored, the file's writes aborted, which
/// the browser then discards).
pub(super) async fn download(
    id: u32,
    r: Download,
    destination: Destination,
) -> Result<String, WorkerError> {
    let received = opened_exchange(&r.exchange_id)?;
    let session = session()?;
    let object = session.file_object(&received, r.index)?;
    let window = Rc::new(RefCell::new(Window {
        fetch: web_sys::AbortController::new().ok(),
        ..Window::default()
    }));
    // Registered first: a `stop_download` that comes while the picked file opens stops
    // the download too.
    with_state(|s| s.windows.insert(id, window.clone()))?;
    let sink = match destination {
        Destination::Page => Ok(Sink::Page(id)),
        Destination::ServiceWorker(port) => Ok(Sink::Stream(StreamPort::new(port, window.clone()))),
        Destination::File(handle) => FileSink::open(&handle).await.map(Sink::File),
    };
    let sink = match sink {
        Ok(sink) => sink,
        Err(error) => {
            let _ = with_state(|s| s.windows.remove(&id));
            return Err(error);
        }
    };
    let mut writer = ChunkWriter { sink, window };
    let report = move |p: Progress| progress(id, progress_report(&p));
    let signal = writer.window.borrow().fetch.as_ref().map(|f| f.signal());
    let result = match fetch_object(&session, &object, signal.as_ref()).await {
        Ok(mut body) => {
            session
                .decrypt_file(&received, r.index, &mut body, &mut writer, &report)
                .await
        }
        Err(error) => Err(error),
    };
    let cancelled = || writer.window.borrow().cancelled;
    // Still registered while it ends: a cancel that comes while the picked file's last
    // writes drain is not lost (one that comes once the file is being closed is too late:
    // what is closed is whole and verified).
    let ended = match result {
        Ok(_) if !cancelled() => writer.sink.finish(&cancelled).await,
        Ok(_) => Err(WorkerError::new(pli_api::ErrorCode::Cancelled, "cancelled")),
        Err(error) => Err(error.into()),
    };
    if ended.is_err() {
        writer.sink.abandon().await;
    }
    let _ = with_state(|s| s.windows.remove(&id));
    // A cancelled download says so, whatever broke first (the fetch aborted, a write
    // refused), unless it ended whole before the cancel came.
    if ended.is_err() && cancelled() {
        return Err(WorkerError::new(pli_api::ErrorCode::Cancelled, "cancelled"));
    }
    ended?;
    answer(&r, &())
}

/// Fetches a file's object from the relay (with the session's cookie, as `pli-client`'s
/// requests), to be read by [`BodyReader`] into one reused buffer.
async fn fetch_object(
    session: &Session,
    object: &pli_api::endpoints::Download,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<BodyReader, ClientError> {
    use pli_api::endpoints::Endpoint as _;
    let url = format!("{}{}", session.client().base(), object.path());
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let unreadable = |e: JsValue| ClientError::Unreadable(std::io::Error::other(format!("{e:?}")));
    let init = web_sys::RequestInit::new();
    init.set_signal(signal);
    let response: web_sys::Response = JsFuture::from(scope.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(unreadable)?
        .unchecked_into();
    if !response.ok() {
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let text = match response.text() {
            Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
            Err(_) => None,
        };
        return Err(ClientError::from_answer(
            response.status(),
            retry_after.as_deref(),
            text.unwrap_or_default(),
        ));
    }
    let body = response.body().ok_or_else(|| {
        ClientError::Unreadable(std::io::Error::other("an answer without a body"))
    })?;
    BodyReader::new(&body).map_err(ClientError::Unreadable)
}

/// The page wrote `bytes` of a download: let the worker send more.
pub(super) fn acknowledge_bytes(id: u32, json: &str) {
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
pub(super) fn stop_download(id: u32) {
    update_window(id, Window::cancel);
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

/// Sends decrypted bytes on, waiting while more than [`WINDOW`] are unacknowledged (into
/// a picked file: while every one of its buffers is being written).
struct ChunkWriter {
    sink: Sink,
    window: Rc<RefCell<Window>>,
}

/// Where a download's decrypted chunks go.
enum Sink {
    /// To the page (`chunk` answers to request `id`), which acknowledges what it wrote.
    Page(u32),
    /// To the service worker's stream, which acknowledges on the same port.
    Stream(StreamPort),
    /// Into the picked file, written here: its writes resolving are the acknowledgements.
    File(FileSink),
}

impl Sink {
    /// The whole file verified: the service worker's stream ends, the picked file is
    /// written out and closed (the browser then moves it into place), unless `cancelled()`
    /// says the person gave up meanwhile.
    async fn finish(&mut self, cancelled: &dyn Fn() -> bool) -> Result<(), WorkerError> {
        match self {
            Self::Page(_) => Ok(()),
            Self::Stream(stream) => stream.post("done", None).map_err(|_| {
                WorkerError::new(
                    pli_api::ErrorCode::SaveBlocked,
                    "the service worker's stream could not be ended",
                )
            }),
            Self::File(file) => match file.finish(cancelled).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(WorkerError::new(pli_api::ErrorCode::Cancelled, "cancelled")),
                Err(error) => Err(io_failed(&error)),
            },
        }
    }

    /// The file did not verify, or the saving was cancelled: the service worker's stream
    /// errors (the browser marks the download failed), the picked file's writes are
    /// aborted (the browser discards them).
    async fn abandon(&mut self) {
        match self {
            Self::Page(_) => {}
            Self::Stream(stream) => {
                let _ = stream.post("abort", None);
            }
            Self::File(file) => file.abort().await,
        }
    }
}

/// The picked file, written by the worker: the decrypted bytes are copied into one of at
/// most [`BUFFERS`](Self::BUFFERS) JavaScript buffers of [`BATCH`](Self::BATCH) bytes,
/// each handed to one `write()` once full and lent again once that write resolved (the
/// browser then holds its own copy). The page is no longer on the way of every chunk, and
/// no chunk leaves a buffer behind for a collection: the saving's memory stays flat.
struct FileSink {
    writable: web_sys::FileSystemWritableFileStream,
    /// The buffer being filled, and how much of it is.
    filling: Option<(Uint8Array, u32)>,
    /// Buffers no write holds.
    spare: Vec<Uint8Array>,
    /// The writes under way, oldest first, each with the buffer it was handed.
    writing: VecDeque<(JsFuture, Uint8Array)>,
    /// How many buffers were made.
    made: usize,
}

impl FileSink {
    /// What one `write()` is handed: fewer, larger writes cost the browser less (each is
    /// a message to its file writer).
    const BATCH: u32 = 1024 * 1024;
    /// Buffers at most: one being filled while two are written.
    const BUFFERS: usize = 3;

    /// Opens the picked file for writing. A browser whose workers cannot
    /// (`createWritable` missing) says so with `save_unsupported`, before anything is
    /// fetched: the page then saves through the downloads.
    async fn open(handle: &JsValue) -> Result<Self, WorkerError> {
        let Some(handle) = handle.dyn_ref::<web_sys::FileSystemFileHandle>() else {
            return Err(WorkerError::new(
                pli_api::ErrorCode::SaveUnsupported,
                "what the page handed over is not a file's handle",
            ));
        };
        if !Reflect::has(handle, &"createWritable".into()).unwrap_or(false) {
            return Err(WorkerError::new(
                pli_api::ErrorCode::SaveUnsupported,
                "this browser's workers cannot write a picked file",
            ));
        }
        let writable = JsFuture::from(handle.create_writable())
            .await
            .map_err(|e| {
                let error = js_error("opening the file", &e);
                // Not allowed here (a permission the worker cannot ask for): the page
                // saves through the downloads instead.
                match Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string())
                {
                    Some(name) if name == "NotAllowedError" || name == "SecurityError" => {
                        WorkerError::new(pli_api::ErrorCode::SaveUnsupported, error.to_string())
                    }
                    _ => io_failed(&error),
                }
            })?;
        Ok(Self {
            writable: writable.unchecked_into(),
            filling: None,
            spare: Vec::new(),
            writing: VecDeque::new(),
            made: 0,
        })
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        // Take back the buffers of the writes that resolved.
        while let Some((write, _)) = self.writing.front_mut() {
            match Pin::new(write).poll(cx) {
                Poll::Ready(Ok(_)) => {
                    if let Some((_, buffer)) = self.writing.pop_front() {
                        self.spare.push(buffer);
                    }
                }
                Poll::Ready(Err(e)) => {
                    if let Some((_, buffer)) = self.writing.pop_front() {
                        self.spare.push(buffer);
                    }
                    return Poll::Ready(Err(js_error("writing the file", &e)));
                }
                Poll::Pending => break,
            }
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let (buffer, filled) = match self.filling.take() {
            Some(filling) => filling,
            None => match self.spare.pop() {
                Some(buffer) => (buffer, 0),
                None if self.made < Self::BUFFERS => {
                    self.made += 1;
                    (Uint8Array::new_with_length(Self::BATCH), 0)
                }
                // Every buffer is being written: the oldest write wakes this one.
                None => return Poll::Pending,
            },
        };
        let room = (Self::BATCH - filled) as usize;
        let taken = buf.get(..room).unwrap_or(buf);
        // `taken` is at most BATCH bytes, a u32.
        #[allow(clippy::cast_possible_truncation)]
        let end = filled + taken.len() as u32;
        buffer.subarray(filled, end).copy_from(taken);
        self.filling = Some((buffer, end));
        if end == Self::BATCH {
            self.write_filling()?;
        }
        Poll::Ready(Ok(taken.len()))
    }

    /// Hands the buffer being filled to a `write()`.
    fn write_filling(&mut self) -> std::io::Result<()> {
        let Some((buffer, filled)) = self.filling.take() else {
            return Ok(());
        };
        if filled == 0 {
            self.spare.push(buffer);
            return Ok(());
        }
        let view = if filled == Self::BATCH {
            buffer.clone()
        } else {
            buffer.subarray(0, filled)
        };
        let promise = self
            .writable
            .write_with_buffer_source(&view)
            .map_err(|e| js_error("writing the file", &e))?;
        self.writing.push_back((JsFuture::from(promise), buffer));
        Ok(())
    }

    /// Writes what is left, waits for every write, and closes the file: `true`. `false`
    /// if `cancelled()` says the person gave up before the close (the caller aborts).
    async fn finish(&mut self, cancelled: &dyn Fn() -> bool) -> std::io::Result<bool> {
        self.write_filling()?;
        while let Some((write, buffer)) = self.writing.pop_front() {
            let written = write.await;
            self.spare.push(buffer);
            written.map_err(|e| js_error("writing the file", &e))?;
        }
        self.wipe();
        if cancelled() {
            return Ok(false);
        }
        JsFuture::from(self.writable.close())
            .await
            .map(|_| true)
            .map_err(|e| js_error("closing the file", &e))
    }

    /// Aborts the writes (the browser discards the file's new content), then wipes every
    /// buffer, those the aborted writes held included.
    async fn abort(&mut self) {
        let _ = JsFuture::from(self.writable.abort()).await;
        if let Some((buffer, _)) = self.filling.take() {
            self.spare.push(buffer);
        }
        self.spare
            .extend(self.writing.drain(..).map(|(_, buffer)| buffer));
        self.wipe();
    }

    /// Zeroes the buffers no write holds: no plaintext waits in them for a collection.
    fn wipe(&mut self) {
        for buffer in &self.spare {
            buffer.fill(0, 0, Self::BATCH);
        }
    }
}

/// The worker's error for a write to the picked file that failed (the disk is full, the
/// file was moved…).
fn io_failed(error: &std::io::Error) -> WorkerError {
    WorkerError::new(pli_api::ErrorCode::Io, error.to_string())
}

/// An I/O error saying what `doing` failed on, with the browser's exception.
fn js_error(doing: &str, error: &JsValue) -> std::io::Error {
    let text = |name: &str| {
        Reflect::get(error, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    std::io::Error::other(format!("{doing}: {}: {}", text("name"), text("message")))
}

/// The service worker's side of a download (`web/static/sw.js`), handed over by the page:
/// `chunk` (transferred), then `done` or `abort`, go out; `ack` (what its stream took) and
/// `cancelled` (the person cancelled the download in the browser) come in. The page is
/// then no longer on the way of every chunk.
struct StreamPort {
    port: web_sys::MessagePort,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl StreamPort {
    fn new(port: web_sys::MessagePort, window: Rc<RefCell<Window>>) -> Self {
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let data = event.data();
                let field = |name: &str| Reflect::get(&data, &name.into()).ok();
                let mut window = window.borrow_mut();
                match field("type").and_then(|v| v.as_string()).as_deref() {
                    Some("ack") => {
                        let bytes = field("bytes").and_then(|v| v.as_f64()).unwrap_or(0.0);
                        window.in_flight = window.in_flight.saturating_sub(bytes as u64);
                    }
                    Some("cancelled") => window.cancel(),
                    _ => return,
                }
                if let Some(waker) = window.waker.take() {
                    waker.wake();
                }
            },
        );
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self {
            port,
            _on_message: on_message,
        }
    }

    /// Posts `{ type, bytes? }`, transferring `bytes`.
    fn post(&self, kind: &str, bytes: Option<&js_sys::ArrayBuffer>) -> std::io::Result<()> {
        crate::port::post(&self.port, kind, bytes)
            .map_err(|e| std::io::Error::other(format!("the service worker's port: {e:?}")))
    }
}

impl Drop for StreamPort {
    fn drop(&mut self) {
        self.port.set_onmessage(None);
    }
}

impl AsyncWrite for ChunkWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let mut window = this.window.borrow_mut();
        if window.cancelled {
            return Poll::Ready(Err(std::io::Error::other("download cancelled by the page")));
        }
        if let Sink::File(file) = &mut this.sink {
            let written = file.poll_write(cx, buf);
            if written.is_pending() {
                // A cancel wakes this too, not only the oldest write resolving.
                window.waker = Some(cx.waker().clone());
            }
            return written;
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
        let bytes = Uint8Array::from(buf).buffer();
        match &this.sink {
            Sink::Page(id) => post(*id, "chunk", None, Some(&bytes)),
            Sink::Stream(stream) => stream.post("chunk", Some(&bytes))?,
            Sink::File(_) => {}
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
