//! `cargo xtask bench server`: the relay under load, from one run, in one table.
//!
//! The relay is `pli-server` built with `--release`, run as a subprocess on a free port of
//! 127.0.0.1 with its data under `target/bench/server` (JSON log in `server.log` there).
//! The world it serves — platform, a court and a Département with their admins, keys and
//! one member each — is set up through the API by the `bench_fixture` example of
//! `pli-server` (`crates/pli-server/examples/bench_fixture.rs`), which also completes
//! exchanges (it signs envelopes) and seeds the database with SQL.
//!
//! 1. **Ingest vs nginx.** 2 GiB in 16 MiB parts (`PUT …/objects/{idx}/parts/{n}` with
//!    `Content-Digest`), one stream and four concurrent streams (one object each), against
//!    Debian's nginx receiving the same bytes with WebDAV `PUT` into a folder. The same
//!    client sends both: the HTTP/1.1 code in [`super::http`]. Best of three, the two
//!    servers taking turns, `sync` between runs so that one run's writeback does not land
//!    in the next; with each server's CPU seconds per GiB (from `/proc/<pid>/stat`),
//!    which the machine's other load disturbs less than the speed.
//! 2. **Relay memory.** `VmRSS` of the relay every 100 ms while one 4 GiB object is
//!    uploaded, then (once the fixture completed the exchange) downloaded by the
//!    recipient; each transfer against the idle RSS just before it (logins in between run
//!    Argon2id on the relay, whose memory the allocator may keep).
//! 3. **Inbox listing.** `GET /api/exchanges/inbox?limit=50` and its second page (`cursor`)
//!    under `wrk` (64 connections for 10 s, then one connection for 5 s: the service time
//!    without queueing) with 10,000 then 1,000,000 exchanges seeded with SQL, on SQLite and
//!    on a throwaway PostgreSQL (`crate::pg`, its own cluster under `target/bench/server`),
//!    with the query plans printed. Each page is measured with a fresh session of the
//!    recipient, after a 2 s warm-up: the relay writes a session's last activity when a
//!    request finds it more than a minute old, and 64 connections sharing one stale
//!    session would all queue for that write at once, which is not the listing's cost.
//!
//! Large files are deleted at the end; logs stay in `target/bench/server`.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use xshell::{Shell, cmd};

use super::http::{Client, json_field};
use crate::Workspace;
use crate::cmd::{human, read_echoed};
use crate::deps;
use crate::pg::Postgres;

const MIB: f64 = 1024.0 * 1024.0;
/// The relay's part size (`PART_SIZE` in `routes/exchanges.rs`).
const PART: usize = 16 << 20;
/// What each ingest run sends: 128 parts.
const INGEST_BYTES: u64 = 2 << 30;
/// Concurrent uploads in the second ingest measurement.
const STREAMS: usize = 4;
const RUNS: usize = 3;
/// The object uploaded and downloaded while the relay's memory is watched.
const BIG_OBJECT: u64 = 4 << 30;
/// The (fake) manifest of every exchange: the relay only checks sizes and hashes.
const MANIFEST_LEN: usize = 1024;
const RSS_EVERY: Duration = Duration::from_millis(100);
const SMALL_INBOX: i64 = 10_000;
const LARGE_INBOX: i64 = 1_000_000;
const WRK_CONNECTIONS: u32 = 64;
const WRK_SECONDS: u32 = 10;
/// The single-connection runs (service time, no queueing).
const SOLO_SECONDS: u32 = 5;
const WARM_UP_SECONDS: u32 = 2;
const INBOX_PATH: &str = "/api/exchanges/inbox?limit=50";

/// Targets.
const INGEST_RATIO: f64 = 0.9;
const RSS_GROWTH_MIB: f64 = 64.0;
/// "Flat": the highest RSS of the transfer's last quarter is at most this much above the
/// highest of its first quarter (memory does not grow with the bytes moved).
const RSS_DRIFT_MIB: f64 = 16.0;
const P99_MS: f64 = 20.0;
const P99_GROWTH: f64 = 1.5;

pub(crate) fn run(ws: &Workspace) -> Result<()> {
    let started = Instant::now();
    deps::debian_packages(&["nginx", "wrk", "postgresql"])?;
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
    let dir = ws.target.join("bench/server");
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let built = started.elapsed();

    let payload = Payload::new();
    let mut report = Report::default();
    let mut timings = Vec::new();

    let phase = Instant::now();
    let outcome = sqlite_phase(&tools, &dir, &payload, &mut report, &mut timings);
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
struct Tools {
    server: PathBuf,
    fixture: PathBuf,
}

/// The two accounts the fixture made: a court member who sends, a Département member
/// who receives.
#[derive(Debug)]
struct World {
    sender_org: String,
    sender_user: String,
    sender_email: String,
    sender_token: String,
    recipient_org: String,
    recipient_email: String,
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
            sender_token: field("sender_token")?,
            recipient_org: field("recipient_org")?,
            recipient_email: field("recipient_email")?,
            recipient_generation: field("recipient_generation")?,
        })
    }

    /// A new session of the recipient. The relay writes a session's last activity at most
    /// once a minute, when a request finds it older: a fresh session keeps that write out of
    /// the next minute's measurements (see the report's notes on `touch_session`).
    fn recipient_session(&self, tools: &Tools, relay: &Relay) -> Result<String> {
        let sh = Shell::new()?;
        let (fixture, base, email) = (&tools.fixture, relay.base(), &self.recipient_email);
        let text = read_echoed(cmd!(sh, "{fixture} login --base {base} --email {email}"))
            .context("the fixture cannot log in")?;
        json_field(&text, "token").context("the fixture printed no token")
    }
}

