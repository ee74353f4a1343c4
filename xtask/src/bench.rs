//! `cargo xtask bench <name>`: benchmarks. Timings are benchmarks, never timed tests.
//!
//! `crypto`: from one run, a side-by-side table on the same 1 GiB random file
//! (`target/bench/`, generated once): `pli encrypt`/`pli decrypt` (profiles `bench-fast`
//! and the shipped `release`, the latter on every core and on one) against rage and Go age
//! (best of 5, output to `/dev/null`), after a SHA-256 check that each tool decrypts pli's
//! ciphertext to the input; then the release rows against OpenSSL's ChaCha20-Poly1305 on
//! as many cores ([`limit`]). Then, in headless Chromium, pli-crypto
//! compiled to WASM (without SIMD and with `+simd128`, the shipped build) against WebCrypto
//! AES-GCM, and SHA-256 (sha2 in WASM against WebCrypto's digest), over the same buffer
//! in the same page (`crates/pli-crypto/tests/browser_bench.rs`). And what post-quantum
//! keys cost: pli on the same 1 GiB file to an `age1pq1…` recipient beside its run to an
//! `age1…` one (PASS within 5 %: "throughput unchanged"), and a 1-byte file encrypted and
//! decrypted to each recipient type, natively (`crates/pli-crypto/examples/header_cost.rs`)
//! and in WASM (the same measure in `browser_bench.rs`).
//!
//! `server` ([`server`]): the relay's ingest against nginx, its memory while 4 GiB go up
//! and down, and its inbox listing with a million exchanges on SQLite and PostgreSQL,
//! with [`http`], the small HTTP/1.1 client both servers are fed by.
//!
//! `web` ([`web`]): the web app in headless Chromium, a 1 GiB send and a 2 GiB receive.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::Cmd;
use crate::deps::{self, Browser};

mod bundle;
mod http;
mod limit;
mod server;
mod web;

/// The benchmarks `cargo xtask bench` lists.
const BENCHMARKS: &[(&str, &str)] = &[
    (
        "crypto",
        "pli vs rage vs Go age on a 1 GiB file; WASM vs WebCrypto AES-GCM in Chromium",
    ),
    (
        "server",
        "relay ingest vs nginx and a durable sink, RSS over 4 GiB up and down, inbox with 1M exchanges (SQLite, PostgreSQL); `server ingest`, `server inbox`: one of them alone",
    ),
    (
        "cluster",
        "1, 2 and 3 release relays on PostgreSQL and an S3 bucket (moto) behind nginx: ingest and inbox against one replica, and the failover a client sees when one is killed",
    ),
    (
        "web",
        "the web app in Chromium: 1 GiB send (pipelining, vs WebCrypto), page memory on a 2 GiB receive",
    ),
    (
        "login",
        "log in, in Chromium, with 10,000 entries in the key directory's log (fresh and returning browser); log sizes",
    ),
    (
        "load",
        "200 people (pli-client, real crypto) sending and reading 1 KiB–200 MiB for 10 minutes on PostgreSQL: failures, latencies, relay RSS",
    ),
    (
        "bundle",
        "what the login page transfers on a first visit (release bundle: raw, gzip, brotli per file) vs 400 KB",
    ),
];

const FILE_SIZE: u64 = 1 << 30;
const MIB: f64 = 1024.0 * 1024.0;
/// Runs per tool and direction, taking turns; the best counts. Five, not three: the
/// post-quantum row is judged within 5 % of pli's own X25519 row, and a run of 0.75 s
/// varies by that much on a shared machine.
const RUNS: usize = 5;
/// Not a multiple of the 64 KiB STREAM chunk, so the last chunk is partial.
const SANITY_SIZE: u64 = (5 << 20) + 4321;

pub(crate) fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    match args {
        [] => {
            println!("benchmarks (cargo xtask bench <name>):");
            for (name, what) in BENCHMARKS {
                println!("    {name:<8} {what}");
            }
            Ok(())
        }
        [name] if name == "crypto" => crypto(ws),
        [name, options @ ..] if name == "server" => server::run(ws, options),
        [name] if name == "cluster" => server::cluster(ws),
        [name] if name == "web" => web::run(ws),
        [name] if name == "login" => web::login(ws),
        [name, options @ ..] if name == "load" => crate::chaos::load(ws, options),
        [name] if name == "bundle" => bundle::run(ws),
        [name] => bail!("unknown benchmark `{name}`; `cargo xtask bench` lists them"),
        [_, extra, ..] => bail!("`cargo xtask bench` takes one name (got `{extra}` too)"),
    }
}

