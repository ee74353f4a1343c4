//! The chaos driver (`cargo xtask chaos`, and a short smoke of it in the relay's tests):
//! concurrent senders and a recipient, with the real client and its cryptography
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
//! [`relay`] (the relay process), `actors` (the clients), `checks` (the invariants),
//! [`report`] (the counts and their table), [`Rng`] (the seeded generator).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use tokio::sync::Notify;

pub mod cast;
pub mod load;
pub mod relay;
pub mod report;

mod actors;
mod checks;
mod rng;

pub use report::{Counts, Phase, Report};
pub use rng::Rng;

use actors::{Shared, Sizes};
use checks::Checker;
use relay::Relay;

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
    let mut rng = Rng::new(options.seed);
    let sizes = Sizes {
        max_file: options.max_file,
        big_every: options.big_every,
    };
    // Each client on a thread (and a runtime) of its own, as separate programs would be:
    // on one thread, their encryption would starve the killer's timers.
    let mut actors = Vec::new();
    for number in 0..options.senders {
        let (shared, session, court, rng) = (
            shared.clone(),
            people.caseworker.session.clone(),
            people.court,
            rng.fork(),
        );
        actors.push(on_thread(&format!("sender-{number}"), move || {
            actors::sender(shared, session, court, rng, sizes)
        })?);
    }
    let (shared_r, greffier) = (shared.clone(), people.greffier.session.clone());
    actors.push(on_thread("recipient", move || {
        actors::recipient(shared_r, greffier)
    })?);
    let (shared_a, admin) = (shared.clone(), people.court_admin.session.clone());
    actors.push(on_thread("rotator", move || {
        actors::rotator(shared_a, admin)
    })?);
    let mut checker = Checker {
        recipient: people.greffier.session.clone(),
        sender: people.caseworker.session.clone(),
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

/// Waits for `moment`, at most 3 s; whether it came.
async fn moment(notify: &Notify) -> bool {
    tokio::time::timeout(Duration::from_secs(3), notify.notified())
        .await
        .is_ok()
}

/// One kill: aimed at a phase chosen at random, then the restart and the checks.
async fn kill_round(
    relay: &mut Relay,
    shared: &Arc<Shared>,
    checker: &mut Checker,
    rng: &mut Rng,
) -> Result<(), String> {
    let phase = match rng.below(5) {
        0 => Phase::PartWrite,
        1 => Phase::Completion,
        2 => Phase::Receipt,
        3 => Phase::Rotation,
        _ => Phase::Anywhere,
    };
    let came = match phase {
        Phase::PartWrite => moment(&shared.part_write).await,
        Phase::Completion => moment(&shared.completing).await,
        Phase::Receipt => moment(&shared.receipting).await,
        Phase::Rotation => {
            let rotating = shared.rotating.notified();
            shared.rotate.notify_one();
            let came = tokio::time::timeout(Duration::from_secs(3), rotating)
                .await
                .is_ok();
            // Within the time a rotation takes, or a little after it (some complete).
            let took = shared.rotation_ms.load(Ordering::Relaxed).clamp(40, 2000);
            tokio::time::sleep(Duration::from_millis(rng.below(took * 3 / 2))).await;
            came
        }
        Phase::Purge | Phase::Anywhere => {
            tokio::time::sleep(Duration::from_millis(rng.below(400))).await;
            true
        }
    };
    match phase {
        Phase::PartWrite => tokio::time::sleep(Duration::from_millis(rng.below(20))).await,
        Phase::Completion | Phase::Receipt => {
            tokio::time::sleep(Duration::from_millis(rng.below(4))).await;
        }
        _ => {}
    }
    relay.kill().map_err(|e| format!("{e:#}"))?;
    {
        let mut counts = shared.counts();
        counts.kill(phase);
        if !came {
            counts.aimed_missed += 1;
        }
    }
    between_kill_and_start(relay, shared).await?;
    restart(relay, shared, None).await?;
    checker.after_restart(shared).await
}

/// With the relay down: SQLite's integrity, and a maintenance pass on its data.
async fn between_kill_and_start(relay: &Relay, shared: &Shared) -> Result<(), String> {
    if relay.database_url().starts_with("sqlite:") {
        checks::integrity_check(&relay.dir().join("pli.db"), shared).await?;
    }
    checks::maintenance_pass(relay, shared, false).await
}

async fn restart(relay: &mut Relay, shared: &Shared, config: Option<&Path>) -> Result<(), String> {
    relay
        .start(config)
        .await
        .map_err(|e| format!("the relay recovers without an operator: {e:#}"))?;
    shared.counts().restarts += 1;
    Ok(())
}

/// A purge round: the senders pause; two uploads are abandoned half-way; the relay is
/// started with every upload counted as abandoned, so that its first maintenance pass
/// purges them, and killed during that pass (the moment one's blobs are gone, or after
/// a random delay); then it is started as usual and checked.
async fn purge_round(
    relay: &mut Relay,
    shared: &Arc<Shared>,
    checker: &mut Checker,
    people: &cast::Cast,
    purge_config: &Path,
    rng: &mut Rng,
) -> Result<(), String> {
    shared.pause_sends.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(180);
    while shared.busy_senders.load(Ordering::SeqCst) > 0 {
        if Instant::now() > deadline {
            return Err(
                "every interrupted send resumes to completion: sends still busy 180 s \
                        after new ones stopped"
                    .into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut abandoned = Vec::new();
    for number in 0..2u64 {
        let files = actors::files(
            rng,
            Sizes {
                max_file: 4 << 20,
                big_every: 0,
            },
        );
        let after = Duration::from_millis(5 + rng.below(60));
        let id = actors::send(
            shared,
            &people.caseworker.session,
            &people.court,
            files,
            1_000_000 + number,
            Some(after),
        )
        .await?;
        if let Some(id) = id
            && shared.ledger().sends.get(&id).is_some_and(|s| s.abandoned)
        {
            abandoned.push(id);
            shared.counts().abandoned += 1;
        }
    }
    relay.kill().map_err(|e| format!("{e:#}"))?;
    relay
        .spawn(Some(purge_config))
        .map_err(|e| format!("{e:#}"))?;
    let watched = abandoned.first().map(|id| {
        relay
            .dir()
            .join("blobs")
            .join("blobs")
            .join("x")
            .join(id.to_string())
    });
    match watched {
        Some(path) if rng.below(2) == 0 && path.exists() => {
            relay
                .kill_when_gone(&path, Duration::from_secs(5))
                .await
                .map_err(|e| format!("{e:#}"))?;
        }
        _ => {
            relay.wait_healthy().await.map_err(|e| format!("{e:#}"))?;
            tokio::time::sleep(Duration::from_millis(rng.below(30))).await;
            relay.kill().map_err(|e| format!("{e:#}"))?;
        }
    }
    shared.counts().kill(Phase::Purge);
    between_kill_and_start(relay, shared).await?;
    restart(relay, shared, None).await?;
    checker.after_restart(shared).await?;
    checks::abandoned_stay_undelivered(checker, shared).await?;
    shared.pause_sends.store(false, Ordering::SeqCst);
    Ok(())
}

/// PostgreSQL restarted while the clients run (`fast`, then `immediate` as after a
/// crash, alternately): the relay answers 503 meanwhile and recovers by itself; the same
/// checks follow.
async fn restart_postgres(
    cluster: Arc<pli_testkit::Cluster>,
    number: usize,
    shared: &Shared,
    checker: &mut Checker,
) -> Result<(), String> {
    let mode = if number % 2 == 1 { "fast" } else { "immediate" };
    tokio::task::spawn_blocking(move || cluster.restart(mode))
        .await
        .map_err(|e| format!("cannot restart PostgreSQL: {e}"))?
        .map_err(|e| format!("cannot restart PostgreSQL: {e:#}"))?;
    shared.counts().postgres_restarts += 1;
    checker.after_restart(shared).await
}

/// Rounds of one kind spread evenly over a run's kills: `total` of them, one every
/// `kills / (total + 1)` kills, shifted by `shift` thirds of that so that rounds of
/// different kinds do not fall together; none if `on` is false.
struct Spread {
    every: usize,
    shift: usize,
    total: usize,
    done: usize,
}

impl Spread {
    fn new(kills: usize, total: usize, on: bool, shift: usize) -> Self {
        let every = if on && total > 0 {
            (kills / (total + 1)).max(1)
        } else {
            0
        };
        Self {
            every,
            shift: every * shift / 3,
            total,
            done: 0,
        }
    }

    /// Whether one is due before kill number `kill`; counts it if so.
    fn due(&mut self, kill: usize) -> bool {
        let due = self.every > 0
            && kill > self.shift
            && (kill - self.shift).is_multiple_of(self.every)
            && self.done < self.total;
        if due {
            self.done += 1;
        }
        due
    }
}

/// Waits `hold`, and longer if need be (four times `hold` at most) until `refused` (the
/// relay's refusals counted so far) has grown: a round that refused nothing would prove
/// nothing (the clients may be waiting out an earlier Retry-After).
async fn hold_until_refused(hold: Duration, refused: impl Fn() -> u64) {
    let before = refused();
    let began = Instant::now();
    tokio::time::sleep(hold).await;
    while refused() == before && began.elapsed() < hold * 4 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// PostgreSQL read-only for `hold` (or until a write was refused) while the clients run
/// (`default_transaction_read_only` set for the whole cluster and the configuration
/// reloaded, as a failover to a standby or an operator would): every write is refused
/// with SQLSTATE 25006, which the relay answers 503 with Retry-After; the clients wait and
/// go on once it takes writes again. The refusals are counted from the relay's log (the
/// client retries a refused part by itself, unseen by the driver). The same checks as
/// after a restart follow.
async fn read_only_round(
    cluster: &pli_testkit::Cluster,
    relay: &Relay,
    hold: Duration,
    shared: &Shared,
    checker: &mut Checker,
) -> Result<(), String> {
    let log = relay.dir().join("relay.log");
    let from = std::fs::metadata(&log).map_or(0, |m| m.len());
    set_read_only(cluster.url(), true).await?;
    hold_until_refused(hold, || unavailable_logged(&log, from)).await;
    set_read_only(cluster.url(), false).await?;
    let refused = unavailable_logged(&log, from);
    {
        let mut counts = shared.counts();
        counts.read_only_rounds += 1;
        counts.read_only_refusals += refused;
    }
    checker.after_restart(shared).await
}

/// The relay's answers `unavailable` (503) in its log since byte `from`.
fn unavailable_logged(log: &Path, from: u64) -> u64 {
    let text = std::fs::read(log).unwrap_or_default();
    let since = text
        .get(usize::try_from(from).unwrap_or(usize::MAX)..)
        .unwrap_or_default();
    String::from_utf8_lossy(since)
        .lines()
        .filter(|line| line.contains("request failed") && line.contains("\"code\":\"unavailable\""))
        .count() as u64
}

async fn set_read_only(url: &str, on: bool) -> Result<(), String> {
    use sqlx::Connection as _;
    let fail = |e: sqlx::Error| format!("cannot make PostgreSQL read-only ({on}): {e}");
    let mut conn = sqlx::PgConnection::connect(url).await.map_err(fail)?;
    // This session writes the setting back even while the cluster is read-only.
    let statements = [
        "SET default_transaction_read_only = off",
        if on {
            "ALTER SYSTEM SET default_transaction_read_only = on"
        } else {
            "ALTER SYSTEM RESET default_transaction_read_only"
        },
        "SELECT pg_reload_conf()",
    ];
    for statement in statements {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .map_err(fail)?;
    }
    conn.close().await.map_err(fail)
}

/// The relay's disk full for `hold` (or until a write was refused) while the clients run: the tmpfs its folder is on
/// shrunk to what it holds, so that every write needing space fails (`ENOSPC`: blobs, and
/// on SQLite the database), which the relay answers 507 `storage_full` with Retry-After;
/// then its room given back. The same checks as after a restart follow.
async fn disk_full_round(
    disk: &pli_testkit::Tmpfs,
    hold: Duration,
    shared: &Shared,
    checker: &mut Checker,
) -> Result<(), String> {
    disk.fill_up()
        .map_err(|e| format!("cannot fill the relay's disk: {e:#}"))?;
    hold_until_refused(hold, || shared.counts().storage_full_answers).await;
    disk.give_room_back()
        .map_err(|e| format!("cannot give the relay's disk its room back: {e:#}"))?;
    shared.counts().disk_fills += 1;
    checker.after_restart(shared).await
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
