//! `cargo xtask bench cluster`: does anything serialise across replicas beyond the shared
//! database, and what does a client see when a replica dies?
//!
//! The layout of `cargo xtask cluster`, with release relays: a throwaway PostgreSQL
//! (fsync off), moto's S3 server for the blobs, three relays sharing both and one server
//! key, and Debian's nginx balancing the first 1, 2 then 3 of them round robin. The world
//! of `bench server` (its fixture) with [`SMALL_INBOX`] exchanges seeded in the
//! recipient's inbox. For each number of replicas, through nginx:
//!
//! * **Ingest**: [`STREAMS`] concurrent uploads of [`INGEST_PARTS`] parts of
//!   16 MiB each (one object per stream), [`RUNS`] runs, the median kept; the exchange
//!   cancelled after each run (the relay deletes its parts from the bucket).
//! * **Inbox**: `GET /api/exchanges/inbox?limit=50` under `wrk`, 64 connections for 10 s
//!   after a 2 s warm-up, with a fresh session.
//!
//! Each count is measured twice (phases in the order 1, 2, 3, 3, 2, 1), its figures the
//! mean of the two, printed against one replica's of the same run, behind the same nginx.
//! On one machine more replicas cannot add CPU: the question is whether they serialise
//! (a lock, a shared row, the notifications). moto (Python, in memory) bounds the ingest,
//! leaving CPU to spare, so its ratio answers directly (the figure is the cluster's, not
//! the relay's alone: `bench server` measures that). The inbox keeps both cores busy with
//! any count, so its ratio is shown beside the CPU each request cost (the machine, the
//! relays, PostgreSQL) and the targets are on the cores left idle under load, which is
//! what a serialisation would show, and on the relays' CPU per request (see
//! [`scaling_rows`]). nginx keeps connections to the relays open (`keepalive`), as the
//! README's production settings say.
//!
//! Then:
//!
//! * **Failover**: with three replicas, a client asks for the inbox page every 5 ms
//!   (a new connection each time, as browsers spread over the balancer) while the first
//!   relay (the maintenance lock's holder) is killed with SIGKILL: the requests that
//!   failed, and the longest time without a successful answer around the kill, against
//!   the longest gap in the same time before.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;

use crate::Workspace;
use crate::bench::http::Client;
use crate::deps;
use crate::pg::Postgres;

use super::api::{cancel_exchange, create_exchange, mib_per_s, part_path, upload};
use super::inbox::{Wrk, seed, wrk};
use super::ingest::{clock_ticks, cpu_seconds};
use super::process::Relay;
use super::report::Report;
use super::{
    INBOX_PATH, INGEST_RATIO, MANIFEST_LEN, PART, Payload, RUNS, SMALL_INBOX, STREAMS,
    WARM_UP_SECONDS, WRK_CONNECTIONS, WRK_SECONDS, World, prepare,
};

/// The most replicas measured.
const REPLICAS: usize = 3;
/// Parts of 16 MiB per stream: 512 MiB per run.
const INGEST_PARTS: usize = 8;
/// A replica count's throughput, against one replica's, at least (as the relay's ingest
/// against its baseline).
const SCALING_RATIO: f64 = INGEST_RATIO;
/// The order of the phases, by number of replicas: each count measured twice, early and
/// late, so that what drifts during the run (the database's statistics, moto's memory)
/// weighs on all of them alike.
const ORDER: [usize; 6] = [1, 2, 3, 3, 2, 1];
/// How often the failover client asks, and for how long around the kill.
const PROBE_EVERY: Duration = Duration::from_millis(5);
const PROBE_SPAN: Duration = Duration::from_secs(3);
/// How much more the cores may sit idle with several replicas than with one while 64
/// clients ask for the inbox: what a lock or a shared row serialising the replicas would
/// show. Against one replica's, not zero: the bench's own harness leaves some idle (nginx
/// runs one process, and the niced time of anything beside the bench counts as idle).
const IDLE_MORE: f64 = 0.05;
/// The most a request may cost the relays with several replicas, against one: each
/// process has its own runtime threads and database pool, a little more work in all; a
/// contention between replicas (a lock they spin or retry on, every replica handling
/// every notification) would multiply it.
const RELAY_CPU_MAX: f64 = 1.2;
/// Longest time without a successful answer around the kill.
const FAILOVER_MS: f64 = 1000.0;

