//! A part's upload in the browser, through `fetch` itself rather than reqwest: one copy
//! of its 16 MiB fewer.
//!
//! reqwest copies a request's body out of the module's memory into a new JavaScript
//! buffer, which `fetch` then copies again: two fresh 16 MiB allocations per part, each
//! page-faulted in and zeroed by the kernel, on the thread that reads, hashes and sends
//! (the send's busiest). Here `fetch` gets a view of the part where it lies, in the
//! module's memory, and makes the only copy: the Fetch standard's « extract a body »
//! takes « a copy of the bytes held by » a buffer source when the `Request` is made,
//! before anything else runs (as WebCrypto's `digest` does, `rt::web_crypto`).
//!
//! The request is aborted once its answer is in (or when its future is dropped): an
//! answer left unread keeps Chromium's loader open, and with it the request's copy of
//! the body, until the garbage collector finds the `Response`. reqwest aborts the same
//! way when its `Response` is dropped; without it, a 1 GiB send grew the renderer by
//! 2.2 GiB (README, « A send's memory »).

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, Request, RequestInit, Response};

use crate::ClientError;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`: a window's or a worker's.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
}

/// Sends `body` with `method` to `url`, with `headers` and the session's `token`, and
/// reads the answer's status (its body only for an error). A request that fails before an
/// answer arrives is [`ClientError::Unsent`] (retried by the callers that may retry); an
/// error status is the relay's [`ClientError::Api`], as through reqwest.
pub(super) async fn send_bytes(
    method: &str,
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), ClientError> {
    let controller = AbortController::new().map_err(unsent)?;
    let _abort = Abort(controller.clone());
    let header_map = Headers::new().map_err(unsent)?;
    for (name, value) in headers {
        header_map.set(name, value).map_err(unsent)?;
    }
    if let Some(token) = token {
        header_map
            .set("authorization", &format!("Bearer {token}"))
            .map_err(unsent)?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&header_map);
    init.set_signal(Some(&controller.signal()));

    let too_long = || ClientError::Unsent("a body beyond 4 GiB".into());
    let length = u32::try_from(body.len()).map_err(|_| too_long())?;
    let offset = u32::try_from(body.as_ptr() as usize).map_err(|_| too_long())?;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory()
        .dyn_into()
        .map_err(|_| ClientError::Unsent("the module's memory is not reachable".into()))?;
    // From the view to the `Request`, nothing allocates in the module's memory (growing
    // it would detach the view); the `Request` then holds its own copy, and the view is
    // kept nowhere.
    let view = Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), offset, length);
    init.set_body(&view);
    let request = Request::new_with_str_and_init(url, &init);
    init.set_body(&JsValue::UNDEFINED);
    let request = request.map_err(unsent)?;

    let response: Response = JsFuture::from(global_fetch(&request))
        .await
        .map_err(unsent)?
        .dyn_into()
        .map_err(unsent)?;
    if response.ok() {
        return Ok(());
    }
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let text = match response.text() {
        Ok(reading) => JsFuture::from(reading)
            .await
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Err(ClientError::from_answer(
        response.status(),
        retry_after.as_deref(),
        text,
    ))
}

/// Aborts its request when dropped: what is left of it (an unread answer, or all of it).
struct Abort(AbortController);

impl Drop for Abort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why a request got no answer: what JavaScript threw, or rejected with.
fn unsent(error: JsValue) -> ClientError {
    let text = error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"));
    ClientError::Unsent(text)
}
