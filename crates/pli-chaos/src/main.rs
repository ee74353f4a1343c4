//! `pli-chaos`: one chaos run against a relay binary (what `cargo xtask chaos` runs, once
//! per database), its table of counts on stdout; exit status 1, naming the invariant,
//! if one broke.
//!
//! `pli-chaos --server PATH --db sqlite|postgres [--kills N] [--seed S] [--dir DIR]
//! [--disk-fills N]`: with `--disk-fills`, the relay's folder is on a tmpfs of its own,
//! filled up N times during the run (mounting needs root; `cargo xtask chaos` asks for
//! two).
//!
//! `pli-chaos load --server PATH --db sqlite|postgres [--people N] [--seconds S]
//! [--think-ms MS] [--budget-gib G] [--seed S] [--dir DIR]`: the sustained load run
//! (`pli_chaos::load`), its tables on stdout; exit status 1 if an operation failed or
//! the relay's memory grew.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line driver: its table on stdout is its interface"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use pli_chaos::{Database, Options};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<bool> {
    if std::env::args().nth(1).as_deref() == Some("load") {
        return load().await;
    }
    let mut server = None;
    let mut database = None;
    let mut kills = 200;
    let mut seed = None;
    let mut dir = std::env::temp_dir().join("pli-chaos");
    let mut disk_fills = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--server" => server = Some(PathBuf::from(value()?)),
            "--db" => database = Some(self::database(&value()?)?),
            "--kills" => kills = value()?.parse().context("--kills takes a number")?,
            "--seed" => seed = Some(value()?.parse().context("--seed takes a number")?),
            "--dir" => dir = PathBuf::from(value()?),
            "--disk-fills" => {
                disk_fills = value()?.parse().context("--disk-fills takes a number")?;
            }
            other => bail!("unknown argument {other}"),
        }
    }
    let server = server.context("--server PATH is required")?;
    let database = database.context("--db sqlite|postgres is required")?;
    let seed = seed.unwrap_or_else(pli_server::now_ms);
    println!(
        "chaos on {}: {kills} kills, seed {seed} (--seed {seed} replays the sizes, contents \
         and delays)",
        database.name()
    );
    let mut options = Options::new(&server, database, kills, seed, &dir);
    if disk_fills > 0 {
        options.disk = Some(64 << 30);
        options.disk_fills = disk_fills;
    }
    let report = pli_chaos::run(options).await?;
    println!("{report}");
    Ok(report.violation.is_none())
}

fn database(name: &str) -> Result<Database> {
    match name {
        "sqlite" => Ok(Database::Sqlite),
        "postgres" => Ok(Database::Postgres),
        other => bail!("--db sqlite|postgres, not {other}"),
    }
}

async fn load() -> Result<bool> {
    let mut options = pli_chaos::load::LoadOptions {
        server: PathBuf::new(),
        database: Database::Postgres,
        people: 200,
        duration: std::time::Duration::from_secs(600),
        think: std::time::Duration::from_millis(1000),
        seed: pli_server::now_ms(),
        dir: pli_chaos::load::default_dir(),
        stored_budget: 8 << 30,
        max_file: 200 << 20,
    };
    let mut args = std::env::args().skip(2);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        let number = |text: String| -> Result<u64> {
            text.parse()
                .with_context(|| format!("{arg} takes a whole number, not {text}"))
        };
        match arg.as_str() {
            "--server" => options.server = PathBuf::from(value()?),
            "--db" => options.database = database(&value()?)?,
            "--people" => {
                options.people = usize::try_from(number(value()?)?)?.max(2);
            }
            "--seconds" => {
                options.duration = std::time::Duration::from_secs(number(value()?)?);
            }
            "--think-ms" => {
                options.think = std::time::Duration::from_millis(number(value()?)?);
            }
            "--budget-gib" => options.stored_budget = number(value()?)? << 30,
            "--seed" => options.seed = number(value()?)?,
            "--dir" => options.dir = PathBuf::from(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    if options.server.as_os_str().is_empty() {
        bail!("--server PATH is required");
    }
    println!(
        "load on {}: {} people, {} s, seed {}",
        options.database.name(),
        options.people,
        options.duration.as_secs(),
        options.seed
    );
    let report = pli_chaos::load::run(options).await?;
    println!("{report}");
    Ok(report.no_failure() && report.memory_flat())
}