/// One 16 MiB part of pseudo-random bytes, sent again and again, and its digest.
#[derive(Debug)]
struct Payload {
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

fn content_digest(bytes: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ----- processes ------------------------------------------------------------------------

/// Stops a child we started: SIGTERM, then SIGKILL after 15 s.
fn stop(child: &mut Child, name: &str) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    if let Ok(sh) = Shell::new() {
        let pid = child.id().to_string();
        let _ = cmd!(sh, "kill -TERM {pid}").quiet().ignore_status().run();
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("{name} did not stop within 15 s: killing it");
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until `address` accepts connections (and, if given, `GET path` answers 200).
fn wait_ready(
    child: &mut Child,
    name: &str,
    address: SocketAddr,
    path: Option<&str>,
) -> Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("cannot watch the child")? {
            bail!("{name} exited before it answered ({status})");
        }
        if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
            let Some(path) = path else { return Ok(()) };
            let conn = Client::new(address);
            if conn
                .request("GET", path, &[], &[], true)
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("{name} did not answer on {address} within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `pli-server` running as a subprocess; stopped on drop.
#[derive(Debug)]
struct Relay {
    child: Child,
    address: SocketAddr,
    setup_token: String,
}

impl Relay {
    /// Starts the relay with its data in `dir/data`, its log in `dir/server.log`, on
    /// SQLite unless `database_url` says otherwise.
    fn start(tools: &Tools, dir: &Path, database_url: Option<&str>) -> Result<Self> {
        let data = dir.join("data");
        fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, pli_testkit::free_port()?));
        let stdout_path = dir.join("stdout.txt");
        let log_path = dir.join("server.log");
        let stdout = fs::File::create(&stdout_path)
            .with_context(|| format!("cannot create {}", stdout_path.display()))?;
        let log = fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let mut command = pli_testkit::relay_command(&tools.server, address.port(), &data);
        command.env_remove("RUST_LOG").env("PLI_LOG_FORMAT", "json");
        let mut shown = format!(
            "PLI_LISTEN={address} PLI_DATA_DIR={} PLI_LOG_FORMAT=json",
            data.display()
        );
        if let Some(url) = database_url {
            command.env("PLI_DATABASE_URL", url);
            shown.push_str(&format!(" PLI_DATABASE_URL='{url}'"));
        }
        println!(
            "$ {shown} {} > {} 2> {} &",
            tools.server.display(),
            stdout_path.display(),
            log_path.display()
        );
        let child = command
            .stdout(stdout)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", tools.server.display()))?;
        let mut relay = Self {
            child,
            address,
            setup_token: String::new(),
        };
        wait_ready(&mut relay.child, "pli-server", address, Some("/healthz"))
            .with_context(|| format!("see {}", log_path.display()))?;
        // The link is printed (and flushed: stdout is line-buffered) before serving.
        let printed = fs::read_to_string(&stdout_path)
            .with_context(|| format!("cannot read {}", stdout_path.display()))?;
        relay.setup_token = printed
            .lines()
            .find_map(|line| {
                line.trim()
                    .split_once("/#/setup/")
                    .map(|(_, t)| t.to_owned())
            })
            .context("the relay printed no set-up link: is its database fresh?")?;
        Ok(relay)
    }

    fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        stop(&mut self.child, "pli-server");
    }
}

/// Debian's nginx as a plain WebDAV `PUT` sink; stopped on drop.
#[derive(Debug)]
struct Nginx {
    child: Child,
    address: SocketAddr,
    www: PathBuf,
}

impl Nginx {
    fn start(dir: &Path) -> Result<Self> {
        let prefix = dir.join("nginx");
        let www = prefix.join("www");
        for sub in [
            "www",
            "client_body_temp",
            "proxy_temp",
            "fastcgi_temp",
            "uwsgi_temp",
            "scgi_temp",
        ] {
            let path = prefix.join(sub);
            fs::create_dir_all(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
        }
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, pli_testkit::free_port()?));
        let user = if deps::is_root()? {
            // Workers write the files: as root, keep them root so they can.
            "user root;\n"
        } else {
            ""
        };
        let p = prefix.display();
        let config = format!(
            "# Written by `cargo xtask bench server`: nginx as a WebDAV PUT sink.\n\
             daemon off;\n\
             master_process on;\n\
             worker_processes auto;\n\
             {user}\
             pid {p}/nginx.pid;\n\
             error_log {p}/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   client_max_body_size 0;\n\
             \x20   client_body_temp_path {p}/client_body_temp;\n\
             \x20   proxy_temp_path {p}/proxy_temp;\n\
             \x20   fastcgi_temp_path {p}/fastcgi_temp;\n\
             \x20   uwsgi_temp_path {p}/uwsgi_temp;\n\
             \x20   scgi_temp_path {p}/scgi_temp;\n\
             \x20   server {{\n\
             \x20       listen {address};\n\
             \x20       root {p}/www;\n\
             \x20       location / {{\n\
             \x20           dav_methods PUT;\n\
             \x20           create_full_put_path on;\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n"
        );
        let conf = prefix.join("nginx.conf");
        fs::write(&conf, config).with_context(|| format!("cannot write {}", conf.display()))?;
        let nginx = if Path::new("/usr/sbin/nginx").exists() {
            PathBuf::from("/usr/sbin/nginx")
        } else {
            PathBuf::from("nginx")
        };
        let error_log = prefix.join("error.log");
        let sh = Shell::new()?;
        let prefix_dir = format!("{}/", prefix.display());
        cmd!(sh, "{nginx} -t -q -p {prefix_dir} -c {conf} -e {error_log}")
            .run()
            .context("nginx refuses the benchmark's configuration")?;
        let shown = cmd!(sh, "{nginx} -p {prefix_dir} -c {conf} -e {error_log}");
        println!("$ {shown} &");
        let mut command = Command::new(&nginx);
        command
            .arg("-p")
            .arg(format!("{}/", prefix.display()))
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(&error_log);
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start nginx")?;
        let mut nginx = Self {
            child,
            address,
            www,
        };
        wait_ready(&mut nginx.child, "nginx", address, None)
            .with_context(|| format!("see {}", error_log.display()))?;
        Ok(nginx)
    }

