//! Prerequisites, installed by xtask itself so a fresh machine needs only rustup:
//! Debian packages (apt-get as root, otherwise the command to run is printed), the
//! `wasm32-unknown-unknown` target, the nightly toolchain of `cargo xtask fuzz` (alone),
//! tools built from crates.io into `target/tools` (wasm-bindgen-test-runner, rage,
//! cargo-fuzz), and npm packages into `target/tools/npm` (binaryen's
//! `wasm-opt`, axe-core, typage, oidc-provider), each installed once per machine.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::{Cmd, run_with_env};

/// The Debian packages every `cargo xtask test` needs (nginx: the load balancer in front
/// of the replicas' tests, `pli_server::testing::balancer`).
pub(crate) const TEST_PACKAGES: &[&str] =
    &["chromium", "chromium-driver", "age", "postgresql", "nginx"];

/// wasm-bindgen-test-runner must match the `wasm-bindgen` crate exactly.
pub(crate) const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The npm package `binaryen` whose `wasm-opt` `cargo xtask web` runs. Debian's binaryen
/// (108) breaks wasm-bindgen's externref table; this one is pure JavaScript and
/// WebAssembly, so any Node.js runs it.
pub(crate) const BINARYEN_NPM_VERSION: &str = "132.0.0";

/// axe-core, the accessibility checker the browser end-to-end tests run on every page.
pub(crate) const AXE_CORE_VERSION: &str = "4.14.1";
/// typage, as pli-cli's tests expect it (`tests/it/harness.rs`, `TYPAGE_VERSION`).
pub(crate) const TYPAGE_VERSION: &str = "0.3.1";

/// oidc-provider (a certified OpenID Connect provider), which the tests run as a stand-in
/// for ProConnect (`pli_testkit::OidcProvider`, `PLI_TEST_OIDC_NODE_MODULES`).
pub(crate) const OIDC_PROVIDER_VERSION: &str = "9.13.3";

/// rage, the Rust age implementation the crypto benchmark compares against.
pub(crate) const RAGE_VERSION: &str = "0.12.1";

/// cargo-fuzz, which builds and runs the libFuzzer targets of `fuzz/` (`cargo xtask fuzz`).
pub(crate) const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// moto's S3 server (PyPI `moto[server]`), the S3-compatible object store of the tests and
/// of `cargo xtask cluster`. Chosen over `s3s-fs` because it is written to behave as AWS
/// does, refusals included (a multipart part under 5 MiB, a missing upload, a wrong
/// range), where `s3s-fs` maps the protocol onto a folder without AWS's rules.
pub(crate) const MOTO_VERSION: &str = "5.2.6";

