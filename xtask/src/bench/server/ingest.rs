//! Measurement 1, ingest vs nginx: the same bytes `PUT` to the relay and to nginx, best of
//! three, with each server's CPU seconds per GiB.

use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};
use xshell::{Shell, cmd};

use super::api::{cancel_exchange, create_exchange, mib_per_s, part_path, sync, upload};
use super::process::{Nginx, Relay};
use super::report::Report;
use super::{INGEST_BYTES, INGEST_RATIO, MANIFEST_LEN, MIB, PART, Payload, RUNS, STREAMS, World};

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
pub(super) fn ingest(
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

            // The time of one upload, and the CPU seconds the server's processes spent on it.
            let measure =
                |address, pids: &[u32], path: &(dyn Fn(usize, usize) -> String + Sync)| {
                    let cpu = cpu_seconds(pids, ticks);
                    let elapsed = upload(address, streams, parts, path, &headers, &payload.part)?;
                    let cpu = cpu.zip(cpu_seconds(pids, ticks)).map(|(a, b)| b - a);
                    anyhow::Ok((elapsed, cpu))
                };

            let folder = format!("run{run}-{streams}");
            let path = |stream: usize, part: usize| format!("/ingest/{folder}/{stream}/{part}");
            let (elapsed, cpu) =
                measure(nginx.address, &nginx.pids(), &path).context("nginx upload")?;
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
            let (elapsed, cpu) =
                measure(relay.address, &[relay.pid()], &path).context("relay upload")?;
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
