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
//! (`dd bs=4M` from the page cache to `/dev/null` on one core: the kernel's copy into a
//! buffer, which pli's reading thread pays as well and `openssl speed` does not), and the
//! *same-work ceiling* adds the two costs, as a tool that did nothing but read the file
//! and run OpenSSL's cipher over it would: on one core `1 / (1/cipher + 1/read)`; on
//! `n` cores `1 / (1/cipher_n + 1/(n × read))`, the read spread over every core (pli
//! reads on one thread: the ceiling is generous to it). A profile of pli on one core
//! (`perf record`, README) finds the same split: the cipher, the kernel's copy, little else.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::cmd::Cmd;

use super::{FILE_SIZE, MIB, RUNS, Row};

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

/// Reading `file` (the benchmark's 1 GiB input, in the page cache after pli's runs) to
/// `/dev/null` in 4 MiB blocks on the first core, best of [`RUNS`], in MiB/s.
fn read_speed(file: &Path) -> Result<f64> {
    let mut best: f64 = 0.0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let status = Cmd::new("taskset")
            .args(["-c", "0", "dd", "bs=4M", "of=/dev/null", "status=none"])
            .arg(format!("if={}", file.display()))
            .status_quiet()?;
        if !status.success() {
            bail!("dd failed: {status}");
        }
        let speed = FILE_SIZE as f64 / MIB / started.elapsed().as_secs_f64().max(1e-9);
        best = best.max(speed);
    }
    Ok(best)
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
        "\nagainst the same work: the file read alone (dd bs=4M, page cache → /dev/null, one \
         core) at {read:.0} MiB/s, its cost added to OpenSSL's cipher (ceiling = 1 / (1/cipher \
         + 1/(cores × read))), MiB/s; target pli ≥ {TARGET} × ceiling"
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
            verdict(encrypt, ceiling),
            verdict(decrypt, ceiling)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ceiling, parse};

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