/// One command-line age implementation.
#[derive(Debug)]
struct Tool {
    label: String,
    binary: PathBuf,
    encrypt: &'static [&'static str],
    decrypt: &'static [&'static str],
    /// Short name, for file names.
    short: &'static str,
    /// Its own recipient and identity file, instead of the run's X25519 ones (pli to a
    /// post-quantum recipient, which rage and Go age 1.1 do not know).
    key: Option<(String, PathBuf)>,
    /// Run on the first core only (`taskset -c 0`): pli's threads then number one.
    one_core: bool,
}

impl Tool {
    /// The binary, on the first core only if asked.
    fn command(&self) -> Cmd {
        if self.one_core {
            Cmd::new("taskset").args(["-c", "0"]).arg(&self.binary)
        } else {
            Cmd::new(&self.binary)
        }
    }

    fn encrypt(&self, recipient: &str, input: &Path) -> Cmd {
        let recipient = self.key.as_ref().map_or(recipient, |(own, _)| own.as_str());
        self.command()
            .args(self.encrypt)
            .args(["-r", recipient])
            .arg(input)
    }

    fn decrypt(&self, identity: &Path, input: &Path) -> Cmd {
        let identity = self.key.as_ref().map_or(identity, |(_, own)| own.as_path());
        self.command()
            .args(self.decrypt)
            .arg("-i")
            .arg(identity)
            .arg(input)
    }
}

#[derive(Debug, Default)]
struct Row {
    label: String,
    encrypt: Option<f64>,
    decrypt: Option<f64>,
    error: Option<String>,
}

