//! A short run of `cargo xtask chaos`'s driver (`pli_chaos`) against this crate's relay
//! binary: a handful of SIGKILLs aimed at part writes, completion, read receipts, a key
//! rotation and a purge, with every invariant checked after each restart (see
//! `pli_chaos`'s module doc and `docs/security.md`, "Fault and load tests"), on SQLite and
//! on a PostgreSQL cluster of the test's own, restarted once and made read-only once under
//! load, and the relay's disk filled up once (as root; under CI it must be). The long run
//! is `cargo xtask chaos` (200 kills, release builds).
//!
//! The seed is printed; `PLI_FAULT_SEED` replays the same sizes, contents and delays.
//!
//! Beside it, a short run of `cargo xtask bench load`'s driver, and the check that the
//! relay binary allocates with jemalloc (its memory under that load, issue 11).

use std::path::Path;

use pli_chaos::{Database, Options, Report};

/// Kills per database: enough to hit every phase once or twice, in about 20 s each on
/// two cores with the debug build.
const KILLS: usize = 8;

#[allow(clippy::print_stderr, reason = "the seed and the table of a run")]
async fn chaos(database: Database) -> Report {
    let seed = std::env::var("PLI_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(pli_server::now_ms);
    eprintln!(
        "chaos on {}: seed {seed} (PLI_FAULT_SEED={seed} replays it)",
        database.name()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut options = Options::new(
        Path::new(env!("CARGO_BIN_EXE_pli-server")),
        database,
        KILLS,
        seed,
        &dir.path().join("chaos"),
    );
    // Small files (the debug build's cryptography is slower), two senders, a purge
    // round among the kills, one PostgreSQL restart, one round with PostgreSQL read-only,
    // one with the relay's disk full (mounting its tmpfs needs root: the same rule as the
    // fault tests', skipped with a notice outside CI).
    let disk = crate::faults::Tmpfs::mount(1 << 20, "the chaos smoke's disk-full round").is_some();
    if disk {
        options.disk = Some(4 << 30);
        options.disk_fills = 1;
    }
    options.senders = 2;
    options.max_file = 256 << 10;
    options.big_every = 0;
    options.purge_every = 4;
    options.postgres_restarts = 1;
    options.read_only_rounds = 1;
    options.progress_every = 0;
    let report = pli_chaos::run(options).await.unwrap();
    eprintln!("{report}");
    if disk {
        assert_eq!(report.counts.disk_fills, 1, "{report}");
        assert!(
            report.counts.storage_full_answers > 0,
            "the full disk refused nothing: {report}"
        );
    }
    report
}

fn assert_held(report: &Report) {
    assert_eq!(report.violation, None, "{report}");
    let counts = &report.counts;
    assert_eq!(counts.total_kills(), KILLS as u64, "{report}");
    assert_eq!(counts.restarts, KILLS as u64, "{report}");
    assert!(
        counts.sends_completed + counts.sends_resumed > 0,
        "{report}"
    );
    // Both ways: the Département's exchanges to the court, the court's to it.
    assert!(
        counts.exchanges_verified > counts.exchanges_verified_to_departement,
        "{report}"
    );
    assert!(counts.exchanges_verified_to_departement > 0, "{report}");
    assert!(counts.audit_verifications >= 2 * KILLS as u64, "{report}");
    assert_eq!(counts.maintenance_passes, KILLS as u64 + 1, "{report}");
    assert_eq!(counts.orphans_left, 0, "{report}");
}

/// The relay killed with SIGKILL a few times under concurrent clients on SQLite: no
/// exchange visible unless complete and verified, nothing acknowledged lost, every
/// interrupted send resumed, the audit chains whole, no orphan blob after maintenance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_under_concurrent_clients_keeps_every_invariant_on_sqlite() {
    assert_held(&chaos(Database::Sqlite).await);
}

/// The same on PostgreSQL, with the database restarted once under load as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_under_concurrent_clients_keeps_every_invariant_on_postgres() {
    let report = chaos(Database::Postgres).await;
    assert_held(&report);
    assert_eq!(report.counts.postgres_restarts, 1, "{report}");
    assert_eq!(report.counts.read_only_rounds, 1, "{report}");
    assert!(
        report.counts.read_only_refusals > 0,
        "the read-only database refused nothing: {report}"
    );
}

/// A short run of `cargo xtask bench load`'s driver: a few people sending, reading,
/// listing and logging in at once against this crate's relay binary, with no operation
/// failing (the long run: 200 people for 10 minutes on PostgreSQL).
#[tokio::test]
#[allow(clippy::print_stderr, reason = "the run's tables")]
async fn a_short_load_fails_no_operation() {
    let dir = tempfile::tempdir().unwrap();
    let options = pli_chaos::load::LoadOptions {
        server: Path::new(env!("CARGO_BIN_EXE_pli-server")).to_owned(),
        database: Database::Sqlite,
        people: 6,
        duration: std::time::Duration::from_secs(8),
        think: std::time::Duration::from_millis(150),
        seed: pli_server::now_ms(),
        dir: dir.path().join("load"),
        stored_budget: 1 << 30,
        max_file: 1 << 20,
    };
    let report = pli_chaos::load::run(options).await.unwrap();
    eprintln!("{report}");
    assert!(report.no_failure(), "{report}");
    assert!(report.succeeded("send") > 0, "{report}");
    assert!(report.succeeded("download") > 0, "{report}");
}

/// Issue 11: the relay binary allocates with jemalloc (its `#[global_allocator]`), which
/// keeps its memory bounded under load where glibc's malloc grew it to GiB. The guard is
/// jemalloc answering its own setting (`stats_print` at exit, read from
/// `_RJEM_MALLOC_CONF`: the crate prefixes jemalloc's symbols), not a resident-memory
/// bound: glibc's growth shows after minutes of 200 people on the release build, and a
/// bound that a few seconds of the debug build never flakes on would hold with glibc too.
#[test]
fn the_relay_binary_allocates_with_jemalloc() {
    let dir = tempfile::tempdir().unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_pli-server"));
    let output = pli_testkit::relay_command(binary, 0, dir.path())
        .arg("log-key")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Begin jemalloc statistics"),
        "the relay did not run on jemalloc; its stderr:\n{stderr}"
    );
}
