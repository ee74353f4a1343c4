//! Measurement 1, ingest: the same bytes `PUT` to the relay, to nginx and to the durable
//! sink ([`super::sink`]), three runs taking turns, with each server's CPU seconds per GiB
//! and the load average before each upload.
//!
//! What each side does with a 16 MiB part:
//! - **nginx** (WebDAV `PUT`): writes it to a file. No hash, no fsync — the page cache
//!   holds it when nginx answers.
//! - **sink**: hashes it once (SHA-256, checked against `Content-Digest`), writes it to a
//!   file and `fdatasync`s it before answering: the least durable work a relay must do.
//! - **relay**: authenticates, checks the part against the exchange, hashes it once (its
//!   `Content-Digest`; until December 2026 also the object's running SHA-256), writes it
//!   to a temporary file, fsyncs it, renames it, fsyncs the folder, records it in SQLite.
//!
//! A row's figures all come from one run: the run whose relay speed is the median of the
//! three (every run is printed as it goes).

use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};
use xshell::{Shell, cmd};

use super::api::{cancel_exchange, create_exchange, mib_per_s, part_path, sync, upload};
use super::process::{Nginx, Relay};
use super::report::Report;
use super::sink::Sink;
use super::{INGEST_BYTES, INGEST_RATIO, MANIFEST_LEN, MIB, PART, Payload, RUNS, STREAMS, World};

/// One server's upload in one run.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    mib_per_s: f64,
    cpu_per_gib: Option<f64>,
    /// The one-minute load average just before the upload.
    load: f64,
}

impl Measured {
    fn new(label: &str, elapsed: Duration, cpu_seconds: Option<f64>, load: f64) -> Self {
        let speed = mib_per_s(INGEST_BYTES, elapsed);
        let gib = INGEST_BYTES as f64 / (MIB * 1024.0);
        let cpu = cpu_seconds.map(|seconds| seconds / gib);
        println!(
            "  {label:<6} {:>6.2} s  {speed:>6.0} MiB/s  {}  (load before: {load:.2})",
            elapsed.as_secs_f64(),
            cpu.map_or_else(String::new, |cpu| format!("{cpu:.2} s CPU/GiB"))
        );
        Self {
            mib_per_s: speed,
            cpu_per_gib: cpu,
            load,
        }
    }

    fn cpu(&self) -> String {
        self.cpu_per_gib
            .map_or_else(|| "?".to_owned(), |cpu| format!("{cpu:.2}"))
    }
}

/// One run of one mode: nginx, the sink, the relay.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    nginx: Measured,
    sink: Measured,
    relay: Measured,
}