fn crypto(ws: &Workspace) -> Result<()> {
    deps::debian_packages(&["age", "chromium", "chromium-driver"])?;
    let rage = deps::rage(ws)?;
    let dir = ws.target.join("bench");
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    let sh = Shell::new()?;
    // The shipped profile (`release`) beside `bench-fast` (fat LTO, one codegen unit).
    let pli_built = cmd!(sh, "cargo build --profile bench-fast -p pli-cli")
        .run()
        .context("cannot build pli with the bench-fast profile")
        .and_then(|()| {
            cmd!(sh, "cargo build --release -p pli-cli")
                .run()
                .context("cannot build pli with the release profile")
        });
    let go_age_version = cmd!(sh, "age --version")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let pli = ws.target.join("bench-fast/pli");
    let pq_identity = dir.join("identity-pq.txt");
    let pq_recipient = if pli_built.is_ok() {
        post_quantum_key(&pli, &pq_identity)
    } else {
        Err(anyhow::anyhow!("pli was not built"))
    };
    let mut tools = vec![
        Tool {
            label: "pli (bench-fast)".to_owned(),
            binary: pli.clone(),
            encrypt: &["encrypt"],
            decrypt: &["decrypt"],
            short: "pli",
            key: None,
            one_core: false,
        },
        Tool {
            label: "pli (release)".to_owned(),
            binary: ws.target.join("release/pli"),
            encrypt: &["encrypt"],
            decrypt: &["decrypt"],
            short: "pli-rel",
            key: None,
            one_core: false,
        },
        Tool {
            label: "pli (release), one core".to_owned(),
            binary: ws.target.join("release/pli"),
            encrypt: &["encrypt"],
            decrypt: &["decrypt"],
            short: "pli-rel1",
            key: None,
            one_core: true,
        },
        Tool {
            label: format!("rage {}", deps::RAGE_VERSION),
            binary: rage,
            encrypt: &["-e"],
            decrypt: &["-d"],
            short: "rage",
            key: None,
            one_core: false,
        },
        Tool {
            label: format!("age {go_age_version} (Go)"),
            binary: PathBuf::from("/usr/bin/age"),
            encrypt: &["-e"],
            decrypt: &["-d"],
            short: "age",
            key: None,
            one_core: false,
        },
    ];
    let classic_tools = tools.len();
    match &pq_recipient {
        Ok(recipient) => tools.push(Tool {
            label: "pli, age1pq1 recipient".to_owned(),
            binary: pli.clone(),
            encrypt: &["encrypt"],
            decrypt: &["decrypt"],
            short: "pli-pq",
            key: Some((recipient.clone(), pq_identity.clone())),
            one_core: false,
        }),
        Err(error) => eprintln!("no post-quantum row: {error:#}"),
    }

    let input = dir.join("random-1GiB.bin");
    random_file(&input, FILE_SIZE)?;
    let identity = dir.join("identity.txt");
    let _ = fs::remove_file(&identity);
    cmd!(sh, "age-keygen -o {identity}")
        .run()
        .context("cannot make a key")?;
    let recipient = cmd!(sh, "age-keygen -y {identity}")
        .quiet()
        .read()
        .context("cannot read the recipient")?
        .trim()
        .to_owned();

    let mut rows: Vec<Row> = tools
        .iter()
        .map(|tool| Row {
            label: tool.label.clone(),
            ..Row::default()
        })
        .collect();
    let mut pli_error = pli_built.err().map(|error| format!("{error:#}"));
    // The X25519 tools check each other; the post-quantum row checks its own round trip.
    let (classic, post_quantum) = tools.split_at(classic_tools.min(tools.len()));
    if pli_error.is_none()
        && let Err(error) = sanity(&dir, &input, &identity, &recipient, classic).and_then(|()| {
            if post_quantum.is_empty() {
                Ok(())
            } else {
                sanity(&dir, &input, &identity, &recipient, post_quantum)
            }
        })
    {
        pli_error = Some(format!("{error:#}"));
    }

    for (tool, row) in tools.iter().zip(rows.iter_mut()) {
        if tool.short.starts_with("pli")
            && let Some(error) = &pli_error
        {
            eprintln!("skipping pli: {error}");
            row.error = Some(error.clone());
        }
    }
    time_tools(&tools, &mut rows, &dir, &input, &identity, &recipient);

    let native_header = header_cost_native();
    let browser = browser_rows(ws);
    print_tables(&rows, &browser);
    let release = |short: &str| {
        tools
            .iter()
            .position(|tool| tool.short == short)
            .and_then(|at| rows.get(at))
    };
    limit::print(
        std::thread::available_parallelism().map_or(1, usize::from),
        release("pli-rel"),
        release("pli-rel1"),
        &input,
    );
    print_post_quantum(&rows, &native_header, &browser);
    let failures: Vec<&str> = rows
        .iter()
        .chain(
            browser
                .as_ref()
                .map_or(&[][..], |(rows, _)| rows.as_slice()),
        )
        .filter(|row| row.error.is_some())
        .map(|row| row.label.as_str())
        .collect();
    if let Err(error) = &browser {
        bail!("the browser benchmark failed: {error:#}");
    }
    if !failures.is_empty() {
        bail!("failed: {}", failures.join(", "));
    }
    Ok(())
}

/// Writes `size` random bytes to `path` unless it already has that size.
fn random_file(path: &Path, size: u64) -> Result<()> {
    if fs::metadata(path).map(|meta| meta.len()).ok() == Some(size) {
        println!("reusing {} ({} MiB)", path.display(), size >> 20);
        return Ok(());
    }
    println!(
        "writing {} MiB of random bytes to {}",
        size >> 20,
        path.display()
    );
    let partial = path.with_extension("partial");
    let urandom = fs::File::open("/dev/urandom").context("cannot open /dev/urandom")?;
    let mut out = fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let copied = std::io::copy(&mut urandom.take(size), &mut out)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    if copied != size {
        bail!("/dev/urandom gave {copied} bytes instead of {size}");
    }
    out.flush()
        .with_context(|| format!("cannot write {}", partial.display()))?;
    fs::rename(&partial, path).with_context(|| format!("cannot rename {}", partial.display()))
}

