//! `cargo xtask web`: builds the web app into `target/web/dist/`, ready for `PLI_WEB_DIR`.
//!
//! Four WebAssembly modules: the login page's interface, the door (`pli-web` with its
//! feature `door`, loaded by every page first), the whole interface (`pli-web` with
//! `app`, loaded when the door steps aside: after a login, or for a one-time link), the
//! worker's (`pli-web` with `worker`: the keys and the cryptography, fetched when the
//! page first needs the worker, at a login) and the password-strength
//! estimator (`pli-strength`: zxcvbn, loaded by `boot.js` only where a password is
//! chosen, because it is larger than the login page's whole budget). For each, in a
//! cargo invocation of its own (so that features are not unified):
//!
//! 1. `cargo build -p <crate> --target wasm32-unknown-unknown --release
//!    [--no-default-features --features <feature>]`;
//! 2. wasm-bindgen, as a library (`wasm-bindgen-cli-support`, the exact version of the
//!    `wasm-bindgen` crate), `--target web`: an ES module of glue plus `<stem>_bg.wasm`;
//! 3. unless `--no-opt`, `wasm-opt` from the npm package `binaryen` (Debian's is too old
//!    for wasm-bindgen's externref table, see `docs/toolchain.md`), installed once in
//!    `target/tools/npm`.
//!
//! Then every asset is named after its content (`assets/<name>-<16 hex of SHA-256>.<ext>`)
//! and the references rewritten in dependency order: each wasm → its glue → worker.js
//! (the worker's) and boot.js (the door's, the interface's and the estimator's) →
//! index.html. The templates in `web/static/`
//! say where with `{{NAME}}` (a file name) and `{{NAME_SRI}}` (its Subresource Integrity
//! hash, `sha384-…`). `index.html` and `sw.js` stay at the root, unhashed: the relay
//! serves them with `no-cache` and everything under `assets/` as immutable.
//!
//! Then each compressible file (wasm, js, css, html, json) gets its precompressed variants
//! beside it, `<file>.br` and `<file>.gz` (each only if smaller than the file), which the
//! relay sends to browsers that accept them (`crates/pli-server/src/routes/web.rs`). The
//! bundle people get (wasm-opt on) is compressed as hard as the formats go: brotli quality
//! 11 and gzip -9, the slowest, done once per content. The CI/test bundle (`--no-opt`) uses
//! brotli quality 5 and gzip -6, a few seconds where quality 11 on the unoptimised bundle
//! takes minutes. Either way on two threads, and each variant is kept in
//! `target/web/precompressed/` under the SHA-256 of its input and settings, so an unchanged
//! file is not compressed again.
//!
//! The output is written next to `dist/` and swapped in at the end, so a running server
//! never serves half a bundle.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    /// The crate's feature to build it with, alone (`None`: its default features).
    feature: Option<&'static str>,
    /// The file cargo writes: `<artifact>.wasm`.
    artifact: &'static str,
    /// wasm-bindgen's name for it: `<stem>.js` and `<stem>_bg.wasm`.
    stem: &'static str,
    /// What wasm-opt optimises for.
    wasm_opt_level: &'static str,
    /// Function paths the module must link (its purpose: also the proof that the names
    /// are there to check) and must never link, checked in wasm-bindgen's output, which
    /// keeps the name section ([`check_links`]).
    links: &'static [&'static str],
    never_links: &'static [&'static [&'static str]],
}

/// The page never holds a private key: its modules link no code to decrypt, derive a key
/// from a password, decapsulate or sign (public keys' parsing and fingerprints only).
const NO_KEYS: [&str; 7] = [
    "pli_web::worker::",
    "pli_crypto::age::",
    "chacha20::",
    "poly1305::",
    "argon2::",
    "ml_kem::",
    "ed25519_dalek::signing::",
];

/// The whole interface, loaded by `boot.js` when the door steps aside: after a login, or
/// for a one-time link.
///
/// wasm-opt: measured on the app when it was one module (2147 KiB after wasm-bindgen):
/// `-O3` 1500 KiB (575 KiB gzipped), `-Oz` 1454 KiB (574 KiB gzipped), both ~23 s.
/// Gzipped they are the same size, so `-O3` stays.
const APP: Module = Module {
    package: "pli-web",
    feature: Some("app"),
    artifact: "pli_web",
    stem: "pli_web",
    wasm_opt_level: "-O3",
    links: &PAGES,
    never_links: &[&NO_KEYS],
};

