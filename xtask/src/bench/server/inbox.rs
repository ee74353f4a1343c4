//! Measurement 3, the inbox listing: exchanges seeded with SQL, the first and second page
//! under `wrk` (many connections, then one), and the query plans.

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::bench::http::{Client, json_field};
use crate::cmd::read_echoed;

use super::process::Relay;
use super::report::Report;
use super::{
    INBOX_PATH, LARGE_INBOX, P99_GROWTH, P99_MS, SMALL_INBOX, SOLO_SECONDS, Tools, WARM_UP_SECONDS,
    WRK_CONNECTIONS, WRK_SECONDS, World,
};

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
