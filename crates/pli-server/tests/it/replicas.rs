//! Several relays on one PostgreSQL database (issue 14): what one replica makes, the
//! others know at once, through the database itself.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use super::harness::{Backend, data, file, options, spawn_app_with, world_on};

/// The greffier's inbox is open (a live-event stream) on replica B; the caseworker's
/// exchange is completed on replica A. The stream on B announces it at once: with the
/// table read only every 2 minutes, only A's `NOTIFY`, delivered by PostgreSQL to B's
/// listener, can bring it within the test's 20 seconds.
#[tokio::test]
async fn an_exchange_completed_on_one_replica_is_announced_at_once_on_another() {
    if std::env::var_os("PLI_TEST_DATABASE_URL").is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI runs PostgreSQL");
        return;
    }
    let slow = |c: &mut pli_server::config::Config| c.limits.events_poll_seconds = 120;
    let w = world_on(spawn_app_with(Backend::Postgres, slow).await).await;
    let replica = w.app.server.replica(slow).await.unwrap();
    assert_ne!(replica.base, w.app.base);

    // The session lives in the database: the greffier's token opens a stream on B.
    let token = w.greffier.session.token().unwrap().to_owned();
    let response = reqwest::Client::new()
        .get(format!("{}/api/events", replica.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    // The stream reads the table once as it opens, then waits for a wake-up.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let id = w
        .caseworker
        .session
        .send(&w.court, vec![file("a.pdf", data(10, 1))], &options("S"))
        .await
        .unwrap();
    let sent = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut seen = String::new();
    while !seen.contains(&id.to_string()) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("replica B did not announce the exchange made on A")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: exchange.delivered"), "{seen}");
    let after = sent.elapsed();
    assert!(after < Duration::from_secs(5), "announced after {after:?}");
}

/// Of two replicas, only the first runs the maintenance (it holds the PostgreSQL advisory
/// lock); when it dies, the second takes the lock over within a few passes.
#[tokio::test]
async fn one_replica_runs_the_maintenance_and_another_takes_over_when_it_dies() {
    if std::env::var_os("PLI_TEST_DATABASE_URL").is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI runs PostgreSQL");
        return;
    }
    use std::sync::atomic::Ordering;
    let fast = |c: &mut pli_server::config::Config| c.limits.cleanup_interval_seconds = 1;
    let mut first = pli_server::testing::spawn(Backend::Postgres, fast)
        .await
        .unwrap();
    let started = Instant::now();
    while !first.state.maintainer.load(Ordering::Relaxed) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the first replica never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = first.replica(fast).await.unwrap();
    // Several passes of the second replica: none runs, the lock being held.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert!(!second.state.maintainer.load(Ordering::Relaxed));
    assert!(first.state.maintainer.load(Ordering::Relaxed));

    first.crash();
    let crashed = Instant::now();
    while !second.state.maintainer.load(Ordering::Relaxed) {
        assert!(
            crashed.elapsed() < Duration::from_secs(15),
            "the second replica did not take the maintenance over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // It runs a pass as the maintainer: the relay's own pass, on the shared database.
    let report = pli_server::maintenance::run_once(&second.state)
        .await
        .unwrap();
    assert_eq!(report.purged, 0);
}
