//! `cargo xtask web`: builds the web app into `target/web/dist/`, ready for `PLI_WEB_DIR`.
//!
//! Two WebAssembly modules: the app (`pli-web`, loaded by every page and by the worker)
//! and the password-strength estimator (`pli-strength`: zxcvbn, loaded by `boot.js` only
//! where a password is chosen, because it is larger than the login page's whole budget).
//! For each, in a cargo invocation of its own (so that features are not unified):
//!
//! 1. `cargo build -p <crate> --target wasm32-unknown-unknown --release`;
//! 2. wasm-bindgen, as a library (`wasm-bindgen-cli-support`, the exact version of the
//!    `wasm-bindgen` crate), `--target web`: an ES module of glue plus `<stem>_bg.wasm`;
//! 3. unless `--no-opt`, `wasm-opt` from the npm package `binaryen` (Debian's is too old
//!    for wasm-bindgen's externref table, see `docs/toolchain.md`), installed once in
//!    `target/tools/npm`.
//!
//! Then every asset is named after its content (`assets/<name>-<16 hex of SHA-256>.<ext>`)
//! and the references rewritten in dependency order: each wasm → its glue → worker.js
//! (the app's) and boot.js (both modules') → index.html. The templates in `web/static/`
//! say where with `{{NAME}}` (a file name) and `{{NAME_SRI}}` (its Subresource Integrity
//! hash, `sha384-…`). `index.html` and `sw.js` stay at the root, unhashed: the relay
//! serves them with `no-cache` and everything under `assets/` as immutable.
//!
//! The output is written next to `dist/` and swapped in at the end, so a running server
//! never serves half a bundle.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use sha2::{Digest as _, Sha256, Sha384};
use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::human;
use crate::deps;

/// A crate built into a WebAssembly module of the bundle.
#[derive(Debug)]
struct Module {
    /// The crate (`cargo build -p`).
    package: &'static str,
    /// wasm-bindgen's name for it: `<stem>.js` and `<stem>_bg.wasm`.
    stem: &'static str,
    /// What wasm-opt optimises for.
    wasm_opt_level: &'static str,
}

/// The app, loaded by every page and by the worker.
///
/// wasm-opt: measured on the app (2147 KiB after wasm-bindgen): `-O3` 1500 KiB (575 KiB
/// gzipped), `-Oz` 1454 KiB (574 KiB gzipped), both ~23 s. Gzipped they are the same size,
/// so speed wins: the ciphers keep their inlining.
const APP: Module = Module {
    package: "pli-web",
    stem: "pli_web",
    wasm_opt_level: "-O3",
};

/// The password-strength estimator (`pli-strength` with its default `estimator`
/// feature: zxcvbn), loaded by `boot.js`'s `pliStrength` only where a password is chosen.
/// Built by a cargo invocation of its own: built with the app, feature unification
/// would turn `estimator` on for the app too, and its export would be linked into it.
const ESTIMATOR: Module = Module {
    package: "pli-strength",
    stem: "pli_strength",
    wasm_opt_level: "-O3",
};

/// The WebAssembly features the module may use: rustc's defaults for
/// wasm32-unknown-unknown (Rust 1.95, the module's `target_features` section lists the
/// same), which include the reference types of wasm-bindgen's externref table. wasm-opt
/// refuses a module that uses a feature not listed here, and never introduces one that is
/// not.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

/// How to build the bundle.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Run wasm-opt (slower build, smaller and faster module).
    pub(crate) wasm_opt: bool,
    /// Pass `--locked` to cargo (CI: the lockfile must be up to date).
    pub(crate) locked: bool,
}

/// A built bundle.
#[derive(Debug)]
pub(crate) struct Bundle {
    /// `target/web/dist`, absolute.
    pub(crate) dist: PathBuf,
    /// Every file of the bundle, relative to `dist`, with its sizes.
    pub(crate) files: Vec<FileSize>,
}

/// One file's size, raw and gzip-compressed (what a compressing proxy would send).
#[derive(Debug)]
pub(crate) struct FileSize {
    pub(crate) path: String,
    pub(crate) raw: u64,
    pub(crate) gzip: u64,
}

impl Bundle {
    /// One line: total raw and gzip sizes, for the test summary.
    pub(crate) fn summary(&self) -> String {
        let raw: u64 = self.files.iter().map(|f| f.raw).sum();
        let gzip: u64 = self.files.iter().map(|f| f.gzip).sum();
        format!(
            "{} files, {} ({} gzip)",
            self.files.len(),
            kib(raw),
            kib(gzip)
        )
    }

