//! The last way to save, for small files only ([`MEMORY_LIMIT`](super::MEMORY_LIMIT)): the
//! whole file gathered in memory, then a `Blob` saved through `<a download>` once it
//! verified.

use pli_api::ErrorCode;
use std::cell::Cell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

use super::{Chunks, Control, OnProgress, Saved, Target, click, download, js_error};
use crate::protocol::WorkerError;

pub(super) async fn through_memory(
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
            Chunks::Page(Box::new(move |chunk| {
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
            })),
        )
        .await
    };
    match result {
        // Cancelled after the last chunk: nothing is handed to the browser.
        Ok(()) if control.cancelled() => return Ok(Saved::Cancelled),
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
