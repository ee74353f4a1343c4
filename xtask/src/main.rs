//! `cargo xtask`: the one entry point for everything that is more than `cargo build`.
//!
//! * `cargo xtask dev`: builds the web bundle and the relay, and runs Pli on
//!   `http://127.0.0.1:8080` (SQLite and files in `./data`), printing the one-time set-up
//!   link on a fresh platform.
//! * `cargo xtask web`: builds the web bundle into `target/web/dist` (wasm-bindgen,
//!   wasm-opt, content-hashed assets with Subresource Integrity, precompressed `.br` and
//!   `.gz` variants).
//! * `cargo xtask test` (alias `ci`): exactly what CI runs — prerequisites, `cargo fmt`,
//!   clippy (native and wasm32), the tidy checks, the web bundle, a throwaway PostgreSQL,
//!   the native test suite (nextest) and the WASM tests in headless Chromium — then a
//!   summary table.
//! * `cargo xtask bench <name>`: benchmarks, never run as tests (`cargo xtask bench` lists
//!   them).
//! * `cargo xtask fuzz [TARGET...] [--runs N | --seconds S]`: the fuzz targets under
//!   libFuzzer (nightly, cargo-fuzz), with executions and crashes per target.
//! * `cargo xtask cluster [--replicas N] [--fast]`: PostgreSQL, an S3 bucket (moto), N
//!   release relays and nginx balancing them on `http://127.0.0.1:8080`.
//! * `cargo xtask chaos [--kills N] [--db sqlite|postgres|both] [--seed S]`: the release
//!   relay killed with SIGKILL at random moments under concurrent clients, the
//!   invariants checked after every restart, a table of counts per database.
//!
//! Modules: [`cmd`] runs commands and echoes them, [`deps`] installs what the steps need,
//! [`tidy`] holds the source checks, [`pg`] the throwaway database, [`web`], [`dev`],
//! [`cluster`], [`test`], [`bench`], [`fuzz`] and [`chaos`] the commands.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "xtask is a command-line tool: printing is its interface"
)]

mod bench;
mod chaos;
mod cluster;
mod cmd;
mod deps;
mod dev;
mod fuzz;
mod pg;
mod test;
mod tidy;
mod web;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

const HELP: &str = "\
cargo xtask: Pli's development tasks

USAGE:
    cargo xtask <COMMAND> [ARGS]

COMMANDS:
    dev [--fast] [--release]
                    Build the web app and the server, run Pli on http://127.0.0.1:8080
                    (SQLite and files in ./data) and print the one-time set-up link;
                    Ctrl-C stops it. --fast skips wasm-opt; --release builds the server
                    optimised. PLI_LISTEN, PLI_DATA_DIR and other PLI_* variables apply
    cluster [--replicas N] [--fast]
                    Pli as the national service runs it: a throwaway PostgreSQL, an S3
                    bucket (moto, from PyPI), two witnesses, N release relays (2 by
                    default, 1 to 3) sharing them, and nginx balancing the relays round
                    robin on http://127.0.0.1:8080 (PLI_CLUSTER_LISTEN); prints the set-up
                    link and each relay's pid and log. Ctrl-C stops everything
    web [--no-opt]  Build the web bundle into target/web/dist (content-hashed assets,
                    Subresource Integrity, .br and .gz variants); --no-opt skips wasm-opt
                    and compresses fast (brotli 5, gzip -6, instead of brotli 11, gzip -9)
    test            Run everything CI runs: prerequisites, fmt, clippy (native and wasm32),
                    tidy, the web bundle, native tests (nextest, with a throwaway
                    PostgreSQL) and the WASM tests in headless Chromium; print a summary
                    table
    ci              Alias of `test`
    tidy            Run only the tidy checks (module docs, no ignored tests, no printing
                    in libraries, the relay never links private-key types, nothing
                    reaches outside the repository, every ASVS item of docs/asvs.md
                    proven by tests that exist, randomness from the OS only)
    bench [NAME]    Run a benchmark; without NAME, list the benchmarks
    fuzz [TARGET...] [--runs N | --seconds S] [--sanitizer address|none]
                    Run the fuzz targets (all, or those named) under libFuzzer, 60 s each
                    by default, and print executions and crashes per target. Needs the
                    nightly toolchain (installed with rustup if missing) and cargo-fuzz
                    (installed into target/tools); `test` never does
    chaos [--kills N] [--db sqlite|postgres|both] [--seed S]
                    Build the relay and the chaos driver (release), kill the relay with
                    SIGKILL at N random moments (200 by default; some aimed at part
                    writes, completion, receipts, a key rotation, a purge) while
                    concurrent clients send and receive, restart it each time and check
                    the invariants; on PostgreSQL also restart the database under load.
                    Prints a table of counts per database; fails naming a broken invariant
    help            Print this help

Missing Debian packages are installed with apt-get when running as root; otherwise the
command to run is printed. Tools built from crates.io go to target/tools, wasm-opt (npm
binaryen) to target/tools/npm.
";

fn main() -> ExitCode {
    // Cargo runs the wasm tests through `target/tools/bin/wasm-bindgen-test-runner`, a link
    // to this binary (`deps::Browser`): called by that name, xtask is the runner.
    let invoked_as = std::env::args_os().next().unwrap_or_default();
    if Path::new(&invoked_as).file_name() == Some(OsStr::new(deps::TEST_RUNNER)) {
        return match wasm_bindgen_cli::wasm_bindgen_test_runner::run_cli_with_args(
            std::env::args_os(),
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    match command {
        "test" | "ci" => {
            no_extra_args(command, rest)?;
            test::run(&Workspace::locate()?)
        }
        "tidy" => {
            no_extra_args(command, rest)?;
            tidy::run(&Workspace::locate()?)
        }
        "bench" => bench::run(&Workspace::locate()?, rest),
        "fuzz" => fuzz::run(&Workspace::locate()?, rest),
        "chaos" => chaos::run(&Workspace::locate()?, rest),
        "web" => web::run(&Workspace::locate()?, rest),
        "dev" => dev::run(&Workspace::locate()?, rest),
        "cluster" => cluster::run(&Workspace::locate()?, rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command `{other}`; `cargo xtask --help` lists the commands"),
    }
}

fn no_extra_args(command: &str, rest: &[String]) -> Result<()> {
    if let Some(extra) = rest.first() {
        bail!("`cargo xtask {command}` takes no arguments (got `{extra}`)");
    }
    Ok(())
}

/// Where things are: the workspace root and its `target` directory.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The workspace root (the parent of `xtask/`).
    pub(crate) root: PathBuf,
    /// Cargo's target directory (`CARGO_TARGET_DIR`, or `<root>/target`).
    pub(crate) target: PathBuf,
}

impl Workspace {
    fn locate() -> Result<Self> {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .context("CARGO_MANIFEST_DIR is not set: run this through `cargo xtask`")?;
        let root = Path::new(&manifest_dir)
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        std::env::set_current_dir(&root)
            .with_context(|| format!("cannot enter the workspace root {}", root.display()))?;
        Ok(Self { root, target })
    }

    /// `target/tools`: binaries installed from crates.io, built once per machine.
    pub(crate) fn tools(&self) -> PathBuf {
        self.target.join("tools")
    }
}
