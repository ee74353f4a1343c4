//! The chaos driver (`cargo xtask chaos`, and a short smoke of it in the relay's tests):
//! concurrent senders in a court and a Département, each writing to the other, and a
//! recipient in each, with the real client and its cryptography
//! (`pli-client`), against the relay binary run as a process of its own, which is killed
//! with SIGKILL at random moments — some aimed at part writes, completion, read
//! receipts, a key rotation, a maintenance pass purging abandoned uploads — and started
//! again each time. On PostgreSQL, the database is also restarted under load, and made
//! read-only for a few seconds, writes then refused with 503 and Retry-After: the clients
//! wait and go on. Asked for (`disk_fills`), the relay's own disk (a tmpfs of the run's,
//! for its blobs and its SQLite file) is filled up for a few seconds while the clients run.
//!
//! After every restart ([`checks`]): no exchange is visible to its recipient unless
//! complete and verified (each one listed opens, verifies and decrypts to the bytes
//! sent); every part, read receipt and key generation acknowledged with a 2xx is still
//! there; the audit chain of each organisation verifies. Between the kill and the restart,
//! a maintenance pass on the relay's data (its blobs made older than the sweep's grace)
//! leaves no orphan blob and no temporary file, and SQLite's integrity check says ok. At
//! the end every interrupted send has resumed to completion, the recipient's inbox is
//! exactly the delivered exchanges, and once the abandoned uploads are purged the blobs
//! left are exactly the delivered exchanges' recorded parts.
//!
//! Modules: [`cast`] (the people of a test platform, shared with the browser tests),
//! [`relay`] (the relay process), `actors` (the clients), `rounds` (a kill, a purge, a
//! PostgreSQL restart, read-only or disk-full round), `checks` (the invariants),
//! [`report`] (the counts and their table), [`Rng`] (the seeded generator).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

pub mod cast;
pub mod load;
pub mod relay;
pub mod report;

mod actors;
mod checks;
mod rng;
mod rounds;

pub use report::{Counts, Phase, Report};
pub use rng::Rng;

use actors::{Shared, Sizes};
use checks::Checker;
use relay::Relay;
use rounds::{Spread, disk_full_round, kill_round, purge_round, read_only_round, restart_postgres};

/// Which database the relay runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file in the relay's data folder.
    Sqlite,
    /// A throwaway PostgreSQL cluster of the run's own (`pli_testkit::Cluster`), restarted
    /// under load during the run.
    Postgres,
}

impl Database {
    /// As the report names it.
    pub fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }
}

/// What a run does.
#[derive(Debug, Clone)]
pub struct Options {
    /// The relay binary.
    pub server: PathBuf,
    /// Its database.
    pub database: Database,
    /// Kills with SIGKILL.
    pub kills: usize,
    /// The seed of every random choice.
    pub seed: u64,
    /// A working folder (emptied first): the relay's data, its logs.
    pub dir: PathBuf,
    /// Senders running at once.
    pub senders: usize,
    /// The largest small file sent.
    pub max_file: u64,
    /// One send in this many also carries a file of more than one part (0: never).
    pub big_every: u64,
    /// Every this many kills, one is a purge round (0: never).
    pub purge_every: usize,
    /// PostgreSQL restarts, spread over the run (PostgreSQL only).
    pub postgres_restarts: usize,
    /// Rounds where PostgreSQL is made read-only for [`fault_hold`](Self::fault_hold)
    /// while the clients run, spread over the run (PostgreSQL only).
    pub read_only_rounds: usize,
    /// The relay's folder on a tmpfs of at most this many bytes (memory is taken only as
    /// it is written; mounting needs root), so that it can be filled up; `None`: on the
    /// working folder's disk, and no disk-full round.
    pub disk: Option<u64>,
    /// Rounds where that disk is full for [`fault_hold`](Self::fault_hold) while the
    /// clients run, spread over the run.
    pub disk_fills: usize,
    /// How long the database stays read-only, or the disk full, in a round.
    pub fault_hold: Duration,
    /// A line on stderr every this many kills (0: quiet).
    pub progress_every: usize,
}

impl Options {
    /// The defaults of `cargo xtask chaos`, for `kills` kills.
    pub fn new(server: &Path, database: Database, kills: usize, seed: u64, dir: &Path) -> Self {
        Self {
            server: server.to_owned(),
            database,
            kills,
            seed,
            dir: dir.to_owned(),
            senders: 3,
            max_file: 2 << 20,
            big_every: 25,
            purge_every: 20,
            postgres_restarts: 2,
            read_only_rounds: 2,
            // Off until what they found is fixed (docs/security.md, "The chaos run").
            disk: None,
            disk_fills: 0,
            fault_hold: Duration::from_secs(3),
            progress_every: 10,
        }
    }
}

/// Runs the chaos, and reports what was counted and the first invariant broken. An
/// error is the driver's own failure (the relay could not start, the set-up failed),
/// not an invariant.
pub async fn run(options: Options) -> Result<Report> {
    let started = Instant::now();
    let (mut relay, around) = start_relay(
        &options.server,
        options.database,
        &options.dir,
        options.seed,
        options.disk,
    )
    .await?;
    let outcome = Box::pin(drive(&options, &mut relay, &around)).await;
    relay.kill()?;
    let (counts, violation) = outcome?;
    drop(around);
    Ok(Report {
        database: options.database.name(),
        seed: options.seed,
        elapsed: started.elapsed(),
        counts,
        violation,
    })
}

