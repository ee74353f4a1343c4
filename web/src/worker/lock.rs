//! One send at a time per exchange across the person's tabs: a Web Lock
//! (`navigator.locks`, shared by every tab and worker of the origin) named after the
//! exchange, held from the moment its first plan is handed out, or from the start of a
//! resume, until the send ends. Without it, a second tab could resume (from the plan a
//! first tab is still extending) a send the first is still uploading, with other files
//! of the same names and sizes, and seal chunks under keys and nonces whose ciphertext
//! already left.

use js_sys::{Function, Object, Promise, Reflect};
use pli_api::ExchangeId;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A send's lock, released when dropped. Empty in a browser without Web Locks (all
/// current ones have them), where one tab cannot see another's sends.
pub(super) struct SendLock {
    release: Option<Function>,
}

impl Drop for SendLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

/// Another tab or window holds the lock of this exchange's send.
#[derive(Debug)]
pub(super) struct Busy;

/// Takes the lock of `exchange`'s send if no one holds it.
pub(super) async fn lock_send(exchange: &ExchangeId) -> Result<SendLock, Busy> {
    let Some((locks, request)) = lock_manager() else {
        return Ok(SendLock { release: None });
    };
    let (granted, grant) = promise();
    let (held, release) = promise();
    let (Some(grant), Some(release)) = (grant, release) else {
        return Err(Busy);
    };
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let got = !lock.is_null() && !lock.is_undefined();
        let _ = grant.call1(&JsValue::NULL, &JsValue::from_bool(got));
        // The lock stays held until the promise returned here settles.
        if got { held.into() } else { JsValue::UNDEFINED }
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let name = JsValue::from_str(&format!("pli-send:{exchange}"));
    if request.call3(&locks, &name, &options, &callback).is_err() {
        return Err(Busy);
    }
    match JsFuture::from(granted).await {
        Ok(got) if got.as_bool() == Some(true) => Ok(SendLock {
            release: Some(release),
        }),
        _ => Err(Busy),
    }
}

/// `navigator.locks` and its `request` method, if this browser has them.
fn lock_manager() -> Option<(JsValue, Function)> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into())
        .ok()
        .filter(|l| l.is_object())?;
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((locks, request))
}

/// A promise and the function that resolves it.
fn promise() -> (Promise, Option<Function>) {
    let mut resolve = None;
    let promise = Promise::new(&mut |yes, _no| resolve = Some(yes));
    (promise, resolve)
}
