//! The sustained load run (`cargo xtask bench load`): `people` members of a court and a
//! Département (half each, real accounts with post-quantum keys, made through
//! invitations and certified by their admins) each run as a task with their own
//! `pli-client` session and real cryptography, for `duration`, against the release relay
//! on PostgreSQL (or SQLite). Each person, between pauses drawn around `think`, does one
//! of: send files of mixed sizes (1 KiB to 200 MiB) to the other organisation; read an
//! exchange of their inbox (open, verify, download and decrypt every file — the client
//! checks each hash against the signed envelope and manifest — then sign the read
//! receipt); list their inbox or outbox; read the directory; log in again.
//!
//! Measured: every failed operation (the run's target is none), the latency of each
//! operation as the person waits for it, the relay's latency per route from its own
//! request log (`elapsed_ms` of each `request` line), the relay's resident memory every
//! two seconds, and the throughput. Files are generated as they are read (no file is held
//! whole in memory), and once `stored_budget` bytes are stored, sends larger than 1 MiB
//! are made small ones (the report says when): the machine's disk bounds the run, not
//! the relay.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use pli_api::{ExchangeId, OrgId};
use pli_client::{Client, ClientError, FileInput, SendOptions, Session};
use pli_crypto::manifest::Category;

use crate::cast::{self, PASSWORD, Person};
use crate::relay::Relay;
use crate::{Database, Rng};

mod report;

pub use report::LoadReport;
use report::{Tally, routes};

/// What a load run does.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The relay binary.
    pub server: PathBuf,
    /// Its database.
    pub database: Database,
    /// Simulated people, half in each organisation.
    pub people: usize,
    /// How long they work.
    pub duration: Duration,
    /// The mean pause between two operations of one person.
    pub think: Duration,
    /// The seed of every random choice.
    pub seed: u64,
    /// A working folder (emptied first): the relay's data, its logs.
    pub dir: PathBuf,
    /// Plaintext bytes sent after which sends larger than 1 MiB become small ones.
    pub stored_budget: u64,
    /// Sizes above this are not drawn (their class becomes the smallest): the relay's
    /// tests run a short load with the debug build.
    pub max_file: u64,
}

/// File sizes: weight (per thousand sends), smallest, largest.
const SIZES: [(u64, u64, u64); 4] = [
    (700, 1 << 10, 100 << 10),
    (250, 100 << 10, 1 << 20),
    (45, 1 << 20, 20 << 20),
    (5, 20 << 20, 200 << 20),
];

/// What a person does next: weights out of 100.
const SEND: u64 = 35;
const READ: u64 = 35;
const LIST: u64 = 20;
const DIRECTORY: u64 = 5;

/// What the people share.
#[derive(Debug, Default)]
struct Shared {
    tally: Mutex<Tally>,
    bytes_sent: AtomicU64,
    bytes_read: AtomicU64,
    /// Milliseconds into the run when large sends were first made small (0: never).
    budget_reached_ms: AtomicU64,
    /// Exchanges each organisation's people may read: those sent to it.
    sent_to: Mutex<BTreeMap<OrgId, BTreeSet<ExchangeId>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Records an operation's time, or its failure with every cause the error carries
    /// (reqwest's "error sending request" alone does not say whether the connection was
    /// refused, reset or closed before the answer).
    fn record(&self, what: &'static str, began: Instant, outcome: Result<(), ClientError>) {
        let micros = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut tally = lock(&self.tally);
        match outcome {
            Ok(()) => tally.latencies.entry(what).or_default().push(micros),
            Err(error) => tally.failures.push((what, causes(&error))),
        }
    }
}

/// `error` and each of its causes, one after the other, leaving out a cause its effect
/// already says (`ClientError::Http` displays reqwest's error, which is its source too).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// A file's content, made as it is read: no file is held whole in memory.
struct Generated {
    rng: Rng,
    left: u64,
}

impl futures_util::io::AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let n = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        for chunk in buf.get_mut(..n).unwrap_or_default().chunks_mut(8) {
            let word = self.rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(word.get(..chunk.len()).unwrap_or_default());
        }
        self.left -= n as u64;
        Poll::Ready(Ok(n))
    }
}

