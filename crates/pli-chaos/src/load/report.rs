//! A load run's report: the failed operations, the latencies per operation and per relay
//! route (read from the relay's own request log), the throughput and the relay's memory,
//! printed as tables with PASS/MISS by its `Display`.

use std::collections::BTreeMap;
use std::time::Duration;

/// The counts and timings of a run, shared by the people.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Microseconds per operation name.
    pub(super) latencies: BTreeMap<&'static str, Vec<u64>>,
    /// Failed operations: name and error, in order.
    pub(super) failures: Vec<(&'static str, String)>,
    /// Read operations that found nothing unread.
    pub(super) nothing_to_read: u64,
}

/// The report: printed as tables by its `Display`.
#[derive(Debug)]
pub struct LoadReport {
    pub(super) database: &'static str,
    pub(super) people: usize,
    pub(super) elapsed: Duration,
    pub(super) set_up: Duration,
    pub(super) tally: Tally,
    pub(super) bytes_sent: u64,
    pub(super) bytes_read: u64,
    pub(super) budget_reached_ms: u64,
    /// `(seconds into the run, KiB)`.
    pub(super) rss: Vec<(f64, u64)>,
    /// Per `METHOD route`: status counts and milliseconds.
    pub(super) routes: BTreeMap<String, (u64, u64, Vec<u64>)>,
}

impl LoadReport {
    /// How many operations whose name starts with `what` succeeded.
    pub fn succeeded(&self, what: &str) -> usize {
        self.tally
            .latencies
            .iter()
            .filter(|(name, _)| name.starts_with(what))
            .map(|(_, values)| values.len())
            .sum()
    }

    /// Whether every operation succeeded.
    pub fn no_failure(&self) -> bool {
        self.tally.failures.is_empty()
    }

    /// Whether the relay's memory stayed flat (not judged on a run too short to sample).
    pub fn memory_flat(&self) -> bool {
        self.rss_flat().is_none_or(|(_, _, flat)| flat)
    }

    /// The relay's mean RSS over the run's second fifth and its last fifth, in KiB, and
    /// whether the last is within 25 % of the second (the first fifth warms caches up).
    fn rss_flat(&self) -> Option<(u64, u64, bool)> {
        let end = self.rss.last()?.0;
        let mean = |from: f64, to: f64| -> Option<u64> {
            let window: Vec<u64> = self
                .rss
                .iter()
                .filter(|(t, _)| *t >= from && *t <= to)
                .map(|(_, kib)| *kib)
                .collect();
            (!window.is_empty()).then(|| window.iter().sum::<u64>() / window.len() as u64)
        };
        let early = mean(end * 0.2, end * 0.4)?;
        let late = mean(end * 0.8, end)?;
        Some((
            early,
            late,
            late.saturating_mul(4) <= early.saturating_mul(5),
        ))
    }
}