/// `cargo xtask bench cluster`.
pub(crate) fn run(ws: &Workspace) -> Result<()> {
    let started = Instant::now();
    let (tools, dir) = prepare(ws, &["nginx", "wrk", "postgresql"], "cluster")?;
    let moto = deps::moto(ws)?;
    let built = started.elapsed();

    let own = Workspace {
        root: ws.root.clone(),
        target: dir.clone(),
    };
    let pg = Postgres::start_named(&own, "pg")?;
    let bucket = pli_testkit::S3Server::start(&moto, "pli-bench", Some(&dir.join("s3.log")))?;
    let config = dir.join("relay.toml");
    std::fs::write(&config, bucket.section())
        .with_context(|| format!("cannot write {}", config.display()))?;
    let config = config.display().to_string();
    let key = base64::engine::general_purpose::STANDARD.encode(crate::cluster::os_random::<32>()?);
    // What every replica shares: the bucket, the server key, the log's origin.
    let env = [
        ("PLI_CONFIG", config.as_str()),
        ("PLI_SERVER_KEY", key.as_str()),
        ("PLI_LOG_ORIGIN", "bench.pli.test/annuaire"),
    ];

    let first = Relay::start_with(&tools, &dir.join("relay-1"), Some(pg.url()), &env, true)?;
    let world = World::set_up(&tools, &first)?;
    seed(&tools, pg.url(), &world, 1, SMALL_INBOX)?;
    let mut others = Vec::new();
    for n in 2..=REPLICAS {
        others.push(Relay::start_with(
            &tools,
            &dir.join(format!("relay-{n}")),
            Some(pg.url()),
            &env,
            false,
        )?);
    }

    let payload = Payload::new();
    let mut report = Report::default();
    let mut timings = Vec::new();
    let mut measured: Vec<Phase> = Vec::new();
    for (turn, n) in ORDER.into_iter().enumerate() {
        let phase = Instant::now();
        let outcome = (|| {
            let upstreams: Vec<String> = std::iter::once(&first)
                .chain(&others)
                .take(n)
                .map(Relay::base)
                .collect();
            let upstreams: Vec<&str> = upstreams.iter().map(String::as_str).collect();
            let balancer = pli_testkit::LoadBalancer::start(
                &dir.join(format!("nginx-{turn}-{n}")),
                &upstreams,
            )?;
            let address = balancer_address(&balancer)?;
            println!("\n{n} replica(s) behind nginx at {}", balancer.base);
            let ingest = ingest(address, &first, &world, &payload)?;
            let token = world.recipient_session(&tools, &first)?;
            let url = format!("{}{INBOX_PATH}", balancer.base);
            wrk(&url, &token, WRK_CONNECTIONS, WARM_UP_SECONDS)?;
            let pids: Vec<u32> = std::iter::once(&first)
                .chain(&others)
                .map(Relay::pid)
                .collect();
            let ticks = clock_ticks();
            let reading = || -> Result<Reading> {
                Ok(Reading {
                    machine: cpu_ticks()?,
                    relays: cpu_seconds(&pids, ticks).context("cannot read the relays' CPU")?,
                    // A backend may end between the listing and the reading: left out.
                    postgres: pg
                        .pids()?
                        .into_iter()
                        .filter_map(|pid| Some((pid, cpu_seconds(&[pid], ticks)?)))
                        .collect(),
                })
            };
            let before = reading()?;
            let inbox = wrk(&url, &token, WRK_CONNECTIONS, WRK_SECONDS)?;
            let after = reading()?;
            let cpu = Cpu::between(&before, &after, ticks, inbox.rps * WRK_SECONDS as f64);
            measured.push(Phase {
                n,
                ingest,
                inbox,
                cpu,
            });
            anyhow::Ok(())
        })();
        report.fail_if(&format!("{n} replica(s)"), outcome);
        let name = ["one replica", "two replicas", "three replicas"]
            .get(n - 1)
            .copied()
            .unwrap_or("replicas");
        timings.push((name, phase.elapsed()));
    }
    scaling_rows(&measured, &mut report);

    let phase = Instant::now();
    let outcome = failover(&tools, &dir, first, &others, &world, &mut report);
    report.fail_if("failover", outcome);
    timings.push(("failover", phase.elapsed()));

    drop(others);
    drop(bucket);
    drop(pg);
    report.print(built, started.elapsed(), &timings);
    if report.failed() {
        bail!("some measurements failed (see above)");
    }
    Ok(())
}