/// The login page's interface, the door (`web/src/door.rs`): what every visit loads
/// first (`boot.js`). It must hold no page but the login and unlock forms: those are
/// issue 12's first visit.
const DOOR: Module = Module {
    package: "pli-web",
    feature: Some("door"),
    artifact: "pli_web",
    stem: "pli_door",
    wasm_opt_level: "-O3",
    links: &["pli_web::door::", "pli_web::pages::auth::login::"],
    never_links: &[&NO_KEYS, &PAGES],
};

/// The whole interface's pages, as the functions that draw them (each component's
/// body, `__component_<name>`, followed by its hash: a name inside another function's,
/// such as a drop glue that identical-code folding named after a closure of a page,
/// is not one). The app links each; the door none.
const PAGES: [&str; 10] = [
    "pli_web::pages::inbox::received::__component_inbox::h",
    "pli_web::pages::inbox::sent::__component_outbox::h",
    "pli_web::pages::compose::__component_compose::h",
    "pli_web::pages::exchange::__component_exchange_view::h",
    "pli_web::pages::admin::__component_admin::h",
    "pli_web::pages::platform::__component_platform::h",
    "pli_web::pages::account::__component_account::h",
    "pli_web::pages::kit::__component_kit_page::h",
    "pli_web::pages::auth::link::__component_setup::h",
    "pli_web::pages::auth::link::__component_invitation::h",
];

/// The worker's: the keys, the cryptography and the relay's client, loaded by
/// `worker.js` when the page starts the worker. `-O3`: the ciphers keep their inlining.
const WORKER: Module = Module {
    package: "pli-web",
    feature: Some("worker"),
    artifact: "pli_web",
    stem: "pli_worker",
    wasm_opt_level: "-O3",
    links: &["pli_web::worker::", "chacha20::"],
    never_links: &[&["pli_web::app::", "pli_web::pages::", "leptos::", "tachys::"]],
};

/// The password-strength estimator (`pli-strength` with its default `estimator`
/// feature: zxcvbn), loaded by `boot.js`'s `pliStrength` only where a password is chosen.
/// Built by a cargo invocation of its own: built with the app, feature unification
/// would turn `estimator` on for the app too, and its export would be linked into it.
const ESTIMATOR: Module = Module {
    package: "pli-strength",
    feature: None,
    artifact: "pli_strength",
    stem: "pli_strength",
    wasm_opt_level: "-O3",
    links: &["zxcvbn::"],
    never_links: &[&["pli_crypto::"]],
};

/// The WebAssembly features the module may use: rustc's defaults for
/// wasm32-unknown-unknown (Rust 1.95, the module's `target_features` section lists the
/// same), which include the reference types of wasm-bindgen's externref table, and SIMD
/// (`.cargo/config.toml` turns `simd128` on for every wasm32 build). wasm-opt
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
    "--enable-simd",
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
    /// Every file of the bundle (not its variants), relative to `dist`, with its sizes.
    pub(crate) files: Vec<FileSize>,
    /// How its variants were compressed.
    pub(crate) compression: Compression,
    /// The time the variants took (nearly nothing when every one was kept from before).
    pub(crate) precompress_time: Duration,
}

/// One file's size as the relay sends it: raw, and its `.gz` and `.br` variants (`None`:
/// not written, the file is sent as it is).
#[derive(Debug)]
pub(crate) struct FileSize {
    pub(crate) path: String,
    pub(crate) raw: u64,
    pub(crate) gzip: Option<u64>,
    pub(crate) br: Option<u64>,
    /// When a browser loads it.
    pub(crate) loaded: Loaded,
}

/// When a browser loads a file of the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loaded {
    /// By every page, the login page's first visit included.
    FirstVisit,
    /// When the door steps aside for the whole interface: once the keys are unlocked (a
    /// login), or for a one-time link (`web/src/door.rs`).
    Entering,
    /// When the page starts its worker: at the first request the page does not answer
    /// itself, a login (`web/src/bridge.rs`).
    WithWorker,
    /// Where a password is chosen (the password-strength estimator).
    WherePasswordChosen,
}

