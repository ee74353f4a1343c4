//! Pli's web app, compiled to three WebAssembly modules from this one crate:
//!
//! * the login page's (feature `door`): [`start_door`] mounts the frame of the
//!   interface with the login and unlock forms only ([`door`]), what every visit loads
//!   first; once the keys are unlocked (or for a one-time link) it steps aside for
//! * the page's (feature `app`): [`start_app`] mounts the whole Leptos interface
//!   ([`app`]). Neither ever holds a private key: they ask the worker for anything
//!   cryptographic ([`bridge`]);
//! * the worker's (feature `worker`): in a dedicated Web Worker, [`start_worker`] runs
//!   [`worker`]: it holds the unlocked keys in its memory, talks to the relay, and
//!   encrypts, decrypts, signs and verifies with `pli-crypto` through `pli-client` — so
//!   the page stays responsive and the keys stay out of the page.
//!
//! `cargo xtask web` builds each with its feature alone, so that neither interface module
//! holds cryptography to decrypt or sign with, the door holds no page but the login
//! page's, and the worker's no interface; the worker starts, and its module is fetched,
//! at the first request the page cannot answer itself ([`bridge`]), and the door hands
//! it over to the app. Every feature is on by default, for the lints and tests.
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
#[cfg(all(target_arch = "wasm32", feature = "door"))]
pub mod door;
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

/// Mounts the whole interface (called by `boot.js` once the door has stepped aside:
/// [`door`], or at once for a one-time link's address), on the worker the door started,
/// if it started one. `entered`: the keys were just unlocked, so the focus moves to the
/// page's main heading once it is drawn.
#[cfg(all(target_arch = "wasm32", feature = "app"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_app(worker: Option<web_sys::Worker>, entered: bool) {
    console_error_panic_hook::set_once();
    if let Some(worker) = worker {
        bridge::adopt(worker);
    }
    leptos::mount::mount_to_body(move || view_app(entered));
}

#[cfg(all(target_arch = "wasm32", feature = "app"))]
fn view_app(entered: bool) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! { <app::App entered=entered /> }
}

/// Mounts the login page's interface (called by `boot.js` first, on every visit but to
/// a one-time link's address).
#[cfg(all(target_arch = "wasm32", feature = "door"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_door() {
    console_error_panic_hook::set_once();
    door::mount();
}

/// Takes the login page's interface down, and hands over the worker it started, if it
/// started one (called by `boot.js` before [`start_app`]).
#[cfg(all(target_arch = "wasm32", feature = "door"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn stop_door() -> Option<web_sys::Worker> {
    door::unmount();
    bridge::hand_over()
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
