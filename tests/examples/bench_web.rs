//! `cargo xtask bench web` runs this (release build, optimised web bundle): the web app in
//! headless Chromium against a relay on loopback (SQLite), as people use it.
//!
//! 1. Send: a caseworker sends a 1 GiB file from the send page. The page's progress bars
//!    carry the worker's busy times (`data-busy-ms`: a run of chunks being sealed by the
//!    worker's pool, the keys' worker reading, hashing parts, and waiting
//!    for the helper hashing the file meanwhile; a part on its way to the relay) and how
//!    many runs the pool sealed (`data-pooled`) and hashed (`data-hashed`), so one run
//!    gives the total send time, the encrypt time and the upload time; pipelining is
//!    good when total / max(encrypt, upload) ≤ 1.15. Then,
//!    in the same page, WebCrypto AES-GCM over the same file (64 KiB calls, the size of an
//!    age chunk), for scale. The court's native client then downloads and decrypts the
//!    sent exchange: its SHA-256 must be the file's.
//!    The same file is then sent again with its upload left out, through the app's own
//!    resume: sent behind a proxy that holds the relay's completion, the page is reloaded
//!    once every part has arrived; the send page offers to resume, the file is picked
//!    again, and the resume reads, hashes and encrypts the whole file again but uploads
//!    nothing (the relay has every part) and completes: the browser's own rate, the relay
//!    idle. That exchange too is decrypted natively and compared.
//!    During the send and during the resume, the CPU time of every thread of the
//!    browser's processes and of the bench's own process (which runs the relay) is read
//!    from `/proc` every 100 ms (`bench_web/cpu.rs`): where the two cores went, per
//!    process and per thread name (the keys' worker and the pool's helpers are the
//!    renderer's `DedicatedWorker` threads), in CPU seconds per GiB.
//! 2. Receive: a 2 GiB exchange (sent by the native client) is saved by the greffier's
//!    browser twice, each way a person meets: into the file picked in Chromium's save
//!    dialog, which the decrypting worker writes (here a file of the site's private file
//!    system, handed over by the page's picker as the dialog would: headless Chromium
//!    has nobody to answer it), then through the service-worker stream to the downloads
//!    (browsers without the dialog); the resident memory of the browser's renderer
//!    processes (page, its Web Workers, the service worker) is sampled throughout: its
//!    growth over the page at rest must stay ≤ 64 MiB. Each saved file's SHA-256 is
//!    compared with the sent one.
//! 3. Inbox: the inbox page shows, per row, a preview (subject, category, case reference,
//!    sender, plaintext size) that the worker verifies (the envelope's Ed25519 signature,
//!    against the sender's certificate chain) and decrypts (age, X25519) for every row of
//!    a page before the page shows it. On a relay of its own, the caseworker's native
//!    client sends small exchanges to the court (categories, subjects and case references
//!    varied, every 7th urgent; 8 at a time), first 50, then 950 more.
//!    - With 50: the greffier's page goes from the outbox to the inbox (`location.hash`,
//!      timed in the page) until the 50 rows are shown, each verified and decrypted
//!      (`data-preview=read`), laid out and painted: the median of 5, target ≤ 300 ms.
//!      Baseline, in the same page after each run: a plain `fetch` + JSON of the same
//!      page of the relay's API (`/api/exchanges/inbox?limit=50`, with the session
//!      cookie): the difference is the worker's verification and decryption, the
//!      messages between page and worker, and the rendering. For scale, the native
//!      client verifies and decrypts the same page with the same code.
//!    - With 1,000: the inbox opens on its first 50 rows; a word typed in the search box
//!      makes the page load, verify and decrypt the 950 others (pages of 200) and show
//!      the rows it matches: the time until they are all shown and the page no longer
//!      says it is loading, and its cost per row, against fetching the same pages
//!      plainly. Then another search and a category over the rows already loaded:
//!      filtering 1,000 decrypted rows in the browser, target ≤ 100 ms each.
//!
//! `PLI_BENCH_SEND_MIB` and `PLI_BENCH_RECEIVE_MIB` change the sizes (1024 and 2048).
//! `PLI_BENCH_WEB_ONLY` runs only the sections it names, comma-separated among `send`,
//! `receive` and `inbox` (`PLI_BENCH_WEB_ONLY=inbox` while working on the inbox: no big
//! files are prepared); all of them by default.

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark prints its table; byte counts fit f64 well enough for MiB/s"
)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::wd::TimeoutConfiguration;
use futures_util::StreamExt as _;
use pli_e2e::cast::{COURT, Cast, DEPT, PASSWORD, cast};
use pli_e2e::{Backend, Browser, relay};
use sha2::{Digest as _, Sha256};

#[path = "bench_web/cpu.rs"]
mod cpu;
use cpu::{CpuReport, CpuUse, Owner};

const MIB: f64 = 1024.0 * 1024.0;

fn size_from_env(name: &str, default_mib: u64) -> anyhow::Result<u64> {
    let mib = match std::env::var(name) {
        Ok(value) => value
            .parse::<u64>()
            .with_context(|| format!("{name} must be a whole number of MiB"))?,
        Err(_) => default_mib,
    };
    Ok(mib << 20)
}

/// Writes `size` pseudo-random bytes to `path` (once: reused when already there) and
/// returns their SHA-256.
fn bench_file(path: &Path, size: u64, seed: u64) -> anyhow::Result<[u8; 32]> {
    if std::fs::metadata(path).map(|m| m.len()).ok() != Some(size) {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut state = seed | 1;
        let mut block = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            for word in block.chunks_exact_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes());
            }
            let n = usize::try_from(left.min(block.len() as u64))?;
            out.write_all(block.get(..n).context("block")?)?;
            left -= n as u64;
        }
        out.flush()?;
    }
    sha256_of(path)
}

fn sha256_of(path: &Path) -> anyhow::Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hash.finalize().into());
        }
        hash.update(buffer.get(..n).context("read")?);
    }
}

/// Resident memory of a browser's processes, renderers one by one.
struct ChromiumRss {
    /// Each renderer process: its pid and resident bytes.
    renderers: Vec<(u32, u64)>,
    /// The browser process's resident bytes.
    browser: u64,
    /// Its other children's (the network service, the storage service, the GPU process,
    /// the zygotes): the bytes of a save cross the network service.
    others: u64,
}

impl ChromiumRss {
    fn renderers(&self) -> u64 {
        self.renderers.iter().map(|(_, rss)| rss).sum()
    }
}

/// What a renderer process hosts, from its threads' names: the page's main thread is
/// always there; Chromium names its workers' threads `DedicatedWorker thread` and
/// `ServiceWorker thread` (cut to 15 characters by the kernel).
fn renderer_hosts(pid: u32) -> String {
    let mut hosts = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        for (prefix, what) in [
            ("DedicatedWorker", "worker"),
            ("ServiceWorker", "service worker"),
        ] {
            if name.starts_with(prefix) && !hosts.contains(&what) {
                hosts.push(what);
            }
        }
    }
    if hosts.is_empty() {
        "no worker".to_owned()
    } else {
        hosts.join(" + ")
    }
}

/// The processes of `browser` (the browser process and its descendants), each with what
/// it is, and this process (the relay's).
fn processes(browser: &Browser) -> anyhow::Result<Vec<(u32, Owner)>> {
    let profile = format!("--user-data-dir={}", browser.profile().display());
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        // Chromium rewrites its children's command lines as one space-separated string.
        let args = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let ppid = cpu::stat_fields(&stat)
            .and_then(|(_, fields)| fields.get(1)?.parse::<u32>().ok())
            .unwrap_or(0);
        all.push((pid, ppid, args));
    }
    // The browser process (and the wrapper script that started it): no `--type=`.
    let browsers: Vec<u32> = all
        .iter()
        .filter(|(_, _, args)| args.contains(&profile) && !args.contains("--type="))
        .map(|(pid, _, _)| *pid)
        .collect();
    let Some(root) = all
        .iter()
        .find(|(pid, ppid, _)| browsers.contains(pid) && !browsers.contains(ppid))
        .map(|(pid, _, _)| *pid)
    else {
        bail!("no Chromium process with {profile}");
    };
    // The browser process's descendants.
    let mut family = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid, _) in &all {
            if family.contains(ppid) && !family.contains(pid) {
                family.push(*pid);
                grew = true;
            }
        }
    }
    let mut found: Vec<(u32, Owner)> = all
        .iter()
        .filter(|(pid, _, _)| family.contains(pid))
        .map(|(pid, _, args)| {
            let owner = if args.contains("--type=renderer") {
                Owner::Renderer
            } else if browsers.contains(pid) {
                Owner::Browser
            } else if args.contains("network.mojom.NetworkService") {
                Owner::Network
            } else {
                Owner::OtherChromium
            };
            (*pid, owner)
        })
        .collect();
    found.push((std::process::id(), Owner::Bench));
    Ok(found)
}