    /// The master process and its workers.
    fn pids(&self) -> Vec<u32> {
        let master = self.child.id();
        let mut pids = vec![master];
        if let Ok(entries) = fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let parent = fs::read_to_string(entry.path().join("stat"))
                    .ok()
                    .and_then(|stat| {
                        let (_, rest) = stat.rsplit_once(") ")?;
                        rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                    });
                if parent == Some(master) {
                    pids.push(pid);
                }
            }
        }
        pids
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop(&mut self.child, "nginx");
    }
}

// ----- the relay's API, as the benchmark uses it ----------------------------------------

/// Creates an exchange from the sender to the recipient with these object sizes
/// (manifest first); returns its id.
fn create_exchange(relay: &Relay, world: &World, sizes: &[u64]) -> Result<String> {
    let sizes: Vec<String> = sizes.iter().map(u64::to_string).collect();
    let body = format!(
        "{{\"recipient_org_id\":\"{}\",\"recipient_generation\":{},\"urgent\":false,\"sizes\":[{}]}}",
        world.recipient_org,
        world.recipient_generation,
        sizes.join(",")
    );
    let auth = format!("Bearer {}", world.sender_token);
    let response = Client::new(relay.address)
        .request(
            "POST",
            "/api/exchanges",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
            true,
        )?
        .success("cannot create an exchange")?;
    json_field(&response.text(), "exchange_id").context("the relay answered no exchange_id")
}

/// Cancels an upload in progress: the relay deletes its parts.
fn cancel_exchange(relay: &Relay, world: &World, id: &str) -> Result<()> {
    let auth = format!("Bearer {}", world.sender_token);
    Client::new(relay.address)
        .request(
            "DELETE",
            &format!("/api/exchanges/{id}"),
            &[("Authorization", &auth)],
            &[],
            true,
        )?
        .success("cannot cancel an exchange")?;
    Ok(())
}

fn part_path(exchange: &str, idx: usize, part: usize) -> String {
    format!("/api/exchanges/{exchange}/objects/{idx}/parts/{part}")
}