/// The toolchain `cargo xtask fuzz` builds with: libFuzzer's instrumentation needs nightly
/// flags. Nothing else uses it.
pub(crate) const FUZZ_TOOLCHAIN: &str = "nightly";

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Installs the Debian packages that are missing, or fails with the command to run.
pub(crate) fn debian_packages(packages: &[&str]) -> Result<()> {
    let sh = Shell::new()?;
    let mut missing = Vec::new();
    for &package in packages {
        let format = "-f=${Status}";
        let status = cmd!(sh, "dpkg-query -W {format} {package}")
            .quiet()
            .ignore_stderr()
            .read()
            .unwrap_or_default();
        if !status.ends_with("install ok installed") {
            missing.push(package);
        }
    }
    if missing.is_empty() {
        println!("Debian packages present: {}", packages.join(" "));
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root()? {
        bail!(
            "missing Debian packages: {list}\n\
             install them, then run again:\n    \
             sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y {list}"
        );
    }
    cmd!(sh, "apt-get update")
        .run()
        .context("cannot update the apt package lists")?;
    run_with_env(
        cmd!(sh, "apt-get install -y {missing...}"),
        &[("DEBIAN_FRONTEND", "noninteractive".as_ref())],
    )
    .with_context(|| format!("cannot install {list}"))
}

/// Whether this process runs as root (`id -u` is 0).
pub(crate) fn is_root() -> Result<bool> {
    let sh = Shell::new()?;
    let uid = cmd!(sh, "id -u")
        .quiet()
        .read()
        .context("cannot find the user id")?;
    Ok(uid.trim() == "0")
}

/// Adds the `wasm32-unknown-unknown` target to the pinned toolchain if it is missing
/// (`RUSTUP_AUTO_INSTALL=0` machines do not add it by themselves).
pub(crate) fn wasm_target() -> Result<()> {
    let sh = Shell::new()?;
    let installed = cmd!(sh, "rustup target list --installed")
        .quiet()
        .read()
        .context("cannot list the installed rustup targets")?;
    if installed
        .lines()
        .any(|line| line.trim() == "wasm32-unknown-unknown")
    {
        println!("rustup target wasm32-unknown-unknown present");
        return Ok(());
    }
    cmd!(sh, "rustup target add wasm32-unknown-unknown")
        .run()
        .context("cannot add the wasm32-unknown-unknown target")
}

/// The name cargo runs the wasm tests by: xtask itself, linked under that name.
pub(crate) const TEST_RUNNER: &str = "wasm-bindgen-test-runner";

/// `target/tools/bin/wasm-bindgen-test-runner`: a link to (or copy of) this very binary,
/// which runs `wasm-bindgen-cli`'s test runner as a library when called by that name
/// (`main`). The runner is then exactly the version of the `wasm-bindgen` crate the tests
/// use, built once with xtask, where a `cargo install wasm-bindgen-cli` took 3 1/2 minutes
/// of every clean CI run.
pub(crate) fn wasm_bindgen_test_runner(ws: &Workspace) -> Result<PathBuf> {
    let xtask = std::env::current_exe().context("cannot find xtask's own binary")?;
    let bin = ws.tools().join("bin");
    std::fs::create_dir_all(&bin).with_context(|| format!("cannot create {}", bin.display()))?;
    let runner = bin.join(TEST_RUNNER);
    match std::fs::remove_file(&runner) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("cannot replace {}", runner.display()));
        }
    }
    if std::fs::hard_link(&xtask, &runner).is_err() {
        std::fs::copy(&xtask, &runner)
            .with_context(|| format!("cannot copy {} to {}", xtask.display(), runner.display()))?;
    }
    Ok(runner)
}

/// `target/tools/bin/rage`, installed if missing or of another version.
pub(crate) fn rage(ws: &Workspace) -> Result<PathBuf> {
    let rage = ws.tools().join("bin/rage");
    cargo_install(
        ws,
        &rage,
        &format!("rage {RAGE_VERSION}"),
        "rage",
        RAGE_VERSION,
    )?;
    Ok(rage)
}

/// `target/tools/bin/cargo-fuzz`, installed if missing or of another version.
pub(crate) fn cargo_fuzz(ws: &Workspace) -> Result<PathBuf> {
    let cargo_fuzz = ws.tools().join("bin/cargo-fuzz");
    cargo_install(
        ws,
        &cargo_fuzz,
        &format!("cargo-fuzz {CARGO_FUZZ_VERSION}"),
        "cargo-fuzz",
        CARGO_FUZZ_VERSION,
    )?;
    Ok(cargo_fuzz)
}

/// The [`FUZZ_TOOLCHAIN`], installed with rustup (minimal profile) if it is missing;
/// returns its name, for `RUSTUP_TOOLCHAIN`.
pub(crate) fn nightly() -> Result<String> {
    let sh = Shell::new()?;
    let installed = cmd!(sh, "rustup toolchain list")
        .quiet()
        .read()
        .context("cannot list the rustup toolchains")?;
    let present = installed
        .lines()
        .any(|line| line.trim_start().starts_with(&format!("{FUZZ_TOOLCHAIN}-")));
    if present {
        println!("rustup toolchain {FUZZ_TOOLCHAIN} present");
    } else {
        println!("the fuzz targets need the {FUZZ_TOOLCHAIN} toolchain: installing it (once)");
        cmd!(
            sh,
            "rustup toolchain install {FUZZ_TOOLCHAIN} --profile minimal"
        )
        .run()
        .with_context(|| format!("cannot install the {FUZZ_TOOLCHAIN} toolchain"))?;
    }
    Ok(FUZZ_TOOLCHAIN.to_owned())
}

/// `target/tools/npm/node_modules/.bin/wasm-opt` from the npm package `binaryen`, installed
/// if missing or of another version.
pub(crate) fn wasm_opt(ws: &Workspace) -> Result<PathBuf> {
    npm_package(ws, "binaryen", BINARYEN_NPM_VERSION)?;
    let wasm_opt = npm_prefix(ws).join("node_modules/.bin/wasm-opt");
    let major = BINARYEN_NPM_VERSION.split('.').next().unwrap_or_default();
    let wanted = format!("wasm-opt version {major} ");
    let sh = Shell::new()?;
    let version = cmd!(sh, "{wasm_opt} --version")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    if !version.trim().starts_with(&wanted) {
        bail!(
            "{} prints `{}`, not `{wanted}…`",
            wasm_opt.display(),
            version.trim()
        );
    }
    Ok(wasm_opt)
}

