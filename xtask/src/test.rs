//! `cargo xtask test` (and `ci`): everything CI runs, the same commands locally and in CI,
//! then a summary table. Every step runs even if an earlier one failed (except missing
//! prerequisites); the exit code is non-zero if any step failed.
//!
//! Steps: prerequisites → `cargo fmt --check` → clippy native → clippy wasm32 (each crate
//! of [`WASM_CRATES`]) → tidy → web bundle (without wasm-opt, to keep CI short) →
//! throwaway PostgreSQL → native tests (nextest, with `PLI_TEST_DATABASE_URL`, and
//! `PLI_WEB_DIST` and `PLI_AXE_JS` for the browser end-to-end tests that serve the bundle
//! and check each page's accessibility, `PLI_TEST_S3_SERVER` for the tests on an S3 bucket,
//! `PLI_TEST_OIDC_NODE_MODULES` for the tests signing in with the OpenID Connect provider
//! that stands in for ProConnect) (no doc tests: tidy forbids them) → WASM tests in
//! headless Chromium.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::{Captured, Cmd, human};
use crate::deps::{self, Browser};
use crate::pg::{self, Postgres};
use crate::tidy;
use crate::web;

/// The variable that tells the native tests where the built web bundle is.
pub(crate) const WEB_DIST_VAR: &str = "PLI_WEB_DIST";

/// The variable that tells the browser end-to-end tests where axe-core's `axe.min.js` is.
pub(crate) const AXE_JS_VAR: &str = "PLI_AXE_JS";

/// The variable that tells the relay's tests where moto's S3 server is (they start their
/// own on a free port).
pub(crate) const S3_SERVER_VAR: &str = "PLI_TEST_S3_SERVER";

/// The variable that tells the tests where the `node_modules` holding `oidc-provider` is
/// (they start their own ProConnect stand-in, `pli_testkit::OidcProvider`).
pub(crate) const OIDC_NODE_MODULES_VAR: &str = pli_testkit::oidc::NODE_MODULES_VAR;

/// A crate that builds for `wasm32-unknown-unknown`.
#[derive(Debug)]
pub(crate) struct WasmCrate {
    pub(crate) name: &'static str,
    /// Features enabled for clippy only, so that feature-gated targets are linted too.
    pub(crate) lint_features: &'static [&'static str],
    /// Whether it has wasm-bindgen tests to run in Chromium (the web app is tested
    /// end to end instead, by the browser tests of `tests/`).
    pub(crate) browser_tests: bool,
}

/// The crates linted and tested for wasm32 (the web app joins this list).
pub(crate) const WASM_CRATES: &[WasmCrate] = &[
    WasmCrate {
        name: "pli-crypto",
        lint_features: &["browser-bench"],
        browser_tests: true,
    },
    WasmCrate {
        name: "pli-client",
        lint_features: &[],
        browser_tests: false,
    },
    WasmCrate {
        name: "pli-strength",
        lint_features: &[],
        browser_tests: false,
    },
    WasmCrate {
        name: "pli-web",
        lint_features: &[],
        browser_tests: false,
    },
];

