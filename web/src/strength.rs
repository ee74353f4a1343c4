//! zxcvbn's estimate for the forms where a password is chosen, from a WebAssembly module
//! of its own: `pli-strength` with its `estimator` feature, built by `cargo xtask web`
//! into `assets/strength-<hash>.wasm` and its glue. zxcvbn (its word lists and two regex
//! engines) would grow this module by more than the login page's whole transfer budget,
//! so only the pages that need it fetch it, and only once they are shown.
//!
//! `boot.js` sets `window.pliStrength`: a function that loads the module once (its glue
//! and its wasm checked against their Subresource Integrity hashes) and gives back the
//! same promise of its exports ever after. [`load`] calls it through `js_sys`, and an
//! [`Estimator`] calls the module's one export, `check`, which answers a [`Verdict`] as
//! a few bytes (`pli_strength::verdict`, read here by the same code that wrote them).

use std::time::Duration;

use futures_util::future::{Either, select};
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use pli_strength::{Verdict, verdict};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long a submission waits for the module (about 430 KiB gzipped) before it says the
/// check cannot be loaded.
pub const SUBMIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The estimator module, loaded: its `check` export.
#[derive(Clone, Debug)]
pub struct Estimator {
    check: Function,
}

/// The module could not be loaded or did not answer as expected (the network, a bundle
/// replaced under an open page, a module that fails its integrity check). The detail is
/// for the console only.
#[derive(Clone, Debug)]
pub struct Unavailable(pub String);

impl Estimator {
    /// The rule's verdict on `password`, `context` being what an attacker knows of the
    /// person (their address, name, organisation).
    pub fn check(&self, password: &str, context: &[String]) -> Result<Verdict, Unavailable> {
        let context: Array = context.iter().map(|part| JsValue::from_str(part)).collect();
        let answer = self
            .check
            .call2(&JsValue::NULL, &JsValue::from_str(password), &context)
            .map_err(|error| unavailable("check failed", &error))?;
        let bytes = answer
            .dyn_into::<Uint8Array>()
            .map_err(|_| Unavailable("check answered no bytes".to_owned()))?
            .to_vec();
        verdict::decode(&bytes).ok_or_else(|| Unavailable(format!("check answered {bytes:?}")))
    }
}

/// Loads the estimator module (once per page: later calls share the first one's
/// loading).
pub async fn load() -> Result<Estimator, Unavailable> {
    let window = web_sys::window().ok_or_else(|| Unavailable("no window".to_owned()))?;
    let loader = Reflect::get(&window, &JsValue::from_str("pliStrength"))
        .ok()
        .and_then(|loader| loader.dyn_into::<Function>().ok())
        .ok_or_else(|| Unavailable("boot.js set no window.pliStrength".to_owned()))?;
    let promise: Promise = loader
        .call0(&window)
        .map_err(|error| unavailable("pliStrength failed", &error))?
        .dyn_into()
        .map_err(|_| Unavailable("pliStrength returned no promise".to_owned()))?;
    let module = JsFuture::from(promise)
        .await
        .map_err(|error| unavailable("cannot load the estimator", &error))?;
    let check = Reflect::get(&module, &JsValue::from_str("check"))
        .ok()
        .and_then(|check| check.dyn_into::<Function>().ok())
        .ok_or_else(|| Unavailable("the estimator module exports no check".to_owned()))?;
    Ok(Estimator { check })
}

/// [`load`], or [`Unavailable`] after `timeout`.
pub async fn load_within(timeout: Duration) -> Result<Estimator, Unavailable> {
    let loading = Box::pin(load());
    let waited = Box::pin(sleep(timeout));
    match select(loading, waited).await {
        Either::Left((loaded, _)) => loaded,
        Either::Right(((), _)) => Err(Unavailable(format!(
            "the estimator did not load within {} s",
            timeout.as_secs()
        ))),
    }
}

fn unavailable(what: &str, error: &JsValue) -> Unavailable {
    let message = Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{error:?}"));
    Unavailable(format!("{what}: {message}"))
}

/// Resolves after `duration` (a timer of the page's event loop).
async fn sleep(duration: Duration) {
    let ms = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
