//! The benchmark's one table: a row per measurement with its target and verdict, then
//! the machine, the load and how long each phase took.

use std::time::Duration;

use crate::cmd::human;
use anyhow::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Miss,
    /// A number shown for context, with no target.
    Info,
    /// The measurement failed (the value says why).
    Failed,
}

#[derive(Debug)]
struct Row {
    label: String,
    value: String,
    target: String,
    verdict: Verdict,
}

#[derive(Debug, Default)]
pub(super) struct Report {
    rows: Vec<Row>,
}

impl Report {
    pub(super) fn row(&mut self, label: String, value: String, target: String, pass: bool) {
        self.rows.push(Row {
            label,
            value,
            target,
            verdict: if pass { Verdict::Pass } else { Verdict::Miss },
        });
    }

    pub(super) fn info(&mut self, label: String, value: String) {
        self.rows.push(Row {
            label,
            value,
            target: "(context)".to_owned(),
            verdict: Verdict::Info,
        });
    }

    /// Records a failed step as a row (and on stderr), so the other measurements go on.
    pub(super) fn fail_if(&mut self, what: &str, outcome: Result<()>) {
        if let Err(error) = outcome {
            eprintln!("{what} failed: {error:#}");
            self.rows.push(Row {
                label: what.to_owned(),
                value: format!("{error:#}"),
                target: String::new(),
                verdict: Verdict::Failed,
            });
        }
    }

    pub(super) fn failed(&self) -> bool {
        self.rows.iter().any(|row| row.verdict == Verdict::Failed)
    }

    pub(super) fn print(&self, built: Duration, total: Duration, timings: &[(&str, Duration)]) {
        let cores = std::thread::available_parallelism().map_or(0, usize::from);
        let load = crate::bench::load_average();
        println!(
            "\nserver benchmark ({cores} cores, load average {load}): pli-server --release on \
             127.0.0.1, one client on the same machine"
        );
        let width = |f: fn(&Row) -> &str, min: usize| {
            self.rows
                .iter()
                .map(|row| f(row).chars().count())
                .max()
                .unwrap_or(0)
                .max(min)
        };
        let label_width = width(|row| &row.label, 11);
        let value_width = width(|row| &row.value, 5).min(90);
        let target_width = width(|row| &row.target, 6);
        println!(
            "{:<label_width$}  {:<value_width$}  {:<target_width$}  verdict",
            "measurement", "value", "target"
        );
        for row in &self.rows {
            let verdict = match row.verdict {
                Verdict::Pass => "PASS",
                Verdict::Miss => "MISS",
                Verdict::Info => "",
                Verdict::Failed => "FAILED",
            };
            println!(
                "{:<label_width$}  {:<value_width$}  {:<target_width$}  {verdict}",
                row.label, row.value, row.target
            );
        }
        let timing: Vec<String> = timings
            .iter()
            .map(|(what, took)| format!("{what} {}", human(*took)))
            .collect();
        println!(
            "took {} (builds {}; {})",
            human(total),
            human(built),
            timing.join(", ")
        );
    }
}