pub(crate) fn run(ws: &Workspace) -> Result<()> {
    let started = Instant::now();
    let mut report = Report::default();
    let sh = Shell::new()?;

    let prerequisites = report.step_value("prerequisites", || {
        deps::debian_packages(deps::TEST_PACKAGES)?;
        deps::wasm_target()?;
        let axe = deps::axe_core(ws)?;
        deps::typage(ws)?;
        let moto = deps::moto(ws)?;
        let oidc = deps::oidc_provider(ws)?;
        Ok((String::new(), (axe, moto, oidc)))
    });
    let Some((axe, moto, oidc)) = prerequisites else {
        report.print(started.elapsed());
        bail!("prerequisites are missing");
    };

    report.step("cargo fmt --check", || {
        cmd!(sh, "cargo fmt --all -- --check").run()?;
        Ok(String::new())
    });
    report.step("clippy (native)", || {
        cmd!(
            sh,
            "cargo clippy --workspace --all-targets --locked -- -D warnings"
        )
        .run()?;
        Ok(String::new())
    });
    for krate in WASM_CRATES {
        report.step(&format!("clippy (wasm32, {})", krate.name), || {
            let name = krate.name;
            let features = if krate.lint_features.is_empty() {
                Vec::new()
            } else {
                vec!["--features".to_owned(), krate.lint_features.join(",")]
            };
            cmd!(
                sh,
                "cargo clippy -p {name} --all-targets --target wasm32-unknown-unknown --locked {features...} -- -D warnings"
            )
            .run()?;
            Ok(String::new())
        });
    }
    report.step("tidy", || {
        tidy::run(ws)?;
        Ok(String::new())
    });
    let bundle = report.step_value("web bundle", || {
        let options = web::Options {
            wasm_opt: false,
            locked: true,
        };
        let bundle = web::build(ws, options)?;
        Ok((format!("{} (no wasm-opt)", bundle.summary()), bundle))
    });

    let postgres = report.step_value("postgresql (throwaway)", || {
        let pg = Postgres::start(ws)?;
        Ok((String::new(), pg))
    });
    let nextest = cmd!(sh, "cargo nextest --version")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok();
    report.step("native tests", || {
        native_tests(
            nextest,
            postgres.as_ref(),
            bundle.as_ref(),
            &axe,
            &moto,
            &oidc,
        )
    });
    drop(postgres);

    let browser = report.step_value("browser test runner", || {
        let browser = Browser::prepare(ws)?;
        Ok((
            format!(
                "wasm-bindgen-test-runner {} (xtask)",
                deps::WASM_BINDGEN_VERSION
            ),
            browser,
        ))
    });
    for krate in WASM_CRATES.iter().filter(|k| k.browser_tests) {
        report.step(
            &format!("wasm tests in Chromium ({})", krate.name),
            || match &browser {
                Some(browser) => wasm_tests(browser, krate),
                None => bail!("no test runner"),
            },
        );
    }
    drop(browser);

    report.print(started.elapsed());
    let failed = report.failed();
    if failed > 0 {
        bail!("{failed} step(s) failed");
    }
    Ok(())
}

/// The workspace's native tests: nextest if installed, else `cargo test`. At least one
/// test must run. The browser end-to-end tests get the bundle (`PLI_WEB_DIST`; unset if its
/// step failed, and they say so) and axe-core (`PLI_AXE_JS`); the tests on S3 get moto
/// (`PLI_TEST_S3_SERVER`), those signing in with ProConnect its stand-in, oidc-provider
/// (`PLI_TEST_OIDC_NODE_MODULES`).
fn native_tests(
    nextest: bool,
    postgres: Option<&Postgres>,
    bundle: Option<&web::Bundle>,
    axe: &Path,
    moto: &Path,
    oidc: &Path,
) -> Result<String> {
    let mut cmd = if nextest {
        Cmd::new("cargo").args([
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--no-fail-fast",
        ])
    } else {
        println!("cargo-nextest is not installed: falling back to cargo test");
        Cmd::new("cargo").args(["test", "--workspace", "--locked", "--no-fail-fast"])
    };
    if let Some(pg) = postgres {
        cmd = cmd.env(pg::URL_VAR, pg.url());
    }
    if let Some(bundle) = bundle {
        cmd = cmd.env(WEB_DIST_VAR, &bundle.dist);
    }
    cmd = cmd.env(AXE_JS_VAR, axe);
    cmd = cmd.env(S3_SERVER_VAR, moto);
    cmd = cmd.env(OIDC_NODE_MODULES_VAR, oidc);
    let captured = cmd.run_tee()?;
    let text = captured.text();
    let note = if nextest {
        nextest_summary(&text)
            .context("no nextest summary in the output")
            .and_then(|(run, line)| {
                if run == 0 {
                    bail!("no test ran")
                } else {
                    Ok(line)
                }
            })
    } else {
        libtest_note(&text)
    };
    verdict(&captured, note)
}

/// A crate's tests compiled to wasm32 and run in headless Chromium by
/// wasm-bindgen-test-runner. Fails if they ran anywhere else, or if no test ran.
fn wasm_tests(browser: &Browser, krate: &WasmCrate) -> Result<String> {
    let cmd = Cmd::new("cargo").args(["test", "-p", krate.name]);
    let cmd = cmd.args([
        "--target",
        "wasm32-unknown-unknown",
        "--locked",
        "--no-fail-fast",
    ]);
    let captured = browser.apply(cmd).run_tee()?;
    let text = captured.text();
    let note = libtest_note(&text).and_then(|note| {
        if text.contains("Running headless tests in Chrome") {
            Ok(format!("{note} in Chromium"))
        } else {
            bail!("{note}, but not in headless Chromium")
        }
    });
    verdict(&captured, note)
}

/// The step's note if the command succeeded and its output parsed; otherwise an error
/// naming the exit status and what the output showed.
fn verdict(captured: &Captured, note: Result<String>) -> Result<String> {
    match (captured.status.success(), note) {
        (true, note) => note,
        (false, Ok(note)) => bail!("{note}; {}", captured.status),
        (false, Err(error)) => bail!("{}; {error:#}", captured.status),
    }
}

