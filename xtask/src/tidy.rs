//! The tidy checks: fast source checks written in Rust, no build needed.
//!
//! * every `.rs` file under `crates/*/src` and `xtask/src` starts with a `//!` module doc;
//! * no ignored test anywhere (`crates/`, `tests/`, `web/`, `xtask/`): a known bug is a
//!   test asserting today's behaviour with a FIXME;
//! * **no doc tests**: every code block in a doc comment names a language other than Rust
//!   (```` ```text ````, ```` ```sh ````…). `cargo xtask test` runs the tests with nextest,
//!   which does not run doc tests, and a `cargo test --doc` pass that found none cost two
//!   minutes of every CI run; an example worth running is a test in `tests/`.
//! * no printing macros in library crates' `src/` (crates with no `[[bin]]` and no
//!   `src/main.rs`; build scripts are not under `src/`);
//! * **the relay never links private-key types**: in every crate of [`RELAY_CRATES`],
//!   `cargo tree` shows `pli-crypto` without its `secret` feature.
//! * **the web app's module does not link zxcvbn**: `cargo tree -p pli-web` for wasm32
//!   does not list it (the estimator is a module of its own, loaded where a password is
//!   chosen; linked into the app, it would more than double every page's download).
//! * **the repository stands alone**: no tracked source, manifest, script or CI file
//!   (`*.rs`, `*.toml`, `*.sh`, `*.js`, `.ci/*`) names a relative path up into a `shared`
//!   folder beside it: what a build or test reads is vendored, and the documents the code
//!   cites are in `docs/`. Markdown files (which may explain the rule) and `docs/` are not
//!   checked.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::read_echoed;

/// Crates that must build without `pli-crypto/secret` (normal and build dependencies):
/// the relay, and the witness its tests start.
pub(crate) const RELAY_CRATES: &[&str] = &["pli-server", "pli-witness"];

/// Directories never scanned.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", "pkg", "dist"];

/// Runs every check and prints what it found; fails if any check fails.
pub(crate) fn run(ws: &Workspace) -> Result<()> {
    let mut problems = Vec::new();
    module_docs(ws, &mut problems)?;
    no_ignored_tests(ws, &mut problems)?;
    no_doc_tests(ws, &mut problems)?;
    no_printing_in_libraries(ws, &mut problems)?;
    stays_inside_repository(ws, &mut problems)?;
    paths_spelled_once(ws, &mut problems)?;
    let relay = relay_without_secrets(ws, &mut problems)?;
    println!("{relay}");
    web_module_without_estimator(ws, &mut problems)?;
    if problems.is_empty() {
        println!("tidy: all checks pass");
        return Ok(());
    }
    for problem in &problems {
        println!("tidy: {problem}");
    }
    bail!("tidy found {} problem(s)", problems.len())
}

fn module_docs(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    let mut dirs = vec![ws.root.join("xtask/src")];
    for krate in crate_dirs(ws)? {
        dirs.push(krate.join("src"));
    }
    for file in rust_files(&dirs)? {
        let text = read(&file)?;
        if !text.starts_with("//!") {
            problems.push(format!(
                "{}: does not start with a `//!` module doc",
                relative(ws, &file)
            ));
        }
    }
    Ok(())
}

fn no_ignored_tests(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    // Built from parts so that this file does not match itself.
    let attribute = ["#[", "ignore"].concat();
    let dirs: Vec<PathBuf> = ["crates", "tests", "web", "xtask"]
        .iter()
        .map(|dir| ws.root.join(dir))
        .collect();
    for file in rust_files(&dirs)? {
        for (number, line) in read(&file)?.lines().enumerate() {
            if line.contains(&attribute) {
                problems.push(format!(
                    "{}:{}: ignored test (make it pass, or assert today's behaviour with a FIXME)",
                    relative(ws, &file),
                    number + 1
                ));
            }
        }
    }
    Ok(())
}