/// One simulated person.
struct Worker {
    person: Person,
    client: Client,
    org: OrgId,
    other: OrgId,
    rng: Rng,
    read: BTreeSet<ExchangeId>,
}

/// Runs the load and reports.
pub async fn run(options: LoadOptions) -> Result<LoadReport> {
    let started = Instant::now();
    let (mut relay, around) = crate::start_relay(
        &options.server,
        options.database,
        &options.dir,
        options.seed,
        None,
    )
    .await?;
    let log = relay.log_path();
    let outcome = Box::pin(drive(&options, &relay, started)).await;
    relay.kill()?;
    drop(around);
    let (mut report, work_began_at) = outcome?;
    // The request log of the work only, not of the set-up.
    let log = std::fs::read(&log).unwrap_or_default();
    let work = log
        .get(usize::try_from(work_began_at).unwrap_or(usize::MAX)..)
        .unwrap_or_default();
    report.routes = routes(&String::from_utf8_lossy(work));
    Ok(report)
}

/// The set-up and the work; the report, and the length of the relay's log when the
/// work began.
#[allow(
    clippy::print_stderr,
    reason = "progress of a long run, beside its tables"
)]
async fn drive(
    options: &LoadOptions,
    relay: &Relay,
    started: Instant,
) -> Result<(LoadReport, u64)> {
    let base = relay.base();
    let client = Client::new(&base);
    let people = cast::cast(&base, &relay.setup_token()?)
        .await
        .context("cannot set up the platform")?;
    let mut rng = Rng::new(options.seed);
    let mut workers = Vec::new();
    let (court, dept) = (people.court, people.dept);
    for (person, org, other) in [
        (people.greffier, court, dept),
        (people.caseworker, dept, court),
    ] {
        workers.push(worker(&client, person, org, other, &mut rng));
    }
    for number in 2..options.people {
        let (admin, org, other, domain) = if number % 2 == 0 {
            (&people.court_admin, court, dept, "tj-meaux.test")
        } else {
            (&people.dept_admin, dept, court, "d77.test")
        };
        let who = (
            format!("membre{number}@{domain}"),
            format!("Membre {number}"),
        );
        let person = cast::join(
            &client,
            admin,
            &org,
            (&who.0, &who.1, pli_api::Role::Member),
        )
        .await
        .with_context(|| format!("cannot make person {number}"))?;
        workers.push(worker(&client, person, org, other, &mut rng));
    }
    let set_up = started.elapsed();
    eprintln!(
        "{} people ready in {:.0} s; working for {:.0} s",
        workers.len(),
        set_up.as_secs_f64(),
        options.duration.as_secs_f64()
    );

    let shared = Arc::new(Shared::default());
    let log_length = std::fs::metadata(relay.log_path()).map_or(0, |m| m.len());
    let began = Instant::now();
    let deadline = began + options.duration;
    let sampler = tokio::spawn(sample_rss(relay.pid(), began, deadline));
    // The people on as many threads as the machine has cores, as separate programs
    // would be spread (a client's encryption runs on its task's thread).
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let mut groups: Vec<Vec<Worker>> = (0..threads).map(|_| Vec::new()).collect();
    for (number, worker) in workers.into_iter().enumerate() {
        if let Some(group) = groups.get_mut(number % threads) {
            group.push(worker);
        }
    }
    let mut handles = Vec::new();
    for (number, group) in groups.into_iter().enumerate() {
        let (shared, options) = (shared.clone(), options.clone());
        handles.push(crate::on_thread(
            &format!("people-{number}"),
            move || async move {
                let local = tokio::task::LocalSet::new();
                local
                    .run_until(async move {
                        let tasks: Vec<_> = group
                            .into_iter()
                            .map(|worker| {
                                let (shared, options) = (shared.clone(), options.clone());
                                tokio::task::spawn_local(work(
                                    worker, shared, options, began, deadline,
                                ))
                            })
                            .collect();
                        for task in tasks {
                            if task.await.is_err() {
                                lock(&shared.tally)
                                    .failures
                                    .push(("a person", "their task panicked".into()));
                            }
                        }
                    })
                    .await;
            },
        )?);
    }
    for handle in handles {
        tokio::task::spawn_blocking(move || handle.join())
            .await
            .context("cannot wait for the people")?
            .map_err(|_| anyhow::anyhow!("a thread of people panicked"))?;
    }
    let elapsed = began.elapsed();
    let rss = sampler.await.unwrap_or_default();
    let tally = std::mem::take(&mut *lock(&shared.tally));
    Ok((
        LoadReport {
            database: options.database.name(),
            people: options.people,
            elapsed,
            set_up,
            tally,
            bytes_sent: shared.bytes_sent.load(Ordering::Relaxed),
            bytes_read: shared.bytes_read.load(Ordering::Relaxed),
            budget_reached_ms: shared.budget_reached_ms.load(Ordering::Relaxed),
            rss,
            routes: BTreeMap::new(),
        },
        log_length,
    ))
}

