//! What a chaos run counted, and the table it prints.

use std::fmt;
use std::time::Duration;

/// Where a kill was aimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// While a part is on its way to the relay (a sender just had a part acknowledged,
    /// or was handed its plan, and is uploading the next).
    PartWrite,
    /// Right after a sender's last part was acknowledged: `complete` is on its way.
    Completion,
    /// Right after the recipient verified an exchange: its read receipt is on its way.
    Receipt,
    /// While an organisation admin rotates the organisation's key.
    Rotation,
    /// During the maintenance pass that purges abandoned uploads.
    Purge,
    /// After a random delay, wherever the clients are.
    Anywhere,
}

impl Phase {
    /// Every phase, in the table's order.
    pub const ALL: [Phase; 6] = [
        Phase::PartWrite,
        Phase::Completion,
        Phase::Receipt,
        Phase::Rotation,
        Phase::Purge,
        Phase::Anywhere,
    ];

    fn label(self) -> &'static str {
        match self {
            Phase::PartWrite => "part writes",
            Phase::Completion => "completion",
            Phase::Receipt => "read receipts",
            Phase::Rotation => "key rotation",
            Phase::Purge => "maintenance purging abandoned uploads",
            Phase::Anywhere => "anywhere (random delay up to 400 ms)",
        }
    }

    fn index(self) -> usize {
        match self {
            Phase::PartWrite => 0,
            Phase::Completion => 1,
            Phase::Receipt => 2,
            Phase::Rotation => 3,
            Phase::Purge => 4,
            Phase::Anywhere => 5,
        }
    }
}

/// The counts of a run.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Kills aimed at each phase (`Phase::ALL`'s order).
    pub kills: [u64; 6],
    /// Aimed kills whose moment did not come within 3 s (killed then anyway; counted in
    /// their phase too).
    pub aimed_missed: u64,
    /// Restarts after a kill.
    pub restarts: u64,
    /// PostgreSQL restarts while the relay ran.
    pub postgres_restarts: u64,
    /// Rounds with PostgreSQL read-only for a while under load.
    pub read_only_rounds: u64,
    /// Of the 503 answers, those given while the database was read-only.
    pub read_only_refusals: u64,
    /// Rounds with the relay's disk full for a while under load.
    pub disk_fills: u64,
    /// `unavailable` answers (503) the clients got, for any reason.
    pub unavailable_answers: u64,
    /// `storage_full` answers (507) the clients got.
    pub storage_full_answers: u64,
    /// Sends that completed at their first try.
    pub sends_completed: u64,
    /// Sends interrupted by a kill once their plan was handed out.
    pub sends_interrupted: u64,
    /// Of those, resumed to completion.
    pub sends_resumed: u64,
    /// `resume_send` calls (a resume can itself be cut by the next kill).
    pub resume_attempts: u64,
    /// Sends cut before their plan was handed out: the relay was down (nothing was
    /// created), or a kill cut the creation's answer (the upload stays until it is
    /// purged as abandoned).
    pub creations_unanswered: u64,
    /// Sends refused before anything was created because the recipient's key changed
    /// meanwhile (the client's `KeyNotLatest`, or the relay's `stale_key_generation` at
    /// creation); a new send follows.
    pub sends_refused_key_change: u64,
    /// Uploads the driver gave up on purpose before the purge rounds.
    pub abandoned: u64,
    /// Of those, given up while their completion was on its way: the relay delivered
    /// them (the sender's client signs the envelope only to complete), and they verified.
    pub abandoned_yet_delivered: u64,
    /// Parts the relay acknowledged with a 2xx (upload progress reports).
    pub parts_acknowledged: u64,
    /// Stored parts of uploads in flight, re-read from the relay after restarts and
    /// compared with what was acknowledged.
    pub parts_rechecked: u64,
    /// Exchanges the recipient opened, verified (envelope, sender, every hash) and
    /// decrypted to the bytes sent.
    pub exchanges_verified: u64,
    /// Of those, the court's to the Département (the others: the Département's to the
    /// court).
    pub exchanges_verified_to_departement: u64,
    /// Inbox rows checked after restarts (each must be a completed, verified exchange).
    pub inbox_rows_checked: u64,
    /// Read receipts acknowledged with a 2xx.
    pub receipts_acknowledged: u64,
    /// Of those, found again after a restart.
    pub receipts_rechecked: u64,
    /// Key rotations acknowledged with a 2xx.
    pub rotations_acknowledged: u64,
    /// Key rotations cut by a kill (committed or not: the admin's next one finds out).
    pub rotations_interrupted: u64,
    /// Acknowledged rotations found again after restarts.
    pub rotations_rechecked: u64,
    /// Audit chains verified by the relay (`/api/orgs/{org}/audit/verify`) after restarts.
    pub audit_verifications: u64,
    /// Maintenance passes run on the killed relay's data (blobs aged past the grace).
    pub maintenance_passes: u64,
    /// Orphan blobs those passes deleted.
    pub orphans_removed: u64,
    /// Orphan blobs (or temporary files) left after a maintenance pass: must be 0.
    pub orphans_left: u64,
    /// Blobs checked after maintenance passes.
    pub blobs_checked: u64,
    /// SQLite `integrity_check` runs (all `ok`).
    pub integrity_checks: u64,
}