/// Checks on a small file that every tool decrypts pli's ciphertext to the input, and
/// that pli decrypts the others' ciphertexts.
fn sanity(dir: &Path, big: &Path, identity: &Path, recipient: &str, tools: &[Tool]) -> Result<()> {
    let input = dir.join("sanity.bin");
    let mut head = Vec::new();
    fs::File::open(big)
        .with_context(|| format!("cannot open {}", big.display()))?
        .take(SANITY_SIZE)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {}", big.display()))?;
    fs::write(&input, &head).with_context(|| format!("cannot write {}", input.display()))?;
    let expected = sha256sum(&input)?;
    println!("sanity check on {} bytes, sha256 {expected}", head.len());

    let pli = tools
        .iter()
        .find(|tool| tool.short.starts_with("pli"))
        .context("no pli in the tool list")?;
    let mut pairs: Vec<(&Tool, &Tool)> = tools.iter().map(|tool| (pli, tool)).collect();
    pairs.extend(
        tools
            .iter()
            .filter(|tool| !tool.short.starts_with("pli"))
            .map(|tool| (tool, pli)),
    );
    let mut problems = Vec::new();
    for (encryptor, decryptor) in pairs {
        let sealed = dir.join(format!("sanity.by-{}.age", encryptor.short));
        let opened = dir.join(format!(
            "sanity.{}-{}.out",
            encryptor.short, decryptor.short
        ));
        let outcome = encryptor
            .encrypt(recipient, &input)
            .stdout_file(&sealed)?
            .run()
            .and_then(|()| {
                decryptor
                    .decrypt(identity, &sealed)
                    .stdout_file(&opened)?
                    .run()
            })
            .and_then(|()| sha256sum(&opened));
        let verdict = match outcome {
            Ok(hash) if hash == expected => "ok".to_owned(),
            Ok(hash) => format!("MISMATCH (sha256 {hash})"),
            Err(error) => format!("FAILED: {error:#}"),
        };
        println!(
            "  {:>4} encrypts, {:<4} decrypts: {verdict}",
            encryptor.short, decryptor.short
        );
        if verdict != "ok" {
            problems.push(format!(
                "{} → {}: {verdict}",
                encryptor.short, decryptor.short
            ));
        }
        let _ = fs::remove_file(&opened);
    }
    for tool in tools {
        let _ = fs::remove_file(dir.join(format!("sanity.by-{}.age", tool.short)));
    }
    if !problems.is_empty() {
        bail!("sanity check failed: {}", problems.join("; "));
    }
    Ok(())
}

fn sha256sum(path: &Path) -> Result<String> {
    let sh = Shell::new()?;
    let line = cmd!(sh, "sha256sum {path}").quiet().read()?;
    let hash = line
        .split_whitespace()
        .next()
        .context("sha256sum printed nothing")?;
    Ok(hash.to_owned())
}

/// Best of [`RUNS`] for encryption (input file → /dev/null) and for decryption of each
/// tool's own ciphertext (made once, untimed). The tools take turns, so that a change in
/// the machine's load hits them alike. A tool that fails gets its row's error.
fn time_tools(
    tools: &[Tool],
    rows: &mut [Row],
    dir: &Path,
    input: &Path,
    identity: &Path,
    recipient: &str,
) {
    let null = Path::new("/dev/null");
    let ciphertext = |tool: &Tool| dir.join(format!("random-1GiB.by-{}.age", tool.short));
    for (tool, row) in tools.iter().zip(rows.iter_mut()) {
        if row.error.is_none() {
            let made = tool
                .encrypt(recipient, input)
                .stdout_file(&ciphertext(tool))
                .and_then(Cmd::run);
            record(row, made.map(|()| None));
        }
    }
    for run in 1..=RUNS {
        println!("\nencryption, run {run} of {RUNS}");
        for (tool, row) in tools.iter().zip(rows.iter_mut()) {
            if row.error.is_none() {
                let timed = time_once(
                    &row.label,
                    tool.encrypt(recipient, input).stdout_file(null),
                    run,
                );
                record(row, timed.map(|speed| Some((speed, true))));
            }
        }
    }
    for run in 1..=RUNS {
        println!("\ndecryption, run {run} of {RUNS}");
        for (tool, row) in tools.iter().zip(rows.iter_mut()) {
            if row.error.is_none() {
                let timed = time_once(
                    &row.label,
                    tool.decrypt(identity, &ciphertext(tool)).stdout_file(null),
                    run,
                );
                record(row, timed.map(|speed| Some((speed, false))));
            }
        }
    }
    for tool in tools {
        let _ = fs::remove_file(ciphertext(tool));
    }
}