/// Resident memory (bytes) of the renderer processes of `browser`, and of its browser
/// process.
fn chromium_rss(browser: &Browser) -> anyhow::Result<ChromiumRss> {
    Ok(rss_of(&processes(browser)?))
}

/// Resident memory (bytes) of `processes`, as [`chromium_rss`] gives it.
fn rss_of(processes: &[(u32, Owner)]) -> ChromiumRss {
    let mut renderers = Vec::new();
    let (mut browser_process, mut others) = (0, 0);
    for &(pid, owner) in processes {
        let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .unwrap_or(0)
            * 1024;
        match owner {
            Owner::Renderer => renderers.push((pid, rss)),
            Owner::Browser => browser_process += rss,
            Owner::Network | Owner::OtherChromium => others += rss,
            Owner::Bench => {}
        }
    }
    ChromiumRss {
        renderers,
        browser: browser_process,
        others,
    }
}

/// Runs `phase` while sampling, every 100 ms, the renderers' resident memory and the CPU
/// time of every thread of the browser and of this process: the phase's outcome, the
/// renderers' peak (from `at_rest`) and where the cores went.
async fn sampled<T>(
    browser: &Browser,
    at_rest: u64,
    phase: impl Future<Output = T>,
) -> anyhow::Result<(T, u64, CpuReport)> {
    let mut cpu = CpuUse::start(&processes(browser)?);
    let ended = std::cell::Cell::new(false);
    let running = async {
        let outcome = phase.await;
        ended.set(true);
        outcome
    };
    let sampling = async {
        let mut peak = at_rest;
        while !ended.get() {
            let now = processes(browser)?;
            peak = peak.max(rss_of(&now).renderers());
            cpu.sample(&now);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::Ok(peak)
    };
    let (outcome, peak) = tokio::join!(running, sampling);
    let peak = peak?;
    cpu.sample(&processes(browser)?);
    Ok((outcome, peak, cpu.report()))
}

/// What the send page's script reports.
#[derive(Debug, serde::Deserialize)]
struct SendTimes {
    ok: bool,
    total_ms: f64,
    /// 0 for a resume, whose page shows no progress bars.
    #[serde(default)]
    encrypt_ms: f64,
    #[serde(default)]
    upload_ms: f64,
    /// Runs of chunks the worker's pool of sealing helpers sealed (0: the worker alone).
    #[serde(default)]
    pooled: u64,
    /// Hash jobs those helpers did (the file's own hash; 0: the keys' worker hashed it).
    #[serde(default)]
    hashed: u64,
    error: Option<String>,
    /// The sent exchange's page (`#/exchange/<id>`), once sent.
    link: Option<String>,
}

impl SendTimes {
    /// The sent exchange.
    fn exchange(&self) -> anyhow::Result<pli_api::ExchangeId> {
        let link = self
            .link
            .as_deref()
            .context("no link to the sent exchange")?;
        let id = link
            .rsplit('/')
            .next()
            .context("the sent exchange's link")?;
        id.parse()
            .with_context(|| format!("the sent exchange's link {link:?}"))
    }
}

/// Clicks the send button and waits for the send to end, reading the progress bars
/// meanwhile.
const SEND_SCRIPT: &str = r"
const done = arguments[arguments.length - 1];
const last = {};
let pooled = 0;
let hashed = 0;
const started = performance.now();
const observer = new MutationObserver(() => {
  for (const id of ['progress-encrypt', 'progress-upload']) {
    const bar = document.querySelector(`[data-testid=${id}]`);
    if (bar) {
      last[id] = Number(bar.dataset.busyMs || 0);
      pooled = Math.max(pooled, Number(bar.dataset.pooled || 0));
      hashed = Math.max(hashed, Number(bar.dataset.hashed || 0));
    }
  }
  const sent = document.querySelector('[data-testid=sent]');
  const failed = document.querySelector('[data-testid=send-failure]');
  if (sent || failed) {
    observer.disconnect();
    const link = document.querySelector('[data-testid=sent-link]');
    done(JSON.stringify({
      ok: !!sent, total_ms: performance.now() - started,
      encrypt_ms: last['progress-encrypt'] || 0, upload_ms: last['progress-upload'] || 0, pooled,
      hashed,
      error: failed ? failed.textContent : null,
      link: link ? link.getAttribute('href') : null,
    }));
  }
});
observer.observe(document.body, { subtree: true, childList: true, attributes: true });
document.querySelector('[data-testid=send]').click();
";

const WEBCRYPTO_SCRIPT: &str = r"
const done = arguments[arguments.length - 1];
(async () => {
  const file = document.getElementById('bench-file').files[0];
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const iv = new Uint8Array(12);
  const started = performance.now();
  let counter = 0;
  for (let offset = 0; offset < file.size; offset += 16 << 20) {
    const slice = new Uint8Array(await file.slice(offset, offset + (16 << 20)).arrayBuffer());
    for (let at = 0; at < slice.length; at += 65536) {
      new DataView(iv.buffer).setUint32(8, counter++);
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, slice.subarray(at, at + 65536));
    }
  }
  done(JSON.stringify({ ms: performance.now() - started, size: file.size }));
})().catch((e) => done(JSON.stringify({ error: String(e) })));
";

struct SendResult {
    size: u64,
    /// The file's SHA-256.
    sha256: [u8; 32],
    times: SendTimes,
    webcrypto_ms: f64,
    /// The load averages just before the send.
    load: String,
    /// The renderers' resident bytes at rest before the send, and at their peak during it.
    renderers: (u64, u64),
    /// What the greffier's native client decrypted of the sent file.
    checked: Option<Checked>,
    /// The same file sent again, without its upload.
    without_upload: Option<WithoutUpload>,
    /// Where the cores went during the send.
    cpu: CpuReport,
}

/// The load averages over 1, 5 and 15 minutes (`/proc/loadavg`), read just before a
/// phase: they count what else ran on the cores, and also the bench's own work of the
/// minute before (making the file, the native send of the file saved).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn send(
    base: &str,
    caseworker: &pli_e2e::cast::Person,
    (path, size, sha256): (&Path, u64, [u8; 32]),
) -> anyhow::Result<SendResult> {
    let browser = Browser::logged_in(base, "bench-send", caseworker).await?;
    let long = TimeoutConfiguration::new(Some(Duration::from_secs(1800)), None, None);
    browser.client.update_timeouts(long).await?;
    browser.goto("#/send").await?;
    browser
        .fill_send_form(&[path], COURT, "Rapport", "Banc d'essai")
        .await?;
    let load = load_average();
    // The renderers' memory sampled while the send runs, as the save's is, from the
    // page at rest as there.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let at_rest = chromium_rss(&browser)?.renderers();
    let (times, peak, cpu) = sampled(&browser, at_rest, click_and_wait(&browser)).await?;
    let (times, renderers) = (times?, (at_rest, peak));
    if !times.ok {
        bail!("the send failed: {:?}", times.error);
    }
    browser
        .run(
            "const input = document.createElement('input'); input.type = 'file'; \
             input.id = 'bench-file'; document.body.append(input); return true;",
        )
        .await?;
    browser.attach("#bench-file", &[path]).await?;
    let answer = browser
        .client
        .execute_async(WEBCRYPTO_SCRIPT, vec![])
        .await?;
    let webcrypto: serde_json::Value = serde_json::from_str(answer.as_str().context("webcrypto")?)?;
    let Some(webcrypto_ms) = webcrypto.get("ms").and_then(serde_json::Value::as_f64) else {
        bail!("WebCrypto failed: {webcrypto}");
    };
    browser.close().await?;
    Ok(SendResult {
        size,
        sha256,
        times,
        webcrypto_ms,
        load,
        renderers,
        checked: None,
        without_upload: None,
        cpu,
    })
}

