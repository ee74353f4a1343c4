//! Pli's fuzz targets, as ordinary functions of the input bytes.
//!
//! Each target ([`TARGETS`]) feeds its input to one of the parsers that read what an
//! attacker controls — the age header and armor, the STREAM decryptor, the canonical
//! decoders, signature verification, the relay's JSON bodies and part-upload headers — and
//! checks properties, not only the absence of a panic: a decoded value encodes back to
//! the same bytes, verification accepts exactly what decoding accepts, a tampered file
//! releases no plaintext of the tampered chunk, and so on (each target's module says
//! which). A broken property panics, which is how a fuzzer learns of it.
//!
//! The same functions run in two ways:
//! * under libFuzzer: `fuzz/` is a cargo-fuzz workspace (nightly) whose targets each call
//!   one of these functions; `cargo xtask fuzz` runs them and reports executions and
//!   crashes per target;
//! * as a stable smoke test (`tests/smoke.rs`, part of `cargo xtask test`): every target
//!   over its seeds ([`seeds`]: the C2SP CCTV vectors, real objects made by
//!   [`seeds::generated`], the committed `fuzz/seeds/` and `fuzz/regressions/`) and a
//!   bounded number of deterministic mutations of them ([`mutate`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod fixtures;
pub mod mutate;
pub mod seeds;
pub mod targets;

/// One fuzz target: a name (also its libFuzzer entry point's, `fuzz/fuzz_targets/<name>.rs`)
/// and the function that takes an input.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// What it feeds its input to, in a few words.
    pub summary: &'static str,
    /// Runs one input; panics if a property does not hold.
    pub run: fn(&[u8]),
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "age_header",
        summary: "the age header parser",
        run: targets::age_header,
    },
    Target {
        name: "age_armor",
        summary: "the ASCII armor decoder, whole and in pieces",
        run: targets::age_armor,
    },
    Target {
        name: "age_decrypt",
        summary: "the push decryptor fed any input in pieces",
        run: targets::age_decrypt,
    },
    Target {
        name: "age_tamper",
        summary: "the STREAM decryptor fed a real file with edits",
        run: targets::age_tamper,
    },
    Target {
        name: "canonical",
        summary: "every canonical decoder",
        run: targets::canonical,
    },
    Target {
        name: "signed",
        summary: "signed-object and certificate-chain verification",
        run: targets::signed,
    },
    Target {
        name: "api_json",
        summary: "the relay's JSON request bodies (and the responses clients read)",
        run: targets::api_json,
    },
    Target {
        name: "upload_headers",
        summary: "a part upload's Content-Digest and Content-Length",
        run: targets::upload_headers,
    },
];

/// The target of this name.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|target| target.name == name)
}
