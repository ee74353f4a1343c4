//! Running `pli`, `age` and typage, and making keys and test data.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `pli` binary under test.
pub(crate) fn pli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pli"))
}

/// A reference tool (`age` or `age-keygen`); fails the test if it is not installed,
/// since an interoperability test that does not run proves nothing.
pub(crate) fn reference(tool: &str) -> Command {
    let probe = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    match probe {
        Ok(output) if output.status.success() => Command::new(tool),
        Ok(output) => panic!(
            "`{tool} --version` failed ({}): the reference age tools are required by this \
             test (Debian package `age`)",
            output.status
        ),
        Err(error) => panic!(
            "cannot run `{tool}` ({error}): the reference age tools are required by this \
             test (install the Debian package `age`)"
        ),
    }
}

/// Runs `command` with empty standard input.
pub(crate) fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"))
}

/// Runs `command` with `input` on standard input.
pub(crate) fn run_with_stdin(command: &mut Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from another thread: the child may fill its stdout pipe before reading all.
    let writer = std::thread::spawn(move || {
        // The child may stop reading early (when it fails); that is its business.
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

/// Runs `command` and insists that it succeeds; returns its standard output.
pub(crate) fn run_ok(command: &mut Command) -> Vec<u8> {
    let output = run(command);
    assert_success(command, &output);
    output.stdout
}

pub(crate) fn assert_success(command: &Command, output: &Output) {
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Asserts that `pli` failed as it should: status 1, nothing on standard output, and
/// exactly one line on standard error, `pli: …`, that contains `expected`. `case` names
/// the situation in the assertion messages. Returns the line.
pub(crate) fn assert_failure(case: &str, output: &Output, expected: &str) -> String {
    assert_failure_with(case, output, expected, 1)
}

/// [`assert_failure`] with another exit status (2 for a usage error).
pub(crate) fn assert_failure_with(
    case: &str,
    output: &Output,
    expected: &str,
    status: i32,
) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(status),
        "{case}: exit status; stderr: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "{case}: nothing on stdout, got {} bytes",
        output.stdout.len()
    );
    assert!(
        stderr.starts_with("pli: ") && stderr.ends_with('\n') && stderr.lines().count() == 1,
        "{case}: one line `pli: …` on stderr, got {stderr:?}"
    );
    assert!(
        stderr.contains(expected),
        "{case}: stderr should contain {expected:?}, got {stderr:?}"
    );
    stderr
}

/// The names in `dir`, sorted.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `len` pseudo-random bytes (xorshift64*), different for each `seed`.
pub(crate) fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A key pair on disk: the identity file and its recipient.
#[derive(Debug)]
pub(crate) struct Key {
    pub(crate) file: PathBuf,
    pub(crate) recipient: String,
}

/// A key made by `pli keygen -o`.
pub(crate) fn pli_key(dir: &Path, name: &str) -> Key {
    keygen(dir, name, &[])
}

/// A post-quantum hybrid key made by `pli keygen --pq -o`.
pub(crate) fn pli_pq_key(dir: &Path, name: &str) -> Key {
    keygen(dir, name, &["--pq"])
}

fn keygen(dir: &Path, name: &str, args: &[&str]) -> Key {
    let file = dir.join(name);
    let output = run(pli().arg("keygen").args(args).arg("-o").arg(&file));
    assert!(output.status.success(), "pli keygen: {output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let recipient = stderr
        .strip_prefix("Public key: ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("pli keygen's stderr: {stderr:?}"))
        .to_owned();
    Key { file, recipient }
}

/// A key made by `age-keygen -o`.
pub(crate) fn age_key(dir: &Path, name: &str) -> Key {
    let file = dir.join(name);
    run_ok(reference("age-keygen").arg("-o").arg(&file));
    let public = run_ok(reference("age-keygen").arg("-y").arg(&file));
    let recipient = String::from_utf8(public).unwrap().trim().to_owned();
    Key { file, recipient }
}

/// The version of typage (the npm package `age-encryption`, the TypeScript age by age's
/// author, with the post-quantum hybrid recipient type) that the tests run.
const TYPAGE_VERSION: &str = "0.3.1";

/// Runs typage through `typage.mjs`: `node typage.mjs MODE ARGS…` (see that file).
#[derive(Debug)]
pub(crate) struct Typage {
    entry: PathBuf,
    script: PathBuf,
}

impl Typage {
    pub(crate) fn command(&self, mode: &str) -> Command {
        let mut command = Command::new("node");
        command
            .arg(&self.script)
            .arg(mode)
            .env("TYPAGE_ENTRY", &self.entry);
        command
    }
}

/// typage, ready to run: the copy `cargo xtask` installed in `target/tools/npm` if it is
/// this version, or else one installed once with npm in `target/tmp`.
///
/// Without node the test cannot run: under CI (`CI` set) that fails the test, since an
/// interoperability test that does not run proves nothing; elsewhere `None`, after a
/// notice that `test` did not run.
#[allow(
    clippy::print_stderr,
    reason = "the notice that a test did not run goes where cargo test shows it"
)]
pub(crate) fn typage(test: &str) -> Option<Typage> {
    let probe = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    if let Err(error) = probe {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: cannot run node ({error}): typage needs it (Debian packages nodejs npm)"
        );
        eprintln!("notice: {test} did not run: cannot run node ({error}); under CI this fails");
        return None;
    }
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let package = INSTALLED
        .get_or_init(install_typage)
        .as_ref()
        .unwrap_or_else(|error| panic!("{test}: {error}"));
    Some(Typage {
        entry: package.join("dist/index.js"),
        script: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/typage.mjs"),
    })
}

/// The directory of the `age-encryption` package of [`TYPAGE_VERSION`].
fn install_typage() -> Result<PathBuf, String> {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let shared = target.join("tools/npm/node_modules/age-encryption");
    if package_version(&shared).as_deref() == Some(TYPAGE_VERSION) {
        return Ok(shared);
    }
    let prefix = target.join(format!("tmp/typage-{TYPAGE_VERSION}"));
    let package = prefix.join("node_modules/age-encryption");
    fs::create_dir_all(&prefix).map_err(|error| format!("cannot create {prefix:?}: {error}"))?;
    // nextest runs each test in a process of its own: one installs, the others wait.
    let lock = prefix.join("install.lock");
    let lock = fs::File::create(&lock)
        .and_then(|file| file.lock().map(|()| file))
        .map_err(|error| format!("cannot lock {lock:?}: {error}"))?;
    if package_version(&package).as_deref() == Some(TYPAGE_VERSION) {
        return Ok(package);
    }
    let output = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--save-exact",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("age-encryption@{TYPAGE_VERSION}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run npm to install typage: {error}"))?;
    if !output.status.success() || package_version(&package).as_deref() != Some(TYPAGE_VERSION) {
        return Err(format!(
            "npm install age-encryption@{TYPAGE_VERSION} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    drop(lock);
    Ok(package)
}

/// The `"version"` of the npm package in `dir`, if it is installed.
fn package_version(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("version")?.as_str().map(str::to_owned)
}

/// A fresh temporary directory.
pub(crate) fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Milliseconds since the Unix epoch, as the relay and the journals count time.
pub(crate) fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}