/// [`RUNS`] runs of nginx, the sink and the relay, sequential and with [`STREAMS`]
/// concurrent uploads, taking turns; with the CPU time each server spent per GiB (user +
/// system, all its threads or processes), which the machine's other load disturbs less.
pub(super) fn ingest(
    dir: &Path,
    relay: &Relay,
    world: &World,
    payload: &Payload,
    report: &mut Report,
) -> Result<()> {
    let nginx = Nginx::start(dir)?;
    let sink = Sink::start(dir)?;
    println!(
        "\ningest: nginx writes each part to a file (no hash, no fsync); the sink hashes it \
         once (SHA-256, checks Content-Digest), writes it and fdatasyncs before answering; \
         the relay authenticates, hashes it once (its Content-Digest), writes, fsyncs, \
         renames and records it"
    );
    let parts_total = usize::try_from(INGEST_BYTES / PART as u64)?;
    let auth = format!("Bearer {}", world.sender_token);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
        ("Content-Digest", payload.part_digest.as_str()),
    ];
    let ticks = clock_ticks();
    // [1 stream, STREAMS streams] × runs
    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    for run in 1..=RUNS {
        for (mode, streams) in [1, STREAMS].into_iter().enumerate() {
            let parts = parts_total / streams;
            println!(
                "\ningest run {run} of {RUNS}: {} MiB in {parts_total} parts of 16 MiB, {streams} stream(s)",
                INGEST_BYTES >> 20
            );

            // The time of one upload, the CPU seconds the server's processes spent on it,
            // and the load average before it.
            let measure =
                |label: &str,
                 address,
                 pids: &[u32],
                 path: &(dyn Fn(usize, usize) -> String + Sync)| {
                    let load = load_average();
                    let cpu = cpu_seconds(pids, ticks);
                    let elapsed = upload(address, streams, parts, path, &headers, &payload.part)?;
                    let cpu = cpu.zip(cpu_seconds(pids, ticks)).map(|(a, b)| b - a);
                    anyhow::Ok(Measured::new(label, elapsed, cpu, load))
                };

            let folder = format!("run{run}-{streams}");
            let path = |stream: usize, part: usize| format!("/ingest/{folder}/{stream}/{part}");
            let nginx_run =
                measure("nginx", nginx.address, &nginx.pids(), &path).context("nginx upload")?;
            // Written back before deleting, so that the deletion does not drop dirty pages
            // whose writeback nginx never paid for while the next upload runs.
            sync();
            let written = nginx.www.join("ingest");
            fs::remove_dir_all(&written)
                .with_context(|| format!("cannot remove {}", written.display()))?;
            sync();

            let sink_run =
                measure("sink", sink.address, &[sink.pid()], &path).context("sink upload")?;
            empty_folder(&sink.www)?;
            sync();

            // The relay: one object per stream.
            let mut sizes = vec![MANIFEST_LEN as u64];
            sizes.extend(std::iter::repeat_n((parts * PART) as u64, streams));
            let exchange = create_exchange(relay, world, &sizes)?;
            let path = |stream: usize, part: usize| part_path(&exchange, stream + 1, part);
            let relay_run =
                measure("relay", relay.address, &[relay.pid()], &path).context("relay upload")?;
            cancel_exchange(relay, world, &exchange)?;
            sync();
            runs.get_mut(mode).context("ingest mode")?.push(Run {
                nginx: nginx_run,
                sink: sink_run,
                relay: relay_run,
            });
        }
    }
    drop(nginx);
    drop(sink);
    for (mode, streams) in [1, STREAMS].into_iter().enumerate() {
        let mut of_mode = runs.get(mode).cloned().unwrap_or_default();
        of_mode.sort_by(|a, b| a.relay.mib_per_s.total_cmp(&b.relay.mib_per_s));
        let Some(run) = of_mode.get(of_mode.len() / 2).copied() else {
            continue;
        };
        let streams_label = if streams == 1 {
            "1 stream".to_owned()
        } else {
            format!("{streams} streams")
        };
        let cpu = format!(
            "CPU s/GiB relay {} / nginx {} / sink {}; load {:.1}",
            run.relay.cpu(),
            run.nginx.cpu(),
            run.sink.cpu(),
            run.relay.load
        );
        for (name, baseline) in [("nginx", run.nginx), ("durable sink", run.sink)] {
            let ratio = run.relay.mib_per_s / baseline.mib_per_s.max(1e-9);
            report.row(
                format!("ingest 2 GiB, {streams_label}: relay / {name}"),
                format!(
                    "{:.0} / {:.0} MiB/s = {ratio:.2}× ({cpu})",
                    run.relay.mib_per_s, baseline.mib_per_s
                ),
                format!("≥ {INGEST_RATIO:.2}×"),
                ratio >= INGEST_RATIO,
            );
        }
    }
    Ok(())
}

/// Deletes every file in `folder` once it is written back (`sync` first).
fn empty_folder(folder: &Path) -> Result<()> {
    sync();
    for entry in
        fs::read_dir(folder).with_context(|| format!("cannot read {}", folder.display()))?
    {
        let path = entry.context("cannot list the sink's files")?.path();
        fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

/// The one-minute load average (`/proc/loadavg`), 0 if unreadable.
fn load_average() -> f64 {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Clock ticks per second, for `/proc/<pid>/stat` (`getconf CLK_TCK`, 100 if unknown).
pub(super) fn clock_ticks() -> f64 {
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
pub(super) fn cpu_seconds(pids: &[u32], ticks: f64) -> Option<f64> {
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
