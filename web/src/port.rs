//! The messages on a download's ports to the service worker (`web/static/sw.js`, where
//! the conversation is described): `{ type, bytes? }`, the bytes transferred, not copied.
//! The page posts them, and so does the decrypting worker, on the port the page hands it.

use js_sys::{Array, ArrayBuffer, Object, Reflect};
use wasm_bindgen::JsValue;

/// Posts `{ type: kind, bytes? }` on `port`, transferring `bytes`.
pub fn post(
    port: &web_sys::MessagePort,
    kind: &str,
    bytes: Option<&ArrayBuffer>,
) -> Result<(), JsValue> {
    let message = Object::new();
    Reflect::set(&message, &"type".into(), &kind.into())?;
    let transfer = Array::new();
    if let Some(bytes) = bytes {
        Reflect::set(&message, &"bytes".into(), bytes)?;
        transfer.push(bytes);
    }
    port.post_message_with_transferable(&message, &transfer)
}
