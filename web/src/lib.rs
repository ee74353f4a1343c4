//! Pli's web app, compiled to WebAssembly and loaded twice:
//!
//! * in the page, [`start_app`] mounts the Leptos interface ([`app`]), which never holds
//!   a private key and asks the worker for anything cryptographic ([`bridge`]);
//! * in a dedicated Web Worker, [`start_worker`] runs [`worker`]: it holds the unlocked
//!   keys in its memory, talks to the relay, and encrypts, decrypts, signs and verifies
//!   with `pli-crypto` through `pli-client` — so the page stays responsive and the keys
//!   stay out of the page.
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

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod bridge;
#[cfg(target_arch = "wasm32")]
pub mod pages;
#[cfg(target_arch = "wasm32")]
pub mod passkey;
#[cfg(target_arch = "wasm32")]
pub mod port;
#[cfg(target_arch = "wasm32")]
pub mod strength;
#[cfg(target_arch = "wasm32")]
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub use browser::{start_app, start_worker};

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen::prelude::wasm_bindgen;

    /// Mounts the interface (called by `boot.js`).
    #[wasm_bindgen]
    pub fn start_app() {
        console_error_panic_hook::set_once();
        leptos::mount::mount_to_body(super::app::App);
    }

    /// Starts serving requests from the page (called by `worker.js` in the worker).
    #[wasm_bindgen]
    pub fn start_worker() {
        console_error_panic_hook::set_once();
        super::worker::start();
    }
}