/// `axe.min.js` of the npm package `axe-core`, installed if missing or of another version:
/// the browser end-to-end tests run it on every page (`PLI_AXE_JS`).
pub(crate) fn axe_core(ws: &Workspace) -> Result<PathBuf> {
    let package = npm_package(ws, "axe-core", AXE_CORE_VERSION)?;
    Ok(package.join("axe.min.js"))
}

/// typage (the npm package `age-encryption`, the TypeScript age with the post-quantum
/// recipient), which pli-cli's interoperability tests run with node: installed here once
/// so that no test reaches the npm registry.
pub(crate) fn typage(ws: &Workspace) -> Result<PathBuf> {
    npm_package(ws, "age-encryption", TYPAGE_VERSION)
}

/// `target/tools/npm/node_modules`, holding the npm package `oidc-provider` (installed if
/// missing or of another version), which `pli_testkit::OidcProvider` imports from there:
/// the tests' stand-in for ProConnect.
pub(crate) fn oidc_provider(ws: &Workspace) -> Result<PathBuf> {
    let package = npm_package(ws, "oidc-provider", OIDC_PROVIDER_VERSION)?;
    package
        .parent()
        .map(Path::to_path_buf)
        .context("oidc-provider's package has no parent directory")
}

/// `target/tools/npm`: packages installed from npm.
fn npm_prefix(ws: &Workspace) -> PathBuf {
    ws.tools().join("npm")
}

/// `target/tools/npm/node_modules/<name>`, installed with npm unless its `package.json`
/// already says `version`. Needs `npm` for the first install only (Debian's `nodejs npm`
/// are installed if it is missing); afterwards it works offline.
fn npm_package(ws: &Workspace, name: &str, version: &str) -> Result<PathBuf> {
    let prefix = npm_prefix(ws);
    let package = prefix.join("node_modules").join(name);
    if installed_version(&package).as_deref() == Some(version) {
        println!("npm {name}@{version} present in {}", package.display());
        return Ok(package);
    }
    let sh = Shell::new()?;
    let npm = cmd!(sh, "npm --version").quiet().ignore_stderr().read();
    if npm.is_err() {
        println!("npm is missing: it installs {name} (once)");
        debian_packages(&["nodejs", "npm"])?;
    }
    println!(
        "installing {name}@{version} into {} (once per machine)",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix)
        .with_context(|| format!("cannot create {}", prefix.display()))?;
    let spec = format!("{name}@{version}");
    cmd!(
        sh,
        "npm install --no-audit --no-fund --save-exact --prefix {prefix} {spec}"
    )
    .run()
    .with_context(|| format!("cannot install {name}@{version} with npm"))?;
    if installed_version(&package).as_deref() != Some(version) {
        bail!(
            "npm did not install {name}@{version} in {}",
            package.display()
        );
    }
    Ok(package)
}

/// The `"version"` of an installed npm package's `package.json`, if it can be read.
fn installed_version(package: &Path) -> Option<String> {
    let text = std::fs::read_to_string(package.join("package.json")).ok()?;
    package_json_version(&text).map(str::to_owned)
}

/// The value of the first `"version"` key of a `package.json` (the package's own: npm
/// writes it before `dependencies`).
fn package_json_version(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("\"version\"")?;
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.split_once('"').map(|(value, _)| value)
}

/// Runs `cargo install` into `target/tools` unless `binary --version` already prints
/// `wanted`. Without `--locked`: wasm-bindgen-cli's lockfile pins a crate version the
/// registry does not have.
fn cargo_install(
    ws: &Workspace,
    binary: &Path,
    wanted: &str,
    krate: &str,
    version: &str,
) -> Result<()> {
    let sh = Shell::new()?;
    let current = cmd!(sh, "{binary} --version")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    if current.trim() == wanted {
        println!("{wanted} present in {}", binary.display());
        return Ok(());
    }
    println!(
        "installing {krate} {version} into {} (once per machine)",
        ws.tools().display()
    );
    let exact = format!("={version}");
    let root = ws.tools();
    cmd!(sh, "cargo install {krate} --version {exact} --root {root}")
        .run()
        .with_context(|| format!("cannot install {krate} {version}"))?;
    let installed = cmd!(sh, "{binary} --version")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    if installed.trim() != wanted {
        bail!(
            "{} prints `{}` after the install, not `{wanted}`",
            binary.display(),
            installed.trim()
        );
    }
    Ok(())
}