fn worker(client: &Client, person: Person, org: OrgId, other: OrgId, rng: &mut Rng) -> Worker {
    Worker {
        person,
        client: client.clone(),
        org,
        other,
        rng: rng.fork(),
        read: BTreeSet::new(),
    }
}

/// One person's day: an operation, a pause, until the deadline.
async fn work(
    mut worker: Worker,
    shared: Arc<Shared>,
    options: LoadOptions,
    began: Instant,
    deadline: Instant,
) {
    // Not everyone starts at the same instant.
    tokio::time::sleep(pause(&mut worker.rng, options.think)).await;
    while Instant::now() < deadline {
        let roll = worker.rng.below(100);
        if roll < SEND {
            send(&mut worker, &shared, &options, began).await;
        } else if roll < SEND + READ {
            read(&mut worker, &shared).await;
        } else if roll < SEND + READ + LIST {
            let t = Instant::now();
            let outcome = if worker.rng.below(2) == 0 {
                worker.person.session.inbox().await
            } else {
                worker.person.session.outbox().await
            };
            shared.record("list inbox or outbox", t, outcome.map(drop));
        } else if roll < SEND + READ + LIST + DIRECTORY {
            let t = Instant::now();
            let outcome = worker.person.session.verified_directory().await;
            shared.record("directory (verified)", t, outcome.map(drop));
        } else {
            log_in(&mut worker, &shared).await;
        }
        tokio::time::sleep(pause(&mut worker.rng, options.think)).await;
    }
}

/// A pause drawn uniformly between 0 and twice `think`.
fn pause(rng: &mut Rng, think: Duration) -> Duration {
    let most = u64::try_from(think.as_millis())
        .unwrap_or(u64::MAX)
        .saturating_mul(2);
    Duration::from_millis(rng.below(most.saturating_add(1)))
}