/// Keeps the best speed (`true` for encryption), or the first error.
fn record(row: &mut Row, outcome: Result<Option<(f64, bool)>>) {
    match outcome {
        Ok(Some((speed, true))) => {
            row.encrypt = Some(row.encrypt.map_or(speed, |best| best.max(speed)))
        }
        Ok(Some((speed, false))) => {
            row.decrypt = Some(row.decrypt.map_or(speed, |best| best.max(speed)))
        }
        Ok(None) => {}
        Err(error) => {
            eprintln!("{}: {error:#}", row.label);
            row.error = Some(format!("{error:#}"));
        }
    }
}

/// Runs `cmd` once (printed on the first run) and returns its throughput in MiB/s.
fn time_once(label: &str, cmd: Result<Cmd>, run: usize) -> Result<f64> {
    let cmd = cmd?;
    if run == 1 {
        println!("$ {cmd} > /dev/null");
    }
    let started = Instant::now();
    let status = cmd.status_quiet()?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("run {run} failed: {status}");
    }
    let speed = throughput(elapsed);
    println!(
        "  {label:<20} {:>5.2} s  {speed:>5.0} MiB/s",
        elapsed.as_secs_f64()
    );
    Ok(speed)
}

/// MiB/s for the 1 GiB file.
fn throughput(elapsed: Duration) -> f64 {
    (FILE_SIZE as f64 / MIB) / elapsed.as_secs_f64().max(1e-9)
}

/// Runs `tests/browser_bench.rs` in headless Chromium, without SIMD and with `+simd128`
/// (the build the web bundle ships, `.cargo/config.toml`).
/// `pli-bench` numbers: a key and its value.
type Numbers = Vec<(String, f64)>;

/// The browser rows, and the numbers printed beside them: the header costs of the shipped
/// (`+simd128`) WASM build and the SHA-256 rates of both builds.
fn browser_rows(ws: &Workspace) -> Result<(Vec<Row>, Numbers)> {
    let browser = Browser::prepare(ws)?;
    let variants: [(&str, Option<PathBuf>); 2] = [
        (" -simd128", Some(ws.target.join("no-simd128"))),
        (" +simd128", None),
    ];
    let mut rows = Vec::new();
    let mut webcrypto = Vec::new();
    let mut header = Vec::new();
    for (suffix, target_dir) in variants {
        let label = format!("pli-crypto WASM{suffix}");
        let mut cmd = Cmd::new("cargo").args(["test", "-p", "pli-crypto", "--release"]);
        cmd = cmd.args([
            "--target",
            "wasm32-unknown-unknown",
            "--features",
            "browser-bench",
        ]);
        cmd = cmd.args(["--test", "browser_bench"]);
        if let Some(target_dir) = &target_dir {
            cmd = cmd
                .env("CARGO_TARGET_DIR", target_dir)
                .env("CARGO_ENCODED_RUSTFLAGS", "-Ctarget-feature=-simd128");
        }
        let cmd = browser.apply(cmd).args(["--", "--nocapture"]);
        let numbers = cmd.run_tee().and_then(|captured| {
            if !captured.status.success() {
                bail!("the browser benchmark exited with {}", captured.status);
            }
            Ok(bench_numbers(&captured.text()))
        });
        match numbers {
            Ok(numbers) => {
                let get = |key: &str| numbers.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
                let error = get("wasm-encrypt")
                    .is_none()
                    .then(|| "the page printed no `pli-bench` numbers".to_owned());
                rows.push(Row {
                    label,
                    encrypt: get("wasm-encrypt"),
                    decrypt: get("wasm-decrypt"),
                    error,
                });
                if let Some(value) = get("webcrypto-aes-gcm-encrypt") {
                    webcrypto.push(value);
                }
                header.extend(
                    ["wasm-sha256", "webcrypto-sha256"]
                        .into_iter()
                        .filter_map(|key| get(key).map(|v| (format!("{key}{suffix}"), v))),
                );
                if target_dir.is_none() {
                    header.extend(
                        numbers
                            .iter()
                            .filter(|(key, _)| key.starts_with("header-"))
                            .cloned(),
                    );
                }
            }
            Err(error) => rows.push(Row {
                label,
                error: Some(format!("{error:#}")),
                ..Row::default()
            }),
        }
    }
    rows.push(Row {
        label: "WebCrypto AES-GCM (64 KiB calls)".to_owned(),
        encrypt: webcrypto.iter().copied().reduce(f64::max),
        decrypt: None,
        error: webcrypto
            .is_empty()
            .then(|| "no WebCrypto number".to_owned()),
    });
    Ok((rows, header))
}