    fn print_sizes(&self) {
        let width = self
            .files
            .iter()
            .map(|f| f.path.len())
            .max()
            .unwrap_or(4)
            .max(5);
        println!("\n{:<width$}  {:>10}  {:>10}", "file", "raw", "gzip -9");
        for file in &self.files {
            println!(
                "{:<width$}  {:>10}  {:>10}",
                file.path,
                kib(file.raw),
                kib(file.gzip)
            );
        }
        let raw: u64 = self.files.iter().map(|f| f.raw).sum();
        let gzip: u64 = self.files.iter().map(|f| f.gzip).sum();
        println!("{:<width$}  {:>10}  {:>10}", "total", kib(raw), kib(gzip));
    }
}

/// `cargo xtask web [--no-opt]`.
pub(crate) fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    let mut options = Options {
        wasm_opt: true,
        locked: false,
    };
    for arg in args {
        match arg.as_str() {
            "--no-opt" => options.wasm_opt = false,
            other => bail!("`cargo xtask web` takes only --no-opt (got `{other}`)"),
        }
    }
    build(ws, options)?;
    Ok(())
}

/// Builds the bundle into `target/web/dist` and prints its sizes.
pub(crate) fn build(ws: &Workspace, options: Options) -> Result<Bundle> {
    let started = Instant::now();
    deps::wasm_target()?;
    let wasm_opt = if options.wasm_opt {
        Some(deps::wasm_opt(ws)?)
    } else {
        None
    };

    let sh = Shell::new()?;
    let web = ws.target.join("web");
    let app = compile(ws, &sh, &APP, options, wasm_opt.as_deref())?;
    let estimator = compile(ws, &sh, &ESTIMATOR, options, wasm_opt.as_deref())?;

    let step = Instant::now();
    let staging = web.join("dist.new");
    recreate_dir(&staging.join("assets"))?;
    let static_dir = ws.root.join("web/static");
    let read_static = |name: &str| -> Result<String> {
        let path = static_dir.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };

    // wasm → glue → worker.js and boot.js → index.html: each file is hashed only once
    // every name it mentions is final.
    let (wasm, glue) = app.assets()?;
    let (strength_wasm, strength_glue) = estimator.assets()?;
    let module = [
        ("GLUE", glue.name.clone()),
        ("WASM", wasm.name.clone()),
        ("WASM_SRI", wasm.sri.clone()),
    ];
    let worker = Asset::new(
        "worker",
        "js",
        fill("worker.js", &read_static("worker.js")?, &module)?.into_bytes(),
    );
    let mut boot_values = module.to_vec();
    boot_values.extend([
        ("WORKER", worker.name.clone()),
        ("STRENGTH_GLUE", strength_glue.name.clone()),
        ("STRENGTH_GLUE_SRI", strength_glue.sri.clone()),
        ("STRENGTH_WASM", strength_wasm.name.clone()),
        ("STRENGTH_WASM_SRI", strength_wasm.sri.clone()),
    ]);
    let boot = Asset::new(
        "boot",
        "js",
        fill("boot.js", &read_static("boot.js")?, &boot_values)?.into_bytes(),
    );
    let css = Asset::new("pli", "css", stylesheet(&static_dir.join("css"))?);
    let index = fill(
        "index.html",
        &read_static("index.html")?,
        &[
            ("CSS", format!("/assets/{}", css.name)),
            ("CSS_SRI", css.sri.clone()),
            ("GLUE", format!("/assets/{}", glue.name)),
            ("GLUE_SRI", glue.sri.clone()),
            ("BOOT", format!("/assets/{}", boot.name)),
            ("BOOT_SRI", boot.sri.clone()),
        ],
    )?;
    let service_worker = fill("sw.js", &read_static("sw.js")?, &[])?;

    let mut files = Vec::new();
    for asset in [
        &wasm,
        &glue,
        &worker,
        &strength_wasm,
        &strength_glue,
        &boot,
        &css,
    ] {
        let path = format!("assets/{}", asset.name);
        write(&staging.join(&path), &asset.bytes)?;
        files.push(FileSize::of(path, &asset.bytes)?);
    }
    for (name, text) in [("index.html", index), ("sw.js", service_worker)] {
        write(&staging.join(name), text.as_bytes())?;
        files.push(FileSize::of(name.to_owned(), text.as_bytes())?);
    }

    let dist = web.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .with_context(|| format!("cannot remove the old {}", dist.display()))?;
    }
    std::fs::rename(&staging, &dist)
        .with_context(|| format!("cannot move {} to {}", staging.display(), dist.display()))?;
    println!("web: hashing and writing {}", human(step.elapsed()));

    let bundle = Bundle { dist, files };
    bundle.print_sizes();
    println!(
        "\nweb bundle in {} ({}, {})",
        bundle.dist.display(),
        if options.wasm_opt {
            format!(
                "wasm-opt {} and {}",
                APP.wasm_opt_level, ESTIMATOR.wasm_opt_level
            )
        } else {
            "not optimised".to_owned()
        },
        human(started.elapsed())
    );
    Ok(bundle)
}

