//! The machine's limit for pli's cipher: OpenSSL's ChaCha20-Poly1305 (`openssl speed`) on
//! 64 KiB buffers, the size of an age STREAM chunk, on one core and on every core, beside
//! pli's own 1 GiB runs of the same run (`cargo xtask bench crypto`). Target: pli at
//! 0.85 of it or better.
//!
//! Not the same work on both sides, and the table says so: OpenSSL seals buffers in
//! memory; pli reads a 1 GiB file (from the page cache), frames it into STREAM chunks,
//! writes the age header and its output (to `/dev/null`). So the ratio is an upper bound
//! of the cipher's share, not a like-for-like race.

use anyhow::{Context as _, Result, bail};

use crate::cmd::Cmd;

use super::{MIB, Row};

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

/// pli's release rows (every core, one core) against OpenSSL on as many.
pub(super) fn print(cores: usize, all: Option<&Row>, one: Option<&Row>) {
    let openssl_all = openssl_speed(Some(cores));
    let openssl_one = openssl_speed(None);
    println!(
        "\nagainst the machine's limit: OpenSSL ChaCha20-Poly1305 on 64 KiB buffers in memory \
         (`openssl speed`), pli on the 1 GiB file above (file read, STREAM framing, header, \
         output to /dev/null: more work than OpenSSL's), MiB/s; target pli ≥ {TARGET} × OpenSSL"
    );
    println!(
        "{:<28}  {:>9}  {:>9}  {:>9}  {:>15}  {:>15}",
        "", "OpenSSL", "pli enc", "pli dec", "encrypt ratio", "decrypt ratio"
    );
    for (label, openssl, row) in [
        (format!("every core ({cores})"), openssl_all, all),
        ("one core (taskset -c 0)".to_owned(), openssl_one, one),
    ] {
        let openssl = match openssl {
            Ok(speed) => speed,
            Err(error) => {
                println!("{label:<28}  FAILED: {error:#}");
                continue;
            }
        };
        let cell = |value: Option<f64>| value.map_or("–".to_owned(), |v| format!("{v:.0}"));
        let ratio = |value: Option<f64>| {
            value.map_or("–".to_owned(), |v| {
                let ratio = v / openssl;
                format!(
                    "{ratio:.2} {}",
                    if ratio >= TARGET { "PASS" } else { "MISS" }
                )
            })
        };
        let (encrypt, decrypt) = row
            .filter(|row| row.error.is_none())
            .map_or((None, None), |row| (row.encrypt, row.decrypt));
        println!(
            "{label:<28}  {openssl:>9.0}  {:>9}  {:>9}  {:>15}  {:>15}",
            cell(encrypt),
            cell(decrypt),
            ratio(encrypt),
            ratio(decrypt)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

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
