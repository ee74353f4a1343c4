//! Measurement 3, the inbox listing: exchanges seeded with SQL (from 500 people in 100
//! organisations, real-sized envelopes and certificates), the first and second page under
//! `wrk` (many connections, then one), `/healthz` sampled on its own connection during the
//! many-connection run (what any request costs under that load, so the query's own cost
//! shows), a fixed-rate run at half the closed loop's throughput (latency from each
//! request's planned start, wrk2-style), and the query plans.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::bench::http::{Client, json_field};
use crate::cmd::read_echoed;

use super::process::Relay;
use super::report::Report;
use super::{
    FIXED_RATE_SHARE, HEALTHZ_EVERY, INBOX_PATH, LARGE_INBOX, P99_GROWTH, P99_MS, SMALL_INBOX,
    SOLO_SECONDS, Tools, WARM_UP_SECONDS, WRK_CONNECTIONS, WRK_SECONDS, World,
};

/// One `wrk` run's numbers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Wrk {
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) rps: f64,
    /// wrk's socket errors (connect, read, write, timeout) added up.
    socket_errors: u64,
}

impl std::fmt::Display for Wrk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p99 {:.1} ms (p50 {:.1} ms, {:.0} req/s, {} socket errors)",
            self.p99_ms, self.p50_ms, self.rps, self.socket_errors
        )
    }
}

/// `wrk` with `connections` connections for `seconds` against `url`, with the bearer
/// token; fails on any non-2xx answer.
pub(super) fn wrk(url: &str, token: &str, connections: u32, seconds: u32) -> Result<Wrk> {
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
    let mut socket_errors = 0;
    for line in output.lines() {
        if let Some(counts) = line.trim().strip_prefix("Socket errors:") {
            // `connect 0, read 0, write 0, timeout 12`
            socket_errors = counts
                .split(',')
                .filter_map(|count| count.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            continue;
        }
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
            socket_errors,
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

/// Latencies in milliseconds, sorted: their percentiles.
#[derive(Debug, Clone, Copy)]
struct Sampled {
    p50_ms: f64,
    p99_ms: f64,
    count: usize,
    errors: u64,
}

impl Sampled {
    fn new(mut latencies: Vec<f64>, errors: u64) -> Self {
        latencies.sort_by(f64::total_cmp);
        // Nearest rank: the smallest value at or above `percent` % of the samples.
        let at = |percent: usize| {
            let rank = (latencies.len() * percent).div_ceil(100);
            latencies
                .get(rank.saturating_sub(1))
                .copied()
                .unwrap_or(f64::NAN)
        };
        Self {
            p50_ms: at(50),
            p99_ms: at(99),
            count: latencies.len(),
            errors,
        }
    }
}

impl std::fmt::Display for Sampled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p99 {:.1} ms (p50 {:.1} ms, {} requests, {} errors)",
            self.p99_ms, self.p50_ms, self.count, self.errors
        )
    }
}

/// `GET /healthz` on a connection of its own every [`HEALTHZ_EVERY`] until `stop`: what
/// the relay answers a request that reads nothing while the listing runs.
fn healthz_probe(relay: &Relay, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Sampled> {
    let client = Client::new(relay.address);
    std::thread::spawn(move || {
        let mut latencies = Vec::new();
        let mut errors = 0;
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            match client.request("GET", "/healthz", &[], &[], false) {
                Ok(response) if (200..300).contains(&response.status) => {
                    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                }
                _ => errors += 1,
            }
            std::thread::sleep(HEALTHZ_EVERY.saturating_sub(started.elapsed()));
        }
        Sampled::new(latencies, errors)
    })
}

/// `connections` keep-alive connections send `GET path` at `rate` requests per second
/// overall for `seconds`, request `k` planned at `k / rate` after the start. A request's
/// latency runs from its planned start, so a relay that falls behind is charged for the
/// wait (no coordinated omission, as in wrk2); non-2xx answers and failed requests count
/// as errors.
fn fixed_rate(
    relay: &Relay,
    path: &str,
    token: &str,
    connections: u32,
    rate: f64,
    seconds: u32,
) -> Result<Sampled> {
    println!(
        "fixed rate: {rate:.0} req/s over {connections} connections for {seconds} s: GET {path}"
    );
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a positive rate of at most some thousands per second, for seconds"
    )]
    let total = (rate * f64::from(seconds)).round() as u64;
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(100);
    let auth = format!("Bearer {token}");
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (next, auth, path) = (Arc::clone(&next), auth.clone(), path.to_owned());
            let client = Client::new(relay.address);
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    let planned = start + Duration::from_secs_f64(k as f64 / rate);
                    if let Some(wait) = planned.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    match client.request("GET", &path, &[("Authorization", &auth)], &[], false) {
                        Ok(response) if (200..300).contains(&response.status) => {
                            latencies.push(planned.elapsed().as_secs_f64() * 1000.0);
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (mine, failed) = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a fixed-rate worker panicked"))?;
        latencies.extend(mine);
        errors += failed;
    }
    let took = start.elapsed().as_secs_f64();
    let sampled = Sampled::new(latencies, errors);
    println!(
        "  {sampled}; {:.0} req/s achieved",
        sampled.count as f64 / took.max(1e-9)
    );
    Ok(sampled)
}

/// The inbox's pages under wrk: [`WRK_CONNECTIONS`] connections for [`WRK_SECONDS`] with
/// `/healthz` sampled beside them, then one connection for [`SOLO_SECONDS`] (the service
/// time without queueing), then [`WRK_CONNECTIONS`] connections at a fixed rate, half the
/// closed loop's throughput.
#[derive(Debug, Clone, Copy)]
struct Page {
    loaded: Wrk,
    healthz: Sampled,
    solo: Wrk,
    paced: Sampled,
    rate: f64,
}