impl FileSize {
    /// The bytes of the body a browser accepting gzip only receives.
    pub(crate) fn sent_gzip(&self) -> u64 {
        self.gzip.unwrap_or(self.raw)
    }

    /// The bytes of the body a browser accepting brotli receives.
    pub(crate) fn sent_br(&self) -> u64 {
        self.br.or(self.gzip).unwrap_or(self.raw)
    }
}

impl Bundle {
    /// One line: total raw, gzip and brotli sizes and the time the variants took, for the
    /// test summary.
    pub(crate) fn summary(&self) -> String {
        let raw: u64 = self.files.iter().map(|f| f.raw).sum();
        let gzip: u64 = self.files.iter().map(FileSize::sent_gzip).sum();
        let br: u64 = self.files.iter().map(FileSize::sent_br).sum();
        format!(
            "{} files, {} ({} gzip, {} br; {} in {})",
            self.files.len(),
            kib(raw),
            kib(gzip),
            kib(br),
            self.compression,
            human(self.precompress_time)
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
        let optional = |size: Option<u64>| size.map_or_else(|| "-".to_owned(), kib);
        println!(
            "\n{:<width$}  {:>10}  {:>10}  {:>10}",
            "file", "raw", "gzip", "br"
        );
        for file in &self.files {
            println!(
                "{:<width$}  {:>10}  {:>10}  {:>10}{}",
                file.path,
                kib(file.raw),
                optional(file.gzip),
                optional(file.br),
                match file.loaded {
                    Loaded::FirstVisit => "",
                    Loaded::Entering => "  (when the interface takes over: after a login)",
                    Loaded::WithWorker => "  (when the worker starts: at a login)",
                    Loaded::WherePasswordChosen => "  (where a password is chosen)",
                }
            );
        }
        let raw: u64 = self.files.iter().map(|f| f.raw).sum();
        let gzip: u64 = self.files.iter().map(FileSize::sent_gzip).sum();
        let br: u64 = self.files.iter().map(FileSize::sent_br).sum();
        println!(
            "{:<width$}  {:>10}  {:>10}  {:>10}",
            "total (as sent)",
            kib(raw),
            kib(gzip),
            kib(br)
        );
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
    let door_module = compile(ws, &sh, &DOOR, options, wasm_opt.as_deref())?;
    let app = compile(ws, &sh, &APP, options, wasm_opt.as_deref())?;
    let worker_module = compile(ws, &sh, &WORKER, options, wasm_opt.as_deref())?;
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
    let (door_wasm, door_glue) = door_module.assets()?;
    let (wasm, glue) = app.assets()?;
    let (worker_wasm, worker_glue) = worker_module.assets()?;
    let (strength_wasm, strength_glue) = estimator.assets()?;
    let worker = Asset::new(
        "worker",
        "js",
        fill(
            "worker.js",
            &read_static("worker.js")?,
            &[
                ("GLUE", worker_glue.name.clone()),
                ("WASM", worker_wasm.name.clone()),
                ("WASM_SRI", worker_wasm.sri.clone()),
            ],
        )?
        .into_bytes(),
    );
    let mut boot_values = vec![("WORKER".to_owned(), worker.name.clone())];
    boot_values.extend(module_values("DOOR", &door_wasm, &door_glue));
    boot_values.extend(module_values("APP", &wasm, &glue));
    boot_values.extend(module_values("STRENGTH", &strength_wasm, &strength_glue));
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
            ("BOOT", format!("/assets/{}", boot.name)),
            ("BOOT_SRI", boot.sri.clone()),
        ],
    )?;
    let service_worker = fill("sw.js", &read_static("sw.js")?, &[] as &[(&str, String)])?;

