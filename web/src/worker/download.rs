//! Downloads with flow control: the worker fetches a file's ciphertext into one reused
//! buffer ([`BodyReader`]), and sends its decrypted chunks to the page, or straight to the
//! service worker's stream when the page handed over its port ([`StreamPort`]), never more
//! than [`WINDOW`] bytes that were not acknowledged; the page acknowledges what it wrote
//! (`ack`) or gives up (`stop_download`), the service worker what its stream took.

use std::cell::RefCell;
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

/// Decrypts a file of an opened exchange, sent in chunks to the page or, when the page
/// handed over the service worker's port, straight to the service worker's stream.
pub(super) async fn download(
    id: u32,
    r: Download,
    port: Option<web_sys::MessagePort>,
) -> Result<String, WorkerError> {
    let received = opened_exchange(&r.exchange_id)?;
    let session = session()?;
    let object = session.file_object(&received, r.index)?;
    let window = Rc::new(RefCell::new(Window {
        fetch: web_sys::AbortController::new().ok(),
        ..Window::default()
    }));
    with_state(|s| s.windows.insert(id, window.clone()))?;
    let sink = match port {
        Some(port) => Sink::Stream(StreamPort::new(port, window.clone())),
        None => Sink::Page(id),
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
    let _ = with_state(|s| s.windows.remove(&id));
    let cancelled = writer.window.borrow().cancelled;
    // The service worker's stream ends only once the whole file verified, and fails
    // otherwise: the browser then marks the download failed instead of keeping a part.
    let ended = result.is_ok()
        && !cancelled
        && match &writer.sink {
            Sink::Stream(stream) => stream.post("done", None).is_ok(),
            Sink::Page(_) => true,
        };
    if let (false, Sink::Stream(stream)) = (ended, &writer.sink) {
        let _ = stream.post("abort", None);
    }
    // A cancelled download says so, whatever broke first (the fetch aborted, a write
    // refused).
    if cancelled {
        return Err(WorkerError::new(pli_api::ErrorCode::Cancelled, "cancelled"));
    }
    result?;
    if !ended {
        return Err(WorkerError::new(
            pli_api::ErrorCode::SaveBlocked,
            "the service worker's stream could not be ended",
        ));
    }
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

/// Sends decrypted bytes on, waiting while more than [`WINDOW`] are unacknowledged.
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
        let bytes = Uint8Array::from(buf).buffer();
        match &self.sink {
            Sink::Page(id) => post(*id, "chunk", None, Some(&bytes)),
            Sink::Stream(stream) => stream.post("chunk", Some(&bytes))?,
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