/// A percentile (`per_mille` thousandths) of sorted values.
fn percentile(sorted: &[u64], per_mille: usize) -> u64 {
    let rank = (sorted.len().saturating_sub(1) * per_mille + 500) / 1000;
    sorted.get(rank).copied().unwrap_or(0)
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.elapsed.as_secs_f64().max(f64::EPSILON);
        writeln!(
            f,
            "load on {}: {} people for {:.0} s (set-up {:.0} s)",
            self.database,
            self.people,
            seconds,
            self.set_up.as_secs_f64()
        )?;
        let operations: usize = self.tally.latencies.values().map(Vec::len).sum();
        writeln!(
            f,
            "\n  failed operations: {} of {} — {}",
            self.tally.failures.len(),
            operations + self.tally.failures.len(),
            if self.tally.failures.is_empty() {
                "PASS (target: 0)"
            } else {
                "MISS (target: 0)"
            }
        )?;
        for (what, error) in self.tally.failures.iter().take(10) {
            writeln!(f, "    {what}: {error}")?;
        }
        writeln!(
            f,
            "\n  as people wait for it     count   ops/s    p50 ms    p99 ms    max ms"
        )?;
        for (what, values) in &self.tally.latencies {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let ms = |v: u64| v as f64 / 1000.0;
            writeln!(
                f,
                "  {what:<24} {:>6} {:>7.1} {:>9.1} {:>9.1} {:>9.1}",
                sorted.len(),
                sorted.len() as f64 / seconds,
                ms(percentile(&sorted, 500)),
                ms(percentile(&sorted, 990)),
                ms(sorted.last().copied().unwrap_or(0)),
            )?;
        }
        writeln!(
            f,
            "  (reads that found nothing unread: {})",
            self.tally.nothing_to_read
        )?;
        writeln!(
            f,
            "\n  at the relay (its request log, the work only)            count  non-2xx  p50 ms  p99 ms  max ms"
        )?;
        for (route, (ok, other, values)) in &self.routes {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            writeln!(
                f,
                "  {route:<56} {:>7} {:>8} {:>7} {:>7} {:>7}",
                ok + other,
                other,
                percentile(&sorted, 500),
                percentile(&sorted, 990),
                sorted.last().copied().unwrap_or(0)
            )?;
        }
        let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
        writeln!(
            f,
            "\n  throughput: {:.1} MiB/s sent ({:.0} MiB), {:.1} MiB/s read and decrypted ({:.0} MiB)",
            mib(self.bytes_sent) / seconds,
            mib(self.bytes_sent),
            mib(self.bytes_read) / seconds,
            mib(self.bytes_read)
        )?;
        if self.budget_reached_ms > 0 {
            writeln!(
                f,
                "  sends over 1 MiB were made small from {:.0} s on (the stored budget was reached)",
                self.budget_reached_ms as f64 / 1000.0
            )?;
        }
        match self.rss_flat() {
            Some((early, late, flat)) => writeln!(
                f,
                "  relay RSS: {:.0} MiB over the run's second fifth, {:.0} MiB over its last, max {:.0} MiB — {} (target: flat, within 25 %)",
                early as f64 / 1024.0,
                late as f64 / 1024.0,
                self.rss.iter().map(|(_, k)| *k).max().unwrap_or(0) as f64 / 1024.0,
                if flat { "PASS" } else { "MISS" }
            ),
            None => writeln!(f, "  relay RSS: not sampled"),
        }
    }
}

/// The relay's request log, per `METHOD route`: 2xx count, other count, milliseconds.
pub(super) fn routes(log: &str) -> BTreeMap<String, (u64, u64, Vec<u64>)> {
    let mut routes: BTreeMap<String, (u64, u64, Vec<u64>)> = BTreeMap::new();
    for line in log.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(fields) = entry.get("fields") else {
            continue;
        };
        let field = |name: &str| fields.get(name);
        if field("message").and_then(|m| m.as_str()) != Some("request") {
            continue;
        }
        let (Some(method), Some(route), Some(status), Some(ms)) = (
            field("method").and_then(|v| v.as_str()),
            field("route").and_then(|v| v.as_str()),
            field("status").and_then(serde_json::Value::as_u64),
            field("elapsed_ms").and_then(serde_json::Value::as_u64),
        ) else {
            continue;
        };
        let row = routes.entry(format!("{method} {route}")).or_default();
        if (200..300).contains(&status) {
            row.0 += 1;
        } else {
            row.1 += 1;
        }
        row.2.push(ms);
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_log_is_read_per_route() {
        let log = concat!(
            r#"{"fields":{"message":"request","method":"GET","route":"/api/exchanges/inbox","status":200,"elapsed_ms":3}}"#,
            "\n",
            r#"{"fields":{"message":"request","method":"GET","route":"/api/exchanges/inbox","status":503,"elapsed_ms":9}}"#,
            "\nnot json\n",
            r#"{"fields":{"message":"something else"}}"#,
        );
        let routes = routes(log);
        assert_eq!(routes.len(), 1);
        assert_eq!(routes["GET /api/exchanges/inbox"], (1, 1, vec![3, 9]));
    }

    #[test]
    fn a_growing_relay_is_not_flat() {
        let report = |rss: Vec<(f64, u64)>| LoadReport {
            database: "SQLite",
            people: 1,
            elapsed: Duration::from_secs(10),
            set_up: Duration::ZERO,
            tally: Tally::default(),
            bytes_sent: 0,
            bytes_read: 0,
            budget_reached_ms: 0,
            rss,
            routes: BTreeMap::new(),
        };
        let flat: Vec<_> = (0..=10u32).map(|t| (f64::from(t), 100_000)).collect();
        assert!(report(flat).memory_flat());
        let growing: Vec<_> = (0..=10u32)
            .map(|t| (f64::from(t), 100_000 + u64::from(t) * 20_000))
            .collect();
        assert!(!report(growing).memory_flat());
    }
}