/// The address nginx listens on.
fn balancer_address(balancer: &pli_testkit::LoadBalancer) -> Result<SocketAddr> {
    balancer
        .base
        .trim_start_matches("http://")
        .parse()
        .context("the balancer's address")
}

/// The median MiB/s of [`RUNS`] runs of [`STREAMS`] concurrent uploads through
/// `address`.
fn ingest(address: SocketAddr, relay: &Relay, world: &World, payload: &Payload) -> Result<f64> {
    let auth = format!("Bearer {}", world.sender_token);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
        ("Content-Digest", payload.part_digest.as_str()),
    ];
    let bytes = (STREAMS * INGEST_PARTS * PART) as u64;
    let mut speeds = Vec::new();
    for run in 1..=RUNS {
        let mut sizes = vec![MANIFEST_LEN as u64];
        sizes.extend(std::iter::repeat_n((INGEST_PARTS * PART) as u64, STREAMS));
        let exchange = create_exchange(relay, world, &sizes)?;
        let path = |stream: usize, part: usize| part_path(&exchange, stream + 1, part);
        let elapsed = upload(
            address,
            STREAMS,
            INGEST_PARTS,
            &path,
            &headers,
            &payload.part,
        )
        .with_context(|| format!("ingest run {run}"))?;
        let speed = mib_per_s(bytes, elapsed);
        println!(
            "  ingest run {run} of {RUNS}: {} MiB in {:.2} s, {speed:.0} MiB/s",
            bytes >> 20,
            elapsed.as_secs_f64()
        );
        speeds.push(speed);
        cancel_exchange(relay, world, &exchange)?;
    }
    speeds.sort_by(f64::total_cmp);
    speeds
        .get(speeds.len() / 2)
        .copied()
        .context("no ingest run")
}

/// One phase's measurements: `n` replicas behind nginx.
struct Phase {
    n: usize,
    /// Ingest, MiB/s.
    ingest: f64,
    inbox: Wrk,
    /// The machine's CPU during the inbox run.
    cpu: Cpu,
}

/// The machine's CPU while a load ran (`/proc/stat`, every process: relays, PostgreSQL,
/// nginx, wrk itself), and the relays' and PostgreSQL's shares.
#[derive(Clone, Copy)]
struct Cpu {
    /// The share of the cores' time nobody used (idle or waiting for the disk).
    idle: f64,
    /// CPU milliseconds spent per request answered, all processes together.
    ms_per_request: f64,
    /// Of which the relays' (every replica's process).
    relay_ms_per_request: f64,
    /// Of which PostgreSQL's (the bench's cluster: its postmaster and children).
    postgres_ms_per_request: f64,
}

/// CPU counters read at one moment.
struct Reading {
    /// [`cpu_ticks`].
    machine: (u64, u64),
    /// The relays' CPU seconds.
    relays: f64,
    /// The CPU seconds of each PostgreSQL process alive at that moment.
    postgres: std::collections::BTreeMap<u32, f64>,
}

impl Cpu {
    /// The CPU between two readings, over `requests` answered; `ticks` per second.
    fn between(before: &Reading, after: &Reading, ticks: f64, requests: f64) -> Self {
        let busy = after.machine.0.saturating_sub(before.machine.0) as f64;
        let idle = after.machine.1.saturating_sub(before.machine.1) as f64;
        let requests = requests.max(1.0);
        Self {
            idle: idle / (busy + idle).max(1.0),
            ms_per_request: busy / ticks * 1000.0 / requests,
            relay_ms_per_request: (after.relays - before.relays) * 1000.0 / requests,
            // A process started in between counts from zero; one that ended in between
            // (an autovacuum worker) is missed.
            postgres_ms_per_request: after
                .postgres
                .iter()
                .map(|(pid, seconds)| seconds - before.postgres.get(pid).copied().unwrap_or(0.0))
                .sum::<f64>()
                * 1000.0
                / requests,
        }
    }
}