/// The environment that makes `cargo test --target wasm32-unknown-unknown` run the tests
/// in headless Chromium through wasm-bindgen-test-runner.
#[derive(Debug)]
pub(crate) struct Browser {
    runner: PathBuf,
    webdriver_json: PathBuf,
    profile: PathBuf,
}

impl Browser {
    /// Installs the runner if needed, and writes `target/webdriver.json` with a fresh
    /// Chromium profile directory (removed on drop).
    pub(crate) fn prepare(ws: &Workspace) -> Result<Self> {
        wasm_target()?;
        let runner = wasm_bindgen_test_runner(ws)?;
        for binary in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(binary).exists() {
                bail!("{binary} is missing: install the Debian packages chromium chromium-driver");
            }
        }
        let unique = format!(
            "chromium-profile-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let tmp = ws.target.join("tmp");
        let profile = tmp.join(unique);
        std::fs::create_dir_all(&profile)
            .with_context(|| format!("cannot create {}", profile.display()))?;
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let args: Vec<String> = args
            .iter()
            .map(|arg| pli_testkit::json_string(arg))
            .collect();
        let json = format!(
            "{{\n  \"goog:chromeOptions\": {{\n    \"binary\": {},\n    \"args\": [\n      {}\n    ]\n  }}\n}}\n",
            pli_testkit::json_string(CHROMIUM),
            args.join(",\n      ")
        );
        let webdriver_json = ws.target.join("webdriver.json");
        std::fs::write(&webdriver_json, json)
            .with_context(|| format!("cannot write {}", webdriver_json.display()))?;
        Ok(Self {
            runner,
            webdriver_json,
            profile,
        })
    }

    /// Adds the runner's environment to a `cargo test --target wasm32-unknown-unknown`.
    pub(crate) fn apply(&self, cmd: Cmd) -> Cmd {
        cmd.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &self.runner)
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &self.webdriver_json)
            // The whole test binary must finish within this many seconds (default 20).
            .env("WASM_BINDGEN_TEST_TIMEOUT", "600")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `target/tools/moto-<version>/bin/moto_server`: moto's S3 server in a virtual environment
/// of its own, created with the machine's `python3` (Debian's `python3-venv` if it has
/// none) and filled from PyPI the first time.
pub(crate) fn moto(ws: &Workspace) -> Result<PathBuf> {
    let venv = ws.tools().join(format!("moto-{MOTO_VERSION}"));
    let server = venv.join("bin/moto_server");
    if server.is_file() {
        println!("moto {MOTO_VERSION} present in {}", venv.display());
        return Ok(server);
    }
    let sh = Shell::new()?;
    let venv_works = cmd!(sh, "python3 -m venv --help")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok();
    if !venv_works {
        println!("python3's venv is missing: it installs moto (once)");
        debian_packages(&["python3", "python3-venv"])?;
    }
    // A half-made environment from an interrupted install is made again.
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .with_context(|| format!("cannot remove {}", venv.display()))?;
    }
    cmd!(sh, "python3 -m venv {venv}")
        .run()
        .context("cannot create moto's Python environment")?;
    let pip = venv.join("bin/pip");
    let spec = format!("moto[server]=={MOTO_VERSION}");
    cmd!(
        sh,
        "{pip} install --quiet --disable-pip-version-check {spec}"
    )
    .run()
    .with_context(|| format!("cannot install {spec} from PyPI"))?;
    if !server.is_file() {
        bail!("pip did not install {}", server.display());
    }
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::package_json_version;

    #[test]
    fn reads_the_version_of_a_package_json() {
        let text = "{\n  \"name\": \"axe-core\",\n  \"version\": \"4.14.1\",\n  \"deps\": {}\n}";
        assert_eq!(package_json_version(text), Some("4.14.1"));
        assert_eq!(
            package_json_version("{\"version\":\"132.0.0\"}"),
            Some("132.0.0")
        );
        assert_eq!(package_json_version("{\"name\": \"x\"}"), None);
    }
}
