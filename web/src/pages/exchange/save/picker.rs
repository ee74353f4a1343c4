//! The first way to save: the file the person chooses in `showSaveFilePicker()`, written
//! through its `FileSystemWritableFileStream` chunk by chunk, and aborted (the browser
//! discards it) if the file does not verify.

use pli_api::ErrorCode;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{ArrayBuffer, Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Chunks, Control, OnProgress, Saved, Target, call_method, download, js_error};
use crate::protocol::WorkerError;

/// Calls `window.showSaveFilePicker({ suggestedName })` if the browser has it.
pub(super) fn open_picker(name: &str) -> Option<Promise> {
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

pub(super) async fn to_file(
    handle: JsValue,
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    let handle: web_sys::FileSystemFileHandle = handle.unchecked_into();
    let writable = match JsFuture::from(handle.create_writable()).await {
        Ok(writable) => writable,
        Err(error) => {
            // The picker may have made the file already: leave no empty file behind.
            remove(&handle).await;
            return Err(js_error(ErrorCode::Io, &error));
        }
    };
    let queue = Rc::new(RefCell::new(Queue::default()));
    let downloading = {
        let queue = queue.clone();
        async move {
            let pushed = queue.clone();
            let result = download(
                target,
                control,
                on_progress,
                Chunks::ToPage(Box::new(move |chunk| Queue::push(&pushed, chunk))),
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
        remove(&handle).await;
    }
    outcome
}

/// Removes the file the picker made, where the browser can (`remove()` is recent).
async fn remove(handle: &JsValue) {
    if let Ok(promise) = call_method(handle, "remove", &[]) {
        let _ = JsFuture::from(promise).await;
    }
}
