//! Downloads with flow control: the worker sends a file's decrypted chunks to the page,
//! never more than [`WINDOW`] bytes that the page has not acknowledged; the page
//! acknowledges what it wrote (`ack`) or gives up (`stop_download`).

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::io::AsyncWrite;
use js_sys::Uint8Array;
use pli_client::Progress;

use super::receive::opened_exchange;
use super::{STATE, answer, post, progress, progress_report, session, with_state};
use crate::protocol::{Download, WINDOW, WorkerError};

/// The flow control of one download in progress.
#[derive(Default)]
pub(super) struct Window {
    in_flight: u64,
    waker: Option<Waker>,
    /// The page gave up on this download (`stop_download`): stop at the next chunk.
    cancelled: bool,
}

/// Decrypts a file of an opened exchange, sent back in chunks.
pub(super) async fn download(id: u32, r: Download) -> Result<String, WorkerError> {
    let received = opened_exchange(&r.exchange_id)?;
    let session = session()?;
    let window = Rc::new(RefCell::new(Window::default()));
    with_state(|s| s.windows.insert(id, window.clone()))?;
    let mut writer = ChunkWriter {
        id,
        window,
        scratch: Scratch::default(),
    };
    let report = move |p: Progress| progress(id, progress_report(&p));
    let result = session
        .download_file_with_progress(&received, r.index, &mut writer, &report)
        .await;
    with_state(|s| s.windows.remove(&id))?;
    result?;
    answer(&r, &())
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
    scratch: Scratch,
}

/// Keeps V8 collecting this worker's spent buffers while a download streams.
///
/// Each fetched piece of ciphertext arrives in a fresh `ArrayBuffer`, and each decrypted
/// chunk leaves in one; V8 collects them late, by up to a hundred megabytes, since their
/// bytes are outside its heap. A small throwaway array per 64 KiB (16 KiB of JavaScript
/// heap, under V8's large-object size so that it is made in the young generation) keeps
/// scavenges coming, and each frees the buffers spent since the last. The service worker
/// does the same (`web/static/sw.js`, where the figures are).
#[derive(Default)]
struct Scratch {
    /// Bytes since the last array.
    since: usize,
    /// The last array, kept until the next one.
    last: Option<js_sys::Array>,
}

impl Scratch {
    const EVERY: usize = 64 * 1024;
    const LENGTH: u32 = 4 * 1024;

    fn count(&mut self, bytes: usize) {
        self.since += bytes;
        while self.since >= Self::EVERY {
            self.since -= Self::EVERY;
            let array = js_sys::Array::new_with_length(Self::LENGTH);
            self.last = Some(array.fill(&wasm_bindgen::JsValue::from(0), 0, Self::LENGTH));
        }
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
        let bytes = Uint8Array::from(buf);
        post(self.id, "chunk", None, Some(&bytes.buffer()));
        self.get_mut().scratch.count(buf.len());
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
