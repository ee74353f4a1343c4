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
//! * **every ASVS item has its proof**: `docs/asvs.md`'s table lists the 25 items of ASVS
//!   5.0 Pli must pass, each with where it is enforced (files, and items in them, that
//!   exist) and the tests that prove it, named `place::module::test_name` (see
//!   [`test_candidates`]); a missing item, an item without a test (unless its text says
//!   `(later)` and its tests say `not applicable yet: <why>`), a gap written where its
//!   tests go, and a name with no test function behind it are each a problem.
//! * **randomness only from the operating system**: no source of the crates, the web app
//!   or its scripts names another generator ([`OTHER_RANDOMNESS`]); keys, nonces and
//!   tokens come from `getrandom` (`crypto.getRandomValues` in the browser) and WebCrypto.

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
    asvs_checklist(ws, &mut problems)?;
    randomness_from_the_os(ws, &mut problems)?;
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

/// The ASVS checklist: one table row per item, with its proofs.
pub(crate) const CHECKLIST: &str = "docs/asvs.md";

/// How many ASVS items Pli must pass (numbered 1 to this).
const ASVS_ITEMS: u32 = 25;

/// How the tests cell of an item not built yet begins, followed by the reason.
const NOT_APPLICABLE: &str = "not applicable yet:";

/// How the text of an item not built yet begins: only such an item may have no test.
const LATER: &str = "(later)";

fn asvs_checklist(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    let text = read(&ws.root.join(CHECKLIST))?;
    let found = checklist_problems(&text, &|path| fs::read_to_string(ws.root.join(path)).ok());
    if found.is_empty() {
        println!("tidy: every ASVS item of {CHECKLIST} names its enforcement and its tests");
    }
    problems.extend(found);
    Ok(())
}

/// One item row of the checklist: `| n | item | enforced in | proven by | notes |`.
struct ChecklistRow<'a> {
    line: usize,
    number: u32,
    item: &'a str,
    enforced: &'a str,
    proven: &'a str,
}

/// The problems of the checklist `text`; `read` gives a file's text by its path relative
/// to the repository root (`None` if there is no such file).
fn checklist_problems(text: &str, read: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for row in checklist_rows(text, &mut problems) {
        let at = format!("{CHECKLIST}:{}: item {}", row.line, row.number);
        if !(1..=ASVS_ITEMS).contains(&row.number) {
            problems.push(format!("{at}: ASVS items are numbered 1 to {ASVS_ITEMS}"));
            continue;
        }
        if !seen.insert(row.number) {
            problems.push(format!("{at}: listed twice"));
            continue;
        }
        if row.item.is_empty() {
            problems.push(format!("{at}: its text is empty"));
        }
        let not_applicable = row.proven.trim().strip_prefix(NOT_APPLICABLE);
        let later = row.item.starts_with(LATER);
        check_enforced(
            &at,
            row.enforced,
            not_applicable.is_some(),
            read,
            &mut problems,
        );
        match not_applicable {
            Some(_) if !later => problems.push(format!(
                "{at}: marked `{NOT_APPLICABLE}` but its text does not begin with `{LATER}`: \
                 only an item not built yet may go without a test"
            )),
            Some(reason) if reason.trim().is_empty() => problems.push(format!(
                "{at}: `{NOT_APPLICABLE}` needs its reason after the colon"
            )),
            Some(_) => {}
            None => check_tests(&at, row.proven, read, &mut problems),
        }
    }
    for number in 1..=ASVS_ITEMS {
        if !seen.contains(&number) {
            problems.push(format!(
                "{CHECKLIST}: ASVS item {number} is missing from the table"
            ));
        }
    }
    problems
}

