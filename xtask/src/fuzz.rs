//! `cargo xtask fuzz [TARGET...] [--runs N | --seconds S] [--sanitizer NAME]`: the fuzz
//! targets of `crates/pli-fuzz` under libFuzzer, through the cargo-fuzz workspace in
//! `fuzz/`, then a table of executions, speed and crashes per target.
//!
//! libFuzzer needs a nightly compiler (sanitizer coverage flags): the `nightly`
//! toolchain is installed with rustup if it is missing, and only this command uses it
//! (`cargo xtask test` stays on the pinned stable toolchain and runs the same target
//! bodies as a stable smoke test). cargo-fuzz is installed from crates.io into
//! `target/tools` ([`deps::cargo_fuzz`]).
//!
//! Everything it writes is under `target/fuzz/`: the build (`build-<sanitizer>/`, with
//! its own flags, apart from the workspace's), the working corpus (`corpus/<target>/`: the CCTV
//! seeds written by `pli-fuzz-seeds --cctv`, then what libFuzzer finds, kept between
//! runs), crashing inputs (`artifacts/<target>/`). The committed `fuzz/seeds/<target>/`
//! and `fuzz/regressions/<target>/` are read, never written.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::Workspace;
use crate::cmd::{Cmd, human};
use crate::deps;

/// What `cargo xtask fuzz` was asked.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    /// The targets to run (all of `fuzz/fuzz_targets/` if none is named).
    targets: Vec<String>,
    /// How long each target runs.
    budget: Budget,
    /// cargo-fuzz's `--sanitizer` (`address`, its default, or `none`).
    sanitizer: String,
}

/// How long each target runs: a number of executions, or seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Runs(u64),
    Seconds(u64),
}

/// Each target's run when none is asked for.
const DEFAULT_SECONDS: u64 = 60;

/// What libFuzzer said about one target.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    runs: Option<u64>,
    execs_per_second: Option<u64>,
    new_units: Option<u64>,
    peak_rss_mb: Option<u64>,
    /// Where libFuzzer wrote the input that crashed, if one did.
    crash: Option<String>,
}

pub(crate) fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    let known = targets(ws)?;
    let options = parse(args, &known)?;
    let toolchain = deps::nightly()?;
    let cargo_fuzz = deps::cargo_fuzz(ws)?;
    let dir = ws.target.join("fuzz");
    // One build folder per sanitizer: switching would rebuild every dependency.
    let build = dir.join(format!("build-{}", options.sanitizer));
    let corpus = dir.join("corpus");

    // The CCTV seeds, into the working corpus (the generated ones are committed).
    Cmd::new("cargo")
        .args([
            "run",
            "--locked",
            "--quiet",
            "-p",
            "pli-fuzz",
            "--bin",
            "pli-fuzz-seeds",
        ])
        .arg("--")
        .arg("--cctv")
        .arg(&corpus)
        .run()
        .context("cannot write the CCTV seeds")?;

    let fuzz = |subcommand: &str| {
        Cmd::new(&cargo_fuzz)
            .env("RUSTUP_TOOLCHAIN", &toolchain)
            .args(["fuzz", subcommand, "--fuzz-dir", "fuzz", "--sanitizer"])
            .arg(&options.sanitizer)
            .arg("--target-dir")
            .arg(&build)
    };
    let started = Instant::now();
    fuzz("build")
        .run()
        .context("cannot build the fuzz targets")?;
    println!("fuzz targets built in {}", human(started.elapsed()));

    let mut rows = Vec::new();
    for target in &options.targets {
        let artifacts = dir.join("artifacts").join(target);
        let own = corpus.join(target);
        for folder in [&artifacts, &own] {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let mut cmd = fuzz("run").arg(target).arg(&own);
        for folder in ["seeds", "regressions"] {
            let committed = ws.root.join("fuzz").join(folder).join(target);
            if committed.is_dir() {
                cmd = cmd.arg(committed);
            }
        }
        let limit = match options.budget {
            Budget::Runs(runs) => format!("-runs={runs}"),
            Budget::Seconds(seconds) => format!("-max_total_time={seconds}"),
        };
        let mut prefix = artifacts.into_os_string();
        prefix.push("/");
        let mut artifact_prefix = std::ffi::OsString::from("-artifact_prefix=");
        artifact_prefix.push(prefix);
        let cmd = cmd.arg("--").arg(limit).arg(artifact_prefix).args([
            "-print_final_stats=1",
            "-timeout=30",
            "-rss_limit_mb=4096",
        ]);
        let started = Instant::now();
        let captured = cmd.run_tee()?;
        let elapsed = started.elapsed();
        let mut stats = parse_stats(&captured.text());
        if !captured.status.success() && stats.crash.is_none() {
            stats.crash = Some(format!("libFuzzer exited with {}", captured.status));
        }
        rows.push((target.clone(), stats, elapsed, count_files(&own)));
    }
    print_table(&rows, &options);
    let crashed: Vec<&str> = rows
        .iter()
        .filter(|(_, stats, ..)| stats.crash.is_some())
        .map(|(target, ..)| target.as_str())
        .collect();
    if !crashed.is_empty() {
        bail!(
            "{} crashed: make each input a regression (fuzz/regressions/<target>/) and fix it",
            crashed.join(", ")
        );
    }
    Ok(())
}