/// A throwaway PostgreSQL cluster of a run's own: stopped, and its folder removed, when
/// dropped (if nothing else holds it any more).
#[derive(Debug)]
pub struct OwnCluster(Option<Arc<pli_testkit::Cluster>>, PathBuf);

impl Drop for OwnCluster {
    fn drop(&mut self) {
        if let Some(cluster) = self.0.take()
            && let Ok(cluster) = Arc::try_unwrap(cluster)
        {
            drop(cluster);
            let _ = std::fs::remove_dir_all(&self.1);
        }
    }
}

/// What a relay started by [`start_relay`] runs on, released when dropped (after the
/// relay is killed): its PostgreSQL cluster, the tmpfs of its folder.
#[derive(Debug)]
pub struct Surroundings {
    /// The PostgreSQL cluster of the run's own.
    pub cluster: Option<OwnCluster>,
    /// The tmpfs the relay's folder is on.
    pub disk: Option<pli_testkit::Tmpfs>,
}

/// Empties `dir`, starts a PostgreSQL cluster of its own for `database` Postgres, and
/// the relay `server` on it (or on SQLite in `dir`), its folder on a tmpfs of `disk`
/// bytes if asked.
pub async fn start_relay(
    server: &Path,
    database: Database,
    dir: &Path,
    seed: u64,
    disk: Option<u64>,
) -> Result<(Relay, Surroundings)> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let disk = disk
        .map(|bytes| pli_testkit::Tmpfs::mount(&dir.join("relay"), bytes))
        .transpose()
        .context(
            "the relay's disk (a tmpfs, to fill up; run as root, or without disk-full rounds)",
        )?;
    // The cluster's folder must be one the postgres user can enter (when run as root):
    // the temporary folder, not the working one.
    let cluster = match database {
        Database::Sqlite => None,
        Database::Postgres => {
            let base =
                std::env::temp_dir().join(format!("pli-chaos-pg-{}-{seed}", std::process::id()));
            Some(OwnCluster(
                Some(Arc::new(pli_testkit::Cluster::start(&base)?)),
                base,
            ))
        }
    };
    let url = cluster
        .as_ref()
        .and_then(|c| c.0.as_ref())
        .map(|c| c.url().to_owned());
    let mut relay = Relay::new(server, &dir.join("relay"), url)?;
    if disk.is_some() {
        // Its log stays readable when its disk is full.
        relay.log_elsewhere(dir)?;
    }
    relay.start(None).await?;
    Ok((relay, Surroundings { cluster, disk }))
}