/// The rows of the table whose first cell is a number.
fn checklist_rows<'a>(text: &'a str, problems: &mut Vec<String>) -> Vec<ChecklistRow<'a>> {
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(inner) = line
            .trim()
            .strip_prefix('|')
            .and_then(|rest| rest.strip_suffix('|'))
        else {
            continue;
        };
        let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
        let Some(number) = cells.first().and_then(|cell| cell.parse::<u32>().ok()) else {
            continue;
        };
        let line = index + 1;
        let [_, item, enforced, proven, _notes] = cells.as_slice() else {
            problems.push(format!(
                "{CHECKLIST}:{line}: item {number}: a row has five cells (number, item, \
                 enforced in, proven by, notes), not {}",
                cells.len()
            ));
            continue;
        };
        rows.push(ChecklistRow {
            line,
            number,
            item,
            enforced,
            proven,
        });
    }
    rows
}

/// The text between backticks in a cell.
fn backticked(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('`').skip(1).step_by(2)
}

/// Each reference of the "enforced in" cell is `path` or `path::item` (a Rust file and
/// an item declared in it), and exists.
fn check_enforced(
    at: &str,
    cell: &str,
    not_built: bool,
    read: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) {
    let mut any = false;
    for reference in backticked(cell) {
        any = true;
        let (path, items) = reference.split_once("::").unwrap_or((reference, ""));
        if !path.contains('/') {
            problems.push(format!(
                "{at}: `{reference}` where it is enforced is not a path from the repository root"
            ));
            continue;
        }
        let Some(source) = read(path) else {
            problems.push(format!(
                "{at}: `{path}`, where it is enforced, does not exist"
            ));
            continue;
        };
        if items.is_empty() {
            continue;
        }
        if !path.ends_with(".rs") {
            problems.push(format!(
                "{at}: `{reference}`: only a Rust file's items can be named"
            ));
            continue;
        }
        for item in items.split("::") {
            if !declares(&source, item) {
                problems.push(format!("{at}: `{reference}`: {path} declares no `{item}`"));
            }
        }
    }
    if !any && !not_built {
        problems.push(format!(
            "{at}: says nowhere where it is enforced (a backticked path)"
        ));
    }
}

/// Each backticked name of the "proven by" cell is a test that exists; there is one at
/// least, and no gap stands in for one.
fn check_tests(
    at: &str,
    cell: &str,
    read: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) {
    if cell.to_lowercase().contains("gap:") {
        problems.push(format!(
            "{at}: a gap is written where its tests go: it has no test that proves it \
             (name what partly covers it, and the gap in the notes)"
        ));
        return;
    }
    let mut tests = 0;
    for reference in backticked(cell) {
        tests += 1;
        match test_candidates(reference) {
            Err(why) => problems.push(format!("{at}: `{reference}`: {why}")),
            Ok((files, name)) => {
                let sources: Vec<(&String, String)> = files
                    .iter()
                    .filter_map(|file| read(file).map(|source| (file, source)))
                    .collect();
                if sources.is_empty() {
                    problems.push(format!(
                        "{at}: `{reference}`: no such file ({})",
                        files.join(" or ")
                    ));
                } else if !sources.iter().any(|(_, source)| has_test_fn(source, name)) {
                    let places: Vec<&str> = sources.iter().map(|(file, _)| file.as_str()).collect();
                    problems.push(format!(
                        "{at}: `{reference}`: no test function `{name}` in {}",
                        places.join(" or ")
                    ));
                }
            }
        }
    }
    if tests == 0 {
        problems.push(format!(
            "{at}: has no test (name one as `place::module::test_name`)"
        ));
    }
}

