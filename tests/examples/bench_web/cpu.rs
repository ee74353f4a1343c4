//! Where the cores went while a phase ran: the CPU time of every thread of the browser's
//! processes and of the bench's own process (which runs the relay and the test proxy), as
//! the kernel counts it in `/proc/<pid>/task/<tid>/stat`.
//!
//! A phase samples every thread at its start and then as it runs; a thread that appears
//! meanwhile counts from zero, and one that ends keeps what its last sample saw (up to one
//! sampling interval of its time is lost).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// `/proc`'s clock ticks per second (`USER_HZ`: 100 for user space on Linux, whatever
/// the kernel's own tick).
const TICKS_PER_SECOND: f64 = 100.0;

/// Which process a thread belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Owner {
    /// A renderer: the page, its Web Workers, the service worker.
    Renderer,
    /// Chromium's network service (every request's bytes cross it).
    Network,
    /// The browser process.
    Browser,
    /// Chromium's other processes: GPU, storage, zygotes.
    OtherChromium,
    /// This process: the relay, the proxy and the bench's WebDriver client.
    Bench,
}

impl Owner {
    fn label(self) -> &'static str {
        match self {
            Self::Renderer => "renderers (page, workers)",
            Self::Network => "network service",
            Self::Browser => "browser process",
            Self::OtherChromium => "Chromium's others (GPU, storage…)",
            Self::Bench => "relay (the bench's process)",
        }
    }
}

/// One thread's CPU ticks: when first seen, and at its latest sample.
struct Thread {
    owner: Owner,
    name: String,
    first: u64,
    last: u64,
}

/// The CPU time of a phase, thread by thread.
pub(crate) struct CpuUse {
    threads: HashMap<(u32, u32), Thread>,
    started: Instant,
}

impl CpuUse {
    /// Starts counting with the threads of `processes` as they are now: each counts from
    /// its time so far.
    pub(crate) fn start(processes: &[(u32, Owner)]) -> Self {
        let mut cpu = Self {
            threads: HashMap::new(),
            started: Instant::now(),
        };
        cpu.read(processes, true);
        cpu
    }

    /// Reads every thread of `processes` again: one not seen before counts from zero.
    pub(crate) fn sample(&mut self, processes: &[(u32, Owner)]) {
        self.read(processes, false);
    }

    /// Reads every thread of `processes`, a new one counting from its time so far if
    /// `from_now`, else from zero.
    fn read(&mut self, processes: &[(u32, Owner)], from_now: bool) {
        for &(pid, owner) in processes {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                let Ok(tid) = task.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let Some((name, ticks)) = std::fs::read_to_string(task.path().join("stat"))
                    .ok()
                    .as_deref()
                    .and_then(ticks)
                else {
                    continue;
                };
                let thread = self.threads.entry((pid, tid)).or_insert_with(|| Thread {
                    owner,
                    name,
                    first: if from_now { ticks } else { 0 },
                    last: ticks,
                });
                thread.last = thread.last.max(ticks);
            }
        }
    }

    /// CPU seconds by owner, each with its threads grouped by name (largest first), and
    /// the wall time since the start.
    pub(crate) fn report(&self) -> CpuReport {
        let mut owners: BTreeMap<Owner, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
        for thread in self.threads.values() {
            let used = thread.last.saturating_sub(thread.first);
            if used > 0 {
                owners
                    .entry(thread.owner)
                    .or_default()
                    .entry(thread.name.clone())
                    .or_default()
                    .push(used as f64 / TICKS_PER_SECOND);
            }
        }
        CpuReport {
            wall: self.started.elapsed().as_secs_f64(),
            owners: owners
                .into_iter()
                .map(|(owner, names)| {
                    let mut names: Vec<Named> = names
                        .into_iter()
                        .map(|(name, mut each)| {
                            each.sort_by(|a, b| b.total_cmp(a));
                            Named { name, each }
                        })
                        .collect();
                    names.sort_by(|a, b| b.seconds().total_cmp(&a.seconds()));
                    (owner, names)
                })
                .collect(),
        }
    }
}

/// A thread's name (Chromium's and tokio's threads numbered alike grouped: digits at the
/// end dropped) and its user + system ticks, from its `stat` line.
fn ticks(stat: &str) -> Option<(String, u64)> {
    let (comm, fields) = stat_fields(stat)?;
    // utime and stime: the 14th and 15th fields of the line, the 12th and 13th after comm.
    let user = fields.get(11)?.parse::<u64>().ok()?;
    let system = fields.get(12)?.parse::<u64>().ok()?;
    let name = comm
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '#' || c == ' ' || c == '-')
        .to_owned();
    Some((name, user + system))
}

/// A `/proc` `stat` line's command name and the fields after it (`state`, `ppid`, …):
/// `pid (comm) state ppid …`, where comm may hold spaces and parentheses.
pub(crate) fn stat_fields(stat: &str) -> Option<(&str, Vec<&str>)> {
    let (head, rest) = stat.rsplit_once(')')?;
    let (_, comm) = head.split_once('(')?;
    Some((comm, rest.split_whitespace().collect()))
}

/// The threads of one name in one process kind: each one's CPU seconds, largest first.
pub(crate) struct Named {
    name: String,
    each: Vec<f64>,
}

impl Named {
    fn seconds(&self) -> f64 {
        self.each.iter().sum()
    }

    /// `name 15.8`, or with several threads `name 15.8 (×3: 6.1 + 5.0 + 4.7)`.
    fn show(&self) -> String {
        let total = format!("{} {:.1}", self.name, self.seconds());
        if self.each.len() < 2 {
            return total;
        }
        let each: Vec<String> = self
            .each
            .iter()
            .take(4)
            .map(|s| format!("{s:.1}"))
            .collect();
        let more = if self.each.len() > 4 { " + …" } else { "" };
        format!("{total} (×{}: {}{more})", self.each.len(), each.join(" + "))
    }
}

/// A phase's CPU time.
pub(crate) struct CpuReport {
    /// Seconds of wall time the phase lasted.
    wall: f64,
    /// Each owner's threads, by name, largest first.
    owners: Vec<(Owner, Vec<Named>)>,
}

impl CpuReport {
    fn total(&self) -> f64 {
        self.owners
            .iter()
            .flat_map(|(_, names)| names.iter().map(Named::seconds))
            .sum()
    }

    /// Prints the report under `what`, with each figure per GiB of the `gib` sent.
    pub(crate) fn print(&self, what: &str, gib: f64) {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let total = self.total();
        println!(
            "  {what}: {total:.1} CPU s ({:.1} s per GiB) in {:.1} s on {cores} cores: {:.0} % of them",
            total / gib,
            self.wall,
            100.0 * total / (self.wall * cores as f64)
        );
        for (owner, names) in &self.owners {
            let own: f64 = names.iter().map(Named::seconds).sum();
            let threads = names
                .iter()
                .filter(|n| n.seconds() >= 0.05)
                .take(4)
                .map(Named::show)
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "    {:<40} {:>6.1} s  {:>4.1} s/GiB  ({threads})",
                owner.label(),
                own,
                own / gib
            );
        }
    }
}