fn no_doc_tests(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    let dirs: Vec<PathBuf> = ["crates", "tests", "web", "xtask"]
        .iter()
        .map(|dir| ws.root.join(dir))
        .collect();
    for file in rust_files(&dirs)? {
        let mut open = false;
        for (number, line) in read(&file)?.lines().enumerate() {
            let Some(info) = doc_fence(line) else {
                continue;
            };
            if !open && runs_as_doc_test(info) {
                problems.push(format!(
                    "{}:{}: doc test (name the block's language, e.g. ```text, or make it a test)",
                    relative(ws, &file),
                    number + 1
                ));
            }
            open = !open;
        }
    }
    Ok(())
}

/// The info string of a code fence in a doc comment (`///` or `//!`), if the line is one.
fn doc_fence(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let comment = line
        .strip_prefix("///")
        .or_else(|| line.strip_prefix("//!"))?;
    comment.trim_start().strip_prefix("```").map(str::trim)
}

/// Whether rustdoc would compile a block opened with this info string: no language, or
/// Rust, or only rustdoc's attributes.
fn runs_as_doc_test(info: &str) -> bool {
    const RUSTDOC: &[&str] = &[
        "rust",
        "ignore",
        "no_run",
        "should_panic",
        "compile_fail",
        "test_harness",
        "standalone_crate",
    ];
    info.split([',', ' '])
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .all(|word| RUSTDOC.contains(&word) || word.starts_with("edition"))
}

