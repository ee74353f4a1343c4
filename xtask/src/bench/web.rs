//! `cargo xtask bench web`: the web app in headless Chromium, as people use it — a 1 GiB
//! send (encrypt and upload pipelined, against WebCrypto AES-GCM in the same page) and a
//! 2 GiB receive (the page's memory while it streams to the downloads); `cargo xtask
//! bench login`: logging in with 10,000 entries in the directory's log. The measuring is
//! done by `tests/examples/bench_web.rs` and `bench_login.rs` (they drive Chromium with
//! the end-to-end tests' harness); this builds what they need and runs them.

use anyhow::{Context as _, Result};
use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::run_with_env;
use crate::{deps, web};

pub(crate) fn run(ws: &Workspace) -> Result<()> {
    in_chromium(ws, "bench_web")
}

/// `cargo xtask bench login`: logging in with a large directory log
/// (`tests/examples/bench_login.rs`).
pub(crate) fn login(ws: &Workspace) -> Result<()> {
    in_chromium(ws, "bench_login")
}

/// Builds the bundle people get (optimised by wasm-opt) and the `pli-e2e` example
/// `example`, then runs it against that bundle.
fn in_chromium(ws: &Workspace, example: &str) -> Result<()> {
    let bundle = release_bundle(ws)?;
    run_example(ws, &bundle, example)
}

/// The bundle people get (optimised by wasm-opt, precompressed), with Chromium installed
/// to load it.
pub(super) fn release_bundle(ws: &Workspace) -> Result<web::Bundle> {
    deps::debian_packages(&["chromium", "chromium-driver"])?;
    web::build(
        ws,
        web::Options {
            wasm_opt: true,
            locked: false,
        },
    )
}

/// Builds the `pli-e2e` example `example` and runs it against `bundle`.
pub(super) fn run_example(ws: &Workspace, bundle: &web::Bundle, example: &str) -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(&ws.root);
    cmd!(sh, "cargo build --release -p pli-e2e --example {example}")
        .run()
        .with_context(|| format!("cannot build the benchmark {example}"))?;
    let binary = ws.target.join("release/examples").join(example);
    run_with_env(
        cmd!(sh, "{binary}"),
        &[("PLI_WEB_DIST", bundle.dist.as_ref())],
    )
    .with_context(|| format!("the benchmark {example} failed"))
}
