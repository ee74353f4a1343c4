//! `cargo xtask bench server`: the relay under load, from one run, in one table.
//!
//! The relay is `pli-server` built with `--release`, run as a subprocess on a free port of
//! 127.0.0.1 with its data under `target/bench/server` (JSON log in `server.log` there).
//! The world it serves — platform, a court and a Département with their admins, keys and
//! one member each — is set up through the API by the `bench_fixture` example of
//! `pli-server` (`crates/pli-server/examples/bench_fixture.rs`), which also completes
//! exchanges (it signs envelopes) and seeds the database with SQL.
//!
//! 1. **Ingest vs nginx and a durable sink.** 2 GiB in 16 MiB parts (`PUT
//!    …/objects/{idx}/parts/{n}` with `Content-Digest`), one stream and four concurrent
//!    streams (one object each), against Debian's nginx receiving the same bytes with
//!    WebDAV `PUT` into a folder (no hash, no fsync), and against `sink.rs`, a minimal
//!    sink that hashes each part once and `fdatasync`s it before answering (the durable
//!    work without the relay's own overhead). The same client sends all three: the
//!    HTTP/1.1 code in [`super::http`]. Three runs, the servers taking turns, `sync`
//!    between uploads so that one's writeback does not land in the next; with each
//!    server's CPU seconds per GiB (from `/proc/<pid>/stat`), which the machine's other
//!    load disturbs less than the speed, and the load average before each upload; a row's
//!    figures come from one run (the median relay speed). `cargo xtask bench server
//!    ingest` runs this measurement alone.
//! 2. **Relay memory.** `VmRSS` of the relay every 100 ms while one 4 GiB object is
//!    uploaded, then (once the fixture completed the exchange) downloaded by the
//!    recipient; each transfer against the idle RSS just before it (logins in between run
//!    Argon2id on the relay, whose memory the allocator may keep).
//! 3. **Inbox listing.** `GET /api/exchanges/inbox?limit=50` and its second page (`cursor`)
//!    under `wrk` (64 connections for 10 s, with `/healthz` sampled every 20 ms on a
//!    connection of its own beside them; then one connection for 5 s: the service time
//!    without queueing; then 64 connections at a fixed rate, half the closed loop's
//!    throughput, latency from each request's planned start) with 10,000 then 1,000,000
//!    exchanges seeded with SQL (from 500 people in 100 organisations, real-sized
//!    envelopes and certificates), on SQLite and on a throwaway PostgreSQL (`crate::pg`,
//!    its own cluster under `target/bench/server`, fsync off: it says so), with the query
//!    plans printed. The SQLite database is deleted before the PostgreSQL phase (disk).
//!    `cargo xtask bench server inbox` runs this measurement alone. Each page is measured with a fresh session of the
//!    recipient, after a 2 s warm-up: the relay writes a session's last activity when a
//!    request finds it more than a minute old, and 64 connections sharing one stale
//!    session would all queue for that write at once, which is not the listing's cost.
//!
//! Large files are deleted at the end; logs stay in `target/bench/server`.
//!
//! This module holds the run (build, the world, both phases, the table), the fixture's
//! world and the payload; beside it: `process.rs` (the relay and nginx as subprocesses),
//! `api.rs` (the relay's upload API as the benchmark drives it), one file per
//! measurement (`ingest.rs`, `memory.rs`, `inbox.rs`), `sink.rs` (the ingest's durable
//! baseline, run as `cargo xtask bench server sink`) and `report.rs` (the table).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use xshell::{Shell, cmd};

use crate::bench::http::json_field;
use crate::cmd::read_echoed;
use crate::pg::Postgres;
use crate::{Workspace, deps};

pub(crate) use cluster::run as cluster;
use inbox::inbox;
use ingest::ingest;
use memory::memory;
use process::Relay;
use report::Report;

mod api;
mod cluster;
mod inbox;
mod ingest;
mod memory;
mod process;
mod report;
mod sink;