fn no_printing_in_libraries(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    let macros = ["println!", "eprintln!", "print!", "eprint!", "dbg!"];
    for krate in crate_dirs(ws)? {
        let manifest = read(&krate.join("Cargo.toml"))?;
        let is_binary = manifest.lines().any(|line| line.trim() == "[[bin]]")
            || krate.join("src/main.rs").exists()
            || krate.join("src/bin").is_dir();
        if is_binary {
            continue;
        }
        for file in rust_files(&[krate.join("src")])? {
            for (number, line) in read(&file)?.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                if let Some(found) = macros.iter().find(|m| contains_macro(line, m)) {
                    problems.push(format!(
                        "{}:{}: `{found}` in a library crate (return the value, or use tracing)",
                        relative(ws, &file),
                        number + 1
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Source folders whose relay calls must name an endpoint of `pli_api::endpoints`, never
/// write its path (the relay's route table and `pli-client` are built from the endpoint
/// descriptions; a path written by hand drifts when a route changes).
const ENDPOINT_USERS: &[&str] = &["crates/pli-client/src", "crates/pli-cli/src", "web/src"];

fn paths_spelled_once(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    let dirs: Vec<PathBuf> = ENDPOINT_USERS.iter().map(|dir| ws.root.join(dir)).collect();
    for file in rust_files(&dirs)? {
        for (number, line) in read(&file)?.lines().enumerate() {
            if writes_api_path(line) {
                problems.push(format!(
                    "{}:{}: a relay path written by hand (name its `pli_api::endpoints` struct)",
                    relative(ws, &file),
                    number + 1
                ));
            }
        }
    }
    Ok(())
}

/// Whether a line (not a comment) holds a string starting with an API path.
fn writes_api_path(line: &str) -> bool {
    let code = line.trim_start();
    !code.starts_with("//")
        && ["\"/api/", "\"/healthz", "\"/readyz", "\"/metrics"]
            .iter()
            .any(|path| code.contains(path))
}

fn stays_inside_repository(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    // Built from parts so that this file does not match itself.
    let outside = ["..", "/shared"].concat();
    let sh = Shell::new()?;
    sh.change_dir(&ws.root);
    let tracked = cmd!(sh, "git ls-files -z")
        .quiet()
        .read()
        .context("cannot list the tracked files")?;
    for name in tracked.split('\0').filter(|name| must_stay_inside(name)) {
        let path = ws.root.join(name);
        // Listed but deleted in the work tree: nothing to read.
        if !path.is_file() {
            continue;
        }
        for (number, line) in read(&path)?.lines().enumerate() {
            if line.contains(&outside) {
                problems.push(format!(
                    "{name}:{}: reaches outside the repository (`{outside}`): vendor what it \
                     needs, or cite `docs/`",
                    number + 1
                ));
            }
        }
    }
    Ok(())
}

/// Whether tracked file `name` (relative, `/`-separated) is checked by
/// [`stays_inside_repository`]: sources, manifests, scripts and CI files, outside `docs/`.
fn must_stay_inside(name: &str) -> bool {
    if name.starts_with("docs/") || name.ends_with(".md") {
        return false;
    }
    name.starts_with(".ci/")
        || [".rs", ".toml", ".sh", ".js"]
            .iter()
            .any(|extension| name.ends_with(extension))
}

/// Whether `line` calls macro `name` (`print!` must not match inside `eprint!`).
fn contains_macro(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(at, _)| {
        let before = line.get(..at).and_then(|head| head.chars().next_back());
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The web app's wasm module must not link zxcvbn: `pli-strength` without its
/// `estimator` feature, `pli-client` without `strength` (see `web/Cargo.toml`).
fn web_module_without_estimator(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(&ws.root);
    let format = "{p} {f}";
    let tree = read_echoed(cmd!(
        sh,
        "cargo tree --quiet -p pli-web -e normal,build --prefix none -f {format} --target wasm32-unknown-unknown"
    ))
    .context("cannot list the dependencies of pli-web")?;
    if let Some(line) = tree.lines().find(|line| line.starts_with("zxcvbn ")) {
        problems.push(format!(
            "pli-web links {} for wasm32: the password-strength estimator must stay in \
             its own module (pli-strength's `estimator` feature, pli-client's `strength`)",
            line.trim_end()
        ));
    } else {
        println!("tidy: pli-web's wasm module does not link zxcvbn");
    }
    Ok(())
}

fn relay_without_secrets(ws: &Workspace, problems: &mut Vec<String>) -> Result<String> {
    if RELAY_CRATES.is_empty() {
        return Ok("tidy: relay invariant: no relay crate listed yet, nothing to check".to_owned());
    }
    let sh = Shell::new()?;
    sh.change_dir(&ws.root);
    for krate in RELAY_CRATES {
        let format = "{p} {f}";
        let tree = read_echoed(cmd!(
            sh,
            "cargo tree --quiet -p {krate} -e normal,build --prefix none -f {format} --target x86_64-unknown-linux-gnu"
        ))
        .with_context(|| format!("cannot list the dependencies of {krate}"))?;
        let mut linked = false;
        for line in tree.lines() {
            let Some(features) = crypto_features(line) else {
                continue;
            };
            linked = true;
            if features.iter().any(|feature| feature == "secret") {
                problems.push(format!(
                    "{krate} links pli-crypto with the `secret` feature ({}): the relay must \
                     never link private-key types",
                    features.join(",")
                ));
            }
        }
        if !linked {
            println!("tidy: {krate} does not depend on pli-crypto");
        }
    }
    Ok(format!(
        "tidy: relay invariant checked for {}",
        RELAY_CRATES.join(", ")
    ))
}

/// The features of `pli-crypto` on a `cargo tree -f '{p} {f}' --prefix none` line, or
/// `None` for another package. Lines look like
/// `pli-crypto v0.1.0 (/path) parallel,secret`, possibly followed by ` (*)`.
fn crypto_features(line: &str) -> Option<Vec<String>> {
    let rest = line.trim().strip_prefix("pli-crypto v")?;
    let rest = rest
        .trim_end()
        .strip_suffix("(*)")
        .unwrap_or(rest)
        .trim_end();
    let after_package = match rest.rfind(')') {
        Some(end) => rest.get(end + 1..)?,
        // A registry package has no path: skip the version.
        None => rest.split_once(' ').map_or("", |(_, tail)| tail),
    };
    Some(
        after_package
            .split(',')
            .map(str::trim)
            .filter(|feature| !feature.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

fn crate_dirs(ws: &Workspace) -> Result<Vec<PathBuf>> {
    let crates = ws.root.join("crates");
    let mut dirs = Vec::new();
    for entry in
        fs::read_dir(&crates).with_context(|| format!("cannot list {}", crates.display()))?
    {
        let path = entry.context("cannot list the crates")?.path();
        if path.join("Cargo.toml").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Every `.rs` file under `dirs` (missing directories are skipped), sorted.
fn rust_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().filter(|dir| dir.is_dir()).cloned().collect();
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot stat {}", path.display()))?;
            if kind.is_dir() {
                if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref()) {
                    stack.push(path);
                }
            } else if kind.is_file() && name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn relative(ws: &Workspace, path: &Path) -> String {
    path.strip_prefix(&ws.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{
        contains_macro, crypto_features, doc_fence, must_stay_inside, runs_as_doc_test,
        writes_api_path,
    };

    #[test]
    fn finds_doc_tests() {
        let fence = ["//! ", "```"].concat();
        assert_eq!(doc_fence(&fence), Some(""));
        assert!(runs_as_doc_test(""));
        let rust = ["    /// ", "```rust,no_run"].concat();
        assert_eq!(doc_fence(&rust), Some("rust,no_run"));
        assert!(runs_as_doc_test("rust,no_run"));
        assert!(runs_as_doc_test("edition2021"));
        assert!(!runs_as_doc_test("text"));
        assert!(!runs_as_doc_test("sh"));
        assert_eq!(doc_fence("// ```"), None);
        assert_eq!(doc_fence("let fence = \"```\";"), None);
    }

    #[test]
    fn finds_relay_paths_written_by_hand() {
        assert!(writes_api_path(
            r#"    let me = client.get("/api/me").await?;"#
        ));
        assert!(writes_api_path(r#"format!("/api/orgs/{org}/members")"#));
        assert!(!writes_api_path(
            r#"    client.fetch(&ep::GetMe {}).await?;"#
        ));
        assert!(!writes_api_path(
            r#"    // calls "/api/me" through its endpoint"#
        ));
    }

    #[test]
    fn reads_crypto_features_from_cargo_tree() {
        assert_eq!(
            crypto_features("pli-crypto v0.1.0 (/work/crates/pli-crypto) parallel,secret"),
            Some(vec!["parallel".to_owned(), "secret".to_owned()])
        );
        assert_eq!(
            crypto_features("pli-crypto v0.1.0 (/work/crates/pli-crypto) "),
            Some(vec![])
        );
        assert_eq!(
            crypto_features("pli-crypto v0.1.0 (/work/crates/pli-crypto) secret (*)"),
            Some(vec!["secret".to_owned()])
        );
        assert_eq!(
            crypto_features("pli-crypto v0.2.0 secret"),
            Some(vec!["secret".to_owned()])
        );
        assert_eq!(
            crypto_features("pli-api v0.1.0 (/work/crates/pli-api) "),
            None
        );
    }

    #[test]
    fn checks_sources_manifests_scripts_and_ci_for_paths_outside() {
        for name in [
            "crates/pli-testvectors/build.rs",
            "Cargo.toml",
            "web/static/worker.js",
            ".ci/run",
            "tests/run.sh",
        ] {
            assert!(must_stay_inside(name), "{name}");
        }
        for name in [
            "docs/security.md",
            "docs/notes.txt",
            "ARCHITECTURE.md",
            "crates/pli-testvectors/vectors/stream_bad_tag",
        ] {
            assert!(!must_stay_inside(name), "{name}");
        }
    }

    #[test]
    fn finds_printing_macros() {
        assert!(contains_macro("    println!(\"x\");", "println!"));
        assert!(!contains_macro("    eprint!(\"x\");", "print!"));
        assert!(!contains_macro("    my_println!(\"x\");", "println!"));
    }
}
