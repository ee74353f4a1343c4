//! `pli-chaos`: one chaos run against a relay binary (what `cargo xtask chaos` runs, once
//! per database), its table of counts on stdout; exit status 1, naming the invariant,
//! if one broke.
//!
//! `pli-chaos --server PATH --db sqlite|postgres [--kills N] [--seed S] [--dir DIR]`

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
    let mut server = None;
    let mut database = None;
    let mut kills = 200;
    let mut seed = None;
    let mut dir = std::env::temp_dir().join("pli-chaos");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--server" => server = Some(PathBuf::from(value()?)),
            "--db" => {
                database = Some(match value()?.as_str() {
                    "sqlite" => Database::Sqlite,
                    "postgres" => Database::Postgres,
                    other => bail!("--db sqlite|postgres, not {other}"),
                });
            }
            "--kills" => kills = value()?.parse().context("--kills takes a number")?,
            "--seed" => seed = Some(value()?.parse().context("--seed takes a number")?),
            "--dir" => dir = PathBuf::from(value()?),
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
    let report = pli_chaos::run(Options::new(&server, database, kills, seed, &dir)).await?;
    println!("{report}");
    Ok(report.violation.is_none())
}
