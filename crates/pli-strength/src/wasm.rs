//! The estimator module's one export, for the web app's page: `check(password, context)`
//! answers [`check_new_password`]'s [`Verdict`] as the bytes [`verdict::encode`] writes
//! (a `Uint8Array`). `web/src/strength.rs` loads this module (through
//! `window.pliStrength`, set by `boot.js`) only where a password is chosen, and reads the
//! answer with [`verdict::decode`].

use wasm_bindgen::prelude::wasm_bindgen;

use crate::{check_new_password, verdict};

/// Checks a new password against the rule, `context` being what an attacker knows of the
/// person (their address, name, organisation).
#[wasm_bindgen]
pub fn check(password: &str, context: Vec<String>) -> Vec<u8> {
    let context: Vec<&str> = context.iter().map(String::as_str).collect();
    verdict::encode(&check_new_password(password, &context))
}
