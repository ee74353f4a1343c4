//! The machine's limit for pli's cipher: OpenSSL's ChaCha20-Poly1305 (`openssl speed`) on
//! 64 KiB buffers, the size of an age STREAM chunk, on one core and on every core, beside
//! pli's own 1 GiB runs of the same run (`cargo xtask bench crypto`). Target: pli at
//! 0.85 of it or better.
//!
//! Not the same work on both sides, and the table says so: OpenSSL seals buffers in
//! memory; pli reads a 1 GiB file (from the page cache), frames it into STREAM chunks,
//! writes the age header and its output (to `/dev/null`). So the ratio is an upper bound
//! of the cipher's share, not a like-for-like race.
//!
//! Hence a second baseline, the same work as pli's: the file read alone is measured too
//! (`dd` from the page cache to `/dev/null` on one core, the best of three block sizes:
//! the kernel's copy into a buffer, which pli's reading thread pays as well and `openssl
//! speed` does not), and the *same-work ceiling* adds the two costs, as a tool that did
//! nothing but read the file and run OpenSSL's cipher over it would: on one core
//! `1 / (1/cipher + 1/read)`; on `n` cores `1 / (1/cipher_n + 1/(n × read))`, as if the
//! read too were spread over every core, which pli's one reading thread is not (a
//! ceiling higher than pli's design can reach). Its ratios are printed for information:
//! the target is against OpenSSL. The README shows a profile of pli on one core
//! (`perf record`) that finds the same split: the cipher, the kernel's copy, the zeroing
//! of the output, little else.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::cmd::Cmd;

use super::{FILE_SIZE, MIB, Row};

/// What pli reaches beside OpenSSL, as a share of it (the target).
const TARGET: f64 = 0.85;

/// OpenSSL's ChaCha20-Poly1305 throughput in MiB/s on 64 KiB buffers: on one process,
/// or with `-multi cores` (its processes' sum).
pub(super) fn openssl_speed(cores: Option<usize>) -> Result<f64> {
    let mut cmd = Cmd::new("openssl").args([
        "speed",
        "-evp",
        "chacha20-poly1305",
        "-bytes",
        "65536",
        "-seconds",
        "3",
    ]);
    if let Some(cores) = cores {
        cmd = cmd.arg("-multi").arg(cores.to_string());
    }
    let captured = cmd.run_tee()?;
    if !captured.status.success() {
        bail!("openssl speed failed: {}", captured.status);
    }
    parse(&captured.text())
}

/// The last `ChaCha20-Poly1305 <thousands of bytes per second>k` line, in MiB/s.
fn parse(text: &str) -> Result<f64> {
    let thousands: f64 = text
        .lines()
        .filter(|line| line.to_ascii_lowercase().starts_with("chacha20-poly1305"))
        .filter_map(|line| line.split_whitespace().next_back())
        .filter_map(|value| value.strip_suffix('k'))
        .filter_map(|value| value.parse().ok())
        .next_back()
        .context("no ChaCha20-Poly1305 figure in openssl speed's output")?;
    Ok(thousands * 1000.0 / MIB)
}

/// The block sizes the read is timed with: a chunk's 64 KiB ×2, 1 MiB, pli's 4 MiB.
const READ_BLOCKS: [&str; 3] = ["128K", "1M", "4M"];
/// Runs per block size.
const READ_RUNS: usize = 3;

/// Reading `file` (the benchmark's 1 GiB input, in the page cache after pli's runs) to
/// `/dev/null` on the first core, in MiB/s: the best of [`READ_RUNS`] runs for each of
/// [`READ_BLOCKS`], from the time `dd` reports (its own start-up left out).
fn read_speed(file: &Path) -> Result<f64> {
    let sh = Shell::new()?;
    let mut best: f64 = 0.0;
    for bs in READ_BLOCKS {
        for _ in 0..READ_RUNS {
            let said = cmd!(sh, "taskset -c 0 dd if={file} of=/dev/null bs={bs}")
                .env("LC_ALL", "C")
                .quiet()
                .ignore_stdout()
                .read_stderr()
                .context("dd failed")?;
            let seconds = dd_seconds(&said).with_context(|| format!("dd said: {said}"))?;
            best = best.max(FILE_SIZE as f64 / MIB / seconds.max(1e-9));
        }
    }
    println!("\nthe file read alone, one core: {best:.0} MiB/s (best of dd bs={READ_BLOCKS:?})");
    Ok(best)
}

/// The seconds of `dd`'s last line: `… bytes (…) copied, 0.151 s, 7.1 GB/s`.
fn dd_seconds(said: &str) -> Option<f64> {
    let (_, after) = said.rsplit_once("copied, ")?;
    after.split_whitespace().next()?.parse().ok()
}

/// The same-work ceiling (see the module's comment): OpenSSL's cipher at `cipher` MiB/s
/// on `cores` cores, and the file read at `read` MiB/s on one, their costs added.
fn ceiling(cipher: f64, read: f64, cores: usize) -> f64 {
    1.0 / (1.0 / cipher + 1.0 / (read * cores as f64))
}