/// The machine's CPU time so far, in ticks: (busy, idle), from `/proc/stat`'s `cpu` line
/// (`user nice system idle iowait irq softirq steal …`). Idle counts `iowait`, and `nice`:
/// the time niced processes (a fuzzer beside the bench) took, which the bench's own
/// processes, at normal priority, left them.
fn cpu_ticks() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("/proc/stat has no cpu line")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("/proc/stat's cpu line")?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = ticks[..] else {
        bail!("/proc/stat's cpu line has fewer than 8 fields");
    };
    Ok((user + system + irq + softirq + steal, idle + iowait + nice))
}

/// The figures of `n` replicas: the mean of its phases (the worst p99, the most idle).
struct Figures {
    ingest_mib_s: f64,
    rps: f64,
    p99_ms: f64,
    idle: f64,
    cpu_ms: f64,
    relay_ms: f64,
    postgres_ms: f64,
}

/// The figures of `n` replicas, if measured.
fn figures(measured: &[Phase], n: usize) -> Option<Figures> {
    let phases: Vec<&Phase> = measured.iter().filter(|p| p.n == n).collect();
    let count = phases.len() as f64;
    let mean = |f: fn(&Phase) -> f64| phases.iter().map(|p| f(p)).sum::<f64>() / count;
    (!phases.is_empty()).then(|| Figures {
        ingest_mib_s: mean(|p| p.ingest),
        rps: mean(|p| p.inbox.rps),
        p99_ms: phases.iter().map(|p| p.inbox.p99_ms).fold(0.0, f64::max),
        idle: phases.iter().map(|p| p.cpu.idle).fold(0.0, f64::max),
        cpu_ms: mean(|p| p.cpu.ms_per_request),
        relay_ms: mean(|p| p.cpu.relay_ms_per_request),
        postgres_ms: mean(|p| p.cpu.postgres_ms_per_request),
    })
}