pub(super) const MIB: f64 = 1024.0 * 1024.0;
/// The relay's part size (`PART_SIZE` in `routes/exchanges.rs`).
pub(super) const PART: usize = 16 << 20;
/// What each ingest run sends: 128 parts.
pub(super) const INGEST_BYTES: u64 = 2 << 30;
/// Concurrent uploads in the second ingest measurement.
pub(super) const STREAMS: usize = 4;
pub(super) const RUNS: usize = 3;
/// The object uploaded and downloaded while the relay's memory is watched.
pub(super) const BIG_OBJECT: u64 = 4 << 30;
/// The (fake) manifest of every exchange: the relay only checks sizes and hashes.
pub(super) const MANIFEST_LEN: usize = 1024;
pub(super) const RSS_EVERY: Duration = Duration::from_millis(100);
pub(super) const SMALL_INBOX: i64 = 10_000;
pub(super) const LARGE_INBOX: i64 = 1_000_000;
pub(super) const WRK_CONNECTIONS: u32 = 64;
pub(super) const WRK_SECONDS: u32 = 10;
/// The single-connection runs (service time, no queueing).
pub(super) const SOLO_SECONDS: u32 = 5;
pub(super) const WARM_UP_SECONDS: u32 = 2;
pub(super) const INBOX_PATH: &str = "/api/exchanges/inbox?limit=50";
/// How often `/healthz` is asked during the many-connection inbox runs.
pub(super) const HEALTHZ_EVERY: Duration = Duration::from_millis(20);
/// The fixed-rate inbox run's rate, as a share of the closed loop's throughput.
pub(super) const FIXED_RATE_SHARE: f64 = 0.5;

/// Targets.
pub(super) const INGEST_RATIO: f64 = 0.9;
pub(super) const RSS_GROWTH_MIB: f64 = 64.0;
/// "Flat": the highest RSS of the transfer's last quarter is at most this much above the
/// highest of its first quarter (memory does not grow with the bytes moved).
pub(super) const RSS_DRIFT_MIB: f64 = 16.0;
pub(super) const P99_MS: f64 = 20.0;
pub(super) const P99_GROWTH: f64 = 1.5;

/// `cargo xtask bench server [ingest|inbox]`, and the sink's own process (`sink <address>
/// <folder>`, started by the ingest measurement).
pub(crate) fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    match args {
        [] => all(ws, false),
        [name] if name == "ingest" => ingest_only(ws),
        [name] if name == "inbox" => all(ws, true),
        [name, rest @ ..] if name == "sink" => sink::serve(rest),
        [other, ..] => {
            bail!("unknown part `{other}` of the server benchmark (try `ingest` or `inbox`)")
        }
    }
}

/// Builds the relay and the fixture; an empty `target/bench/<name>`.
fn prepare(ws: &Workspace, packages: &[&str], name: &str) -> Result<(Tools, PathBuf)> {
    deps::debian_packages(packages)?;
    let sh = Shell::new()?;
    cmd!(sh, "cargo build --release -p pli-server")
        .run()
        .context("cannot build the relay")?;
    cmd!(sh, "cargo build -p pli-server --example bench_fixture")
        .run()
        .context("cannot build the bench fixture")?;
    let tools = Tools {
        server: ws.target.join("release/pli-server"),
        fixture: ws.target.join("debug/examples/bench_fixture"),
    };
    let dir = ws.target.join("bench").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok((tools, dir))
}

/// The ingest measurement alone, on SQLite.
fn ingest_only(ws: &Workspace) -> Result<()> {
    let started = Instant::now();
    let (tools, dir) = prepare(ws, &["nginx"], "server")?;
    let built = started.elapsed();
    let payload = Payload::new();
    let mut report = Report::default();
    let phase = Instant::now();
    let outcome = (|| {
        let relay = Relay::start(&tools, &dir.join("sqlite"), None)?;
        let world = World::set_up(&tools, &relay)?;
        ingest(&dir, &relay, &world, &payload, &mut report)
    })();
    report.fail_if("ingest", outcome);
    let timings = [("ingest", phase.elapsed())];
    cleanup(&dir);
    report.print(built, started.elapsed(), &timings);
    if report.failed() {
        bail!("some measurements failed (see above)");
    }
    Ok(())
}