/// A module after wasm-bindgen (and wasm-opt): its glue and its wasm.
#[derive(Debug)]
struct Compiled {
    stem: &'static str,
    glue: PathBuf,
    wasm: PathBuf,
}

/// cargo, wasm-bindgen (`--target web`, as a library) and, unless `--no-opt`, wasm-opt,
/// into `target/web/bindgen/<stem>/`.
fn compile(
    ws: &Workspace,
    sh: &Shell,
    module: &Module,
    options: Options,
    wasm_opt: Option<&Path>,
) -> Result<Compiled> {
    let Module {
        package,
        stem,
        wasm_opt_level,
    } = *module;
    let step = Instant::now();
    let locked = options.locked.then_some("--locked");
    cmd!(
        sh,
        "cargo build -p {package} --target wasm32-unknown-unknown --release {locked...}"
    )
    .run()
    .with_context(|| format!("cannot build {package} for wasm32"))?;
    let compiled = ws
        .target
        .join("wasm32-unknown-unknown/release")
        .join(format!("{stem}.wasm"));
    println!("web: cargo build -p {package} {}", human(step.elapsed()));

    let step = Instant::now();
    let bindgen_dir = ws.target.join("web/bindgen").join(stem);
    recreate_dir(&bindgen_dir)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&compiled)
        .web(true)?
        // The library's default differs from the CLI's: without this, init() has no
        // default URL. boot.js and worker.js pass the module explicitly anyway.
        .omit_default_module_path(false)
        .typescript(false)
        .generate(&bindgen_dir)
        .with_context(|| format!("wasm-bindgen failed on {}", compiled.display()))?;
    if bindgen_dir.join("snippets").exists() {
        bail!(
            "wasm-bindgen wrote JavaScript snippets ({}): the bundle does not hash them yet; \
             teach xtask/src/web.rs to, or avoid `#[wasm_bindgen(module = …)]`/`inline_js`",
            bindgen_dir.join("snippets").display()
        );
    }
    let glue = bindgen_dir.join(format!("{stem}.js"));
    let mut wasm = bindgen_dir.join(format!("{stem}_bg.wasm"));
    println!(
        "web: wasm-bindgen {stem} {} ({})",
        human(step.elapsed()),
        kib(file_len(&wasm)?)
    );

    if let Some(wasm_opt) = wasm_opt {
        let step = Instant::now();
        let optimised = bindgen_dir.join(format!("{stem}_bg.opt.wasm"));
        let features = WASM_FEATURES;
        cmd!(
            sh,
            "{wasm_opt} {wasm_opt_level} {features...} {wasm} -o {optimised}"
        )
        .run()
        .with_context(|| format!("wasm-opt failed on {stem}"))?;
        println!(
            "web: wasm-opt {wasm_opt_level} {stem} {} ({})",
            human(step.elapsed()),
            kib(file_len(&optimised)?)
        );
        wasm = optimised;
    } else {
        println!("web: wasm-opt skipped (--no-opt / --fast)");
    }
    Ok(Compiled { stem, glue, wasm })
}

impl Compiled {
    /// The wasm and its glue as assets, the glue's default URL of the wasm replaced by the
    /// wasm's content-hashed name.
    fn assets(&self) -> Result<(Asset, Asset)> {
        let stem = self.stem;
        let wasm = Asset::new(&format!("{stem}_bg"), "wasm", read(&self.wasm)?);
        let glue = read_text(&self.glue)?;
        let default_wasm_url = format!("{stem}_bg.wasm");
        if !glue.contains(&default_wasm_url) {
            bail!(
                "the wasm-bindgen glue of {stem} does not mention {default_wasm_url}: has its output changed?"
            );
        }
        let glue = Asset::new(
            stem,
            "js",
            glue.replace(&default_wasm_url, &wasm.name).into_bytes(),
        );
        Ok((wasm, glue))
    }
}