/// A fresh post-quantum identity file made by pli, and its `age1pq1…` recipient.
fn post_quantum_key(pli: &Path, identity: &Path) -> Result<String> {
    let _ = fs::remove_file(identity);
    let sh = Shell::new()?;
    let printed = cmd!(sh, "{pli} keygen --pq -o {identity}")
        .quiet()
        .read_stderr()
        .context("pli keygen --pq")?;
    printed
        .split_whitespace()
        .find(|word| word.starts_with("age1pq1"))
        .map(str::to_owned)
        .context("pli keygen --pq printed no age1pq1 recipient")
}

/// `crates/pli-crypto/examples/header_cost.rs`, built `--release`: its `pli-bench` lines.
fn header_cost_native() -> Result<Numbers> {
    let sh = Shell::new()?;
    let text = cmd!(
        sh,
        "cargo run --quiet --release -p pli-crypto --example header_cost"
    )
    .read()
    .context("the native header-cost benchmark failed")?;
    print!("{text}");
    Ok(bench_numbers(&text))
}

/// What post-quantum keys cost: 1 GiB throughput beside X25519's (PASS within 5 %), and
/// a 1-byte file's encryption and decryption natively and in WASM (ratio, no target).
fn print_post_quantum(
    rows: &[Row],
    native: &Result<Numbers>,
    browser: &Result<(Vec<Row>, Numbers)>,
) {
    println!(
        "
post-quantum keys (age1pq1, ML-KEM-768 + X25519) against X25519:"
    );
    let classic = rows
        .iter()
        .find(|row| row.label.starts_with("pli (bench-fast)"));
    let hybrid = rows
        .iter()
        .find(|row| row.label.starts_with("pli, age1pq1"));
    for (what, get) in [
        (
            "encrypt",
            (|row: &Row| row.encrypt) as fn(&Row) -> Option<f64>,
        ),
        ("decrypt", |row: &Row| row.decrypt),
    ] {
        match (classic.and_then(get), hybrid.and_then(get)) {
            (Some(base), Some(value)) if base > 0.0 => {
                let ratio = value / base;
                let verdict = if ratio >= 0.95 { "PASS" } else { "MISS" };
                println!(
                    "  1 GiB {what}: {value:.0} MiB/s to age1pq1 vs {base:.0} to age1 ({ratio:.2}×, target ≥ 0.95×: unchanged within noise) {verdict}"
                );
            }
            _ => println!("  1 GiB {what}: not measured (see the errors above)"),
        }
    }
    let table = |label: &str, numbers: &[(String, f64)]| {
        let get = |key: &str| numbers.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        for op in ["encrypt", "decrypt"] {
            let x = get(&format!("header-x25519-{op}-us"));
            let h = get(&format!("header-hybrid-{op}-us"));
            match (x, h) {
                (Some(x), Some(h)) if x > 0.0 => println!(
                    "  1-byte file, {label} {op}: {h:.0} µs to age1pq1 vs {x:.0} µs to age1 ({:.1}×)",
                    h / x
                ),
                _ => println!("  1-byte file, {label} {op}: not measured"),
            }
        }
        if let (Some(x), Some(h)) = (get("header-x25519-bytes"), get("header-hybrid-bytes")) {
            println!("  1-byte file, {label}: {h:.0} bytes to age1pq1 vs {x:.0} to age1");
        }
    };
    match native {
        Ok(numbers) => table("native", numbers),
        Err(error) => println!("  native header cost FAILED: {error:#}"),
    }
    match browser {
        Ok((_, numbers)) => table("WASM", numbers),
        Err(error) => println!("  WASM header cost FAILED: {error:#}"),
    }
}