/// `streams` connections, each sending `parts` copies of `body` one after the other to
/// `path(stream, part)`. Returns the time from the first request to the last answer.
fn upload(
    address: SocketAddr,
    streams: usize,
    parts: usize,
    path: &(dyn Fn(usize, usize) -> String + Sync),
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Duration> {
    let spans = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..streams)
            .map(|stream| {
                scope.spawn(move || -> Result<(Instant, Instant)> {
                    let conn = Client::new(address);
                    let started = Instant::now();
                    for part in 0..parts {
                        conn.request("PUT", &path(stream, part), headers, body, true)?
                            .success(&format!("part {part} of stream {stream}"))?;
                    }
                    Ok((started, Instant::now()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("an upload thread panicked"))?
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let first = spans.iter().map(|(start, _)| *start).min();
    let last = spans.iter().map(|(_, end)| *end).max();
    match (first, last) {
        (Some(first), Some(last)) => Ok(last.duration_since(first)),
        _ => bail!("no upload ran"),
    }
}

fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB / elapsed.as_secs_f64().max(1e-9)
}

/// Flushes the page cache's dirty pages, so that a run's writeback does not slow the next.
fn sync() {
    if let Ok(sh) = Shell::new() {
        let _ = cmd!(sh, "sync").quiet().ignore_status().run();
    }
}

// ----- phases ---------------------------------------------------------------------------

fn sqlite_phase(
    tools: &Tools,
    dir: &Path,
    payload: &Payload,
    report: &mut Report,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Result<()> {
    let relay_dir = dir.join("sqlite");
    let relay = Relay::start(tools, &relay_dir, None)?;
    let world = World::set_up(tools, &relay)?;

    let phase = Instant::now();
    let outcome = memory(tools, &relay, &world, payload, report);
    report.fail_if("relay RSS", outcome);
    timings.push(("relay RSS (4 GiB up and down)", phase.elapsed()));

    let phase = Instant::now();
    let outcome = ingest(dir, &relay, &world, payload, report);
    report.fail_if("ingest vs nginx", outcome);
    timings.push(("ingest vs nginx", phase.elapsed()));

    let phase = Instant::now();
    let database = format!("sqlite://{}", relay_dir.join("data/pli.db").display());
    let outcome = inbox(tools, "SQLite", &relay, &world, &database, report);
    report.fail_if("inbox on SQLite", outcome);
    timings.push(("inbox on SQLite", phase.elapsed()));
    Ok(())
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
    inbox(tools, "PostgreSQL", &relay, &world, pg.url(), report)?;
    drop(relay);
    drop(pg);
    Ok(())
}

/// The best of a server's runs: highest speed, lowest CPU time per GiB.
#[derive(Debug, Clone, Copy, Default)]
struct Best {
    mib_per_s: f64,
    cpu_per_gib: Option<f64>,
}

impl Best {
    fn record(&mut self, label: &str, elapsed: Duration, cpu_seconds: Option<f64>) {
        let speed = mib_per_s(INGEST_BYTES, elapsed);
        let gib = INGEST_BYTES as f64 / (MIB * 1024.0);
        let cpu = cpu_seconds.map(|seconds| seconds / gib);
        println!(
            "  {label:<6} {:>6.2} s  {speed:>6.0} MiB/s  {}",
            elapsed.as_secs_f64(),
            cpu.map_or_else(String::new, |cpu| format!("{cpu:.2} s CPU/GiB"))
        );
        self.mib_per_s = self.mib_per_s.max(speed);
        self.cpu_per_gib = match (self.cpu_per_gib, cpu) {
            (Some(best), Some(cpu)) => Some(best.min(cpu)),
            (best, cpu) => best.or(cpu),
        };
    }
}

/// Best of [`RUNS`] for nginx and the relay, sequential and with [`STREAMS`] concurrent
/// uploads, taking turns; with the CPU time each server spent per GiB (user + system, all
/// its threads or processes), which the machine's other load disturbs less.
fn ingest(
    dir: &Path,
    relay: &Relay,
    world: &World,
    payload: &Payload,
    report: &mut Report,
) -> Result<()> {
    let nginx = Nginx::start(dir)?;
    let parts_total = usize::try_from(INGEST_BYTES / PART as u64)?;
    let auth = format!("Bearer {}", world.sender_token);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
        ("Content-Digest", payload.part_digest.as_str()),
    ];
    let ticks = clock_ticks();
    // [1 stream, STREAMS streams] × [nginx, relay]
    let mut best = [[Best::default(); 2]; 2];
    for run in 1..=RUNS {
        for (mode, streams) in [1, STREAMS].into_iter().enumerate() {
            let parts = parts_total / streams;
            println!(
                "\ningest run {run} of {RUNS}: {} MiB in {parts_total} parts of 16 MiB, {streams} stream(s)",
                INGEST_BYTES >> 20
            );
            let [nginx_best, relay_best] = best.get_mut(mode).context("ingest mode")?;

            let folder = format!("run{run}-{streams}");
            let path = |stream: usize, part: usize| format!("/ingest/{folder}/{stream}/{part}");
            let pids = nginx.pids();
            let cpu = cpu_seconds(&pids, ticks);
            let elapsed = upload(
                nginx.address,
                streams,
                parts,
                &path,
                &headers,
                &payload.part,
            )
            .context("nginx upload")?;
            let cpu = cpu.zip(cpu_seconds(&pids, ticks)).map(|(a, b)| b - a);
            nginx_best.record("nginx", elapsed, cpu);
            let written = nginx.www.join("ingest");
            fs::remove_dir_all(&written)
                .with_context(|| format!("cannot remove {}", written.display()))?;
            sync();

            // The relay: one object per stream.
            let mut sizes = vec![MANIFEST_LEN as u64];
            sizes.extend(std::iter::repeat_n((parts * PART) as u64, streams));
            let exchange = create_exchange(relay, world, &sizes)?;
            let path = |stream: usize, part: usize| part_path(&exchange, stream + 1, part);
            let pids = [relay.pid()];
            let cpu = cpu_seconds(&pids, ticks);
            let elapsed = upload(
                relay.address,
                streams,
                parts,
                &path,
                &headers,
                &payload.part,
            )
            .context("relay upload")?;
            let cpu = cpu.zip(cpu_seconds(&pids, ticks)).map(|(a, b)| b - a);
            relay_best.record("relay", elapsed, cpu);
            cancel_exchange(relay, world, &exchange)?;
            sync();
        }
    }
    drop(nginx);
    for (mode, streams) in [1, STREAMS].into_iter().enumerate() {
        let [nginx, relay] = best.get(mode).copied().unwrap_or_default();
        let ratio = relay.mib_per_s / nginx.mib_per_s.max(1e-9);
        let label = if streams == 1 {
            "ingest 2 GiB, 1 stream: relay / nginx".to_owned()
        } else {
            format!("ingest 2 GiB, {streams} streams: relay / nginx")
        };
        let cpu = match (relay.cpu_per_gib, nginx.cpu_per_gib) {
            (Some(relay), Some(nginx)) => format!(" (CPU {relay:.2} / {nginx:.2} s/GiB)"),
            _ => String::new(),
        };
        report.row(
            label,
            format!(
                "{:.0} / {:.0} MiB/s = {ratio:.2}×{cpu}",
                relay.mib_per_s, nginx.mib_per_s
            ),
            format!("≥ {INGEST_RATIO:.2}×"),
            ratio >= INGEST_RATIO,
        );
    }
    Ok(())
}

/// Clock ticks per second, for `/proc/<pid>/stat` (`getconf CLK_TCK`, 100 if unknown).
fn clock_ticks() -> f64 {
    Shell::new()
        .ok()
        .and_then(|sh| {
            cmd!(sh, "getconf CLK_TCK")
                .quiet()
                .ignore_stderr()
                .read()
                .ok()
        })
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User plus system CPU seconds of these processes (all their threads), if readable.
fn cpu_seconds(pids: &[u32], ticks: f64) -> Option<f64> {
    let mut total = 0u64;
    for pid in pids {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After the command name in parentheses: state, ppid, …; utime and stime are the
        // 12th and 13th fields from there.
        let (_, rest) = stat.rsplit_once(") ")?;
        let mut fields = rest.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        total += utime + stime;
    }
    Some(total as f64 / ticks)
}

/// VmRSS samples of a process, taken every [`RSS_EVERY`] on a thread until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<u64>>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            loop {
                if let Some(kib) = rss_kib(pid) {
                    samples.push(kib);
                }
                if flag.load(Ordering::Relaxed) {
                    return samples;
                }
                std::thread::sleep(RSS_EVERY);
            }
        });
        Self { stop, thread }
    }

    /// Stops and returns the samples (KiB).
    fn finish(self) -> Vec<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// `VmRSS` of `/proc/<pid>/status`, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The relay's idle RSS in MiB: the median of a second of samples.
fn idle_rss(relay: &Relay) -> Result<f64> {
    let sampler = Sampler::start(relay.pid());
    std::thread::sleep(Duration::from_secs(1));
    let mut samples = sampler.finish();
    samples.sort_unstable();
    let median = samples
        .get(samples.len() / 2)
        .copied()
        .context("cannot read the relay's VmRSS")?;
    Ok(median as f64 / 1024.0)
}

/// What the samples of one transfer say, in MiB.
#[derive(Debug)]
struct RssSpan {
    min: f64,
    max: f64,
    /// Highest of the last quarter minus highest of the first quarter.
    drift: f64,
    samples: usize,
}

impl RssSpan {
    fn of(samples: &[u64]) -> Option<Self> {
        let mib = |kib: u64| kib as f64 / 1024.0;
        let min = samples.iter().copied().min()?;
        let max = samples.iter().copied().max()?;
        let quarter = (samples.len() / 4).max(1);
        let head = samples.iter().take(quarter).copied().max()?;
        let tail = samples.iter().rev().take(quarter).copied().max()?;
        Some(Self {
            min: mib(min),
            max: mib(max),
            drift: mib(tail) - mib(head),
            samples: samples.len(),
        })
    }
}

fn memory(
    tools: &Tools,
    relay: &Relay,
    world: &World,
    payload: &Payload,
    report: &mut Report,
) -> Result<()> {
    let parts = usize::try_from(BIG_OBJECT / PART as u64)?;
    println!(
        "\nrelay memory: hashing the {} MiB object first",
        BIG_OBJECT >> 20
    );
    let object_sha256 = payload.object_sha256(parts as u64);
    let manifest_sha256 = hex(&Sha256::digest(payload.manifest()));
    let exchange = create_exchange(relay, world, &[MANIFEST_LEN as u64, BIG_OBJECT])?;
    let auth = format!("Bearer {}", world.sender_token);
    let manifest_digest = content_digest(payload.manifest());
    Client::new(relay.address)
        .request(
            "PUT",
            &part_path(&exchange, 0, 0),
            &[
                ("Authorization", &auth),
                ("Content-Digest", &manifest_digest),
            ],
            payload.manifest(),
            true,
        )?
        .success("cannot upload the manifest")?;

    let up_baseline = idle_rss(relay)?;

    println!(
        "uploading {} MiB in {parts} parts, one stream",
        BIG_OBJECT >> 20
    );
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
        ("Content-Digest", payload.part_digest.as_str()),
    ];
    let sampler = Sampler::start(relay.pid());
    let path = |_: usize, part: usize| part_path(&exchange, 1, part);
    let uploaded = upload(relay.address, 1, parts, &path, &headers, &payload.part);
    let up_samples = sampler.finish();
    let uploaded = uploaded?;
    let upload_speed = mib_per_s(BIG_OBJECT, uploaded);
    println!("  {:.1} s, {upload_speed:.0} MiB/s", uploaded.as_secs_f64());

    let sh = Shell::new()?;
    let (fixture, base, email) = (&tools.fixture, relay.base(), &world.sender_email);
    let manifest = format!("{MANIFEST_LEN}:{manifest_sha256}");
    let object = format!("{BIG_OBJECT}:{object_sha256}");
    read_echoed(cmd!(
        sh,
        "{fixture} complete --base {base} --email {email} --exchange {exchange} --object {manifest} --object {object}"
    ))
        .context("the fixture cannot complete the exchange")?;

    println!("downloading it as the recipient");
    let auth = format!("Bearer {}", world.recipient_session(tools, relay)?);
    // Logging in (the fixture completing, the recipient here) runs Argon2id with 19 MiB
    // on the relay, which the allocator may keep: the download has a baseline of its own.
    let down_baseline = idle_rss(relay)?;
    let sampler = Sampler::start(relay.pid());
    let started = Instant::now();
    let downloaded = Client::new(relay.address).request(
        "GET",
        &format!("/api/exchanges/{exchange}/objects/1"),
        &[("Authorization", &auth)],
        &[],
        false,
    );
    let elapsed = started.elapsed();
    let down_samples = sampler.finish();
    let downloaded = downloaded?;
    if downloaded.status != 200 || downloaded.length != BIG_OBJECT {
        bail!(
            "the download answered HTTP {} with {} bytes",
            downloaded.status,
            downloaded.length
        );
    }
    let download_speed = mib_per_s(BIG_OBJECT, elapsed);
    println!(
        "  {:.1} s, {download_speed:.0} MiB/s",
        elapsed.as_secs_f64()
    );

    for (what, samples, speed, baseline) in [
        ("upload", &up_samples, upload_speed, up_baseline),
        ("download", &down_samples, download_speed, down_baseline),
    ] {
        let span = RssSpan::of(samples).context("no RSS samples")?;
        let growth = span.max - baseline;
        report.row(
            format!("relay RSS, 4 GiB {what}: peak − baseline"),
            format!(
                "{growth:.1} MiB (baseline {baseline:.1}, min {:.1}, max {:.1}, drift {:+.1} MiB; \
                 {} samples; {speed:.0} MiB/s)",
                span.min, span.max, span.drift, span.samples
            ),
            format!("≤ {RSS_GROWTH_MIB:.0} MiB, drift ≤ {RSS_DRIFT_MIB:.0}"),
            growth <= RSS_GROWTH_MIB && span.drift <= RSS_DRIFT_MIB,
        );
    }
    Ok(())
}