/// The files a test reference may name, and the test's name. A reference is
/// `place::module::…::test_name`, where `place` is
///
/// * `pli-<crate>::it`: that crate's integration-test binary, `crates/pli-<crate>/tests/it/`;
/// * `pli-<crate>`: that crate's sources, `crates/pli-<crate>/src/` (unit tests, without
///   their `tests` module);
/// * `e2e`: the browser tests, `tests/e2e/`;
/// * `web`: the web app's sources, `web/src/`;
/// * `xtask`: `xtask/src/`;
///
/// and the modules are a file under it, `module/….rs` or `module/…/mod.rs`.
fn test_candidates(reference: &str) -> std::result::Result<(Vec<String>, &str), String> {
    let segments: Vec<&str> = reference.split("::").collect();
    let valid = |segment: &&str| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    };
    let (Some((name, path)), true) = (segments.split_last(), segments.iter().all(valid)) else {
        return Err("not a test name (`place::module::test_name`, lowercase)".to_owned());
    };
    let Some((place, modules)) = path.split_first() else {
        return Err("names a test without its place (`place::module::test_name`)".to_owned());
    };
    let (base, modules) = match (*place, modules) {
        ("e2e", _) => ("tests/e2e".to_owned(), modules),
        ("web", _) => ("web/src".to_owned(), modules),
        ("xtask", _) => ("xtask/src".to_owned(), modules),
        (krate, ["it", rest @ ..]) if krate.starts_with("pli-") => {
            (format!("crates/{krate}/tests/it"), rest)
        }
        (krate, _) if krate.starts_with("pli-") => (format!("crates/{krate}/src"), modules),
        (other, _) => {
            return Err(format!(
                "`{other}` is not a place of tests (`pli-<crate>::it`, `pli-<crate>`, `e2e`, \
                 `web`, `xtask`)"
            ));
        }
    };
    if modules.is_empty() {
        return Err("names no module (the file the test is in)".to_owned());
    }
    let module = modules.join("/");
    Ok((
        vec![
            format!("{base}/{module}.rs"),
            format!("{base}/{module}/mod.rs"),
        ],
        name,
    ))
}

/// Macros of the repository whose every function is a test (`both_targets!` in
/// `pli-crypto`'s tests: `#[test]` natively, `#[wasm_bindgen_test]` in the browser).
const TEST_MACROS: &[&str] = &["both_targets! {"];

/// Whether `source` declares a function `name` under a test attribute (`#[test]`,
/// `#[tokio::test(…)]`, `#[wasm_bindgen_test]`, `#[cfg_attr(…, test)]`…), or directly in
/// one of the [`TEST_MACROS`].
fn has_test_fn(source: &str, name: &str) -> bool {
    let mut under_test = false;
    // An attribute being read, until the line that closes it.
    let mut attribute: Option<String> = None;
    // The indentation of the test macro being read, until its closing brace.
    let mut in_macro: Option<usize> = None;
    for raw in source.lines() {
        let line = raw.trim();
        let indent = raw.len() - raw.trim_start().len();
        if let Some(open) = attribute.as_mut() {
            open.push_str(line);
        } else if line.starts_with("#[") {
            attribute = Some(line.to_owned());
        } else if line.is_empty() || line.starts_with("//") {
            // Doc comments and blank lines between the attributes and the function.
            continue;
        } else if TEST_MACROS.contains(&line) {
            in_macro = Some(indent);
            continue;
        } else if in_macro == Some(indent) && line.starts_with('}') {
            in_macro = None;
            continue;
        } else if declared_name(line, &["fn"]) == Some(name)
            && (under_test || in_macro.is_some_and(|at| indent == at + 4))
        {
            return true;
        } else {
            under_test = false;
            continue;
        }
        if let Some(whole) = attribute.take_if(|text| text.ends_with(']')) {
            under_test |= is_test_attribute(&whole);
        }
    }
    false
}

/// Whether an attribute (`#[…]`, whole) makes a test: a path ending in `test` (or
/// `wasm_bindgen_test`) outside string literals, in anything but `#[cfg(…)]`.
fn is_test_attribute(attribute: &str) -> bool {
    let attribute = attribute.trim_start_matches("#[");
    if attribute.starts_with("cfg(") {
        return false;
    }
    let code: String = attribute.split('"').step_by(2).collect();
    code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter_map(|path| path.rsplit("::").next())
        .any(|last| last == "test" || last == "wasm_bindgen_test")
}

/// What a declaration begins with, before its name.
const ITEM_KINDS: &[&str] = &[
    "fn", "struct", "enum", "trait", "type", "const", "static", "mod", "union",
];

/// Whether `source` declares an item `name` (a function, type, constant, module…).
fn declares(source: &str, name: &str) -> bool {
    source
        .lines()
        .any(|line| declared_name(line.trim(), ITEM_KINDS) == Some(name))
}

