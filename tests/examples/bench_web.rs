//! `cargo xtask bench web` runs this (release build, optimised web bundle): the web app in
//! headless Chromium against a relay on loopback (SQLite), as people use it.
//!
//! 1. Send: a caseworker sends a 1 GiB file from the send page. The page's progress bars
//!    carry the worker's busy times (`data-busy-ms`: reading + encrypting + hashing; a part
//!    on its way to the relay), so one run gives the total send time, the encrypt time and
//!    the upload time; pipelining is good when total / max(encrypt, upload) ≤ 1.15. Then,
//!    in the same page, WebCrypto AES-GCM over the same file (64 KiB calls, the size of an
//!    age chunk), for scale.
//! 2. Receive: a 2 GiB exchange (sent by the native client) is saved by the greffier's
//!    browser through the service-worker stream; the resident memory of the browser's
//!    renderer processes (page, its Web Worker, the service worker) is sampled throughout:
//!    its growth over the page at rest must stay ≤ 64 MiB. The saved file's SHA-256 is
//!    compared with the sent one.
//!
//! `PLI_BENCH_SEND_MIB` and `PLI_BENCH_RECEIVE_MIB` change the sizes (1024 and 2048).

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
use pli_e2e::cast::{COURT, PASSWORD, cast};
use pli_e2e::{Backend, Browser, relay};
use sha2::{Digest as _, Sha256};

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

/// Resident memory (bytes) of the renderer processes of `browser`, and of its browser
/// process.
fn chromium_rss(browser: &Browser) -> anyhow::Result<(u64, u64)> {
    let profile = format!("--user-data-dir={}", browser.profile().display());
    let mut processes = Vec::new();
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
        // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        processes.push((pid, ppid, args));
    }
    // The browser process (and the wrapper script that started it): no `--type=`.
    let browsers: Vec<u32> = processes
        .iter()
        .filter(|(_, _, args)| args.contains(&profile) && !args.contains("--type="))
        .map(|(pid, _, _)| *pid)
        .collect();
    let Some(root) = processes
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
        for (pid, ppid, _) in &processes {
            if family.contains(ppid) && !family.contains(pid) {
                family.push(*pid);
                grew = true;
            }
        }
    }
    let mut renderers = 0;
    let mut browser_process = 0;
    for (pid, _, args) in &processes {
        if !family.contains(pid) {
            continue;
        }
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
        if args.contains("--type=renderer") {
            renderers += rss;
        } else if browsers.contains(pid) {
            browser_process += rss;
        }
    }
    Ok((renderers, browser_process))
}

/// What the send page's script reports.
#[derive(Debug, serde::Deserialize)]
struct SendTimes {
    ok: bool,
    total_ms: f64,
    encrypt_ms: f64,
    upload_ms: f64,
    error: Option<String>,
}