/// One page measured as [`Page`] says.
fn page(relay: &Relay, url: &str, path: &str, token: &str) -> Result<Page> {
    let stop = Arc::new(AtomicBool::new(false));
    let probe = healthz_probe(relay, Arc::clone(&stop));
    let loaded = wrk(url, token, WRK_CONNECTIONS, WRK_SECONDS);
    stop.store(true, Ordering::Relaxed);
    let healthz = probe
        .join()
        .map_err(|_| anyhow::anyhow!("the /healthz probe panicked"))?;
    let loaded = loaded?;
    println!("/healthz beside it: {healthz}");
    let solo = wrk(url, token, 1, SOLO_SECONDS)?;
    let rate = (loaded.rps * FIXED_RATE_SHARE).max(1.0);
    let paced = fixed_rate(relay, path, token, WRK_CONNECTIONS, rate, WRK_SECONDS)?;
    Ok(Page {
        loaded,
        healthz,
        solo,
        paced,
        rate,
    })
}

/// Page 1 and page 2 of the recipient's inbox, each with a session of its own, after a
/// short warm-up (the pool opens its connections, the caches fill).
fn inbox_pages(tools: &Tools, relay: &Relay, world: &World) -> Result<[Page; 2]> {
    let token = world.recipient_session(tools, relay)?;
    let auth = format!("Bearer {token}");
    let first = Client::new(relay.address)
        .request("GET", INBOX_PATH, &[("Authorization", &auth)], &[], true)?
        .success("cannot list the inbox")?;
    println!("the first page is {} bytes of JSON", first.body.len());
    let cursor = json_field(&first.text(), "next_cursor")
        .context("the inbox's first page has no next_cursor")?;
    let path2 = format!("{INBOX_PATH}&cursor={cursor}");
    let page1 = format!("{}{INBOX_PATH}", relay.base());
    let page2 = format!("{}{path2}", relay.base());
    println!("warm-up:");
    wrk(&page1, &token, WRK_CONNECTIONS, WARM_UP_SECONDS)?;
    let first = page(relay, &page1, INBOX_PATH, &token)?;
    let token = world.recipient_session(tools, relay)?;
    let second = page(relay, &page2, &path2, &token)?;
    Ok([first, second])
}

pub(super) fn seed(tools: &Tools, database: &str, world: &World, from: i64, to: i64) -> Result<()> {
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
pub(super) fn inbox(
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
                numbers.loaded.p99_ms <= P99_MS && numbers.loaded.socket_errors == 0,
            );
            report.info(
                format!("{label}, /healthz beside it"),
                numbers.healthz.to_string(),
            );
            report.info(format!("{label}, 1 conn."), numbers.solo.to_string());
            report.row(
                format!(
                    "{label}, fixed {:.0} req/s, {WRK_CONNECTIONS} conn.",
                    numbers.rate
                ),
                numbers.paced.to_string(),
                format!("p99 ≤ {P99_MS:.0} ms"),
                numbers.paced.p99_ms <= P99_MS && numbers.paced.errors == 0,
            );
        }
    }
    // Growth on one connection: the service time, without the queue 64 connections make
    // on two cores (which grows with anything else the machine does).
    for page in 0..2 {
        if let (Some(small), Some(large)) = (small.get(page), large.get(page)) {
            let growth = |small: f64, large: f64| large / small.max(1e-9);
            let p50 = growth(small.solo.p50_ms, large.solo.p50_ms);
            let p99 = growth(small.solo.p99_ms, large.solo.p99_ms);
            report.row(
                format!(
                    "inbox {backend}, page {}, 1 conn.: growth 10k → 1M",
                    page + 1
                ),
                format!(
                    "p99 {p99:.2}× ({:.1} → {:.1} ms), p50 {p50:.2}× ({:.1} → {:.1} ms)",
                    small.solo.p99_ms, large.solo.p99_ms, small.solo.p50_ms, large.solo.p50_ms
                ),
                format!("≤ {P99_GROWTH:.1}×"),
                p99 <= P99_GROWTH && p50 <= P99_GROWTH,
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

#[cfg(test)]
mod tests {
    use super::{Sampled, duration_ms, parse_wrk};

    #[test]
    fn percentiles_by_nearest_rank() {
        let sampled = Sampled::new((1..=200).rev().map(f64::from).collect(), 3);
        assert_eq!(sampled.p50_ms, 100.0);
        assert_eq!(sampled.p99_ms, 198.0);
        assert_eq!((sampled.count, sampled.errors), (200, 3));
    }

    #[test]
    fn reads_wrk_output() {
        let output = "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 64 connections\n  \
                      Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     90%    \
                      2.00ms\n     99%   12.34ms\n  1000 requests in 10.00s, 1.00MB read\n\
                      Socket errors: connect 0, read 2, write 0, timeout 12\n\
                      Requests/sec:   6231.23\nTransfer/sec:     12.34MB\n";
        let wrk = parse_wrk(output).unwrap();
        assert!((wrk.p50_ms - 0.812).abs() < 1e-9);
        assert!((wrk.p99_ms - 12.34).abs() < 1e-9);
        assert!((wrk.rps - 6231.23).abs() < 1e-9);
        assert_eq!(wrk.socket_errors, 14);
        assert_eq!(duration_ms("2.00s"), Some(2000.0));
        assert!(parse_wrk("  Non-2xx or 3xx responses: 3\n").is_err());
    }
}
