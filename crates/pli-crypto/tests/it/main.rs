//! pli-crypto's integration tests: one binary, natively and in headless Chromium
//! (`wasm32-unknown-unknown`, wasm-bindgen-test).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "tests fail loudly on the first unexpected value"
)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Marks a test for both targets: `#[test]` natively, `#[wasm_bindgen_test]` in the browser.
macro_rules! both_targets {
    ($($(#[$meta:meta])* fn $name:ident() $body:block)*) => {$(
        $(#[$meta])*
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() $body
    )*};
}

mod cctv;
mod hybrid;
mod objects;
#[cfg(not(target_arch = "wasm32"))]
mod roundtrip;
mod stream;
