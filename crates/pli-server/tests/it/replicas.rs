//! Several relays on one PostgreSQL database (issue 14): what one replica makes, the
//! others know at once, through the database itself.

use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::StreamExt as _;
use sqlx::Connection as _;

use pli_server::testing::s3::S3Server;

use super::harness::{Backend, data, file, options, spawn_app_with, world_on};

/// The greffier's inbox is open (a live-event stream) on replica B; the caseworker's
/// exchange is completed on replica A. The stream on B announces it at once: with the
/// table read only every 2 minutes, only A's `NOTIFY`, delivered by PostgreSQL to B's
/// listener, can bring it within the test's 20 seconds.
#[tokio::test]
async fn an_exchange_completed_on_one_replica_is_announced_at_once_on_another() {
    if !on_postgres() {
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

/// Before the platform is set up, each replica that starts prints a set-up link of its
/// own: the one the operator copied from the first stays good when a second starts (it
/// replaced it once), and the first link used ends the others. Once set up, a replica
/// whose log key or origin differs from the platform's refuses to start.
#[tokio::test]
async fn a_replica_starting_before_the_set_up_keeps_the_first_link_good() {
    if !on_postgres() {
        return;
    }
    let (first, second) = two_replicas().await;
    let second_token = second.setup_token.clone().unwrap();
    assert_ne!(second_token, first.setup_token);

    let client = pli_client::Client::new(&second.base);
    super::harness::platform_admin_at(&client, &first.setup_token).await;
    link_refused(set_up(&client, &second_token, "autre@pli.test").await);
    // A replica started now issues none.
    assert_eq!(first.replica(|_| {}).await.unwrap().setup_token, None);

    // A replica with another server key, or another log origin, would sign checkpoints
    // no client accepts: it refuses to serve, saying which setting differs.
    let mut config = first.state.config.clone();
    config.listen = "127.0.0.1:0".parse().unwrap();
    let other_key = pli_server::auth::secrets::ServerKey::from_bytes([8; 32]);
    let refused = pli_server::app::Application::build_with(config.clone(), other_key, None)
        .await
        .unwrap()
        .run_until(std::future::pending())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("PLI_SERVER_KEY"), "{refused}");
    config.log.origin = "ailleurs.pli.test/annuaire".into();
    let refused = pli_server::app::Application::build_with(
        config,
        pli_server::auth::secrets::ServerKey::from_bytes([7; 32]),
        None,
    )
    .await
    .unwrap()
    .run_until(std::future::pending())
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("PLI_LOG_ORIGIN"), "{refused}");
}

/// Two people use the two replicas' set-up links at the same moment: one platform is set
/// up, and the other person is told the link is no longer valid (never a server error,
/// never two roots: the root is the settings table's one `root_key` row).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_set_ups_at_once_make_one_platform_and_a_clear_refusal() {
    if !on_postgres() {
        return;
    }
    for round in 0..4 {
        let (first, second) = two_replicas().await;
        let at = |base: &str| pli_client::Client::new(base);
        let (first_client, second_client) = (at(&first.base), at(&second.base));
        let second_token = second.setup_token.clone().unwrap();
        let (a, b) = tokio::join!(
            set_up(&first_client, &first.setup_token, "une@pli.test"),
            set_up(&second_client, &second_token, "autre@pli.test"),
        );
        match (a, b) {
            (Ok(()), refused @ Err(_)) | (refused @ Err(_), Ok(())) => link_refused(refused),
            other => panic!("round {round}: {other:?}"),
        }
    }
}