impl Counts {
    /// Counts a kill aimed at `phase`.
    pub fn kill(&mut self, phase: Phase) {
        if let Some(n) = self.kills.get_mut(phase.index()) {
            *n += 1;
        }
    }

    /// Kills in all.
    pub fn total_kills(&self) -> u64 {
        self.kills.iter().sum()
    }
}

/// A run's outcome: the counts, and the first invariant found broken, if any.
#[derive(Debug, Clone)]
pub struct Report {
    /// `SQLite` or `PostgreSQL`.
    pub database: &'static str,
    /// The seed (`--seed` replays the sizes, contents and delays).
    pub seed: u64,
    /// How long the run took.
    pub elapsed: Duration,
    /// What was counted.
    pub counts: Counts,
    /// The invariant broken, named, with what showed it; `None` if all held.
    pub violation: Option<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "chaos on {}, seed {}: {} kills with SIGKILL in {:.0} s",
            self.database,
            self.seed,
            c.total_kills(),
            self.elapsed.as_secs_f64()
        )?;
        writeln!(f, "| kills aimed at | count |")?;
        writeln!(f, "|---|---:|")?;
        for phase in Phase::ALL {
            let n = c.kills.get(phase.index()).copied().unwrap_or(0);
            writeln!(f, "| {} | {n} |", phase.label())?;
        }
        writeln!(
            f,
            "| (of which aimed, but no such moment within 3 s: killed then) | {} |",
            c.aimed_missed
        )?;
        writeln!(f)?;
        writeln!(f, "| counted | count |")?;
        writeln!(f, "|---|---:|")?;
        let rows: [(&str, u64); 33] = [
            ("restarts after a kill", c.restarts),
            ("PostgreSQL restarts under load", c.postgres_restarts),
            ("PostgreSQL made read-only under load", c.read_only_rounds),
            (
                "  writes refused meanwhile (503 unavailable, Retry-After)",
                c.read_only_refusals,
            ),
            ("the relay's disk filled up under load", c.disk_fills),
            (
                "  writes refused (507 storage_full, Retry-After)",
                c.storage_full_answers,
            ),
            (
                "503 answers in all (kills aside: restarts, read-only)",
                c.unavailable_answers,
            ),
            ("sends completed at the first try", c.sends_completed),
            (
                "sends interrupted after their plan was handed out",
                c.sends_interrupted,
            ),
            ("  resumed to completion", c.sends_resumed),
            ("  resume attempts", c.resume_attempts),
            (
                "sends cut before their plan (relay down or refusing, or creation's answer lost)",
                c.creations_unanswered,
            ),
            (
                "sends refused before creation: the recipient's key rotated meanwhile",
                c.sends_refused_key_change,
            ),
            ("uploads abandoned on purpose (purge rounds)", c.abandoned),
            (
                "  of those, delivered: given up with their completion on its way (verified)",
                c.abandoned_yet_delivered,
            ),
            ("parts acknowledged with 2xx", c.parts_acknowledged),
            (
                "parts of uploads in flight re-checked after restarts",
                c.parts_rechecked,
            ),
            (
                "exchanges opened, verified and decrypted by their recipient",
                c.exchanges_verified,
            ),
            (
                "  of those, sent by the court to the Département",
                c.exchanges_verified_to_departement,
            ),
            ("inbox rows checked after restarts", c.inbox_rows_checked),
            (
                "read receipts acknowledged with 2xx",
                c.receipts_acknowledged,
            ),
            ("  found again after a restart", c.receipts_rechecked),
            (
                "key rotations acknowledged with 2xx",
                c.rotations_acknowledged,
            ),
            ("key rotations cut by a kill", c.rotations_interrupted),
            (
                "acknowledged rotations found again after restarts",
                c.rotations_rechecked,
            ),
            (
                "audit chain verifications (both organisations)",
                c.audit_verifications,
            ),
            (
                "maintenance passes on the killed relay's data",
                c.maintenance_passes,
            ),
            ("  orphan blobs they removed", c.orphans_removed),
            ("  blobs checked after them", c.blobs_checked),
            (
                "  orphan blobs or temporary files left after them (must be 0)",
                c.orphans_left,
            ),
            ("SQLite integrity checks (all ok)", c.integrity_checks),
            ("kills in all", c.total_kills()),
            ("violations", u64::from(self.violation.is_some())),
        ];
        for (label, n) in rows {
            writeln!(f, "| {label} | {n} |")?;
        }
        match &self.violation {
            None => writeln!(f, "every invariant held"),
            Some(violation) => writeln!(f, "INVARIANT BROKEN: {violation}"),
        }
    }
}