const SEND_SCRIPT: &str = r"
const done = arguments[arguments.length - 1];
const last = {};
const started = performance.now();
const observer = new MutationObserver(() => {
  for (const id of ['progress-encrypt', 'progress-upload']) {
    const bar = document.querySelector(`[data-testid=${id}]`);
    if (bar) { last[id] = Number(bar.dataset.busyMs || 0); }
  }
  const sent = document.querySelector('[data-testid=sent]');
  const failed = document.querySelector('[data-testid=send-failure]');
  if (sent || failed) {
    observer.disconnect();
    done(JSON.stringify({
      ok: !!sent, total_ms: performance.now() - started,
      encrypt_ms: last['progress-encrypt'] || 0, upload_ms: last['progress-upload'] || 0,
      error: failed ? failed.textContent : null,
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
    times: SendTimes,
    webcrypto_ms: f64,
}

async fn send(
    base: &str,
    (caseworker_email, account_key): (&str, &str),
    path: &Path,
    size: u64,
) -> anyhow::Result<SendResult> {
    let browser = Browser::open(base, "bench-send").await?;
    let long = TimeoutConfiguration::new(Some(Duration::from_secs(1800)), None, None);
    browser.client.update_timeouts(long).await?;
    browser
        .log_in(caseworker_email, PASSWORD, Some(account_key), None)
        .await?;
    browser.goto("#/send").await?;
    browser
        .fill_send_form(&[path], COURT, "Rapport", "Banc d'essai")
        .await?;
    let answer = browser.client.execute_async(SEND_SCRIPT, vec![]).await?;
    let times: SendTimes = serde_json::from_str(answer.as_str().context("send script")?)?;
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
        times,
        webcrypto_ms,
    })
}

struct ReceiveResult {
    size: u64,
    seconds: f64,
    renderers_base: u64,
    renderers_peak: u64,
    browser_base: u64,
    browser_peak: u64,
    same: bool,
}

async fn receive(
    server_base: &str,
    (greffier_email, account_key): (&str, &str),
    exchange: &str,
    size: u64,
    expected: [u8; 32],
) -> anyhow::Result<ReceiveResult> {
    let browser = Browser::open(server_base, "bench-receive").await?;
    browser
        .log_in(greffier_email, PASSWORD, Some(account_key), None)
        .await?;
    browser.goto(&format!("#/exchange/{exchange}")).await?;
    browser.find("[data-testid=verified-badge]").await?;
    browser.find("[data-testid=save-file-0]").await?;
    browser
        .run("window.showSaveFilePicker = undefined; return true;")
        .await?;
    // The page at rest, its keys unlocked and the exchange open.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (renderers_base, browser_base) = chromium_rss(&browser)?;
    let (mut renderers_peak, mut browser_peak) = (renderers_base, browser_base);
    let started = Instant::now();
    browser.click("[data-testid=save-file-0]").await?;
    let target = browser.downloads.path().join("recu.bin");
    loop {
        let (renderers, browser_rss) = chromium_rss(&browser)?;
        renderers_peak = renderers_peak.max(renderers);
        browser_peak = browser_peak.max(browser_rss);
        let partial = std::fs::read_dir(browser.downloads.path())?
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
        if target.is_file() && !partial {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("the 2 GiB file was not saved within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let same = sha256_of(&target)? == expected;
    browser.close().await?;
    Ok(ReceiveResult {
        size,
        seconds,
        renderers_base,
        renderers_peak,
        browser_base,
        browser_peak,
        same,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let send_size = size_from_env("PLI_BENCH_SEND_MIB", 1024)?;
    let receive_size = size_from_env("PLI_BENCH_RECEIVE_MIB", 2048)?;
    let dir: PathBuf = pli_e2e::root().join("target/bench/web");
    std::fs::create_dir_all(&dir)?;
    // Chromium takes only canonical paths for file inputs.
    let dir = dir.canonicalize()?;
    let send_path = dir.join("envoi.bin");
    let receive_path = dir.join("recu.bin");
    println!(
        "preparing {} MiB and {} MiB files in {}",
        send_size >> 20,
        receive_size >> 20,
        dir.display()
    );
    bench_file(&send_path, send_size, 11)?;
    let expected = bench_file(&receive_path, receive_size, 12)?;

    let server = relay(Backend::Sqlite).await?;
    let people = cast(&server.base, &server.setup_token).await?;

    println!("sending {} MiB from the web app…", send_size >> 20);
    let sent = send(
        &server.base,
        (&people.caseworker.email, &people.caseworker.account_key()),
        &send_path,
        send_size,
    )
    .await?;

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
    let received = receive(
        &server.base,
        (&people.greffier.email, &people.greffier.account_key()),
        &exchange.to_string(),
        receive_size,
        expected,
    )
    .await?;

    let chromium = std::process::Command::new("/usr/bin/chromium")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "chromium".into());
    let t = &sent.times;
    let encrypt_rate = mib(sent.size) / (t.encrypt_ms / 1000.0);
    let upload_rate = mib(sent.size) / (t.upload_ms / 1000.0);
    let webcrypto_rate = mib(sent.size) / (sent.webcrypto_ms / 1000.0);
    let ratio = t.total_ms / t.encrypt_ms.max(t.upload_ms);
    println!("\nweb app in headless {chromium}, optimised bundle, relay on loopback (SQLite)");
    println!(
        "\nsend {:.0} MiB (one file, send page, Web Worker)",
        mib(sent.size)
    );
    println!(
        "  {:<52} {:>8.2} s",
        "total (click → delivered)",
        t.total_ms / 1000.0
    );
    println!(
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s",
        "read + encrypt + hash in the worker (busy)",
        t.encrypt_ms / 1000.0,
        encrypt_rate
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
        "  {:<52} {:>8.2} s  {:>7.0} MiB/s  (worker = {:.2}× WebCrypto)",
        "WebCrypto AES-GCM, 64 KiB calls, same file, same page",
        sent.webcrypto_ms / 1000.0,
        webcrypto_rate,
        encrypt_rate / webcrypto_rate
    );
    let r = &received;
    let growth = r.renderers_peak.saturating_sub(r.renderers_base);
    println!(
        "\nreceive {:.0} MiB (exchange page, service-worker stream to the downloads)",
        mib(r.size)
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
    println!(
        "  {:<52} {:>8.1} MiB at rest, {:.1} MiB peak",
        "browser process (download manager), for reference",
        mib(r.browser_base),
        mib(r.browser_peak)
    );
    if !r.same {
        bail!("the saved file differs from the one sent");
    }
    Ok(())
}