/// Every measurement, or (`only_inbox`: `cargo xtask bench server inbox`) the inbox
/// measurement alone.
fn all(ws: &Workspace, only_inbox: bool) -> Result<()> {
    let started = Instant::now();
    let (tools, dir) = prepare(ws, &["nginx", "wrk", "postgresql"], "server")?;
    let built = started.elapsed();

    let payload = Payload::new();
    let mut report = Report::default();
    let mut timings = Vec::new();

    let phase = Instant::now();
    let outcome = sqlite_phase(
        &tools,
        &dir,
        &payload,
        only_inbox,
        &mut report,
        &mut timings,
    );
    report.fail_if("relay on SQLite", outcome);
    timings.push(("relay on SQLite (all)", phase.elapsed()));

    let phase = Instant::now();
    let outcome = postgres_phase(ws, &tools, &dir, &mut report);
    report.fail_if("relay on PostgreSQL", outcome);
    timings.push(("relay on PostgreSQL (inbox)", phase.elapsed()));

    cleanup(&dir);
    report.print(built, started.elapsed(), &timings);
    if report.failed() {
        bail!("some measurements failed (see above)");
    }
    Ok(())
}

/// The binaries the benchmark runs.
#[derive(Debug)]
pub(super) struct Tools {
    server: PathBuf,
    fixture: PathBuf,
}

/// The two accounts the fixture made: a court member who sends, a Département member
/// who receives.
#[derive(Debug)]
pub(super) struct World {
    sender_org: String,
    sender_user: String,
    sender_email: String,
    /// The sender's account key (the fixture logs in again with it).
    sender_account_key: String,
    sender_token: String,
    recipient_org: String,
    recipient_email: String,
    /// The recipient's account key.
    recipient_account_key: String,
    recipient_generation: String,
}

impl World {
    fn set_up(tools: &Tools, relay: &Relay) -> Result<Self> {
        // The one-time set-up token stays out of the echoed command.
        println!(
            "$ {} world --base {} --setup-token …",
            tools.fixture.display(),
            relay.base()
        );
        let sh = Shell::new()?;
        let (fixture, base, token) = (&tools.fixture, relay.base(), &relay.setup_token);
        let text = cmd!(sh, "{fixture} world --base {base} --setup-token {token}")
            .quiet()
            .read()
            .context("the fixture cannot set up the platform")?;
        let field = |name: &str| {
            json_field(&text, name).with_context(|| format!("the fixture printed no {name}"))
        };
        Ok(Self {
            sender_org: field("sender_org")?,
            sender_user: field("sender_user")?,
            sender_email: field("sender_email")?,
            sender_account_key: field("sender_account_key")?,
            sender_token: field("sender_token")?,
            recipient_org: field("recipient_org")?,
            recipient_email: field("recipient_email")?,
            recipient_account_key: field("recipient_account_key")?,
            recipient_generation: field("recipient_generation")?,
        })
    }

    /// A new session of the recipient. The relay writes a session's last activity at most
    /// once a minute, when a request finds it older: a fresh session keeps that write out of
    /// the next minute's measurements (see the report's notes on `touch_session`).
    fn recipient_session(&self, tools: &Tools, relay: &Relay) -> Result<String> {
        let sh = Shell::new()?;
        let (fixture, base, email) = (&tools.fixture, relay.base(), &self.recipient_email);
        let key = &self.recipient_account_key;
        let text = read_echoed(cmd!(
            sh,
            "{fixture} login --base {base} --email {email} --account-key {key}"
        ))
        .context("the fixture cannot log in")?;
        json_field(&text, "token").context("the fixture printed no token")
    }
}