/// Clicks the send page's button and waits until the send ends.
async fn click_and_wait(browser: &Browser) -> anyhow::Result<SendTimes> {
    let answer = browser.client.execute_async(SEND_SCRIPT, vec![]).await?;
    Ok(serde_json::from_str(
        answer.as_str().context("send script")?,
    )?)
}

/// Clicks « Reprendre l'envoi » on the send page and waits until the resume ends.
const RESUME_SCRIPT: &str = r"
const done = arguments[arguments.length - 1];
const started = performance.now();
const observer = new MutationObserver(() => {
  const resumed = document.querySelector('[data-testid=resumed]');
  const failed = document.querySelector('[data-testid=resume-failure]');
  if (resumed || failed) {
    observer.disconnect();
    const link = resumed && resumed.querySelector('a');
    done(JSON.stringify({
      ok: !!resumed, total_ms: performance.now() - started,
      error: failed ? failed.textContent : null,
      link: link ? link.getAttribute('href') : null,
    }));
  }
});
observer.observe(document.body, { subtree: true, childList: true });
document.querySelector('[data-testid=resume-send]').click();
";

/// The same file sent again with its upload left out, through the app's own resume: sent
/// from the send page behind a proxy that holds the relay's completion, so that every
/// part has arrived when the page is reloaded (a browser closed as it finishes a send);
/// the send page then offers to resume, the file is picked again, and the resume reads,
/// hashes and encrypts the whole file again (the envelope binds every part's hash) but
/// uploads nothing, since the relay has every part, and completes.
async fn send_without_upload(path: &Path) -> anyhow::Result<WithoutUpload> {
    // A relay of its own: its public address must be the proxy's.
    let (server, proxy) = pli_e2e::relay_behind_proxy().await?;
    let people = cast(&server.base, &server.setup_token).await?;
    let browser = Browser::logged_in(&proxy.base, "bench-send-again", &people.caseworker).await?;
    let long = TimeoutConfiguration::new(Some(Duration::from_secs(1800)), None, None);
    browser.client.update_timeouts(long).await?;
    browser.goto("#/send").await?;
    browser
        .fill_send_form(&[path], COURT, "Rapport", "Banc d'essai, sans envoi")
        .await?;
    let completion = proxy.hold_next_ending(reqwest::Method::POST, "/complete");
    let started = Instant::now();
    browser.click("[data-testid=send]").await?;
    tokio::time::timeout(Duration::from_secs(1800), completion.arrived())
        .await
        .context("the send never asked for its completion")?;
    let uploaded = started.elapsed().as_secs_f64();
    let parts = proxy.part_uploads().len();
    browser.client.refresh().await?;
    browser.fill("#unlock-password", PASSWORD).await?;
    browser.click("form button[type=submit]").await?;
    browser.goto("#/send").await?;
    browser.find("[data-testid=resume]").await?;
    browser
        .attach("[data-testid=resume-files]", &[path])
        .await?;
    // The page at rest, as before the first send.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let load = load_average();
    let at_rest = chromium_rss(&browser)?.renderers();
    let resuming = browser.client.execute_async(RESUME_SCRIPT, vec![]);
    let (answer, _, cpu) = sampled(&browser, at_rest, resuming).await?;
    let resumed: SendTimes = serde_json::from_str(answer?.as_str().context("resume script")?)?;
    if !resumed.ok {
        bail!("the resume failed: {:?}", resumed.error);
    }
    let parts_resent = proxy.part_uploads().len().saturating_sub(parts);
    browser.close().await?;
    let checked = decrypt_natively(&people.greffier.session, &resumed.exchange()?).await;
    Ok(WithoutUpload {
        uploaded,
        parts,
        parts_resent,
        resumed,
        load,
        checked,
        cpu,
    })
}

/// [`send_without_upload`]'s two attempts.
struct WithoutUpload {
    /// Seconds from the click until the held completion arrived at the proxy: every part
    /// uploaded (through the proxy).
    uploaded: f64,
    /// The parts it uploaded.
    parts: usize,
    /// The parts the resume uploaded, as the proxy saw them: none, or the bench fails.
    parts_resent: usize,
    /// Its resume: every part already on the relay.
    resumed: SendTimes,
    /// The load averages just before the resume.
    load: String,
    /// What the greffier's native client decrypted of it.
    checked: Checked,
    /// Where the cores went during the resume.
    cpu: CpuReport,
}

/// A web-sent file as the recipient's native client decrypts it.
struct Decrypted {
    /// The plaintext's SHA-256 and length.
    sha256: [u8; 32],
    len: u64,
    /// Download, verification and decryption, as `pli-client` does them.
    seconds: f64,
}

/// Downloads, verifies and decrypts file 0 of `exchange` with `session` (the recipient's
/// native client), hashing the plaintext as it is written.
/// What came of decrypting a web-sent file natively: the figures are printed whatever it
/// gave, and the bench fails at the end if it is not the file sent.
type Checked = Result<Decrypted, String>;