/// The targets of `fuzz/fuzz_targets/`, sorted.
fn targets(ws: &Workspace) -> Result<Vec<String>> {
    let dir = ws.root.join("fuzz/fuzz_targets");
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
    {
        let path = entry.context("cannot list the fuzz targets")?.path();
        if path.extension().is_some_and(|ext| ext == "rs")
            && let Some(stem) = path.file_stem()
        {
            names.push(stem.to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn parse(args: &[String], known: &[String]) -> Result<Options> {
    let mut options = Options {
        targets: Vec::new(),
        budget: Budget::Seconds(DEFAULT_SECONDS),
        sanitizer: "address".to_owned(),
    };
    let mut budget_given = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .with_context(|| format!("`{flag}` needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--runs" | "--seconds" => {
                if budget_given {
                    bail!("give --runs or --seconds, once");
                }
                budget_given = true;
                let text = value(arg)?;
                let number: u64 = text
                    .replace('_', "")
                    .parse()
                    .with_context(|| format!("`{arg} {text}`: not a whole number"))?;
                options.budget = if arg == "--runs" {
                    Budget::Runs(number)
                } else {
                    Budget::Seconds(number)
                };
            }
            "--sanitizer" => options.sanitizer = value(arg)?,
            flag if flag.starts_with('-') => bail!(
                "unknown option `{flag}`; usage: cargo xtask fuzz [TARGET...] [--runs N | \
                 --seconds S] [--sanitizer address|none]"
            ),
            name if known.iter().any(|known| known == name) => {
                options.targets.push(name.to_owned());
            }
            name => bail!(
                "unknown fuzz target `{name}`; the targets: {}",
                known.join(", ")
            ),
        }
    }
    if options.targets.is_empty() {
        options.targets = known.to_vec();
    }
    Ok(options)
}

/// The numbers of libFuzzer's final statistics (`-print_final_stats=1`) and the crash
/// file it names, from its output.
fn parse_stats(text: &str) -> Stats {
    let mut stats = Stats::default();
    for line in text.lines() {
        let line = line.trim();
        let number = |prefix: &str| {
            line.strip_prefix(prefix)
                .and_then(|rest| rest.trim().parse::<u64>().ok())
        };
        if let Some(n) = number("stat::number_of_executed_units:") {
            stats.runs = Some(n);
        } else if let Some(n) = number("stat::average_exec_per_sec:") {
            stats.execs_per_second = Some(n);
        } else if let Some(n) = number("stat::new_units_added:") {
            stats.new_units = Some(n);
        } else if let Some(n) = number("stat::peak_rss_mb:") {
            stats.peak_rss_mb = Some(n);
        } else if let Some((_, path)) = line.split_once("Test unit written to ") {
            stats.crash = Some(path.trim().to_owned());
        }
    }
    stats
}

/// `seconds` as `3h05m`, `12m30s` or `45s`.
fn long(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// How many files a folder holds (0 if it cannot be read).
fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| entries.filter_map(Result::ok).count())
}

fn print_table(rows: &[(String, Stats, Duration, usize)], options: &Options) {
    let show = |value: Option<u64>| value.map_or_else(|| "?".to_owned(), |n| n.to_string());
    println!(
        "\n{:<16} {:>12} {:>8} {:>8} {:>7} {:>5} {:>7}  {:<14} result",
        "target", "executions", "exec/s", "time", "rss MB", "new", "corpus", "10M would take"
    );
    for (target, stats, elapsed, corpus) in rows {
        let ten_million = stats
            .execs_per_second
            .filter(|rate| *rate > 0)
            .map_or_else(|| "?".to_owned(), |rate| long(10_000_000 / rate));
        let result = match &stats.crash {
            Some(crash) => format!("CRASH {crash}"),
            None => "ok, no crash".to_owned(),
        };
        println!(
            "{target:<16} {:>12} {:>8} {:>8} {:>7} {:>5} {corpus:>7}  {ten_million:<14} {result}",
            show(stats.runs),
            show(stats.execs_per_second),
            human(*elapsed),
            show(stats.peak_rss_mb),
            show(stats.new_units),
        );
    }
    let budget = match options.budget {
        Budget::Runs(runs) => format!("{runs} runs per target"),
        Budget::Seconds(seconds) => format!("{seconds} s per target"),
    };
    println!(
        "({budget}, sanitizer {}; corpus: files in target/fuzz/corpus/<target>)",
        options.sanitizer
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        vec!["age_header".to_owned(), "signed".to_owned()]
    }

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn reads_targets_and_a_budget() {
        let options = parse(&args(""), &known()).unwrap();
        assert_eq!(options.targets, known());
        assert_eq!(options.budget, Budget::Seconds(DEFAULT_SECONDS));
        let options = parse(&args("signed --runs 10_000_000"), &known()).unwrap();
        assert_eq!(options.targets, ["signed"]);
        assert_eq!(options.budget, Budget::Runs(10_000_000));
        let options = parse(&args("--seconds 5 --sanitizer none"), &known()).unwrap();
        assert_eq!(options.budget, Budget::Seconds(5));
        assert_eq!(options.sanitizer, "none");
        for bad in [
            "nope",
            "--runs",
            "--runs ten",
            "--runs 1 --seconds 2",
            "--jobs 2",
        ] {
            assert!(parse(&args(bad), &known()).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_long_durations_in_hours() {
        assert_eq!(long(45), "45s");
        assert_eq!(long(750), "12m30s");
        assert_eq!(long(11_100), "3h05m");
    }

    #[test]
    fn reads_libfuzzers_final_statistics_and_crash() {
        let text = "#1048576\tpulse  cov: 1200 ft: 3000 corp: 300/20Kb exec/s: 40000\n\
                    Done 1000000 runs in 25 second(s)\n\
                    stat::number_of_executed_units: 1000000\n\
                    stat::average_exec_per_sec:     40000\n\
                    stat::new_units_added:          12\n\
                    stat::slowest_unit_time_sec:    0\n\
                    stat::peak_rss_mb:              80\n";
        assert_eq!(
            parse_stats(text),
            Stats {
                runs: Some(1_000_000),
                execs_per_second: Some(40_000),
                new_units: Some(12),
                peak_rss_mb: Some(80),
                crash: None,
            }
        );
        let crash = "==1== ERROR: libFuzzer: deadly signal\n\
                     artifact_prefix='target/fuzz/artifacts/signed/'; Test unit written to \
                     target/fuzz/artifacts/signed/crash-0a1b\n";
        assert_eq!(
            parse_stats(crash).crash.as_deref(),
            Some("target/fuzz/artifacts/signed/crash-0a1b")
        );
    }
}