/// One 16 MiB part of pseudo-random bytes, sent again and again, and its digest.
#[derive(Debug)]
pub(super) struct Payload {
    part: Vec<u8>,
    part_digest: String,
}

impl Payload {
    fn new() -> Self {
        let mut part = vec![0u8; PART];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for chunk in part.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let part_digest = content_digest(&part);
        Self { part, part_digest }
    }

    /// The manifest's bytes (the first [`MANIFEST_LEN`] of the part).
    fn manifest(&self) -> &[u8] {
        self.part.get(..MANIFEST_LEN).unwrap_or_default()
    }

    /// The SHA-256 (hex) of an object made of `parts` copies of the part.
    fn object_sha256(&self, parts: u64) -> String {
        let mut hasher = Sha256::new();
        for _ in 0..parts {
            hasher.update(&self.part);
        }
        hex(&hasher.finalize())
    }
}

pub(super) fn content_digest(bytes: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(bytes)))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sqlite_phase(
    tools: &Tools,
    dir: &Path,
    payload: &Payload,
    only_inbox: bool,
    report: &mut Report,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Result<()> {
    let relay_dir = dir.join("sqlite");
    let relay = Relay::start(tools, &relay_dir, None)?;
    let world = World::set_up(tools, &relay)?;
    if !only_inbox {
        relay_only(tools, dir, &relay, &world, payload, report, timings);
    }

    let phase = Instant::now();
    let database = format!("sqlite://{}", relay_dir.join("data/pli.db").display());
    let outcome = inbox(tools, "SQLite", &relay, &world, &database, report);
    report.fail_if("inbox on SQLite", outcome);
    timings.push(("inbox on SQLite", phase.elapsed()));
    // The million rows' database (gigabytes) goes before PostgreSQL writes its own.
    drop(relay);
    let data = relay_dir.join("data");
    fs::remove_dir_all(&data).with_context(|| format!("cannot delete {}", data.display()))?;
    Ok(())
}

/// The SQLite relay's measurements other than the inbox: memory, then ingest.
fn relay_only(
    tools: &Tools,
    dir: &Path,
    relay: &Relay,
    world: &World,
    payload: &Payload,
    report: &mut Report,
    timings: &mut Vec<(&'static str, Duration)>,
) {
    let phase = Instant::now();
    let outcome = memory(tools, relay, world, payload, report);
    report.fail_if("relay RSS", outcome);
    timings.push(("relay RSS (4 GiB up and down)", phase.elapsed()));

    let phase = Instant::now();
    let outcome = ingest(dir, relay, world, payload, report);
    report.fail_if("ingest vs nginx and the sink", outcome);
    timings.push(("ingest vs nginx and the sink", phase.elapsed()));
}

fn postgres_phase(ws: &Workspace, tools: &Tools, dir: &Path, report: &mut Report) -> Result<()> {
    // Its own cluster under target/bench/server, never the test suite's target/pg.
    let own = Workspace {
        root: ws.root.clone(),
        target: dir.to_path_buf(),
    };
    let pg = Postgres::start(&own)?;
    let relay = Relay::start(tools, &dir.join("postgres"), Some(pg.url()))?;
    let world = World::set_up(tools, &relay)?;
    inbox(
        tools,
        "PostgreSQL (fsync off)",
        &relay,
        &world,
        pg.url(),
        report,
    )?;
    drop(relay);
    drop(pg);
    Ok(())
}

/// Deletes the blobs, databases and uploads; keeps the logs and configuration.
fn cleanup(dir: &Path) {
    for sub in [
        "sqlite/data",
        "postgres/data",
        "nginx/www",
        "nginx/client_body_temp",
        "sink",
        "pg",
    ] {
        let path = dir.join(sub);
        if path.exists()
            && let Err(error) = fs::remove_dir_all(&path)
        {
            eprintln!("warning: cannot remove {}: {error}", path.display());
        }
    }
}
