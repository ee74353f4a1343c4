//! Measurement 2, the relay's memory: `VmRSS` sampled while one large object is uploaded
//! and then downloaded, against the idle RSS before each transfer.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest as _, Sha256};
use xshell::{Shell, cmd};

use crate::bench::http::Client;
use crate::cmd::read_echoed;

use super::api::{create_exchange, mib_per_s, part_path, upload};
use super::process::Relay;
use super::report::Report;
use super::{
    BIG_OBJECT, MANIFEST_LEN, PART, Payload, RSS_DRIFT_MIB, RSS_EVERY, RSS_GROWTH_MIB, Tools,
    World, content_digest, hex,
};

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

pub(super) fn memory(
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
    let key = &world.sender_account_key;
    let manifest = format!("{MANIFEST_LEN}:{manifest_sha256}");
    let object = format!("{BIG_OBJECT}:{object_sha256}");
    read_echoed(cmd!(
        sh,
        "{fixture} complete --base {base} --email {email} --account-key {key} --exchange {exchange} --object {manifest} --object {object}"
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