async fn send(worker: &mut Worker, shared: &Shared, options: &LoadOptions, began: Instant) {
    let mut roll = worker.rng.below(1000);
    let mut class = SIZES[0];
    for candidate in SIZES {
        class = candidate;
        if roll < candidate.0 {
            break;
        }
        roll -= candidate.0;
    }
    if class.2 > options.max_file {
        class = SIZES[0];
    }
    let over_budget = shared.bytes_sent.load(Ordering::Relaxed) > options.stored_budget;
    if over_budget && class.1 >= 1 << 20 {
        let ms = u64::try_from(began.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let _ =
            shared
                .budget_reached_ms
                .compare_exchange(0, ms, Ordering::Relaxed, Ordering::Relaxed);
        class = SIZES[0];
    }
    let size = class.1 + worker.rng.below(class.2 - class.1 + 1);
    let file = FileInput {
        name: "rapport.pdf".into(),
        media_type: "application/pdf".into(),
        size,
        reader: Box::new(Generated {
            rng: worker.rng.fork(),
            left: size,
        }),
    };
    let options = SendOptions {
        category: Category::Rapport,
        subject: "Rapport de situation".into(),
        message: String::new(),
        case_reference: "2026/00001".into(),
        urgent: worker.rng.below(10) == 0,
        copy_to_sender: false,
        in_reply_to: None,
    };
    let what = match class.2 {
        max if max <= 100 << 10 => "send ≤ 100 KiB",
        max if max <= 1 << 20 => "send ≤ 1 MiB",
        max if max <= 20 << 20 => "send ≤ 20 MiB",
        _ => "send ≤ 200 MiB",
    };
    let t = Instant::now();
    let outcome = worker
        .person
        .session
        .send(&worker.other, vec![file], &options)
        .await;
    if let Ok(id) = &outcome {
        shared.bytes_sent.fetch_add(size, Ordering::Relaxed);
        lock(&shared.sent_to)
            .entry(worker.other)
            .or_default()
            .insert(*id);
    }
    shared.record(what, t, outcome.map(drop));
}

/// Lists the inbox and reads the newest exchange this person has not read: opens it,
/// downloads and decrypts every file (the client verifies each against the envelope and
/// the manifest), signs the read receipt.
async fn read(worker: &mut Worker, shared: &Shared) {
    let t = Instant::now();
    let page = match worker.person.session.inbox().await {
        Ok(page) => page,
        Err(error) => return shared.record("list inbox or outbox", t, Err(error)),
    };
    shared.record("list inbox or outbox", t, Ok(()));
    // One a person of this run sent (its sender's task may not have recorded an exchange
    // that just completed: it is read later), and this person has not read yet.
    let id = {
        let sent_to = lock(&shared.sent_to);
        let sent = sent_to.get(&worker.org);
        page.exchanges
            .iter()
            .map(|e| e.exchange_id)
            .find(|id| !worker.read.contains(id) && sent.is_some_and(|s| s.contains(id)))
    };
    let Some(id) = id else {
        lock(&shared.tally).nothing_to_read += 1;
        return;
    };
    worker.read.insert(id);
    let t = Instant::now();
    let received = match worker.person.session.open(&id).await {
        Ok(received) => received,
        Err(error) => return shared.record("open (verify envelope)", t, Err(error)),
    };
    shared.record("open (verify envelope)", t, Ok(()));
    let t = Instant::now();
    let mut outcome = Ok(());
    for index in 0..received.manifest.files.len() {
        let mut sink = futures_util::io::sink();
        if let Err(error) = worker
            .person
            .session
            .download_file(&received, index, &mut sink)
            .await
        {
            outcome = Err(error);
            break;
        }
    }
    if outcome.is_ok() {
        let size: u64 = received.manifest.files.iter().map(|f| f.size).sum();
        shared.bytes_read.fetch_add(size, Ordering::Relaxed);
    }
    shared.record("download and decrypt", t, outcome);
    let t = Instant::now();
    let outcome = worker.person.session.acknowledge(&received).await;
    shared.record("read receipt", t, outcome);
}

async fn log_in(worker: &mut Worker, shared: &Shared) {
    let t = Instant::now();
    let outcome = Session::login(
        &worker.client,
        &worker.person.email,
        PASSWORD,
        worker.person.session.account_key(),
        None,
        None,
    )
    .await;
    match outcome {
        Ok(session) => {
            let old = std::mem::replace(&mut worker.person.session, session);
            let _ = old.logout().await;
            shared.record("log in", t, Ok(()));
        }
        Err(error) => shared.record("log in", t, Err(error)),
    }
}

/// The relay's VmRSS every two seconds until `deadline`: `(seconds into the run, KiB)`.
async fn sample_rss(pid: Option<u32>, began: Instant, deadline: Instant) -> Vec<(f64, u64)> {
    let mut samples = Vec::new();
    let Some(pid) = pid else { return samples };
    while Instant::now() < deadline {
        if let Some(kib) = rss_kib(pid) {
            samples.push((began.elapsed().as_secs_f64(), kib));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    samples
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// Where `run` keeps its files.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join("pli-load")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn generated_files_have_their_size() {
        use futures_util::io::AsyncReadExt as _;
        let mut file = Generated {
            rng: Rng::new(1),
            left: 100_003,
        };
        let mut out = Vec::new();
        file.read_to_end(&mut out).await.unwrap();
        assert_eq!(out.len(), 100_003);
        assert!(out.iter().any(|b| *b != 0));
    }
}
