//! Pli's web app, compiled to two WebAssembly modules from this one crate:
//!
//! * the page's (feature `page`): [`start_app`] mounts the Leptos interface ([`app`]),
//!   which never holds a private key and asks the worker for anything cryptographic
//!   ([`bridge`]);
//! * the worker's (feature `worker`): in a dedicated Web Worker, [`start_worker`] runs
//!   [`worker`]: it holds the unlocked keys in its memory, talks to the relay, and
//!   encrypts, decrypts, signs and verifies with `pli-crypto` through `pli-client` — so
//!   the page stays responsive and the keys stay out of the page.
//!
//! `cargo xtask web` builds each with its feature alone, so that the page's module holds
//! no cryptography to decrypt or sign with (and is what the login page loads), and the
//! worker's no interface; the worker starts, and its module is fetched, at the first
//! request the page cannot answer itself ([`bridge`]). Both features are on by default,
//! for the lints and tests.
//!
//! Natively only the pure parts compile (the catalogues of [`i18n`], the page ↔ worker
//! vocabulary of [`protocol`]), so that their unit tests run with the workspace's; the
//! interface and the worker are built for `wasm32-unknown-unknown` only.

#![forbid(unsafe_code)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "JavaScript hands numbers over as f64; ids and sizes fit"
)]

pub mod i18n;
pub mod model;
pub mod protocol;

#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod app;
#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod bridge;
#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod pages;
#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod passkey;
#[cfg(target_arch = "wasm32")]
pub mod port;
#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod strength;
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub mod worker;

/// Mounts the interface (called by `boot.js`).
#[cfg(all(target_arch = "wasm32", feature = "page"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_app() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

/// Starts sealing the runs of chunks the keys' worker sends (called by `worker.js` in a
/// helper of its pool: `worker::pool`).
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_sealer() {
    console_error_panic_hook::set_once();
    worker::pool::serve();
}

/// Starts serving requests from the page (called by `worker.js` in the worker).
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_worker() {
    console_error_panic_hook::set_once();
    worker::start();
}