/// One `wrk` run's numbers.
#[derive(Debug, Clone, Copy)]
struct Wrk {
    p50_ms: f64,
    p99_ms: f64,
    rps: f64,
}

impl std::fmt::Display for Wrk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p99 {:.1} ms (p50 {:.1} ms, {:.0} req/s)",
            self.p99_ms, self.p50_ms, self.rps
        )
    }
}

/// `wrk` with `connections` connections for `seconds` against `url`, with the bearer
/// token; fails on any non-2xx answer.
fn wrk(url: &str, token: &str, connections: u32, seconds: u32) -> Result<Wrk> {
    let threads = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .min(connections as usize);
    let args = [
        format!("-t{threads}"),
        format!("-c{connections}"),
        format!("-d{seconds}s"),
        "--latency".to_owned(),
        "-H".to_owned(),
    ];
    // The token stays out of the echoed command.
    println!("$ wrk {} 'Authorization: Bearer …' '{url}'", args.join(" "));
    let sh = Shell::new()?;
    let header = format!("Authorization: Bearer {token}");
    let output = cmd!(sh, "wrk {args...} {header} {url}")
        .quiet()
        .read()
        .context("wrk failed")?;
    println!("{output}");
    parse_wrk(&output)
}

fn parse_wrk(output: &str) -> Result<Wrk> {
    let mut p50 = None;
    let mut p99 = None;
    let mut rps = None;
    for line in output.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("50%"), Some(value)) => p50 = duration_ms(value),
            (Some("99%"), Some(value)) => p99 = duration_ms(value),
            (Some("Requests/sec:"), Some(value)) => rps = value.parse().ok(),
            (Some("Non-2xx"), _) => bail!("wrk saw error answers: {}", line.trim()),
            _ => {}
        }
    }
    match (p50, p99, rps) {
        (Some(p50_ms), Some(p99_ms), Some(rps)) => Ok(Wrk {
            p50_ms,
            p99_ms,
            rps,
        }),
        _ => bail!("cannot read wrk's latency distribution"),
    }
}