/// A file of `assets/`: its content-hashed name, SRI hash and bytes.
#[derive(Debug)]
struct Asset {
    name: String,
    sri: String,
    bytes: Vec<u8>,
}

impl Asset {
    fn new(stem: &str, extension: &str, bytes: Vec<u8>) -> Self {
        Self {
            name: hashed_name(stem, extension, &bytes),
            sri: sri(&bytes),
            bytes,
        }
    }
}

/// `<stem>-<first 16 hex digits of SHA-256>.<extension>`.
fn hashed_name(stem: &str, extension: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{stem}-{hex}.{extension}")
}

/// The Subresource Integrity value of `bytes`: `sha384-<base64>`.
fn sri(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// Replaces every `{{KEY}}` of `template` with its value. Fails if a key is not used, or
/// if a `{{KEY}}` is left without a value: a template and this file disagree.
fn fill(file: &str, template: &str, values: &[(&str, String)]) -> Result<String> {
    let mut text = template.to_owned();
    for (key, value) in values {
        let placeholder = format!("{{{{{key}}}}}");
        if !text.contains(&placeholder) {
            bail!("web/static/{file} has no {placeholder}");
        }
        text = text.replace(&placeholder, value);
    }
    if let Some(left) = placeholders(&text).first() {
        bail!("web/static/{file} has {{{{{left}}}}}, which xtask does not fill in");
    }
    Ok(text)
}

/// The `KEY`s of the `{{KEY}}` placeholders in `text` (upper case and `_` only, so that
/// prose such as `{{…}}` in a comment is left alone).
fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = rest.get(start + 2..).unwrap_or_default();
        let Some(end) = after.find("}}") else { break };
        let key = after.get(..end).unwrap_or_default();
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            found.push(key);
        }
        rest = after;
    }
    found
}

/// Every `*.css` of `dir`, in file-name order, concatenated.
fn stylesheet(dir: &Path) -> Result<Vec<u8>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "css") {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        bail!("no stylesheet in {}", dir.display());
    }
    let mut css = Vec::new();
    for path in paths {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        css.extend_from_slice(format!("/* {name} */\n").as_bytes());
        css.extend_from_slice(&read(&path)?);
        if !css.ends_with(b"\n") {
            css.push(b'\n');
        }
    }
    Ok(css)
}

impl FileSize {
    fn of(path: String, bytes: &[u8]) -> Result<Self> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder
            .write_all(bytes)
            .and_then(|()| encoder.finish())
            .map(|gzip| Self {
                raw: bytes.len() as u64,
                gzip: gzip.len() as u64,
                path,
            })
            .context("cannot gzip in memory")
    }
}

/// `1234567` → `1205.6 KiB`.
fn kib(bytes: u64) -> String {
    #[allow(
        clippy::cast_precision_loss,
        reason = "a display rounded to a tenth of a KiB"
    )]
    let kib = bytes as f64 / 1024.0;
    format!("{kib:.1} KiB")
}

fn recreate_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len())
}

#[cfg(test)]
mod tests {
    use super::{fill, hashed_name, placeholders, sri};

    #[test]
    fn names_and_integrity_follow_the_content() {
        // echo -n abc | sha256sum; echo -n abc | openssl dgst -sha384 -binary | base64
        assert_eq!(
            hashed_name("boot", "js", b"abc"),
            "boot-ba7816bf8f01cfea.js"
        );
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn templates_and_values_must_agree() {
        let values = [("GLUE", "pli_web-00.js".to_owned())];
        assert_eq!(
            fill("t", "import \"./{{GLUE}}\"; // {{…}}", &values).ok(),
            Some("import \"./pli_web-00.js\"; // {{…}}".to_owned())
        );
        assert!(fill("t", "no placeholder", &values).is_err());
        assert!(fill("t", "{{GLUE}} {{WASM_SRI}}", &values).is_err());
        assert_eq!(
            placeholders("{{A}} {{b}} {{ C }} {{WASM_SRI}}"),
            ["A", "WASM_SRI"]
        );
    }
}