/// The rows comparing each replica count with one replica.
///
/// Ingest is bounded by moto (one Python process), not by the cores: its ratio says
/// directly whether replicas slow each other down. The inbox keeps the cores busy with
/// any number of replicas, and a second or third relay process on the same two cores
/// can only add work (its own runtime threads, pool connections, PostgreSQL backends):
/// its throughput ratio is printed with the CPU each request cost, and the targets are
/// on what a serialisation would show, cores left idle while 64 clients wait (a lock, a
/// shared row, a notification queue) beyond what one replica leaves, and on what
/// contention would cost the relays, their CPU per request against one replica's.
fn scaling_rows(measured: &[Phase], report: &mut Report) {
    let Some(one) = figures(measured, 1) else {
        return;
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let target = format!("≥ {SCALING_RATIO:.2}× ({cores} cores: no CPU to add)");
    report.info(
        "ingest through nginx, 1 replica".to_owned(),
        format!(
            "{:.0} MiB/s ({STREAMS} streams, blobs in moto's S3; mean of 2 phases)",
            one.ingest_mib_s
        ),
    );
    report.info(
        "inbox through nginx, 1 replica".to_owned(),
        format!(
            "{:.0} req/s, p99 {:.1} ms; CPU per request {:.2} ms (relays {:.2}, PostgreSQL {:.2}), {:.1} % idle",
            one.rps,
            one.p99_ms,
            one.cpu_ms,
            one.relay_ms,
            one.postgres_ms,
            one.idle * 100.0
        ),
    );
    for n in 2..=REPLICAS {
        let Some(many) = figures(measured, n) else {
            continue;
        };
        let ratio = many.ingest_mib_s / one.ingest_mib_s.max(1e-9);
        report.row(
            format!("ingest, {n} replicas / 1"),
            format!(
                "{:.0} / {:.0} MiB/s = {ratio:.2}×",
                many.ingest_mib_s, one.ingest_mib_s
            ),
            target.clone(),
            ratio >= SCALING_RATIO,
        );
        report.info(
            format!("inbox, {n} replicas / 1"),
            format!(
                "{:.0} / {:.0} req/s = {:.2}× (p99 {:.1} / {:.1} ms); CPU per request {:.2} / {:.2} ms = {:.2}×: relays {:.2} / {:.2}, PostgreSQL {:.2} / {:.2} ms",
                many.rps,
                one.rps,
                many.rps / one.rps.max(1e-9),
                many.p99_ms,
                one.p99_ms,
                many.cpu_ms,
                one.cpu_ms,
                many.cpu_ms / one.cpu_ms.max(1e-9),
                many.relay_ms,
                one.relay_ms,
                many.postgres_ms,
                one.postgres_ms,
            ),
        );
        let relays = many.relay_ms / one.relay_ms.max(1e-9);
        report.row(
            format!("inbox, {n} replicas: the relays' CPU per request / 1 replica's"),
            format!(
                "{:.2} / {:.2} ms = {relays:.2}×",
                many.relay_ms, one.relay_ms
            ),
            format!("≤ {RELAY_CPU_MAX:.2}× (a replica's own runtime and pool, no contention)"),
            relays <= RELAY_CPU_MAX,
        );
        report.row(
            format!("inbox, {n} replicas: cores left idle under load"),
            format!(
                "{:.1} % (1 replica: {:.1} %)",
                many.idle * 100.0,
                one.idle * 100.0
            ),
            format!(
                "≤ 1 replica's + {:.0} points (a serialisation leaves cores idle)",
                IDLE_MORE * 100.0
            ),
            many.idle <= one.idle + IDLE_MORE,
        );
    }
}

/// One answer of the failover client: when it was asked, and whether it succeeded.
type Probe = (Instant, bool);

/// Kills the first relay while a client asks for the inbox through nginx.
fn failover(
    tools: &super::Tools,
    dir: &Path,
    first: Relay,
    others: &[Relay],
    world: &World,
    report: &mut Report,
) -> Result<()> {
    let upstreams: Vec<String> = std::iter::once(&first)
        .chain(others)
        .map(Relay::base)
        .collect();
    let upstreams: Vec<&str> = upstreams.iter().map(String::as_str).collect();
    let balancer = pli_testkit::LoadBalancer::start(&dir.join("nginx-failover"), &upstreams)?;
    let address = balancer_address(&balancer)?;
    let token = world.recipient_session(tools, &first)?;
    let auth = format!("Bearer {token}");
    let probes = std::thread::scope(|scope| {
        let client = scope.spawn(|| {
            let mut probes: Vec<Probe> = Vec::new();
            let started = Instant::now();
            while started.elapsed() < 2 * PROBE_SPAN {
                let asked = Instant::now();
                // A new connection each time: nginx picks the next relay for each.
                let ok = Client::new(address)
                    .request("GET", INBOX_PATH, &[("Authorization", &auth)], &[], false)
                    .is_ok_and(|r| r.status == 200);
                probes.push((asked, ok));
                std::thread::sleep(PROBE_EVERY);
            }
            probes
        });
        std::thread::sleep(PROBE_SPAN);
        let killed_at = Instant::now();
        // The first relay: the one that holds the maintenance lock.
        let killed = first.kill();
        let probes = client
            .join()
            .map_err(|_| anyhow::anyhow!("the failover client panicked"))?;
        killed?;
        anyhow::Ok((killed_at, probes))
    })?;
    let (killed_at, probes) = probes;
    let (before, after): (Vec<Probe>, Vec<Probe>) =
        probes.iter().partition(|(asked, _)| *asked < killed_at);
    let failed = after.iter().filter(|(_, ok)| !ok).count();
    let gap_before = longest_gap(&before);
    let gap_after = longest_gap(&after);
    let answered: Vec<_> = balancer.answered()?;
    let errors = answered.iter().filter(|a| a.status >= 500).count();
    report.row(
        format!("failover: 1 of {REPLICAS} relays killed (SIGKILL)"),
        format!(
            "longest wait for an answer {gap_after:.0} ms (before the kill: {gap_before:.0} ms); \
             {failed} of {} requests failed after it ({errors} 5xx in nginx's log)",
            after.len()
        ),
        format!("≤ {FAILOVER_MS:.0} ms, no failed request"),
        gap_after <= FAILOVER_MS && failed == 0,
    );
    Ok(())
}

/// The longest time between two successful answers (or from the first probe to the first
/// success), in milliseconds.
fn longest_gap(probes: &[Probe]) -> f64 {
    let mut longest = Duration::ZERO;
    let mut last_ok = probes.first().map(|(asked, _)| *asked);
    for (asked, ok) in probes {
        if *ok {
            if let Some(last) = last_ok {
                longest = longest.max(asked.duration_since(last));
            }
            last_ok = Some(*asked);
        }
    }
    if let (Some(last), Some((end, _))) = (last_ok, probes.last()) {
        longest = longest.max(end.duration_since(last));
    }
    longest.as_secs_f64() * 1000.0
}