/// `812.00us`, `1.23ms`, `2.00s`, `1.00m` in milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        _ => return None,
    };
    Some(number * factor)
}

/// The inbox's pages under wrk: [`WRK_CONNECTIONS`] connections for [`WRK_SECONDS`], then
/// one connection for [`SOLO_SECONDS`] (the service time without queueing).
#[derive(Debug, Clone, Copy)]
struct Page {
    loaded: Wrk,
    solo: Wrk,
}

/// Page 1 and page 2 of the recipient's inbox, each with a session of its own, after a
/// short warm-up (the pool opens its connections, the caches fill).
fn inbox_pages(tools: &Tools, relay: &Relay, world: &World) -> Result<[Page; 2]> {
    let token = world.recipient_session(tools, relay)?;
    let auth = format!("Bearer {token}");
    let first = Client::new(relay.address)
        .request("GET", INBOX_PATH, &[("Authorization", &auth)], &[], true)?
        .success("cannot list the inbox")?;
    let cursor = json_field(&first.text(), "next_cursor")
        .context("the inbox's first page has no next_cursor")?;
    let page1 = format!("{}{INBOX_PATH}", relay.base());
    let page2 = format!("{page1}&cursor={cursor}");
    println!("warm-up:");
    wrk(&page1, &token, WRK_CONNECTIONS, WARM_UP_SECONDS)?;
    let first = Page {
        loaded: wrk(&page1, &token, WRK_CONNECTIONS, WRK_SECONDS)?,
        solo: wrk(&page1, &token, 1, SOLO_SECONDS)?,
    };
    let token = world.recipient_session(tools, relay)?;
    let second = Page {
        loaded: wrk(&page2, &token, WRK_CONNECTIONS, WRK_SECONDS)?,
        solo: wrk(&page2, &token, 1, SOLO_SECONDS)?,
    };
    Ok([first, second])
}