    let mut outputs: Vec<(String, &[u8], Loaded)> = Vec::new();
    for (asset, loaded) in [
        (&door_wasm, Loaded::FirstVisit),
        (&door_glue, Loaded::FirstVisit),
        (&wasm, Loaded::Entering),
        (&glue, Loaded::Entering),
        (&worker, Loaded::WithWorker),
        (&worker_wasm, Loaded::WithWorker),
        (&worker_glue, Loaded::WithWorker),
        (&strength_wasm, Loaded::WherePasswordChosen),
        (&strength_glue, Loaded::WherePasswordChosen),
        (&boot, Loaded::FirstVisit),
        (&css, Loaded::FirstVisit),
    ] {
        outputs.push((format!("assets/{}", asset.name), &asset.bytes, loaded));
    }
    outputs.push((
        "index.html".to_owned(),
        index.as_bytes(),
        Loaded::FirstVisit,
    ));
    outputs.push((
        "sw.js".to_owned(),
        service_worker.as_bytes(),
        Loaded::FirstVisit,
    ));
    for (path, bytes, _) in &outputs {
        write(&staging.join(path), bytes)?;
    }
    println!("web: hashing and writing {}", human(step.elapsed()));

    let step = Instant::now();
    let compression = if options.wasm_opt {
        Compression::SHIPPED
    } else {
        Compression::QUICK
    };
    let files = precompress(&web.join("precompressed"), &staging, &outputs, compression)?;
    let precompress_time = step.elapsed();
    println!(
        "web: precompressing ({compression}) {}",
        human(precompress_time)
    );

    let dist = web.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .with_context(|| format!("cannot remove the old {}", dist.display()))?;
    }
    std::fs::rename(&staging, &dist)
        .with_context(|| format!("cannot move {} to {}", staging.display(), dist.display()))?;

    let bundle = Bundle {
        dist,
        files,
        compression,
        precompress_time,
    };
    bundle.print_sizes();
    println!(
        "\nweb bundle in {} ({}, {})",
        bundle.dist.display(),
        if options.wasm_opt {
            format!(
                "wasm-opt {}, {}, {} and {}",
                DOOR.wasm_opt_level,
                APP.wasm_opt_level,
                WORKER.wasm_opt_level,
                ESTIMATOR.wasm_opt_level
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
        feature,
        artifact,
        stem,
        wasm_opt_level,
        links,
        never_links,
    } = *module;
    let step = Instant::now();
    let locked = options.locked.then_some("--locked");
    let features: Vec<&str> = feature
        .map(|feature| vec!["--no-default-features", "--features", feature])
        .unwrap_or_default();
    cmd!(
        sh,
        "cargo build -p {package} --target wasm32-unknown-unknown --release {locked...} {features...}"
    )
    .run()
    .with_context(|| format!("cannot build {package} for wasm32"))?;
    // Read at once: the next module of the same crate is written to the same file.
    let compiled = ws
        .target
        .join("wasm32-unknown-unknown/release")
        .join(format!("{artifact}.wasm"));
    println!(
        "web: cargo build -p {package}{} {}",
        feature
            .map(|f| format!(" --features {f}"))
            .unwrap_or_default(),
        human(step.elapsed())
    );

    let step = Instant::now();
    let bindgen_dir = ws.target.join("web/bindgen").join(stem);
    recreate_dir(&bindgen_dir)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&compiled)
        .web(true)?
        .out_name(stem)
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
    check_links(stem, &read(&wasm)?, links, &never_links.concat())?;

    if let Some(wasm_opt) = wasm_opt {
        let step = Instant::now();
        let optimised = bindgen_dir.join(format!("{stem}_bg.opt.wasm"));
        let wasm_features = WASM_FEATURES;
        cmd!(
            sh,
            "{wasm_opt} {wasm_opt_level} {wasm_features...} {wasm} -o {optimised}"
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

/// Fails unless the module (with its name section) mentions each of `links` and none of
/// `never_links`.
fn check_links(stem: &str, wasm: &[u8], links: &[&str], never_links: &[&str]) -> Result<()> {
    let mentions = |path: &str| {
        wasm.windows(path.len())
            .any(|window| window == path.as_bytes())
    };
    if let Some(missing) = links.iter().find(|path| !mentions(path)) {
        bail!(
            "the {stem} module does not link {missing}: its names are gone, or it lost what it is for"
        );
    }
    if let Some(linked) = never_links.iter().find(|path| mentions(path)) {
        bail!("the {stem} module links {linked}, which it must never link");
    }
    println!(
        "web: {stem} links {} and none of {}",
        links.join(", "),
        never_links.join(", ")
    );
    Ok(())
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

/// The four values `boot.js` needs to load the module `{prefix}` (`loadModule`): its
/// glue's and its wasm's names and SRI hashes.
fn module_values(prefix: &str, wasm: &Asset, glue: &Asset) -> [(String, String); 4] {
    [
        (format!("{prefix}_GLUE"), glue.name.clone()),
        (format!("{prefix}_GLUE_SRI"), glue.sri.clone()),
        (format!("{prefix}_WASM"), wasm.name.clone()),
        (format!("{prefix}_WASM_SRI"), wasm.sri.clone()),
    ]
}

/// Replaces every `{{KEY}}` of `template` with its value. Fails if a key is not used, or
/// if a `{{KEY}}` is left without a value: a template and this file disagree.
fn fill(file: &str, template: &str, values: &[(impl AsRef<str>, String)]) -> Result<String> {
    let mut text = template.to_owned();
    for (key, value) in values {
        let placeholder = format!("{{{{{}}}}}", key.as_ref());
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

/// How hard the bundle's variants are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compression {
    /// Brotli quality, 0–11.
    brotli_quality: u32,
    /// gzip level, 0–9.
    gzip_level: u32,
}

impl Compression {
    /// The bundle people get: the smallest either format makes. Slow (brotli 11 runs at
    /// about 1 MB/s), so done once per content (see [`precompress`]).
    const SHIPPED: Self = Self {
        brotli_quality: 11,
        gzip_level: 9,
    };
    /// The CI/test bundle (no wasm-opt): a few seconds instead of minutes, for variants
    /// that only need to be real.
    const QUICK: Self = Self {
        brotli_quality: 5,
        gzip_level: 6,
    };
    /// Brotli's window, 4 MiB (the format's default): the largest file of the bundle fits
    /// in it once optimised, and every browser decodes it.
    const BROTLI_WINDOW_BITS: u32 = 22;
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "brotli {}, gzip -{}",
            self.brotli_quality, self.gzip_level
        )
    }
}

/// A variant of a bundle file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn extension(self) -> &'static str {
        match self {
            Self::Brotli => "br",
            Self::Gzip => "gz",
        }
    }

    fn compress(self, compression: Compression, bytes: &[u8]) -> Result<Vec<u8>> {
        match self {
            Self::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: i32::try_from(compression.brotli_quality).context("brotli quality")?,
                    lgwin: i32::try_from(Compression::BROTLI_WINDOW_BITS)
                        .context("brotli window")?,
                    size_hint: bytes.len(),
                    ..brotli::enc::BrotliEncoderParams::default()
                };
                let mut out = Vec::new();
                brotli::BrotliCompress(&mut &*bytes, &mut out, &params)
                    .context("cannot brotli in memory")?;
                Ok(out)
            }
            Self::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(
                    Vec::new(),
                    flate2::Compression::new(compression.gzip_level),
                );
                encoder
                    .write_all(bytes)
                    .and_then(|()| encoder.finish())
                    .context("cannot gzip in memory")
            }
        }
    }
}