/// `value / baseline` with PASS or MISS against [`TARGET`].
fn verdict(value: Option<f64>, baseline: f64) -> String {
    value.map_or("–".to_owned(), |v| {
        let ratio = v / baseline;
        format!(
            "{ratio:.2} {}",
            if ratio >= TARGET { "PASS" } else { "MISS" }
        )
    })
}

/// `value / baseline`, for information (no target).
fn share(value: Option<f64>, baseline: f64) -> String {
    value.map_or("–".to_owned(), |v| format!("{:.2}", v / baseline))
}

/// pli's release rows (every core, one core) against OpenSSL on as many, and against
/// the same-work ceiling (`input`: the file pli encrypted).
pub(super) fn print(cores: usize, all: Option<&Row>, one: Option<&Row>, input: &Path) {
    let openssl_all = openssl_speed(Some(cores));
    let openssl_one = openssl_speed(None);
    let read = read_speed(input);
    println!(
        "\nagainst the machine's limit: OpenSSL ChaCha20-Poly1305 on 64 KiB buffers in memory \
         (`openssl speed`), pli on the 1 GiB file above (file read, STREAM framing, header, \
         output to /dev/null: more work than OpenSSL's), MiB/s; target pli ≥ {TARGET} × OpenSSL"
    );
    println!(
        "{:<28}  {:>9}  {:>9}  {:>9}  {:>15}  {:>15}",
        "", "OpenSSL", "pli enc", "pli dec", "encrypt ratio", "decrypt ratio"
    );
    let rows = [
        (format!("every core ({cores})"), openssl_all, all, cores),
        ("one core (taskset -c 0)".to_owned(), openssl_one, one, 1),
    ];
    let cell = |value: Option<f64>| value.map_or("–".to_owned(), |v| format!("{v:.0}"));
    let speeds = |row: Option<&Row>| {
        row.filter(|row| row.error.is_none())
            .map_or((None, None), |row| (row.encrypt, row.decrypt))
    };
    for (label, openssl, row, _) in &rows {
        let openssl = match openssl {
            Ok(speed) => *speed,
            Err(error) => {
                println!("{label:<28}  FAILED: {error:#}");
                continue;
            }
        };
        let (encrypt, decrypt) = speeds(*row);
        println!(
            "{label:<28}  {openssl:>9.0}  {:>9}  {:>9}  {:>15}  {:>15}",
            cell(encrypt),
            cell(decrypt),
            verdict(encrypt, openssl),
            verdict(decrypt, openssl)
        );
    }

    let read = match read {
        Ok(speed) => speed,
        Err(error) => {
            println!("\nthe file read alone: FAILED: {error:#}");
            return;
        }
    };
    println!(
        "against the same work: the read's cost added to OpenSSL's cipher (ceiling = 1 / \
         (1/cipher + 1/(cores × read))), MiB/s; for information, the target is against \
         OpenSSL (above)"
    );
    println!(
        "{:<28}  {:>9}  {:>9}  {:>9}  {:>15}  {:>15}",
        "", "ceiling", "pli enc", "pli dec", "encrypt ratio", "decrypt ratio"
    );
    for (label, openssl, row, cores) in &rows {
        let Ok(openssl) = openssl else { continue };
        let ceiling = ceiling(*openssl, read, *cores);
        let (encrypt, decrypt) = speeds(*row);
        println!(
            "{label:<28}  {ceiling:>9.0}  {:>9}  {:>9}  {:>15}  {:>15}",
            cell(encrypt),
            cell(decrypt),
            share(encrypt, ceiling),
            share(decrypt, ceiling)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ceiling, dd_seconds, parse};

    #[test]
    fn dd_says_how_long_it_took() {
        let said = "262144+0 records in\n262144+0 records out\n\
                    1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.151 s, 7.1 GB/s\n";
        assert_eq!(dd_seconds(said), Some(0.151));
        assert_eq!(dd_seconds("dd: failed to open"), None);
    }

    #[test]
    fn the_ceiling_adds_the_read_to_the_cipher() {
        // 1 GiB sealed at 1000 MiB/s (1.024 s) and read at 4000 MiB/s (0.256 s): 1.28 s,
        // 800 MiB/s.
        assert!((ceiling(1000.0, 4000.0, 1) - 800.0).abs() < 1e-9);
        // Two cores: the cipher's own figure for both, the read spread over both.
        assert!((ceiling(2000.0, 4000.0, 2) - 1600.0).abs() < 1e-9);
    }

    #[test]
    fn openssl_speed_output_is_read_in_mib_per_second() {
        let text = "The 'numbers' are in 1000s of bytes per second processed.\n\
                    type          65536 bytes\n\
                    ChaCha20-Poly1305  1048576.00k\n";
        assert!((parse(text).unwrap() - 1000.0).abs() < 1e-6);
        // -multi prints its sum as an `evp` line in some versions, by name in others.
        let multi = "Forked child 0\n+F:0:ChaCha20-Poly1305:1:2:3\n\
                     chacha20-poly1305  2097152.00k\n";
        assert!((parse(multi).unwrap() - 2000.0).abs() < 1e-6);
        assert!(parse("nothing here").is_err());
    }
}