fn seed(tools: &Tools, database: &str, world: &World, from: i64, to: i64) -> Result<()> {
    let sh = Shell::new()?;
    let fixture = &tools.fixture;
    let (sender_org, sender_user) = (&world.sender_org, &world.sender_user);
    let (recipient_org, generation) = (&world.recipient_org, &world.recipient_generation);
    let (from, to) = (from.to_string(), to.to_string());
    let output = read_echoed(cmd!(
        sh,
        "{fixture} seed --database-url {database} --sender-org {sender_org} --sender-user {sender_user} --recipient-org {recipient_org} --generation {generation} --from {from} --to {to}"
    ))
        .context("the fixture cannot seed the database")?;
    println!("  {}", output.trim());
    Ok(())
}

/// Inbox latency with [`SMALL_INBOX`] then [`LARGE_INBOX`] exchanges, and the query plans.
fn inbox(
    tools: &Tools,
    backend: &str,
    relay: &Relay,
    world: &World,
    database: &str,
    report: &mut Report,
) -> Result<()> {
    println!("\ninbox on {backend}: seeding {SMALL_INBOX} exchanges");
    seed(tools, database, world, 1, SMALL_INBOX)?;
    let small = inbox_pages(tools, relay, world)?;
    println!("\ninbox on {backend}: seeding up to {LARGE_INBOX} exchanges");
    seed(tools, database, world, SMALL_INBOX + 1, LARGE_INBOX)?;
    let large = inbox_pages(tools, relay, world)?;
    let sh = Shell::new()?;
    let (fixture, recipient_org) = (&tools.fixture, &world.recipient_org);
    let plan = read_echoed(cmd!(
        sh,
        "{fixture} explain --database-url {database} --recipient-org {recipient_org}"
    ))
    .context("the fixture cannot explain the inbox query")?;
    println!("query plans on {backend} with {LARGE_INBOX} exchanges:\n{plan}");

    for (rows, pages) in [(SMALL_INBOX, small), (LARGE_INBOX, large)] {
        for (page, numbers) in pages.iter().enumerate() {
            let label = format!(
                "inbox {backend}, {} rows, page {}",
                thousands(rows),
                page + 1
            );
            report.row(
                format!("{label}, {WRK_CONNECTIONS} conn."),
                numbers.loaded.to_string(),
                format!("p99 ≤ {P99_MS:.0} ms"),
                numbers.loaded.p99_ms <= P99_MS,
            );
            report.info(format!("{label}, 1 conn."), numbers.solo.to_string());
        }
    }
    for page in 0..2 {
        if let (Some(small), Some(large)) = (small.get(page), large.get(page)) {
            let growth = large.loaded.p99_ms / small.loaded.p99_ms.max(1e-9);
            report.row(
                format!(
                    "inbox {backend}, page {}, {WRK_CONNECTIONS} conn.: p99 growth 10k → 1M",
                    page + 1
                ),
                format!(
                    "{growth:.2}× ({:.1} → {:.1} ms)",
                    small.loaded.p99_ms, large.loaded.p99_ms
                ),
                format!("≤ {P99_GROWTH:.1}×"),
                growth <= P99_GROWTH,
            );
        }
    }
    Ok(())
}