async fn decrypt_natively(
    session: &pli_client::Session,
    exchange: &pli_api::ExchangeId,
) -> Checked {
    let started = Instant::now();
    let received = session.open(exchange).await.map_err(|e| e.to_string())?;
    let mut out = Hashing::default();
    session
        .download_file(&received, 0, &mut out)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Decrypted {
        sha256: out.hash.finalize().into(),
        len: out.len,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl Decrypted {
    /// Whether it is the file `sent` sent.
    fn is(&self, sent: &SendResult) -> bool {
        self.sha256 == sent.sha256 && self.len == sent.size
    }
}

/// A writer that keeps only the SHA-256 and length of what it is given.
#[derive(Default)]
struct Hashing {
    hash: Sha256,
    len: u64,
}

impl futures_util::AsyncWrite for Hashing {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.hash.update(buf);
        self.len += buf.len() as u64;
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// How the greffier's browser saves the file: the two ways a person meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Chromium's first: the file chosen in the save dialog, written by the decrypting
    /// worker (here a file of the site's private file system, which the page's picker is
    /// made to hand over: headless Chromium has nobody to answer the dialog).
    Picker,
    /// The browser's downloads, through the service worker's stream (what a browser
    /// without the dialog uses, Firefox and Safari among them).
    Downloads,
}

impl Way {
    fn describe(self) -> &'static str {
        match self {
            Self::Picker => {
                "the file picked in the save dialog, written by the worker (the site's private files here)"
            }
            Self::Downloads => "service-worker stream to the downloads",
        }
    }
}

struct ReceiveResult {
    way: Way,
    size: u64,
    seconds: f64,
    renderers_base: u64,
    renderers_peak: u64,
    /// Each renderer process: what it hosts, its resident bytes at rest, at its peak and
    /// [`AFTER_SAVE`] after the save (0: gone by then).
    each_renderer: Vec<(String, u64, u64, u64)>,
    browser_base: u64,
    browser_peak: u64,
    others_base: u64,
    others_peak: u64,
    /// The load averages just before the save.
    load: String,
    same: bool,
}

/// How long after a save its renderers are measured again.
const AFTER_SAVE: Duration = Duration::from_secs(5);

async fn receive(
    way: Way,
    server_base: &str,
    greffier: &pli_e2e::cast::Person,
    exchange: &str,
    (size, expected): (u64, [u8; 32]),
) -> anyhow::Result<ReceiveResult> {
    let browser = Browser::logged_in(server_base, "bench-receive", greffier).await?;
    browser.goto(&format!("#/exchange/{exchange}")).await?;
    browser.find("[data-testid=verified-badge]").await?;
    browser.find("[data-testid=save-file-0]").await?;
    match way {
        Way::Picker => browser.picker_to_private_files().await?,
        Way::Downloads => {
            browser
                .run("window.showSaveFilePicker = undefined; return true;")
                .await?;
        }
    }
    // The page at rest, its keys unlocked and the exchange open.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let at_rest = chromium_rss(&browser)?;
    let (renderers_base, browser_base) = (at_rest.renderers(), at_rest.browser);
    let (mut renderers_peak, mut browser_peak) = (renderers_base, browser_base);
    let (others_base, mut others_peak) = (at_rest.others, at_rest.others);
    let load = load_average();
    // pid → (what it hosts, at rest, peak)
    let mut each: std::collections::BTreeMap<u32, (String, u64, u64, u64)> = at_rest
        .renderers
        .iter()
        .map(|&(pid, rss)| (pid, (renderer_hosts(pid), rss, rss, 0)))
        .collect();
    let started = Instant::now();
    browser.click("[data-testid=save-file-0]").await?;
    let target = browser.downloads.path().join("recu.bin");
    loop {
        let now = chromium_rss(&browser)?;
        renderers_peak = renderers_peak.max(now.renderers());
        browser_peak = browser_peak.max(now.browser);
        others_peak = others_peak.max(now.others);
        for &(pid, rss) in &now.renderers {
            let entry = each
                .entry(pid)
                .or_insert_with(|| (renderer_hosts(pid), 0, 0, 0));
            if entry.2 < rss {
                entry.0 = renderer_hosts(pid);
                entry.2 = rss;
            }
        }
        let saved = match way {
            // The page says so once the worker closed the file.
            Way::Picker => {
                browser
                    .has("[data-testid=saved-0], [data-testid=save-error-0]")
                    .await?
            }
            Way::Downloads => {
                let partial = std::fs::read_dir(browser.downloads.path())?
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
                target.is_file() && !partial
            }
        };
        if saved {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("the 2 GiB file was not saved within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Sampled before the file is hashed here, which would keep a core busy meanwhile.
    tokio::time::sleep(AFTER_SAVE).await;
    for (pid, rss) in chromium_rss(&browser)?.renderers {
        if let Some(entry) = each.get_mut(&pid) {
            entry.3 = rss;
        }
    }
    let saved = match way {
        Way::Picker => {
            if !browser.has("[data-testid=saved-0]").await? {
                bail!("the page did not save the file it was handed");
            }
            match browser.private_files_on_disk(size)?.as_slice() {
                [one] => one.clone(),
                other => bail!("{} private files of {size} bytes", other.len()),
            }
        }
        Way::Downloads => target,
    };
    let same = sha256_of(&saved)? == expected;
    browser.close().await?;
    Ok(ReceiveResult {
        way,
        size,
        seconds,
        renderers_base,
        renderers_peak,
        each_renderer: each.into_values().collect(),
        browser_base,
        browser_peak,
        others_base,
        others_peak,
        load,
        same,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

/// The family names in the inbox's subjects, one per row in turn: none is part of another,
/// of a subject's other words, of the sender's name or of their organisation's.
const INBOX_NAMES: [&str; 8] = [
    "Lambert", "Moreau", "Girard", "Bonnet", "Fontaine", "Mercier", "Rousseau", "Vincent",
];
/// Exchanges in the inbox for the first measurement, then for the second.
const INBOX_SMALL: usize = 50;
const INBOX_LARGE: usize = 1000;
/// The inbox's first page and the pages a search loads (the web app's and the relay's
/// sizes).
const FIRST_PAGE: usize = 50;
const FULL_PAGE: usize = 200;
/// Runs of the first measurement.
const INBOX_RUNS: usize = 5;
/// Sends under way at once while the inbox is filled.
const SENDS_AT_ONCE: usize = 8;
/// The first search (loads the whole mailbox), then the one over the loaded rows, and the
/// category after them (its `<option>` value, and its label for the table).
const SEARCH_FIRST: &str = "lambert";
const SEARCH_SECOND: &str = "moreau";
const CATEGORY: (&str, &str) = ("decision", "Décision");

/// Exchange `i` of the inbox: its category, subject, case reference and urgency.
fn inbox_exchange(i: usize) -> (pli_api::Category, String, String, bool) {
    use pli_api::Category;
    let (category, label) = match i % 5 {
        0 => (Category::Signalement, "Signalement"),
        1 => (Category::Rapport, "Rapport"),
        2 => (Category::Decision, "Ordonnance"),
        3 => (Category::DemandeEvaluation, "Demande d'évaluation"),
        _ => (Category::Autre, "Courrier"),
    };
    let name = INBOX_NAMES
        .get(i % INBOX_NAMES.len())
        .copied()
        .unwrap_or_default();
    (
        category,
        format!("{label} n° {i} — fratrie {name}"),
        format!("2026/{i:05}"),
        i.is_multiple_of(7),
    )
}

/// How many of the first `n` exchanges a search for `words` finds: every word in the
/// subject, the case reference, the sender's name or organisation (as the page searches;
/// the words here are lower case, without accents).
fn inbox_matches(n: usize, words: &str, sender: &str) -> usize {
    (0..n)
        .filter(|&i| {
            let (_, subject, case, _) = inbox_exchange(i);
            let haystack = format!("{subject}\n{case}\n{sender}\n{DEPT}").to_lowercase();
            words.split_whitespace().all(|w| haystack.contains(w))
        })
        .count()
}

/// The caseworker's native client sends exchanges `range` to the court, a few at a time;
/// returns how long it took.
async fn fill_inbox(people: &Cast, range: std::ops::Range<usize>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let session = &people.caseworker.session;
    let court = people.court;
    let mut sends = futures_util::stream::iter(range.map(|i| async move {
        let (category, subject, case_reference, urgent) = inbox_exchange(i);
        let mut bytes = format!("%PDF-1.4\n% pièce {i}\n").into_bytes();
        bytes.resize(200 + (i * 37) % 400, b' ');
        let file = pli_client::FileInput::from_bytes(
            &format!("piece-{i:05}.pdf"),
            "application/pdf",
            bytes,
        );
        let options = pli_client::SendOptions {
            category,
            subject,
            message: format!("Message du pli {i}."),
            case_reference,
            urgent,
            copy_to_sender: true,
            in_reply_to: None,
        };
        session.send(&court, vec![file], &options).await
    }))
    .buffer_unordered(SENDS_AT_ONCE);
    while let Some(sent) = sends.next().await {
        sent?;
    }
    Ok(started.elapsed())
}

/// What [`timed`] measured in the page: milliseconds from the action to the condition
/// holding in the DOM, to the end of style and layout (forced then), and to the end of
/// the next frame (painted); and the `data-preview` of the rows then shown.
#[derive(Debug, Clone, serde::Deserialize)]
struct Timed {
    dom_ms: f64,
    layout_ms: f64,
    painted_ms: f64,
    rows: usize,
    read: usize,
    /// How many rows of each `data-preview`.
    states: std::collections::BTreeMap<String, usize>,
    /// The calls to the worker answered meanwhile (see [`WORKER_PROBE_SCRIPT`]): how long
    /// the page had at least one of them waiting for its answer, how many, and the
    /// answers' size (JSON).
    worker_ms: f64,
    worker_calls: usize,
    worker_bytes: f64,
}

/// The inbox's rows as the page shows them.
const INBOX_ROWS: &str = "[data-testid=inbox-table] tr[data-testid=exchange-row]";

/// Notes, in the page, when each request leaves for the worker and when its answer
/// reaches the page (the message event's time stamp, taken before the page handles it),
/// with the answer's size: the page's calls carry an `id`, their answers too.
const WORKER_PROBE_SCRIPT: &str = r"
if (!window.__pliProbe) {
  const probe = { posted: new Map(), calls: [], workers: new Set() };
  window.__pliProbe = probe;
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (!probe.workers.has(this)) {
      probe.workers.add(this);
      this.addEventListener('message', (event) => {
        const answer = event.data || {};
        const sent = probe.posted.get(answer.id);
        if (sent !== undefined && (answer.kind === 'ok' || answer.kind === 'err')) {
          probe.posted.delete(answer.id);
          probe.calls.push({ sent, answered: event.timeStamp,
            bytes: typeof answer.data === 'string' ? answer.data.length : 0 });
        }
      });
    }
    if (message && message.id !== undefined) { probe.posted.set(message.id, performance.now()); }
    return post.call(this, message, ...rest);
  };
}
return true;
";

/// Starts a timer in the page, runs `/*ACTION*/`, then watches the DOM (every mutation,
/// and every frame) until `/*CONDITION*/` (a function body) returns true.
const TIMED_SCRIPT: &str = r"
const done = arguments[arguments.length - 1];
const timeoutMs = arguments[0];
const rowsCss = arguments[1];
const test = () => { /*CONDITION*/ };
let finished = false;
let observer = null;
let started = 0;
const stop = () => { finished = true; if (observer) { observer.disconnect(); } };
// How long at least one of `calls` was waiting for its answer.
const pending = (calls) => {
  let total = 0;
  let until = -Infinity;
  for (const c of [...calls].sort((a, b) => a.sent - b.sent)) {
    const from = Math.max(c.sent, until);
    if (c.answered > from) { total += c.answered - from; }
    until = Math.max(until, c.answered);
  }
  return total;
};
const check = () => {
  if (finished) { return; }
  let ok = false;
  try { ok = test(); } catch (e) { stop(); done(JSON.stringify({ error: String(e) })); return; }
  if (!ok) { return; }
  const dom = performance.now() - started;
  stop();
  // Style and layout, forced now (the frame would do them).
  document.body.getBoundingClientRect();
  const layout = performance.now() - started;
  const rows = [...document.querySelectorAll(rowsCss)];
  const read = rows.filter((r) => r.dataset.preview === 'read').length;
  const states = {};
  for (const r of rows) { const s = r.dataset.preview ?? '(none)'; states[s] = (states[s] || 0) + 1; }
  // The end of the next frame: what changed is laid out and painted.
  requestAnimationFrame(() => setTimeout(() => {
    const painted = performance.now() - started;
    // Read only now: the probe hears of an answer after the page handled it (and maybe
    // rendered it, in the same task); the answer's time stamp is from before.
    const probe = window.__pliProbe;
    const calls = probe
      ? probe.calls.filter((c) => c.sent >= started && c.answered <= started + dom) : [];
    done(JSON.stringify({
      dom_ms: dom, layout_ms: layout, painted_ms: painted, rows: rows.length, read, states,
      worker_ms: pending(calls),
      worker_calls: calls.length,
      worker_bytes: calls.reduce((sum, c) => sum + c.bytes, 0),
    }));
  }, 0));
};
observer = new MutationObserver(check);
observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
const poll = () => { if (!finished) { check(); requestAnimationFrame(poll); } };
setTimeout(() => {
  if (!finished) {
    stop();
    done(JSON.stringify({ error: 'timeout', page: document.body.innerText.slice(0, 3000) }));
  }
}, timeoutMs);
started = performance.now();
(() => { /*ACTION*/ })();
requestAnimationFrame(poll);
";

/// Times, in the page, from `action` (statements) to `condition` (a function body
/// returning true once the page shows what was asked).
async fn timed(browser: &Browser, action: &str, condition: &str) -> anyhow::Result<Timed> {
    let script = TIMED_SCRIPT
        .replace("/*ACTION*/", action)
        .replace("/*CONDITION*/", condition);
    let answer = browser
        .client
        .execute_async(&script, vec![300_000.into(), INBOX_ROWS.into()])
        .await?;
    let answer = answer.as_str().context("timed script")?;
    let value: serde_json::Value = serde_json::from_str(answer)?;
    if let Some(error) = value.get("error") {
        let page = value.get("page").and_then(serde_json::Value::as_str);
        bail!("{error}; the page says:\n{}", page.unwrap_or_default());
    }
    Ok(serde_json::from_value(value)?)
}

/// Fetches the inbox from the relay's API as the page could, without the worker: a page
/// of `arguments[0]` rows, then (if `arguments[1]` > 0) every following page of that
/// many, `arguments[2]` times; each time, how long the first page took and the others.
const RAW_PAGES_SCRIPT: &str = r"
const [first, next, runs] = arguments;
const done = arguments[arguments.length - 1];
(async () => {
  const results = [];
  for (let run = 0; run < runs; run++) {
    let cursor = null;
    let limit = first;
    const result = { first_ms: 0, rest_ms: 0, first_rows: 0, rest_rows: 0, first_bytes: 0, rest_bytes: 0 };
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: String(limit) });
      if (cursor) { query.set('cursor', cursor); }
      const started = performance.now();
      const response = await fetch(`/api/exchanges/inbox?${query}`, { credentials: 'same-origin' });
      if (!response.ok) { throw new Error(`HTTP ${response.status}`); }
      const text = await response.text();
      const page = JSON.parse(text);
      const ms = performance.now() - started;
      const which = pages === 0 ? 'first' : 'rest';
      result[`${which}_ms`] += ms;
      result[`${which}_rows`] += page.exchanges.length;
      result[`${which}_bytes`] += text.length;
      pages += 1;
      cursor = page.next_cursor;
      limit = next;
    } while (cursor && next > 0);
    results.push(result);
  }
  done(JSON.stringify(results));
})().catch((e) => done(JSON.stringify({ error: String(e) })));
";

/// One fetch of [`RAW_PAGES_SCRIPT`].
#[derive(Debug, Clone, serde::Deserialize)]
struct RawPages {
    first_ms: f64,
    rest_ms: f64,
    first_rows: usize,
    rest_rows: usize,
    first_bytes: f64,
    rest_bytes: f64,
}

async fn raw_pages(
    browser: &Browser,
    first: usize,
    next: usize,
    runs: usize,
) -> anyhow::Result<Vec<RawPages>> {
    let answer = browser
        .client
        .execute_async(
            RAW_PAGES_SCRIPT,
            vec![first.into(), next.into(), runs.into()],
        )
        .await?;
    let value: serde_json::Value = serde_json::from_str(answer.as_str().context("fetch")?)?;
    if let Some(error) = value.get("error") {
        bail!("the page could not fetch the inbox itself: {error}");
    }
    Ok(serde_json::from_value(value)?)
}

/// Polls `condition` (a function body) in the page until it returns true.
async fn wait_until(browser: &Browser, condition: &str, what: &str) -> anyhow::Result<()> {
    let script = format!("return (() => {{ {condition} }})() === true;");
    let started = Instant::now();
    while browser.run(&script).await? != serde_json::Value::Bool(true) {
        if started.elapsed() > Duration::from_secs(120) {
            let body = browser.run("return document.body.innerText;").await?;
            bail!(
                "{what} after 2 minutes; the page says:\n{}",
                body.as_str().unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Goes to the outbox (the court's: empty) and waits until it is loaded and the inbox
/// gone, so that the worker is idle and the inbox is mounted afresh next time.
async fn to_outbox(browser: &Browser) -> anyhow::Result<()> {
    browser
        .run("location.hash = '#/outbox'; return true;")
        .await?;
    wait_until(
        browser,
        "const section = document.querySelector('section[aria-labelledby=outbox-title]');\
         return !!section && section.dataset.loading === 'false' \
           && !!section.querySelector('[data-testid=empty], [data-testid=outbox-table]') \
           && !document.querySelector('[data-testid=inbox-table]');",
        "the outbox was not shown",
    )
    .await?;
    // Let the page settle (its live events connect).
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// From the outbox to the inbox, until its first `rows` rows are shown.
async fn open_inbox(browser: &Browser, rows: usize) -> anyhow::Result<Timed> {
    let shown = timed(
        browser,
        "location.hash = '#/inbox';",
        &format!(
            "return document.querySelectorAll('{INBOX_ROWS}').length >= {rows} \
             && document.querySelector('section[aria-labelledby=inbox-title]')?.dataset.loading === 'false';"
        ),
    )
    .await?;
    if shown.read != rows {
        bail!(
            "the inbox shows {} rows, {} of them verified and decrypted, out of {rows} \
             (data-preview: {:?})",
            shown.rows,
            shown.read,
            shown.states
        );
    }
    Ok(shown)
}

/// Sets the search box to `words` as typing would (Leptos listens to `input`).
fn search_action(words: &str) -> anyhow::Result<String> {
    Ok(format!(
        "const input = document.querySelector('input[data-testid=mailbox-search]');\
         input.value = {}; input.dispatchEvent(new Event('input', {{ bubbles: true }}));",
        serde_json::to_string(words)?
    ))
}

/// Pages of the inbox as the native client (release build) reads them: fetched and
/// parsed, then verified and decrypted by the same code as the web app's worker.
#[derive(Debug, Clone, Default)]
struct NativePart {
    fetch_ms: f64,
    verify_ms: f64,
    rows: usize,
    read: usize,
}

/// The first page (`first` rows) and, if `next` > 0, every following page of `next`.
async fn native_pages(
    session: &pli_client::Session,
    first: usize,
    next: usize,
) -> anyhow::Result<(NativePart, NativePart)> {
    use pli_client::protocol::{Listed, Mailbox, verify_listing};
    let mut query = pli_api::messages::ExchangeQuery {
        limit: Some(u32::try_from(first)?),
        ..Default::default()
    };
    let (mut head, mut rest) = (NativePart::default(), NativePart::default());
    let mut pages = 0;
    loop {
        let started = Instant::now();
        let page = session.inbox_page(query).await?;
        let fetched = started.elapsed();
        let listed = verify_listing(
            &session.trust,
            page,
            Mailbox::Inbox,
            &session.me.org_id,
            &session.org_keys,
        );
        let verified = started.elapsed().saturating_sub(fetched);
        let part = if pages == 0 { &mut head } else { &mut rest };
        part.fetch_ms += fetched.as_secs_f64() * 1000.0;
        part.verify_ms += verified.as_secs_f64() * 1000.0;
        part.rows += listed.rows.len();
        part.read += listed
            .rows
            .iter()
            .filter(|r| matches!(r.preview, Listed::Read(_)))
            .count();
        pages += 1;
        match listed.next_cursor {
            Some(cursor) if next > 0 => {
                query = pli_api::messages::ExchangeQuery {
                    cursor: Some(cursor),
                    limit: Some(u32::try_from(next)?),
                    ..Default::default()
                };
            }
            _ => return Ok((head, rest)),
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

struct InboxResult {
    fill_small: Duration,
    fill_large: Duration,
    /// The first measurement, each run: the inbox opened, the plain fetch, the native
    /// client.
    opened: Vec<Timed>,
    raw: Vec<RawPages>,
    native: Vec<NativePart>,
    /// The second measurement.
    opened_large: Timed,
    search: Timed,
    search_expected: usize,
    raw_all: Vec<RawPages>,
    native_all: Vec<NativePart>,
    second: Timed,
    second_expected: usize,
    category: Timed,
    category_expected: usize,
    /// The load averages once the fixture was sent, before the measurements.
    load: String,
}

async fn inbox() -> anyhow::Result<InboxResult> {
    let server = relay(Backend::Sqlite).await?;
    let people = cast(&server.base, &server.setup_token).await?;
    println!("sending {INBOX_SMALL} small exchanges to the court with the native client…");
    let fill_small = fill_inbox(&people, 0..INBOX_SMALL).await?;
    println!("  {:.2} s", fill_small.as_secs_f64());
    let load = load_average();
    let greffier = &people.greffier.session;
    let mut native = Vec::new();
    for _ in 0..INBOX_RUNS {
        native.push(native_pages(greffier, FIRST_PAGE, 0).await?.0);
    }
    if native.iter().any(|n| n.read != INBOX_SMALL) {
        bail!("the native client does not read every row: {native:?}");
    }

    let browser = Browser::open(&server.base, "bench-inbox").await?;
    let long = TimeoutConfiguration::new(Some(Duration::from_secs(600)), None, None);
    browser.client.update_timeouts(long).await?;
    browser
        .log_in(
            &people.greffier.email,
            PASSWORD,
            Some(&people.greffier.account_key()),
            None,
        )
        .await?;
    browser.run(WORKER_PROBE_SCRIPT).await?;
    println!("opening the inbox ({INBOX_SMALL} rows) {INBOX_RUNS} times…");
    let mut opened = Vec::new();
    let mut raw = Vec::new();
    for _ in 0..INBOX_RUNS {
        to_outbox(&browser).await?;
        opened.push(open_inbox(&browser, INBOX_SMALL).await?);
        // The worker is idle again: the same page of the API, fetched by the page itself.
        raw.extend(raw_pages(&browser, FIRST_PAGE, 0, 1).await?);
    }

    // Away from the inbox while it fills: its live events would reload it.
    to_outbox(&browser).await?;
    println!(
        "sending {} more with the native client…",
        INBOX_LARGE - INBOX_SMALL
    );
    let fill_large = fill_inbox(&people, INBOX_SMALL..INBOX_LARGE).await?;
    println!("  {:.2} s", fill_large.as_secs_f64());
    let raw_all = raw_pages(&browser, FIRST_PAGE, FULL_PAGE, 3).await?;
    let mut native_all = Vec::new();
    for _ in 0..3 {
        native_all.push(native_pages(greffier, FIRST_PAGE, FULL_PAGE).await?.1);
    }
    println!("searching {INBOX_LARGE} exchanges…");
    let opened_large = open_inbox(&browser, FIRST_PAGE).await?;
    let sender = &people.caseworker.name;

    let search_expected = inbox_matches(INBOX_LARGE, SEARCH_FIRST, sender);
    let search = timed(
        &browser,
        &search_action(SEARCH_FIRST)?,
        &format!(
            "const section = document.querySelector('section[aria-labelledby=inbox-title]');\
             const count = document.querySelector('[data-testid=mailbox-count]');\
             return !!section && section.dataset.loading === 'false' \
               && !document.querySelector('[data-testid=more]') \
               && !!count && count.textContent.includes('{INBOX_LARGE}') \
               && !count.textContent.includes('…') \
               && document.querySelectorAll('{INBOX_ROWS}').length === {search_expected};"
        ),
    )
    .await?;

    let second_expected = inbox_matches(INBOX_LARGE, SEARCH_SECOND, sender);
    let second = timed(
        &browser,
        &search_action(SEARCH_SECOND)?,
        &format!(
            "const rows = [...document.querySelectorAll('{INBOX_ROWS}')];\
             return rows.length === {second_expected} \
               && rows.every((r) => r.textContent.toLowerCase().includes({}));",
            serde_json::to_string(SEARCH_SECOND)?
        ),
    )
    .await?;

    let category_expected = (0..INBOX_LARGE)
        .filter(|&i| inbox_exchange(i).0.as_str() == CATEGORY.0)
        .count();
    let category = timed(
        &browser,
        &format!(
            "{} const select = document.querySelector('select[data-testid=filter-category]');\
             select.value = '{}'; select.dispatchEvent(new Event('change', {{ bubbles: true }}));",
            search_action("")?,
            CATEGORY.0
        ),
        &format!(
            "return document.querySelector('input[data-testid=mailbox-search]').value === '' \
               && document.querySelectorAll('{INBOX_ROWS}').length === {category_expected};"
        ),
    )
    .await?;
    browser.close().await?;
    Ok(InboxResult {
        load,
        fill_small,
        fill_large,
        opened,
        raw,
        native,
        opened_large,
        search,
        search_expected,
        raw_all,
        native_all,
        second,
        second_expected,
        category,
        category_expected,
    })
}

/// Where the time went: how long the page waited for the worker's answers (which includes
/// the worker's own fetch from the relay), when the rows were in the DOM, and when laid
/// out, before the frame that painted them.
fn stages(t: &Timed) -> String {
    let waited = if t.worker_calls == 0 {
        String::new()
    } else {
        format!(
            "waiting for the worker {:.0} ms, {} call{} ({:.0} KiB of JSON back); ",
            t.worker_ms,
            t.worker_calls,
            if t.worker_calls == 1 { "" } else { "s" },
            t.worker_bytes / 1024.0
        )
    };
    format!(
        "{waited}in the DOM at {:.0} ms, laid out at {:.0} ms",
        t.dom_ms, t.layout_ms
    )
}

fn print_inbox(r: &InboxResult) -> anyhow::Result<()> {
    println!(
        "\ninbox (greffier's browser, relay of its own; previews verified and decrypted by the \
         worker; load average before: {})",
        r.load
    );
    println!(
        "  {:<52} {:>8.2} s  ({:.1} ms each, {SENDS_AT_ONCE} at a time)",
        format!("fixture: {INBOX_SMALL} exchanges sent natively"),
        r.fill_small.as_secs_f64(),
        r.fill_small.as_secs_f64() * 1000.0 / INBOX_SMALL as f64
    );
    println!(
        "  {:<52} {:>8.2} s  ({:.1} ms each)",
        format!("fixture: {} more", INBOX_LARGE - INBOX_SMALL),
        r.fill_large.as_secs_f64(),
        r.fill_large.as_secs_f64() * 1000.0 / (INBOX_LARGE - INBOX_SMALL) as f64
    );
    let painted: Vec<f64> = r.opened.iter().map(|t| t.painted_ms).collect();
    let open = median(&painted);
    // The run of median time, for its stages.
    let typical = r
        .opened
        .iter()
        .min_by(|a, b| {
            (a.painted_ms - open)
                .abs()
                .total_cmp(&(b.painted_ms - open).abs())
        })
        .context("no run")?;
    println!(
        "  {:<52} {:>8.0} ms  target ≤ 300 ms  {}  (median run: {}; runs {})",
        format!("open the inbox, {INBOX_SMALL} rows read (median of {INBOX_RUNS})"),
        open,
        verdict(open <= 300.0),
        stages(typical),
        painted
            .iter()
            .map(|ms| format!("{ms:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let raw_ms: Vec<f64> = r.raw.iter().map(|p| p.first_ms).collect();
    let raw = median(&raw_ms);
    let first = r.raw.first().context("no plain fetch")?;
    println!(
        "  {:<52} {:>8.0} ms  ({} rows, {:.0} KiB); the inbox takes {:.1}× (+{:.0} ms: \
         worker verify + decrypt, page ↔ worker, rendering)",
        "baseline: same page, fetch + JSON of the API's page",
        raw,
        first.first_rows,
        first.first_bytes / 1024.0,
        open / raw,
        open - raw
    );
    let fetch: Vec<f64> = r.native.iter().map(|n| n.fetch_ms).collect();
    let verify: Vec<f64> = r.native.iter().map(|n| n.verify_ms).collect();
    println!(
        "  {:<52} {:>8.1} ms  verify + decrypt (fetch + parse {:.1} ms), for scale",
        "native pli-client, same page, same code as the worker",
        median(&verify),
        median(&fetch)
    );
    println!(
        "  {:<52} {:>8.0} ms  ({})",
        format!("open the inbox, first {FIRST_PAGE} of {INBOX_LARGE} rows"),
        r.opened_large.painted_ms,
        stages(&r.opened_large)
    );
    let loaded = INBOX_LARGE - FIRST_PAGE;
    let s = &r.search;
    println!(
        "  {:<52} {:>8.0} ms  ({:.2} ms per row loaded; {} rows shown; {})",
        format!("search « {SEARCH_FIRST} »: load {loaded} more rows, show matches"),
        s.painted_ms,
        s.painted_ms / loaded as f64,
        s.rows,
        stages(s)
    );
    let rest_ms: Vec<f64> = r.raw_all.iter().map(|p| p.rest_ms).collect();
    let rest = median(&rest_ms);
    let all = r.raw_all.first().context("no plain fetch")?;
    println!(
        "  {:<52} {:>8.0} ms  ({} rows, {:.0} KiB, median of {}); the search takes {:.1}× \
         (+{:.2} ms per row: verify + decrypt, page ↔ worker, filtering, rendering)",
        format!("baseline: fetch + JSON of the same pages of {FULL_PAGE}"),
        rest,
        all.rest_rows,
        all.rest_bytes / 1024.0,
        r.raw_all.len(),
        s.painted_ms / rest,
        (s.painted_ms - rest) / loaded as f64
    );
    let fetch: Vec<f64> = r.native_all.iter().map(|n| n.fetch_ms).collect();
    let verify: Vec<f64> = r.native_all.iter().map(|n| n.verify_ms).collect();
    let rows = r.native_all.first().map_or(0, |n| n.rows);
    println!(
        "  {:<52} {:>8.1} ms  verify + decrypt, {:.3} ms per row (fetch + parse {:.1} ms), for scale",
        format!("native pli-client, the same {rows} rows"),
        median(&verify),
        median(&verify) / rows.max(1) as f64,
        median(&fetch)
    );
    for (label, t, expected) in [
        (
            format!("search « {SEARCH_SECOND} » in the {INBOX_LARGE} rows loaded"),
            &r.second,
            r.second_expected,
        ),
        (
            format!(
                "category « {} » in the {INBOX_LARGE} rows loaded",
                CATEGORY.1
            ),
            &r.category,
            r.category_expected,
        ),
    ] {
        println!(
            "  {:<52} {:>8.0} ms  target ≤ 100 ms  {}  ({} rows shown; {})",
            label,
            t.painted_ms,
            verdict(t.painted_ms <= 100.0),
            expected,
            stages(t)
        );
    }
    if r.search.rows != r.search_expected || r.search.read != r.search_expected {
        bail!(
            "the search showed {} rows ({} read), {} expected",
            r.search.rows,
            r.search.read,
            r.search_expected
        );
    }
    Ok(())
}

/// Which sections run (`PLI_BENCH_WEB_ONLY`).
#[derive(Debug, Clone, Copy)]
struct Sections {
    send: bool,
    receive: bool,
    inbox: bool,
}

fn sections() -> anyhow::Result<Sections> {
    let only = std::env::var("PLI_BENCH_WEB_ONLY").unwrap_or_default();
    if only.trim().is_empty() {
        return Ok(Sections {
            send: true,
            receive: true,
            inbox: true,
        });
    }
    let mut sections = Sections {
        send: false,
        receive: false,
        inbox: false,
    };
    for name in only.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "send" => sections.send = true,
            "receive" => sections.receive = true,
            "inbox" => sections.inbox = true,
            other => bail!("PLI_BENCH_WEB_ONLY: no section {other:?} (send, receive, inbox)"),
        }
    }
    Ok(sections)
}

/// Sections 1 and 2, on one relay.
async fn transfers(sections: Sections) -> anyhow::Result<(Option<SendResult>, Vec<ReceiveResult>)> {
    let send_size = size_from_env("PLI_BENCH_SEND_MIB", 1024)?;
    let receive_size = size_from_env("PLI_BENCH_RECEIVE_MIB", 2048)?;
    let dir: PathBuf = pli_e2e::root().join("target/bench/web");
    std::fs::create_dir_all(&dir)?;
    // Chromium takes only canonical paths for file inputs.
    let dir = dir.canonicalize()?;
    let send_path = dir.join("envoi.bin");
    let receive_path = dir.join("recu.bin");
    let sent_sha256 = if sections.send {
        println!(
            "preparing {} MiB in {}",
            send_size >> 20,
            send_path.display()
        );
        bench_file(&send_path, send_size, 11)?
    } else {
        [0; 32]
    };
    let expected = if sections.receive {
        println!(
            "preparing {} MiB in {}",
            receive_size >> 20,
            receive_path.display()
        );
        bench_file(&receive_path, receive_size, 12)?
    } else {
        [0; 32]
    };

    let server = relay(Backend::Sqlite).await?;
    let people = cast(&server.base, &server.setup_token).await?;

    let sent = if sections.send {
        println!("sending {} MiB from the web app…", send_size >> 20);
        let file = (send_path.as_path(), send_size, sent_sha256);
        let mut sent = send(&server.base, &people.caseworker, file).await?;
        println!("decrypting it with the native client…");
        let greffier = &people.greffier.session;
        sent.checked = Some(decrypt_natively(greffier, &sent.times.exchange()?).await);
        println!("sending it again, its upload left out…");
        sent.without_upload = Some(Box::pin(send_without_upload(&send_path)).await?);
        Some(sent)
    } else {
        None
    };
    if !sections.receive {
        return Ok((sent, Vec::new()));
    }

    println!(
        "sending {} MiB with the native client, then saving it in the web app…",
        receive_size >> 20
    );
    let file = pli_client::FileInput {
        name: "recu.bin".into(),
        media_type: "application/octet-stream".into(),
        size: receive_size,
        reader: Box::new(futures_util::io::AllowStdIo::new(std::fs::File::open(
            &receive_path,
        )?)),
    };
    let options = pli_client::SendOptions {
        category: pli_crypto::manifest::Category::Rapport,
        subject: "Banc d'essai (réception)".into(),
        message: String::new(),
        case_reference: String::new(),
        urgent: false,
        copy_to_sender: false,
        in_reply_to: None,
    };
    let exchange = people
        .caseworker
        .session
        .send(&people.court, vec![file], &options)
        .await?;
    let mut received = Vec::new();
    for way in [Way::Picker, Way::Downloads] {
        println!("saving it: {}…", way.describe());
        let exchange = exchange.to_string();
        let file = (receive_size, expected);
        received.push(receive(way, &server.base, &people.greffier, &exchange, file).await?);
    }
    Ok((sent, received))
}

fn print_send(sent: &SendResult) {
    let t = &sent.times;
    let encrypt_rate = mib(sent.size) / (t.encrypt_ms / 1000.0);
    let upload_rate = mib(sent.size) / (t.upload_ms / 1000.0);
    let webcrypto_rate = mib(sent.size) / (sent.webcrypto_ms / 1000.0);
    let ratio = t.total_ms / t.encrypt_ms.max(t.upload_ms);
    println!(
        "\nsend {:.0} MiB (one file, send page, Web Worker; load average before: {})",
        mib(sent.size),
        sent.load
    );
    println!(
        "  {:<52} {:>8.2} s",
        "total (click → delivered)",
        t.total_ms / 1000.0
    );
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s  ({} runs of 4 MiB sealed by the pool's helpers, \
         {} hash jobs done by one of them)",
        "read + hash + encrypt (a run being sealed)",
        t.encrypt_ms / 1000.0,
        encrypt_rate,
        t.pooled,
        t.hashed,
    );
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s",
        "upload (a part on its way)",
        t.upload_ms / 1000.0,
        upload_rate
    );
    println!(
        "  {:<52} {:>8.3}    target ≤ 1.15  {}",
        "total / max(encrypt, upload)",
        ratio,
        verdict(ratio <= 1.15)
    );
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s",
        "WebCrypto AES-GCM, 64 KiB calls, same file, same page",
        sent.webcrypto_ms / 1000.0,
        webcrypto_rate,
    );
    let (at_rest, peak) = sent.renderers;
    println!(
        "  {:<52} {:>8.1} MiB at rest, {:.1} MiB peak: +{:.1} MiB  (no target: the save's is ≤ +64 MiB)",
        "page memory while sending: RSS of the renderers",
        mib(at_rest),
        mib(peak),
        mib(peak.saturating_sub(at_rest))
    );
    let end_to_end = mib(sent.size) / (t.total_ms / 1000.0);
    println!(
        "  {:<52} {:>8.0} MiB/s  target ≥ 150  {}",
        "send, end to end (2 cores: browser and relay)",
        end_to_end,
        verdict(end_to_end >= 150.0)
    );
    let worker_ratio = encrypt_rate / webcrypto_rate;
    println!(
        "  {:<52} {:>8.2}×    target ≥ 0.5  {}  (the workers also read and hash; \
         WebCrypto only encrypts)",
        "encrypting rate / WebCrypto AES-GCM",
        worker_ratio,
        verdict(worker_ratio >= 0.5)
    );
    sent.cpu
        .print("CPU time, click → delivered", mib(sent.size) / 1024.0);
    if let Some(checked) = &sent.checked {
        print_decrypted(checked, sent);
    }
    let Some(again) = &sent.without_upload else {
        return;
    };
    println!(
        "\nsend {:.0} MiB again, its upload left out (its completion held until the page \
         was reloaded, then resumed: every part already on the relay; load average before \
         the resume: {})",
        mib(sent.size),
        again.load
    );
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s  ({} parts, through a proxy: for information)",
        "first sent until every part had arrived",
        again.uploaded,
        mib(sent.size) / again.uploaded,
        again.parts,
    );
    let r = &again.resumed;
    let without = mib(sent.size) / (r.total_ms / 1000.0);
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s  ({} parts uploaded, the relay idle: \
         the send's target is ≥ 150 MiB/s)",
        "resumed, nothing uploaded (click → delivered)",
        r.total_ms / 1000.0,
        without,
        again.parts_resent,
    );
    println!(
        "  {:<52} {:>8.2}×   (what uploading and the relay's work add)",
        "the send's time / the same without upload",
        t.total_ms / r.total_ms,
    );
    again
        .cpu
        .print("CPU time, click → resumed", mib(sent.size) / 1024.0);
    print_decrypted(&again.checked, sent);
}

/// Prints how the recipient's native client decrypted a web-sent file.
fn print_decrypted(checked: &Checked, sent: &SendResult) {
    let label = "decrypted by the court's native client (pli-client)";
    let checked = match checked {
        Ok(checked) => checked,
        Err(e) => {
            println!("  {label:<52} FAILED: {e}");
            return;
        }
    };
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s  SHA-256 {}",
        label,
        checked.seconds,
        mib(checked.len) / checked.seconds,
        if checked.is(sent) {
            "identical"
        } else {
            "DIFFERENT"
        }
    );
}

fn print_receive(r: &ReceiveResult) {
    let growth = r.renderers_peak.saturating_sub(r.renderers_base);
    println!(
        "\nreceive {:.0} MiB (exchange page, {}; load average before: {})",
        mib(r.size),
        r.way.describe(),
        r.load
    );
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s  SHA-256 {}",
        "download + decrypt + verify + save",
        r.seconds,
        mib(r.size) / r.seconds,
        if r.same { "identical" } else { "DIFFERENT" }
    );
    println!(
        "  {:<52} {:>8.1} MiB at rest, {:.1} MiB peak: +{:.1} MiB  target ≤ +64 MiB  {}",
        "page memory: RSS of the renderers (page, workers)",
        mib(r.renderers_base),
        mib(r.renderers_peak),
        mib(growth),
        verdict(growth <= 64 << 20)
    );
    for (hosts, base, peak, after) in &r.each_renderer {
        // What stays once the save is over: the garbage a collection has not freed yet
        // goes meanwhile, memories that do not shrink (WebAssembly's) stay.
        let after = if *after == 0 {
            "gone".to_owned()
        } else {
            format!("{:+.1} MiB", (*after as f64 - *base as f64) / MIB)
        };
        if *base == 0 {
            // Chromium keeps a spare renderer ready, and may start one meanwhile.
            println!(
                "  {:<52} started during the save, {:.1} MiB peak",
                format!("  one renderer ({hosts})"),
                mib(*peak)
            );
            continue;
        }
        println!(
            "  {:<52} {:>8.1} MiB at rest, {:.1} MiB peak: +{:.1} MiB; {} s after: {after}",
            format!("  one renderer ({hosts}), its own peak"),
            mib(*base),
            mib(*peak),
            mib(peak.saturating_sub(*base)),
            AFTER_SAVE.as_secs()
        );
    }
    println!(
        "  {:<52} {:>8.1} MiB at rest, {:.1} MiB peak",
        "browser process (download manager), for reference",
        mib(r.browser_base),
        mib(r.browser_peak)
    );
    println!(
        "  {:<52} {:>8.1} MiB at rest, {:.1} MiB peak",
        "other processes (network service, utilities, GPU, zygotes)",
        mib(r.others_base),
        mib(r.others_peak)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sections = sections()?;
    let (sent, received) = if sections.send || sections.receive {
        Box::pin(transfers(sections)).await?
    } else {
        (None, Vec::new())
    };
    let inboxed = if sections.inbox {
        Some(Box::pin(inbox()).await?)
    } else {
        None
    };

    let chromium = std::process::Command::new("/usr/bin/chromium")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "chromium".into());
    println!("\nweb app in headless {chromium}, optimised bundle, relay on loopback (SQLite)");
    if let Some(sent) = &sent {
        print_send(sent);
    }
    for received in &received {
        print_receive(received);
    }
    if let Some(inboxed) = &inboxed {
        print_inbox(inboxed)?;
    }
    if received.iter().any(|r| !r.same) {
        bail!("the saved file differs from the one sent");
    }
    if let Some(sent) = &sent {
        let same = |checked: Option<&Checked>| {
            checked
                .and_then(|c| c.as_ref().ok())
                .is_some_and(|d| d.is(sent))
        };
        if !same(sent.checked.as_ref()) || !same(sent.without_upload.as_ref().map(|a| &a.checked)) {
            bail!("a file sent from the web app does not decrypt to the one sent");
        }
        if sent
            .without_upload
            .as_ref()
            .is_some_and(|a| a.parts_resent > 0)
        {
            bail!("the resume uploaded parts the relay had: its figure is not without upload");
        }
        // The figures say a helper hashed the file: they are not that build's otherwise.
        if sent.size >= 64 << 20 && sent.times.hashed == 0 {
            bail!("no helper of the worker's pool hashed the file sent");
        }
    }
    Ok(())
}