/// `pli-bench <key> <MiB/s>` lines printed by the page.
fn bench_numbers(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once("pli-bench ")?;
            let mut words = rest.split_whitespace();
            let key = words.next()?;
            let value = words.next()?.parse().ok()?;
            Some((key.to_owned(), value))
        })
        .collect()
}

/// The load averages over 1, 5 and 15 minutes (`/proc/loadavg`), for the tables: other
/// work on the machine skews the numbers.
fn load_average() -> String {
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_tables(rows: &[Row], browser: &Result<(Vec<Row>, Numbers)>) {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let age = rows.iter().find(|row| row.label.starts_with("age "));
    // Other work on the machine skews the numbers: show how busy it was.
    let load = load_average();
    println!(
        "\ncrypto benchmark ({cores} cores, load average {load}): 1 GiB random file, output \
         to /dev/null, best of {RUNS} (tools take turns), MiB/s of plaintext (× Go age)"
    );
    print_table(
        "tool",
        rows,
        age.and_then(|age| age.encrypt),
        age.and_then(|age| age.decrypt),
    );

    let chromium = Shell::new()
        .ok()
        .and_then(|sh| {
            let chromium = deps::CHROMIUM;
            cmd!(sh, "{chromium} --version")
                .quiet()
                .ignore_stderr()
                .read()
                .ok()
        })
        .unwrap_or_default();
    let chromium = chromium
        .split(" built on")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    println!("\nin headless {chromium}: 64 MiB buffer, same page, best of 3, MiB/s (× WebCrypto)");
    match browser {
        Ok((rows, numbers)) => {
            let webcrypto = rows.last().and_then(|row| row.encrypt);
            print_table("what", rows, webcrypto, None);
            // SHA-256 over the same buffer: sha2 fed 1 MiB at a time (a streaming hash),
            // WebCrypto's digest one call per 16 MiB (a send's segments and parts).
            let sha = |key: &str| numbers.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
            let webcrypto = sha("webcrypto-sha256 +simd128");
            println!("SHA-256, MiB/s (× WebCrypto digest)");
            for (label, key) in [
                ("sha2 WASM -simd128", "wasm-sha256 -simd128"),
                ("sha2 WASM +simd128", "wasm-sha256 +simd128"),
                ("WebCrypto digest", "webcrypto-sha256 +simd128"),
            ] {
                match (sha(key), webcrypto) {
                    (Some(v), Some(base)) if base > 0.0 => {
                        println!("  {label:<20} {v:>6.0} ({:.2}×)", v / base);
                    }
                    (Some(v), _) => println!("  {label:<20} {v:>6.0}"),
                    (None, _) => println!("  {label:<20}      –"),
                }
            }
        }
        Err(error) => println!("FAILED: {error:#}"),
    }
}

fn print_table(first: &str, rows: &[Row], encrypt_base: Option<f64>, decrypt_base: Option<f64>) {
    let ratio = |value: Option<f64>, base: Option<f64>| match (value, base) {
        (Some(value), Some(base)) if base > 0.0 => format!("{value:>6.0} ({:.2}×)", value / base),
        (Some(value), _) => format!("{value:>6.0}"),
        (None, _) => "     –".to_owned(),
    };
    let width = rows
        .iter()
        .map(|row| row.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(20);
    println!("{first:<width$}  {:<15}  decrypt", "encrypt");
    for row in rows {
        let (encrypt, decrypt) = match &row.error {
            Some(_) => ("FAILED (below)".to_owned(), String::new()),
            None => (
                ratio(row.encrypt, encrypt_base),
                ratio(row.decrypt, decrypt_base),
            ),
        };
        println!("{:<width$}  {encrypt:<15}  {decrypt}", row.label);
    }
    for row in rows {
        if let Some(error) = &row.error {
            println!("  {}: {error}", row.label);
        }
    }
}