/// nextest's final line, e.g. `Summary [  12.345s] 57 tests run: 57 passed, 0 skipped`:
/// the number of tests run and the text after the brackets.
fn nextest_summary(text: &str) -> Option<(u64, String)> {
    text.lines().rev().find_map(|line| {
        let (_, rest) = line.split_once("Summary [")?;
        let (_, rest) = rest.split_once(']')?;
        let rest = rest.trim();
        let count = rest.split_whitespace().next()?.parse().ok()?;
        Some((count, rest.to_owned()))
    })
}

/// Totals of libtest's `test result: ok. 3 passed; 0 failed; 1 ignored; …` lines, as a
/// note; fails if no test passed or failed.
fn libtest_note(text: &str) -> Result<String> {
    let (mut passed, mut failed, mut ignored, mut binaries) = (0u64, 0u64, 0u64, 0u64);
    for line in text.lines() {
        let Some((_, rest)) = line.split_once("test result: ") else {
            continue;
        };
        binaries += 1;
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            let (number, label) = match words.as_slice() {
                [_, number, label, ..] if number.parse::<u64>().is_ok() => (*number, *label),
                [number, label, ..] => (*number, *label),
                _ => continue,
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => passed += number,
                "failed" => failed += number,
                "ignored" => ignored += number,
                _ => {}
            }
        }
    }
    if passed + failed == 0 {
        bail!("no test ran ({binaries} test binaries reported)");
    }
    Ok(format!(
        "{} tests run: {passed} passed, {failed} failed, {ignored} ignored",
        passed + failed
    ))
}

/// The outcome of each step, for the summary table.
#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    name: String,
    ok: bool,
    duration: Duration,
    note: String,
}

impl Report {
    /// Runs a step that yields a note; returns `Some(())` if it passed.
    fn step(&mut self, name: &str, f: impl FnOnce() -> Result<String>) -> Option<()> {
        self.step_value(name, || f().map(|note| (note, ())))
    }

    /// Runs a step that yields a note and a value (kept alive by the caller).
    fn step_value<T>(&mut self, name: &str, f: impl FnOnce() -> Result<(String, T)>) -> Option<T> {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = f();
        let duration = started.elapsed();
        match result {
            Ok((note, value)) => {
                println!("==> {name}: ok ({})", human(duration));
                self.rows.push(Row {
                    name: name.to_owned(),
                    ok: true,
                    duration,
                    note,
                });
                Some(value)
            }
            Err(error) => {
                let note = format!("{error:#}");
                eprintln!("==> {name}: FAILED ({}): {note}", human(duration));
                self.rows.push(Row {
                    name: name.to_owned(),
                    ok: false,
                    duration,
                    note,
                });
                None
            }
        }
    }

    fn failed(&self) -> usize {
        self.rows.iter().filter(|row| !row.ok).count()
    }

    fn print(&self, total: Duration) {
        let width = self
            .rows
            .iter()
            .map(|row| row.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        println!("\n{:<width$}  result  {:>7}  notes", "step", "time");
        for row in &self.rows {
            let result = if row.ok { "ok" } else { "FAILED" };
            let note = row.note.lines().next().unwrap_or_default();
            println!(
                "{:<width$}  {result:<6}  {:>7}  {note}",
                row.name,
                human(row.duration)
            );
        }
        let verdict = match self.failed() {
            0 => "all steps passed".to_owned(),
            n => format!("{n} step(s) FAILED"),
        };
        println!(
            "{:<width$}  {:<6}  {:>7}  {verdict}",
            "total",
            "",
            human(total)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{libtest_note, nextest_summary};

    #[test]
    fn parses_the_nextest_summary() {
        let text =
            "  Starting 3 tests\n     Summary [  1.234s] 57 tests run: 57 passed, 2 skipped\n";
        assert_eq!(
            nextest_summary(text),
            Some((57, "57 tests run: 57 passed, 2 skipped".to_owned()))
        );
        assert_eq!(nextest_summary("error: no tests to run"), None);
    }

    #[test]
    fn adds_up_libtest_results() {
        let text = "running 2 tests\ntest result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; \
                    0 filtered out; finished in 0.1s\n\
                    test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured\n";
        assert_eq!(
            libtest_note(text).ok(),
            Some("6 tests run: 5 passed, 1 failed, 1 ignored".to_owned())
        );
        assert!(libtest_note("test result: ok. 0 passed; 0 failed; 0 ignored").is_err());
    }
}
