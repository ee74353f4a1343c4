//! `cargo xtask chaos [--kills N] [--db sqlite|postgres|both] [--seed S] [--disk-fills N]`:
//! the relay, built with `--release`, killed with SIGKILL at `N` random moments (200 by
//! default) while concurrent senders and recipients in a court and a Département, each
//! writing to the other, work through `pli-client`, on SQLite
//! and on PostgreSQL (restarted and made read-only under load too), its disk filled up
//! twice (`--disk-fills`; mounting its tmpfs needs root, `--disk-fills 0` runs without),
//! with the invariants checked after every restart and a table of counts per database.
//!
//! The driver is `pli-chaos` (`crates/pli-chaos`, built with `--release` too: its
//! clients do real cryptography), run once per database; its working folder is
//! `target/chaos/<database>` (the relay's data and logs stay there after the run). The
//! relay's tests run the same driver for a few kills
//! (`crates/pli-server/tests/it/chaos.rs`).

use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::Workspace;
use crate::cmd::{Cmd, human};
use crate::deps;

/// What `cargo xtask chaos` was asked.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    kills: u64,
    databases: Vec<&'static str>,
    seed: Option<u64>,
    disk_fills: u64,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        kills: 200,
        databases: vec!["sqlite", "postgres"],
        seed: None,
        disk_fills: 2,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("`{arg}` needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--kills" => {
                let text = value()?;
                options.kills = text
                    .parse()
                    .with_context(|| format!("`--kills {text}`: not a whole number"))?;
            }
            "--seed" => {
                let text = value()?;
                options.seed = Some(
                    text.parse()
                        .with_context(|| format!("`--seed {text}`: not a whole number"))?,
                );
            }
            "--disk-fills" => {
                let text = value()?;
                options.disk_fills = text
                    .parse()
                    .with_context(|| format!("`--disk-fills {text}`: not a whole number"))?;
            }
            "--db" => {
                options.databases = match value()?.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => bail!("`--db {other}`: sqlite, postgres or both"),
                };
            }
            other => {
                bail!(
                    "unknown argument `{other}` (--kills N, --db sqlite|postgres|both, \
                     --seed S, --disk-fills N)"
                )
            }
        }
    }
    Ok(options)
}

/// Builds the release relay and driver; the folder holding them.
fn build(ws: &Workspace) -> Result<std::path::PathBuf> {
    let started = Instant::now();
    Cmd::new("cargo")
        .args(["build", "--release", "-p", "pli-server", "-p", "pli-chaos"])
        .args(["--bin", "pli-server", "--bin", "pli-chaos"])
        .run()
        .context("cannot build the relay and the chaos driver")?;
    println!("built in {}", human(started.elapsed()));
    Ok(ws.target.join("release"))
}

/// `cargo xtask bench load [--db sqlite|postgres] [--people N] [--seconds S]
/// [--think-ms MS] [--budget-gib G] [--seed S]`: the sustained load run of
/// `pli_chaos::load` (200 people for 10 minutes on PostgreSQL by default) against the
/// release relay; its working folder is `target/load` (the relay's data and request log
/// stay there). The options go to the driver as they are.
pub(crate) fn load(ws: &Workspace, args: &[String]) -> Result<()> {
    if !args.windows(2).any(|w| w == ["--db", "sqlite"]) {
        deps::debian_packages(&["postgresql"])?;
    }
    let release = build(ws)?;
    let captured = Cmd::new(release.join("pli-chaos"))
        .arg("load")
        .arg("--server")
        .arg(release.join("pli-server"))
        .arg("--dir")
        .arg(ws.target.join("load"))
        .args(args.iter().map(String::as_str))
        .run_tee()?;
    if !captured.status.success() {
        bail!(
            "the load run failed (the tables above say what; the relay's log is in target/load/relay)"
        );
    }
    Ok(())
}

pub(crate) fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    let options = parse(args)?;
    if options.databases.contains(&"postgres") {
        deps::debian_packages(&["postgresql"])?;
    }
    let started = Instant::now();
    let release = build(ws)?;
    let mut failed = Vec::new();
    for database in &options.databases {
        let mut cmd = Cmd::new(release.join("pli-chaos"))
            .arg("--server")
            .arg(release.join("pli-server"))
            .args(["--db", database, "--kills"])
            .arg(options.kills.to_string())
            .arg("--dir")
            .arg(ws.target.join("chaos").join(database));
        if let Some(seed) = options.seed {
            cmd = cmd.arg("--seed").arg(seed.to_string());
        }
        if options.disk_fills > 0 {
            cmd = cmd.arg("--disk-fills").arg(options.disk_fills.to_string());
        }
        let captured = cmd.run_tee()?;
        if !captured.status.success() {
            failed.push(*database);
        }
    }
    if !failed.is_empty() {
        bail!(
            "the chaos run failed on {} (the table above names the invariant; the relay's \
             data and logs are in target/chaos/<database>/relay)",
            failed.join(" and ")
        );
    }
    println!("chaos: every invariant held ({})", human(started.elapsed()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Options, parse};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_options_default_to_200_kills_on_both_databases() {
        assert_eq!(
            parse(&[]).unwrap(),
            Options {
                kills: 200,
                databases: vec!["sqlite", "postgres"],
                seed: None,
                disk_fills: 2,
            }
        );
        assert_eq!(
            parse(&args(&[
                "--kills",
                "7",
                "--db",
                "postgres",
                "--seed",
                "42",
                "--disk-fills",
                "0"
            ]))
            .unwrap(),
            Options {
                kills: 7,
                databases: vec!["postgres"],
                seed: Some(42),
                disk_fills: 0,
            }
        );
        assert!(parse(&args(&["--db", "mysql"])).is_err());
        assert!(parse(&args(&["--kills"])).is_err());
    }
}