/// The file types worth compressing (the others, images, are compressed already).
fn compressible(path: &str) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "wasm" | "js" | "mjs" | "css" | "html" | "json"))
}

/// One variant to make.
struct Job<'a> {
    /// The file's path in the bundle, and in `outputs`.
    index: usize,
    bytes: &'a [u8],
    encoding: Encoding,
}

/// Writes `<file>.br` and `<file>.gz` beside each compressible file of `outputs` (path in
/// `staging`, bytes, loaded by the login page), each only if smaller than the file, on
/// two threads (the largest first). A variant is kept in `cache` under the SHA-256 of its
/// input and settings, so an unchanged file is not compressed again; variants of files no
/// longer in the bundle are removed from it.
fn precompress(
    cache: &Path,
    staging: &Path,
    outputs: &[(String, &[u8], Loaded)],
    compression: Compression,
) -> Result<Vec<FileSize>> {
    std::fs::create_dir_all(cache).with_context(|| format!("cannot create {}", cache.display()))?;
    let mut jobs: Vec<Job<'_>> = outputs
        .iter()
        .enumerate()
        .filter(|(_, (path, _, _))| compressible(path))
        .flat_map(|(index, (_, bytes, _))| {
            [Encoding::Brotli, Encoding::Gzip].map(|encoding| Job {
                index,
                bytes,
                encoding,
            })
        })
        .collect();
    // Popped from the end: the largest first, so that the two threads end together.
    jobs.sort_by_key(|job| job.bytes.len());
    let jobs = Mutex::new(jobs);
    let done: Mutex<Vec<(usize, Encoding, String, u64)>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let job = jobs
                            .lock()
                            .map_err(|_| anyhow::anyhow!("a compressing thread failed"))?
                            .pop();
                        let Some(job) = job else { return Ok(()) };
                        let (key, len) = variant(cache, &job, compression)?;
                        done.lock()
                            .map_err(|_| anyhow::anyhow!("a compressing thread failed"))?
                            .push((job.index, job.encoding, key, len));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a compressing thread panicked"))??;
        }
        Ok(())
    })?;
    let done = done
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a compressing thread failed"))?;

    let mut files: Vec<FileSize> = outputs
        .iter()
        .map(|(path, bytes, loaded)| FileSize {
            path: path.clone(),
            raw: bytes.len() as u64,
            gzip: None,
            br: None,
            loaded: *loaded,
        })
        .collect();
    let mut used = HashSet::new();
    for (index, encoding, key, len) in done {
        let source = cache.join(&key);
        used.insert(key);
        let Some(file) = files.get_mut(index) else {
            bail!("a variant of a file that is not in the bundle");
        };
        if len >= file.raw {
            continue;
        }
        let target = staging.join(format!("{}.{}", file.path, encoding.extension()));
        std::fs::copy(&source, &target)
            .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
        match encoding {
            Encoding::Brotli => file.br = Some(len),
            Encoding::Gzip => file.gzip = Some(len),
        }
    }
    for entry in
        std::fs::read_dir(cache).with_context(|| format!("cannot list {}", cache.display()))?
    {
        let entry = entry.with_context(|| format!("cannot list {}", cache.display()))?;
        if !used.contains(&*entry.file_name().to_string_lossy()) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(files)
}

