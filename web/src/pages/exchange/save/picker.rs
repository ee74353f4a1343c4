//! The first way to save: the file the person chooses in `showSaveFilePicker()`, which the
//! decrypting worker writes through its `FileSystemWritableFileStream`, and aborts (the
//! browser discards what it wrote) if the file does not verify.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Chunks, Control, OnProgress, Saved, Target, call_method, download};
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

/// Saves `target` into the file the person picked: the worker opens it and writes the
/// decrypted bytes itself (the page is not on their way), closes it once the whole file
/// verified and aborts its writes otherwise (the browser then discards them); the page
/// removes the file the picker made, still empty, unless it was saved. A browser whose workers cannot
/// write it says `save_unsupported` before anything is fetched ([`save`](super::save)
/// then saves through the downloads).
pub(super) async fn to_file(
    handle: JsValue,
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    let handle: web_sys::FileSystemFileHandle = handle.unchecked_into();
    let outcome = download(
        target,
        control,
        on_progress,
        Chunks::Worker(crate::bridge::Destination::File(handle.clone())),
    )
    .await;
    if outcome.is_err() {
        // The file the picker made goes, where the browser can remove it, if it is empty:
        // the worker's writes were aborted, so a new file is as the picker made it, and a
        // file the person chose to replace keeps what it held, which stays.
        remove_if_empty(&handle).await;
    }
    match outcome {
        Ok(()) => Ok(Saved::ToFile),
        Err(_) if control.cancelled() => Ok(Saved::Cancelled),
        Err(error) => Err(error),
    }
}

/// Removes the picked file if it is empty, where the browser can (`remove()` is recent).
async fn remove_if_empty(handle: &JsValue) {
    let size = match call_method(handle, "getFile", &[]) {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|file| file.dyn_into::<web_sys::File>().ok())
            .map(|file| file.size()),
        Err(_) => None,
    };
    if size != Some(0.0) {
        return;
    }
    if let Ok(promise) = call_method(handle, "remove", &[]) {
        let _ = JsFuture::from(promise).await;
    }
}