/// The name a line declares with one of `kinds` (after `pub`, `pub(crate)`, `async`,
/// `const fn`…), if it is a declaration.
fn declared_name<'a>(line: &'a str, kinds: &[&str]) -> Option<&'a str> {
    const QUALIFIERS: &[&str] = &["pub", "async", "unsafe", "const", "extern", "default"];
    let mut words = line.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let next = words.peek().copied()?;
        let keyword = |w: &str| ITEM_KINDS.contains(&w) || QUALIFIERS.contains(&w);
        if kinds.contains(&word) && !keyword(next) {
            let end = next
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(next.len());
            return next.get(..end).filter(|name| !name.is_empty());
        }
        let qualifier = word.split('(').next().unwrap_or(word);
        if !keyword(qualifier) {
            return None;
        }
        // `pub(in crate::routes)`: the rest of the visibility.
        if word.starts_with("pub(") && !word.ends_with(')') {
            words.find(|w| w.ends_with(')'))?;
        }
    }
    None
}

/// Names of random generators other than the operating system's, as code would write
/// them. Built from parts so that this file does not match itself.
const OTHER_RANDOMNESS: &[&[&str]] = &[
    &["thread", "_rng"],
    &["Thread", "Rng"],
    &["rand::", "rng()"],
    &["rand::", "random"],
    &["Small", "Rng"],
    &["Std", "Rng"],
    &["from", "_entropy"],
    &["fast", "rand"],
    &["Math.", "random"],
];

/// Keys, nonces, salts and tokens come from the operating system only (`getrandom`,
/// `crypto.getRandomValues` in the browser, WebCrypto): no product source names another
/// generator. Tests, which may draw test data as they like, are not checked.
fn randomness_from_the_os(ws: &Workspace, problems: &mut Vec<String>) -> Result<()> {
    let mut dirs = vec![ws.root.join("web/src")];
    for krate in crate_dirs(ws)? {
        dirs.push(krate.join("src"));
    }
    let mut files = rust_files(&dirs)?;
    let scripts = ws.root.join("web/static");
    for entry in
        fs::read_dir(&scripts).with_context(|| format!("cannot list {}", scripts.display()))?
    {
        let path = entry.context("cannot list the web app's scripts")?.path();
        if path.extension().is_some_and(|extension| extension == "js") {
            files.push(path);
        }
    }
    for file in files {
        for (number, line) in read(&file)?.lines().enumerate() {
            if let Some(generator) = other_randomness(line) {
                problems.push(format!(
                    "{}:{}: `{generator}`: randomness comes from the operating system only \
                     (`getrandom`, `crypto.getRandomValues`)",
                    relative(ws, &file),
                    number + 1
                ));
            }
        }
    }
    Ok(())
}