fn thousands(n: i64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Deletes the blobs, databases and uploads; keeps the logs and configuration.
fn cleanup(dir: &Path) {
    for sub in [
        "sqlite/data",
        "postgres/data",
        "nginx/www",
        "nginx/client_body_temp",
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

// ----- the table --------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Miss,
    /// A number shown for context, with no target.
    Info,
    /// The measurement failed (the value says why).
    Failed,
}

#[derive(Debug)]
struct Row {
    label: String,
    value: String,
    target: String,
    verdict: Verdict,
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
}

impl Report {
    fn row(&mut self, label: String, value: String, target: String, pass: bool) {
        self.rows.push(Row {
            label,
            value,
            target,
            verdict: if pass { Verdict::Pass } else { Verdict::Miss },
        });
    }

    fn info(&mut self, label: String, value: String) {
        self.rows.push(Row {
            label,
            value,
            target: "(context)".to_owned(),
            verdict: Verdict::Info,
        });
    }

    /// Records a failed step as a row (and on stderr), so the other measurements go on.
    fn fail_if(&mut self, what: &str, outcome: Result<()>) {
        if let Err(error) = outcome {
            eprintln!("{what} failed: {error:#}");
            self.rows.push(Row {
                label: what.to_owned(),
                value: format!("{error:#}"),
                target: String::new(),
                verdict: Verdict::Failed,
            });
        }
    }

    fn failed(&self) -> bool {
        self.rows.iter().any(|row| row.verdict == Verdict::Failed)
    }

    fn print(&self, built: Duration, total: Duration, timings: &[(&str, Duration)]) {
        let cores = std::thread::available_parallelism().map_or(0, usize::from);
        let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load = load
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "\nserver benchmark ({cores} cores, load average {load}): pli-server --release on \
             127.0.0.1, one client on the same machine"
        );
        let width = |f: fn(&Row) -> &str, min: usize| {
            self.rows
                .iter()
                .map(|row| f(row).chars().count())
                .max()
                .unwrap_or(0)
                .max(min)
        };
        let label_width = width(|row| &row.label, 11);
        let value_width = width(|row| &row.value, 5).min(90);
        let target_width = width(|row| &row.target, 6);
        println!(
            "{:<label_width$}  {:<value_width$}  {:<target_width$}  verdict",
            "measurement", "value", "target"
        );
        for row in &self.rows {
            let verdict = match row.verdict {
                Verdict::Pass => "PASS",
                Verdict::Miss => "MISS",
                Verdict::Info => "",
                Verdict::Failed => "FAILED",
            };
            println!(
                "{:<label_width$}  {:<value_width$}  {:<target_width$}  {verdict}",
                row.label, row.value, row.target
            );
        }
        let timing: Vec<String> = timings
            .iter()
            .map(|(what, took)| format!("{what} {}", human(*took)))
            .collect();
        println!(
            "took {} (builds {}; {})",
            human(total),
            human(built),
            timing.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{duration_ms, parse_wrk};

    #[test]
    fn reads_wrk_output() {
        let output = "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 64 connections\n  \
                      Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     90%    \
                      2.00ms\n     99%   12.34ms\n  1000 requests in 10.00s, 1.00MB read\n\
                      Requests/sec:   6231.23\nTransfer/sec:     12.34MB\n";
        let wrk = parse_wrk(output).unwrap();
        assert!((wrk.p50_ms - 0.812).abs() < 1e-9);
        assert!((wrk.p99_ms - 12.34).abs() < 1e-9);
        assert!((wrk.rps - 6231.23).abs() < 1e-9);
        assert_eq!(duration_ms("2.00s"), Some(2000.0));
        assert!(parse_wrk("  Non-2xx or 3xx responses: 3\n").is_err());
    }
}