/// The run proper, on a started relay: the cast, the actors, the kills, the end.
async fn drive(
    options: &Options,
    relay: &mut Relay,
    around: &Surroundings,
) -> Result<(Counts, Option<String>)> {
    let cluster = around.cluster.as_ref().and_then(|c| c.0.clone());
    let people = cast::cast(&relay.base(), &relay.setup_token()?)
        .await
        .context("cannot set up the platform")?;
    let shared = Arc::new(Shared::default());
    let _ = shared.departement.set(people.dept);
    let mut rng = Rng::new(options.seed);
    let sizes = Sizes {
        max_file: options.max_file,
        big_every: options.big_every,
    };
    // Each client on a thread (and a runtime) of its own, as separate programs would be:
    // on one thread, their encryption would starve the killer's timers.
    let mut actors = Vec::new();
    // Both ways, as courts and Départements write to each other: the even senders are
    // the Département's caseworker writing to the court, the odd ones the court's clerk
    // writing to the Département (whose own key rotates under their sends).
    for number in 0..options.senders {
        let (from, to) = if number % 2 == 0 {
            (&people.caseworker, people.court)
        } else {
            (&people.greffier, people.dept)
        };
        let (shared, session, rng) = (shared.clone(), from.session.clone(), rng.fork());
        actors.push(on_thread(&format!("sender-{number}"), move || {
            actors::sender(shared, session, to, rng, sizes)
        })?);
    }
    for (member, org) in [
        (&people.greffier, people.court),
        (&people.caseworker, people.dept),
    ] {
        let (shared, session) = (shared.clone(), member.session.clone());
        actors.push(on_thread(&format!("recipient-{org}"), move || {
            actors::recipient(shared, session, org)
        })?);
    }
    let (shared_a, admin) = (shared.clone(), people.court_admin.session.clone());
    actors.push(on_thread("rotator", move || {
        actors::rotator(shared_a, admin)
    })?);
    let mut checker = Checker {
        members: vec![
            (people.greffier.session.clone(), people.court),
            (people.caseworker.session.clone(), people.dept),
        ],
        admins: vec![
            (people.court_admin.session.clone(), people.court),
            (people.dept_admin.session.clone(), people.dept),
        ],
        rotating_org: people.court,
    };
    let purge_config = options.dir.join("purge-now.toml");
    std::fs::write(&purge_config, "[limits]\nabandoned_upload_hours = 0\n")
        .context("cannot write the purge configuration")?;
    let postgres = cluster.is_some();
    let mut postgres_restarts = Spread::new(options.kills, options.postgres_restarts, postgres, 0);
    let mut read_only = Spread::new(options.kills, options.read_only_rounds, postgres, 1);
    let mut disk_fills = Spread::new(options.kills, options.disk_fills, around.disk.is_some(), 2);

    let mut outcome = Ok(());
    for kill in 0..options.kills {
        if shared.violation().is_some() {
            break;
        }
        if let Some(cluster) = &cluster
            && postgres_restarts.due(kill)
        {
            outcome = restart_postgres(
                cluster.clone(),
                postgres_restarts.done,
                &shared,
                &mut checker,
            )
            .await;
            if outcome.is_err() {
                break;
            }
        }
        if let Some(cluster) = &cluster
            && read_only.due(kill)
        {
            outcome =
                read_only_round(cluster, relay, options.fault_hold, &shared, &mut checker).await;
            if outcome.is_err() {
                break;
            }
        }
        if let Some(disk) = &around.disk
            && disk_fills.due(kill)
        {
            outcome = disk_full_round(disk, options.fault_hold, &shared, &mut checker).await;
            if outcome.is_err() {
                break;
            }
        }
        let purge =
            options.purge_every > 0 && kill % options.purge_every == options.purge_every - 1;
        outcome = if purge {
            purge_round(
                relay,
                &shared,
                &mut checker,
                &people,
                &purge_config,
                &mut rng,
            )
            .await
        } else {
            kill_round(relay, &shared, &mut checker, &mut rng).await
        };
        if outcome.is_err() {
            break;
        }
        if options.progress_every > 0 && (kill + 1) % options.progress_every == 0 {
            let counts = shared.counts().clone();
            #[allow(clippy::print_stderr, reason = "a long run shows it is alive")]
            {
                eprintln!(
                    "chaos ({}): {} kills, {} sends completed, {} resumed, {} verified",
                    options.database.name(),
                    kill + 1,
                    counts.sends_completed,
                    counts.sends_resumed,
                    counts.exchanges_verified
                );
            }
        }
    }
    if outcome.is_ok() && shared.violation().is_none() {
        outcome = finish(relay, &shared, &mut checker).await;
    }
    shared.stop.store(true, Ordering::SeqCst);
    shared.pause_sends.store(true, Ordering::SeqCst);
    shared.rotate.notify_one();
    // The clients stop at their next step; one still retrying against the killed relay
    // (after a broken invariant) is left to end by itself.
    let grace = Instant::now() + Duration::from_secs(5);
    while actors.iter().any(|a| !a.is_finished()) && Instant::now() < grace {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(actors);
    let violation = match outcome {
        Err(broken) => Some(broken),
        Ok(()) => shared.violation(),
    };
    if violation.is_some() {
        #[allow(
            clippy::print_stderr,
            reason = "a broken invariant shows the relay's last words"
        )]
        {
            eprintln!("--- the relay's last log lines ---\n{}", relay.log_tail());
        }
    }
    let counts = shared.counts().clone();
    Ok((counts, violation))
}

/// Runs the future `make` builds on a thread of its own, with a runtime of its own.
pub(crate) fn on_thread<F, Fut>(name: &str, make: F) -> Result<std::thread::JoinHandle<()>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot build a client's runtime")?;
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || runtime.block_on(make()))
        .with_context(|| format!("cannot start the {name} thread"))
}

/// The end: no new send; every send under way (resumes included) completes; the
/// recipient reads everything; the final checks; one maintenance pass that purges the
/// abandoned uploads, after which the blobs are exactly the delivered exchanges' parts.
async fn finish(
    relay: &mut Relay,
    shared: &Arc<Shared>,
    checker: &mut Checker,
) -> Result<(), String> {
    shared.pause_sends.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let unread = shared
            .ledger()
            .sends
            .values()
            .filter(|s| s.delivered && !s.receipt)
            .count();
        if shared.busy_senders.load(Ordering::SeqCst) == 0 && unread == 0 {
            break;
        }
        if let Some(broken) = shared.violation() {
            return Err(broken);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "every interrupted send resumes to completion and is read: after 180 s, {} \
                 senders are still busy and {unread} delivered exchanges unread",
                shared.busy_senders.load(Ordering::SeqCst)
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shared.stop.store(true, Ordering::SeqCst);
    checker.after_restart(shared).await?;
    let unfinished: Vec<String> = shared
        .ledger()
        .sends
        .iter()
        .filter(|(_, s)| !s.delivered && !s.abandoned)
        .map(|(id, _)| id.to_string())
        .collect();
    if !unfinished.is_empty() {
        return Err(format!(
            "every interrupted send resumes to completion: {unfinished:?} did not"
        ));
    }
    relay.kill().map_err(|e| format!("{e:#}"))?;
    checks::maintenance_pass(relay, shared, true).await?;
    checks::only_delivered_parts_left(relay, shared).await
}