/// The cached variant of one job (made if missing): its file name in `cache` and length.
fn variant(cache: &Path, job: &Job<'_>, compression: Compression) -> Result<(String, u64)> {
    let mut hasher = Sha256::new();
    hasher.update(job.bytes);
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let key = match job.encoding {
        Encoding::Brotli => format!(
            "{hex}.q{}w{}.br",
            compression.brotli_quality,
            Compression::BROTLI_WINDOW_BITS
        ),
        Encoding::Gzip => format!("{hex}.{}.gz", compression.gzip_level),
    };
    let path = cache.join(&key);
    if let Ok(metadata) = std::fs::metadata(&path) {
        return Ok((key, metadata.len()));
    }
    let compressed = job.encoding.compress(compression, job.bytes)?;
    // Written aside and renamed, so an interrupted build never leaves half a variant.
    let partial = cache.join(format!("{key}.partial"));
    write(&partial, &compressed)?;
    std::fs::rename(&partial, &path)
        .with_context(|| format!("cannot move {} to {}", partial.display(), path.display()))?;
    Ok((key, compressed.len() as u64))
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
    use super::{check_links, fill, hashed_name, placeholders, sri};

    /// A module passes only if it names all it must link and nothing it must never link;
    /// one without names (nothing to check) fails too.
    #[test]
    fn a_module_linking_what_it_must_never_is_refused() {
        let page = b"\x00name\x01pli_web::app::App\x02tachys::view::Render";
        let never = ["chacha20::", "pli_crypto::age::"];
        assert!(check_links("page", page, &["pli_web::app::"], &never).is_ok());
        let leaked = b"\x00name\x01pli_web::app::App\x02chacha20::xchacha::encrypt";
        let error = check_links("page", leaked, &["pli_web::app::"], &never).unwrap_err();
        assert!(error.to_string().contains("links chacha20::"), "{error}");
        let stripped = b"\x00\x61\x73\x6d";
        let error = check_links("page", stripped, &["pli_web::app::"], &never).unwrap_err();
        assert!(
            error.to_string().contains("does not link pli_web::app::"),
            "{error}"
        );
    }

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
