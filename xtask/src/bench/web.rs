//! `cargo xtask bench web`: the web app in headless Chromium, as people use it — a 1 GiB
//! send (encrypt and upload pipelined, against WebCrypto AES-GCM in the same page) and a
//! 2 GiB receive (the page's memory while it streams to the downloads). The measuring is
//! done by `tests/examples/bench_web.rs` (it drives Chromium with the end-to-end tests'
//! harness); this builds what it needs and runs it.

use anyhow::{Context as _, Result};
use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::run_with_env;
use crate::{deps, web};

pub(crate) fn run(ws: &Workspace) -> Result<()> {
    deps::debian_packages(&["chromium", "chromium-driver"])?;
    // The bundle people get: optimised by wasm-opt.
    let bundle = web::build(
        ws,
        web::Options {
            wasm_opt: true,
            locked: false,
        },
    )?;
    let sh = Shell::new()?;
    sh.change_dir(&ws.root);
    cmd!(sh, "cargo build --release -p pli-e2e --example bench_web")
        .run()
        .context("cannot build the web benchmark")?;
    let bench_web = ws.target.join("release/examples/bench_web");
    run_with_env(
        cmd!(sh, "{bench_web}"),
        &[("PLI_WEB_DIST", bundle.dist.as_ref())],
    )
    .context("the web benchmark failed")
}

/// `cargo xtask bench login`: the login benchmark (`tests/examples/bench_login.rs`) on the
/// optimised bundle.
pub(crate) fn login(ws: &Workspace) -> Result<()> {
    deps::debian_packages(&["chromium", "chromium-driver"])?;
    let bundle = web::build(
        ws,
        web::Options {
            wasm_opt: true,
            locked: false,
        },
    )?;
    let sh = Shell::new()?;
    sh.change_dir(&ws.root);
    cmd!(sh, "cargo build --release -p pli-e2e --example bench_login")
        .run()
        .context("cannot build the login benchmark")?;
    let bench_login = ws.target.join("release/examples/bench_login");
    run_with_env(
        cmd!(sh, "{bench_login}"),
        &[("PLI_WEB_DIST", bundle.dist.as_ref())],
    )
    .context("the login benchmark failed")
}