/// The generator other than the operating system's that a line (not a comment) names.
fn other_randomness(line: &str) -> Option<String> {
    let code = line.trim_start();
    if code.starts_with("//") || code.starts_with('*') {
        return None;
    }
    OTHER_RANDOMNESS
        .iter()
        .map(|parts| parts.concat())
        .find(|name| code.contains(name.as_str()))
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
    use std::collections::HashMap;

    use super::{
        checklist_problems, contains_macro, crypto_features, declared_name, doc_fence, has_test_fn,
        is_test_attribute, must_stay_inside, other_randomness, runs_as_doc_test, writes_api_path,
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

    /// The sources a checklist names, by path.
    fn sources() -> HashMap<String, String> {
        let mut stories = String::from("//! Stories.\n\nuse super::harness;\n");
        for n in 1..=25 {
            stories.push_str(&format!(
                "\n/// Story {n}.\n#[tokio::test]\nasync fn story_{n}() {{\n    harness();\n}}\n"
            ));
        }
        stories.push_str(
            "\n#[tokio::test(\n    flavor = \"multi_thread\",\n    worker_threads = 2\n)]\nasync fn story_on_two_threads() {}\n",
        );
        let guard = "//! Guard.\n\npub struct Guard;\n\npub(in crate::routes) async fn check() {}\n\n\
                     pub const fn limit() -> u32 {\n    1\n}\n\n#[cfg(test)]\nmod tests {\n    \
                     #[test]\n    fn unit_checks() {}\n}\n";
        let helpers = "//! Helpers.\n\n#[allow(dead_code, reason = \"used by some test modules only\")]\n\
                       pub fn helper() {}\n\n#[cfg(test)]\nfn not_a_test() {}\n";
        let names = "//! Names.\n\n#[cfg(test)]\nmod tests {\n    \
                     #[cfg_attr(target_arch = \"wasm32\", wasm_bindgen_test::wasm_bindgen_test)]\n    \
                     #[cfg_attr(not(target_arch = \"wasm32\"), test)]\n    fn names_are_safe() {}\n}\n";
        let journeys = "//! Journeys.\n\n#[tokio::test]\nasync fn journey() {}\n";
        [
            ("crates/pli-demo/tests/it/stories.rs", stories),
            ("crates/pli-demo/src/guard.rs", guard.to_owned()),
            ("crates/pli-demo/src/helpers/mod.rs", helpers.to_owned()),
            ("web/src/model/names.rs", names.to_owned()),
            ("tests/e2e/journeys.rs", journeys.to_owned()),
        ]
        .into_iter()
        .map(|(path, text)| (path.to_owned(), text))
        .collect()
    }

    /// A row of a checklist.
    fn row(n: u32, item: &str, enforced: &str, proven: &str) -> String {
        format!("| {n} | {item} | {enforced} | {proven} | |\n")
    }

    /// A checklist of 25 items, each proven (item 17 not built yet), with `change`
    /// applied to each row first.
    fn checklist(change: impl Fn(u32, String) -> String) -> String {
        let mut text = String::from(
            "# ASVS\n\n| # | Item | Enforced in | Proven by | Notes |\n|---|---|---|---|---|\n",
        );
        for n in 1..=25 {
            let line = match n {
                1 => row(
                    1,
                    "MFA",
                    "`crates/pli-demo/src/guard.rs::Guard`, `crates/pli-demo/src/guard.rs::limit`",
                    "`pli-demo::guard::unit_checks`, `e2e::journeys::journey`",
                ),
                2 => row(
                    2,
                    "Safe names",
                    "`web/src/model/names.rs`",
                    "`web::model::names::names_are_safe`, `pli-demo::it::stories::story_on_two_threads`",
                ),
                17 => row(
                    17,
                    "(later) four-eyes approval",
                    "nothing yet",
                    "not applicable yet: no second approver exists",
                ),
                n => row(
                    n,
                    &format!("Item {n}"),
                    "`crates/pli-demo/src/guard.rs::check`",
                    &format!("`pli-demo::it::stories::story_{n}`"),
                ),
            };
            text.push_str(&change(n, line));
        }
        text.push_str("\nProse after the table, with `code`.\n");
        text
    }

    fn problems(text: &str, sources: &HashMap<String, String>) -> Vec<String> {
        checklist_problems(text, &|path| sources.get(path).cloned())
    }

    /// The one problem found, which must mention every one of `words`.
    fn one_problem(found: &[String], words: &[&str]) {
        assert_eq!(found.len(), 1, "{found:#?}");
        for word in words {
            assert!(found.iter().all(|p| p.contains(word)), "{word}: {found:#?}");
        }
    }

    #[test]
    fn a_well_formed_checklist_passes() {
        let found = problems(&checklist(|_, line| line), &sources());
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_removed_test_is_named() {
        let mut sources = sources();
        let stories = sources
            .get_mut("crates/pli-demo/tests/it/stories.rs")
            .unwrap();
        *stories = stories.replace(
            "#[tokio::test]\nasync fn story_6() {\n    harness();\n}\n",
            "",
        );
        one_problem(
            &problems(&checklist(|_, line| line), &sources),
            &[
                "item 6",
                "`pli-demo::it::stories::story_6`",
                "no test function `story_6`",
            ],
        );
    }

    #[test]
    fn a_renamed_test_is_named() {
        let mut sources = sources();
        let stories = sources
            .get_mut("crates/pli-demo/tests/it/stories.rs")
            .unwrap();
        *stories = stories.replace("fn story_7()", "fn story_seven()");
        one_problem(
            &problems(&checklist(|_, line| line), &sources),
            &["item 7", "`pli-demo::it::stories::story_7`"],
        );
        // A test function that stopped being a test is gone too.
        let mut sources = self::sources();
        let stories = sources
            .get_mut("crates/pli-demo/tests/it/stories.rs")
            .unwrap();
        *stories = stories.replace("#[tokio::test]\nasync fn story_8()", "async fn story_8()");
        one_problem(
            &problems(&checklist(|_, line| line), &sources),
            &["item 8", "story_8"],
        );
        // And a name the list gets wrong.
        let text = checklist(|n, line| {
            if n == 9 {
                line.replace("stories::story_9", "story::story_9")
            } else {
                line
            }
        });
        one_problem(
            &problems(&text, &self::sources()),
            &["item 9", "crates/pli-demo/tests/it/story.rs"],
        );
    }

    #[test]
    fn a_missing_item_is_named() {
        let text = checklist(|n, line| if n == 12 { String::new() } else { line });
        one_problem(&problems(&text, &sources()), &["item 12", "missing"]);
        // Numbered twice, or out of range.
        let text = checklist(|n, line| {
            if n == 13 {
                line.replace("| 13 |", "| 14 |")
            } else {
                line
            }
        });
        let found = problems(&text, &sources());
        assert!(
            found.iter().any(|p| p.contains("item 14: listed twice")),
            "{found:#?}"
        );
        assert!(
            found.iter().any(|p| p.contains("item 13 is missing")),
            "{found:#?}"
        );
        let text = checklist(|n, line| {
            if n == 3 {
                line.replace("| 3 |", "| 26 |")
            } else {
                line
            }
        });
        let found = problems(&text, &sources());
        assert!(
            found.iter().any(|p| p.contains("item 26: ASVS items")),
            "{found:#?}"
        );
    }

    #[test]
    fn an_item_needs_a_test_unless_it_is_not_built_yet() {
        let without = checklist(|n, line| {
            if n == 5 {
                row(5, "Item 5", "`crates/pli-demo/src/guard.rs`", "none yet")
            } else {
                line
            }
        });
        one_problem(&problems(&without, &sources()), &["item 5", "has no test"]);
        // A gap is not a test, even beside one.
        let gap = checklist(|n, line| {
            if n == 8 {
                line.replace("story_8`", "story_8`, gap: the rest")
            } else {
                line
            }
        });
        one_problem(&problems(&gap, &sources()), &["item 8", "gap"]);
        // Only an item whose text says it comes later may be marked not applicable.
        let excused = checklist(|n, line| {
            if n == 9 {
                row(9, "Item 9", "nothing", "not applicable yet: too hard")
            } else {
                line
            }
        });
        let found = problems(&excused, &sources());
        assert!(
            found
                .iter()
                .any(|p| p.contains("item 9: marked `not applicable yet:`")),
            "{found:#?}"
        );
        let no_reason = checklist(|n, line| {
            if n == 17 {
                row(
                    17,
                    "(later) four-eyes approval",
                    "nothing",
                    "not applicable yet:",
                )
            } else {
                line
            }
        });
        one_problem(&problems(&no_reason, &sources()), &["item 17", "reason"]);
    }

    #[test]
    fn only_test_functions_in_existing_files_count() {
        for (reference, why) in [
            ("pli-demo::helpers::helper", "no test function `helper`"),
            (
                "pli-demo::helpers::not_a_test",
                "no test function `not_a_test`",
            ),
            ("pli-demo::it::gone::story_4", "no such file"),
            ("elsewhere::stories::story_4", "not a place of tests"),
            ("pli-demo::story_4", "names no module"),
            ("Story 4", "not a test name"),
        ] {
            let text = checklist(|n, line| {
                if n == 4 {
                    row(
                        4,
                        "Item 4",
                        "`crates/pli-demo/src/guard.rs`",
                        &format!("`{reference}`"),
                    )
                } else {
                    line
                }
            });
            one_problem(&problems(&text, &sources()), &["item 4", why]);
        }
        for (enforced, why) in [
            ("`crates/pli-demo/src/absent.rs`", "does not exist"),
            (
                "`crates/pli-demo/src/guard.rs::Absent`",
                "declares no `Absent`",
            ),
            ("`Guard`", "not a path"),
            ("the guard", "says nowhere where it is enforced"),
        ] {
            let text = checklist(|n, line| {
                if n == 10 {
                    row(10, "Item 10", enforced, "`pli-demo::it::stories::story_10`")
                } else {
                    line
                }
            });
            one_problem(&problems(&text, &sources()), &["item 10", why]);
        }
    }

    #[test]
    fn recognises_test_attributes_and_declarations() {
        assert!(is_test_attribute("#[test]"));
        assert!(is_test_attribute(
            "#[tokio::test(flavor = \"multi_thread\")]"
        ));
        assert!(is_test_attribute("#[wasm_bindgen_test]"));
        assert!(is_test_attribute(
            "#[cfg_attr(not(target_arch = \"wasm32\"), test)]"
        ));
        assert!(!is_test_attribute("#[cfg(test)]"));
        assert!(!is_test_attribute(
            "#[cfg(all(test, feature = \"secret\"))]"
        ));
        assert!(!is_test_attribute(
            "#[allow(dead_code, reason = \"a test helper\")]"
        ));
        assert!(!is_test_attribute("#[test_case(1)]"));
        assert_eq!(
            declared_name("pub(crate) async fn login(", &["fn"]),
            Some("login")
        );
        assert_eq!(
            declared_name("pub const fn case(a: u8)", &["fn"]),
            Some("case")
        );
        assert_eq!(
            declared_name("pub(in crate::routes) async fn inbox(", &["fn"]),
            Some("inbox")
        );
        assert_eq!(declared_name("let fn_name = 1;", &["fn"]), None);
        assert_eq!(declared_name("// fn commented()", &["fn"]), None);
        assert!(has_test_fn("#[test]\n/// Doc.\n\nfn a() {}\n", "a"));
        assert!(!has_test_fn("#[test]\nfn a() {}\nfn b() {}\n", "b"));
        let both = "both_targets! {\n    fn a() {\n        fn inner() {}\n    }\n}\n\nfn b() {}\n";
        assert!(has_test_fn(both, "a"));
        assert!(!has_test_fn(both, "inner"));
        assert!(!has_test_fn(both, "b"));
    }

    /// The repository's own checklist: every item with its proofs.
    #[test]
    fn the_repositorys_checklist_holds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join(super::CHECKLIST)).unwrap();
        let found =
            checklist_problems(&text, &|path| std::fs::read_to_string(root.join(path)).ok());
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn finds_random_generators_other_than_the_operating_systems() {
        let thread = ["let mut rng = rand::", "thread_rng();"].concat();
        assert!(other_randomness(&thread).is_some());
        let js = ["const n = Math.", "random();"].concat();
        assert!(other_randomness(&js).is_some());
        let seeded = ["let rng = Small", "Rng::seed_from_u64(1);"].concat();
        assert!(other_randomness(&seeded).is_some());
        assert_eq!(other_randomness("getrandom::fill(&mut out)?;"), None);
        assert_eq!(other_randomness("crypto.getRandomValues(bytes);"), None);
        let comment = ["// not rand::", "thread_rng()"].concat();
        assert_eq!(other_randomness(&comment), None);
    }

    #[test]
    fn finds_printing_macros() {
        assert!(contains_macro("    println!(\"x\");", "println!"));
        assert!(!contains_macro("    eprint!(\"x\");", "print!"));
        assert!(!contains_macro("    my_println!(\"x\");", "println!"));
    }
}
