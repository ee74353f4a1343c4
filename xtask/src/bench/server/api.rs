//! The relay's upload API as the benchmark drives it: create an exchange, upload parts
//! (one object per stream), cancel; and the speed and `sync` helpers around uploads.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::bench::http::{Client, json_field};

use super::process::Relay;
use super::{MIB, World};

/// Creates an exchange from the sender to the recipient with these object sizes
/// (manifest first); returns its id.
pub(super) fn create_exchange(relay: &Relay, world: &World, sizes: &[u64]) -> Result<String> {
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
pub(super) fn cancel_exchange(relay: &Relay, world: &World, id: &str) -> Result<()> {
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

pub(super) fn part_path(exchange: &str, idx: usize, part: usize) -> String {
    format!("/api/exchanges/{exchange}/objects/{idx}/parts/{part}")
}

/// `streams` connections, each sending `parts` copies of `body` one after the other to
/// `path(stream, part)`. Returns the time from the first request to the last answer.
pub(super) fn upload(
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

pub(super) fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB / elapsed.as_secs_f64().max(1e-9)
}

/// Flushes the page cache's dirty pages, so that a run's writeback does not slow the next.
pub(super) fn sync() {
    if let Ok(sh) = Shell::new() {
        let _ = cmd!(sh, "sync").quiet().ignore_status().run();
    }
}