/// The same, made certain to overlap: the first set-up's statement has spent the links
/// and not committed; the second waits for it, then finds its own link gone (no deadlock,
/// no error). A link left after the set-up (printed while it was under way) is refused
/// too.
#[tokio::test]
async fn the_second_of_two_set_ups_waits_for_the_first_and_finds_its_link_gone() {
    if !on_postgres() {
        return;
    }
    use pli_server::auth::secrets::token_hash;
    let (first, second) = two_replicas().await;
    let now = pli_server::now_ms();
    let mut a = first.state.store.begin().await.unwrap();
    assert!(
        a.spend_setup_links(&token_hash(&first.setup_token), now)
            .await
            .unwrap()
    );
    let store = second.state.store.clone();
    let token = second.setup_token.clone().unwrap();
    let b = tokio::spawn(async move {
        let mut tx = store.begin().await?;
        let spent = tx.spend_setup_links(&token_hash(&token), now).await?;
        tx.commit().await?;
        Ok::<bool, pli_server::store::StoreError>(spent)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !b.is_finished(),
        "the second set-up did not wait for the first"
    );
    a.commit().await.unwrap();
    assert!(
        !b.await.unwrap().unwrap(),
        "the second link was not withdrawn"
    );

    // The links are spent, the platform not set up yet: a replica starting now prints
    // a link, and its set-up goes through. A link that escaped the withdrawal (here the
    // second's, made usable again in the database, as one printed while that set-up was
    // under way would be) is then refused as no longer valid.
    let third = first.replica(|_| {}).await.unwrap();
    let client = pli_client::Client::new(&third.base);
    super::harness::platform_admin_at(&client, &third.setup_token.clone().unwrap()).await;
    let mut db = sqlx::PgConnection::connect(&first.database_url)
        .await
        .unwrap();
    sqlx::query("UPDATE invitations SET used_at = NULL WHERE token_hash = $1")
        .bind(token_hash(second.setup_token.as_deref().unwrap()))
        .execute(&mut db)
        .await
        .unwrap();
    link_refused(
        set_up(
            &client,
            second.setup_token.as_deref().unwrap(),
            "autre@pli.test",
        )
        .await,
    );
}

/// Of two replicas, only the first runs the maintenance (it holds the PostgreSQL advisory
/// lock) and re-presents the log's checkpoint to the witnesses; when it dies, the second
/// takes both over within a few passes.
#[tokio::test]
async fn one_replica_runs_the_maintenance_and_another_takes_over_when_it_dies() {
    if !on_postgres() {
        return;
    }
    use std::sync::atomic::Ordering;
    let fast = |c: &mut pli_server::config::Config| {
        c.limits.cleanup_interval_seconds = 1;
        c.log.refresh_seconds = 1;
    };
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
    // The second's own checkpoint at start, then several passes and refreshes: its
    // maintenance never runs, the lock being held, nor does it re-present the
    // checkpoint; the first does, every second.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (first_before, second_before) = (first.state.log.published(), second.state.log.published());
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert!(!second.state.maintainer.load(Ordering::Relaxed));
    assert!(first.state.maintainer.load(Ordering::Relaxed));
    assert_eq!(
        second.state.log.published(),
        second_before,
        "the second re-presented"
    );
    assert!(
        first.state.log.published() >= first_before + 2,
        "the first did not re-present the checkpoint: {} then {}",
        first_before,
        first.state.log.published()
    );

    first.crash();
    let crashed = Instant::now();
    while !second.state.maintainer.load(Ordering::Relaxed) {
        assert!(
            crashed.elapsed() < Duration::from_secs(15),
            "the second replica did not take the maintenance over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // It re-presents the checkpoint now.
    let taken = second.state.log.published();
    while second.state.log.published() < taken + 2 {
        assert!(
            crashed.elapsed() < Duration::from_secs(20),
            "the second replica did not take the checkpoints over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // It runs a pass as the maintainer: the relay's own pass, on the shared database.
    let report = pli_server::maintenance::run_once(&second.state)
        .await
        .unwrap();
    assert_eq!(report.purged, 0);
}

/// The replica that runs the maintenance re-presents the checkpoint too seldom (as one
/// stuck, or cut off from the witnesses, would): another replica finds the stored
/// checkpoint's cosignatures overdue and presents it itself, lock or not.
#[tokio::test]
async fn another_replica_presents_a_checkpoint_the_maintainer_left_overdue() {
    if !on_postgres() {
        return;
    }
    use std::sync::atomic::Ordering;
    let first = pli_server::testing::spawn(Backend::Postgres, |c| {
        c.limits.cleanup_interval_seconds = 1;
    })
    .await
    .unwrap();
    let started = Instant::now();
    while !first.state.maintainer.load(Ordering::Relaxed) {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The set-up fills the log; its checkpoint is cosigned at once.
    super::harness::platform_admin_at(&pli_client::Client::new(&first.base), &first.setup_token)
        .await;
    // Its refresh is an hour; the second's a second: overdue after two.
    let second = first
        .replica(|c| {
            c.limits.cleanup_interval_seconds = 1;
            c.log.refresh_seconds = 1;
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = second.state.log.published();
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    assert!(!second.state.maintainer.load(Ordering::Relaxed));
    let after = second.state.log.published();
    assert!(
        after > before,
        "the second replica left the checkpoint overdue ({before} then {after})"
    );
    // Presented, it is fresh again: not every second.
    assert!(after - before <= 3, "{before} then {after}");
}

/// Two replicas publish at once after two directory changes: the one that signed the
/// smaller tree stores its checkpoint last. The larger one stays (clients would otherwise
/// be shown an older log than the change its author just made), and a checkpoint of the
/// same tree, presented again, still replaces it.
#[tokio::test]
async fn a_checkpoint_of_a_smaller_log_stored_late_does_not_replace_a_larger_one() {
    // Replicas run on PostgreSQL; the statement is the same on SQLite, checked there too.
    let mut backends = vec![Backend::Sqlite];
    if on_postgres() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        a_late_smaller_checkpoint_is_not_stored(backend).await;
    }
}

async fn a_late_smaller_checkpoint_is_not_stored(backend: Backend) {
    let relay = pli_server::testing::spawn(backend, |_| {}).await.unwrap();
    super::harness::platform_admin_at(&pli_client::Client::new(&relay.base), &relay.setup_token)
        .await;
    let store = &relay.state.store;
    relay.state.log.publish(store).await.unwrap();
    let head = store.log_head().await.unwrap();
    assert!(head.size >= 2, "{}", head.size);
    let stored = head.checkpoint.unwrap();

    store
        .set_log_checkpoint(head.size - 1, b"a replica's late checkpoint")
        .await
        .unwrap();
    assert_eq!(store.log_head().await.unwrap().checkpoint.unwrap(), stored);

    store
        .set_log_checkpoint(head.size, b"the same tree, cosigned again")
        .await
        .unwrap();
    assert_eq!(
        store.log_head().await.unwrap().checkpoint.unwrap(),
        b"the same tree, cosigned again"
    );
}

/// A caseworker sends 200 MB through nginx in front of two relay processes (round robin,
/// no sticky sessions) on one PostgreSQL database, keeping their blobs in one S3 bucket
/// (moto's server): the parts go to both, then the relay that took the first ones is
/// killed with SIGKILL mid-send and the rest go to the other, which completes the
/// exchange; the greffier, through the same balancer, opens it and gets the bytes sent.
/// Nothing went to the relays' own disks, and neither relay's log holds the password,
/// account secret, subject, file name or a piece of the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_through_the_balancer_goes_to_both_replicas_and_survives_one_killed() {
    if !on_postgres() {
        return;
    }
    if !S3Server::available() {
        return;
    }
    let bucket = S3Server::start().await.unwrap();
    let database = pli_server::testing::PostgresDatabase::create()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_pli-server"));
    let mut relays = Vec::new();
    for name in ["relay-1", "relay-2"] {
        let relay = pli_chaos::relay::Relay::new(
            binary,
            &dir.path().join(name),
            Some(database.url.clone()),
        );
        relays.push(relay.unwrap());
    }
    let balancer_port = pli_testkit::free_port().unwrap();
    // One public address, hence one log origin, for both; the balancer is trusted for
    // the clients' addresses.
    let config = dir.path().join("pli.toml");
    let public = format!("http://127.0.0.1:{balancer_port}");
    std::fs::write(
        &config,
        format!(
            "public_url = \"{public}\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n{}",
            bucket.file_section()
        ),
    )
    .unwrap();
    // nginx first, so that nothing the relays open takes its port; it needs no upstream
    // to be up (their ports are fixed).
    let bases: Vec<String> = relays.iter().map(pli_chaos::relay::Relay::base).collect();
    let balancer = pli_testkit::LoadBalancer::start_on(
        dir.path(),
        ([127, 0, 0, 1], balancer_port).into(),
        &[&bases[0], &bases[1]],
    )
    .unwrap();
    for relay in &mut relays {
        relay.start(Some(&config)).await.unwrap();
    }
    let people = pli_chaos::cast::cast(&balancer.base, &relays[0].setup_token().unwrap())
        .await
        .unwrap();

    let canary = pli_server::now_ms();
    let subject = format!("Canari sujet {canary}");
    let name = format!("canari-{canary}.pdf");
    let plaintext = data(200_000_000, 5);
    let first = bases[0].trim_start_matches("http://").to_owned();
    let other = bases[1].trim_start_matches("http://").to_owned();
    let parts_by = |relay: &str| -> usize {
        balancer
            .answered()
            .unwrap()
            .iter()
            .filter(|a| a.method == "PUT" && a.status < 300)
            .filter(|a| a.upstreams.last().is_some_and(|u| u == relay))
            .count()
    };
    // The send and, beside it on the same task, the watch that kills the first relay once
    // both took a part.
    let done = std::cell::Cell::new(false);
    let sending = async {
        let sent = people
            .caseworker
            .session
            .send(
                &people.court,
                vec![file(&name, plaintext.clone())],
                &options(&subject),
            )
            .await;
        done.set(true);
        sent
    };
    let (killed, survivor) = relays.split_at_mut(1);
    let watching = async {
        let started = Instant::now();
        while parts_by(&first) == 0 || parts_by(&other) == 0 {
            assert!(
                !done.get(),
                "the send ended before both relays took a part: {:?}",
                balancer.answered()
            );
            assert!(started.elapsed() < Duration::from_secs(120));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!done.get(), "the send ended before the kill");
        killed[0].kill().unwrap();
        (parts_by(&first), parts_by(&other))
    };
    let (sent, (before, survivor_before)) = tokio::join!(sending, watching);
    let id = sent.unwrap();
    assert_eq!(parts_by(&first), before, "no part went to the dead relay");
    assert!(
        parts_by(&other) > survivor_before,
        "the survivor took no part after the kill: {:?}",
        balancer.answered()
    );

    let greffier = &people.greffier.session;
    let received = greffier.open(&id).await.unwrap();
    assert_eq!(received.manifest.subject, subject);
    let mut opened = Vec::new();
    greffier
        .download_file(&received, 0, &mut opened)
        .await
        .unwrap();
    assert!(opened == plaintext, "the file came back altered");

    // The ciphertext is in the bucket, none on the relays' disks.
    let objects = bucket.objects().await.unwrap();
    let stored: usize = objects.iter().map(|(_, bytes)| bytes.len()).sum();
    assert!(stored > 200_000_000, "{stored} bytes in the bucket");
    for relay in [&killed[0], &survivor[0]] {
        let on_disk = relay.dir().join("blobs");
        assert!(
            !on_disk.exists() || std::fs::read_dir(&on_disk).unwrap().next().is_none(),
            "blobs written to {}",
            relay.dir().display()
        );
    }
    // Neither relay wrote a secret to its log or output (the canary test covers every
    // flow on one relay; this covers a send spread over two and a killed one).
    let account_key = people.caseworker.account_key();
    assert!(!account_key.is_empty());
    let setup_token = killed[0].setup_token().unwrap();
    let server_key = base64::engine::general_purpose::STANDARD.encode(pli_chaos::relay::SERVER_KEY);
    let secrets: [(&str, &[u8]); 9] = [
        ("the password", pli_chaos::cast::PASSWORD.as_bytes()),
        ("the account secret", account_key.as_bytes()),
        (
            "the caseworker's session token",
            people.caseworker.session.token().unwrap().as_bytes(),
        ),
        (
            "the greffier's session token",
            greffier.token().unwrap().as_bytes(),
        ),
        ("the server key", server_key.as_bytes()),
        (
            "the bucket's secret key",
            pli_testkit::s3::SECRET_ACCESS_KEY.as_bytes(),
        ),
        ("the subject", subject.as_bytes()),
        ("the file name", name.as_bytes()),
        ("a piece of the file", &plaintext[1_000_000..1_000_032]),
    ];
    let mut logged = 0;
    for relay in [&killed[0], &survivor[0]] {
        // The set-up link is printed on the standard output, for the operator; the log
        // (what log collectors keep) must not hold it.
        let log = std::fs::read(relay.dir().join("relay.log")).unwrap();
        let out = std::fs::read(relay.dir().join("relay.out")).unwrap();
        logged += log.len();
        let holds = |text: &[u8], secret: &[u8]| text.windows(secret.len()).any(|w| w == secret);
        assert!(
            !holds(&log, setup_token.as_bytes()),
            "the set-up token is in relay.log"
        );
        for (what, secret) in &secrets {
            for (file, text) in [("relay.log", &log), ("relay.out", &out)] {
                assert!(
                    !holds(text, secret),
                    "{what} is in {}/{file}",
                    relay.dir().display()
                );
            }
        }
    }
    assert!(logged > 10_000, "the relays logged {logged} bytes only");
}

/// Whether the test PostgreSQL is here (`cargo xtask test` starts it; CI always has it):
/// replicas share one.
fn on_postgres() -> bool {
    if std::env::var_os("PLI_TEST_DATABASE_URL").is_some() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI runs PostgreSQL");
    false
}

/// A platform set-up through `client` with the set-up link `token`, by `email`.
async fn set_up(
    client: &pli_client::Client,
    token: &str,
    email: &str,
) -> Result<(), pli_client::ClientError> {
    pli_client::Session::setup_platform(
        client,
        token,
        email,
        "Admin Plateforme",
        super::harness::PASSWORD,
        super::harness::test_kdf(),
    )
    .await
    .map(|_| ())
}

/// Asserts a set-up was refused as one with a link no longer valid.
fn link_refused(set_up: Result<(), pli_client::ClientError>) {
    match set_up {
        Err(refused) => assert_eq!(
            refused.code(),
            pli_api::ErrorCode::InvitationInvalid,
            "{refused}"
        ),
        Ok(()) => panic!("the set-up went through"),
    }
}

/// A relay on a fresh PostgreSQL database, and a second replica of it, neither set up.
async fn two_replicas() -> (
    pli_server::testing::TestServer,
    pli_server::testing::Replica,
) {
    let first = pli_server::testing::spawn(Backend::Postgres, |_| {})
        .await
        .unwrap();
    let second = first.replica(|_| {}).await.unwrap();
    (first, second)
}
