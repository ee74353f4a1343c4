//! The rounds of a chaos run, each with the relay up and the clients running: a kill
//! aimed at a phase, a maintenance pass purging abandoned uploads, a PostgreSQL restart,
//! PostgreSQL read-only, the relay's disk full; and how rounds of each kind are spread
//! over the run's kills ([`Spread`]).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::actors::{self, Shared, Sizes};
use crate::cast;
use crate::checks::{self, Checker};
use crate::relay::Relay;
use crate::{Phase, Rng};

/// Waits for `moment`, at most 3 s; whether it came.
pub(crate) async fn moment(notify: &Notify) -> bool {
    tokio::time::timeout(Duration::from_secs(3), notify.notified())
        .await
        .is_ok()
}

/// One kill: aimed at a phase chosen at random, then the restart and the checks.
pub(crate) async fn kill_round(
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
pub(crate) async fn between_kill_and_start(relay: &Relay, shared: &Shared) -> Result<(), String> {
    if relay.database_url().starts_with("sqlite:") {
        checks::integrity_check(&relay.dir().join("pli.db"), shared).await?;
    }
    checks::maintenance_pass(relay, shared, false).await
}

pub(crate) async fn restart(
    relay: &mut Relay,
    shared: &Shared,
    config: Option<&Path>,
) -> Result<(), String> {
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
pub(crate) async fn purge_round(
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
pub(crate) async fn restart_postgres(
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
pub(crate) struct Spread {
    every: usize,
    shift: usize,
    total: usize,
    /// How many were due so far.
    pub(crate) done: usize,
}

impl Spread {
    pub(crate) fn new(kills: usize, total: usize, on: bool, shift: usize) -> Self {
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
    pub(crate) fn due(&mut self, kill: usize) -> bool {
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
pub(crate) async fn hold_until_refused(hold: Duration, refused: impl Fn() -> u64) {
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
pub(crate) async fn read_only_round(
    cluster: &pli_testkit::Cluster,
    relay: &Relay,
    hold: Duration,
    shared: &Shared,
    checker: &mut Checker,
) -> Result<(), String> {
    let log = relay.log_path();
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
pub(crate) fn unavailable_logged(log: &Path, from: u64) -> u64 {
    let text = std::fs::read(log).unwrap_or_default();
    let since = text
        .get(usize::try_from(from).unwrap_or(usize::MAX)..)
        .unwrap_or_default();
    String::from_utf8_lossy(since)
        .lines()
        .filter(|line| line.contains("request failed") && line.contains("\"code\":\"unavailable\""))
        .count() as u64
}

pub(crate) async fn set_read_only(url: &str, on: bool) -> Result<(), String> {
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
pub(crate) async fn disk_full_round(
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
