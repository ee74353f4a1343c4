//! Journeys 2 and 3: a caseworker sends a report with several files to the court, a
//! greffier sees it arrive live, opens it (sender verified), saves the files by streaming
//! decryption and replies; the caseworker sees it read, by whom, and gets the answer.
//! The bytes saved are the bytes sent, and nothing readable reached the relay.

use std::path::Path;
use std::time::Duration;

use pli_e2e::cast::{COURT, Cast, DEPT, PASSWORD, cast};
use pli_e2e::{Backend, Browser, TestServer, relay, until};
use pli_server::testing::s3::S3Server;

/// A string that must never reach the relay's database or blob folder.
const CANARY: &str = "CANARI-e2e-7f3a9c51";

/// Bytes that look like nothing in particular (xorshift), with the canary inside.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    if len >= CANARY.len() {
        bytes[..CANARY.len()].copy_from_slice(CANARY.as_bytes());
    }
    bytes
}

/// Fails if `needle` appears in any file under `dir`; returns how many bytes it read.
fn assert_absent(dir: &Path, needle: &[u8]) -> usize {
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            read += assert_absent(&path, needle);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            read += bytes.len();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds plaintext",
                path.display()
            );
        }
    }
    read
}

/// Where the journeys run: one relay on SQLite with its blobs on its disk; or, on
/// PostgreSQL, two replicas sharing one S3 bucket (moto's server) behind nginx balancing
/// them round robin — as the national service runs — the browsers knowing only nginx.
struct Site {
    server: TestServer,
    /// The address the browsers use.
    base: String,
    balanced: Option<Balanced>,
}

/// The second replica, the bucket and the balancer of a balanced [`Site`].
struct Balanced {
    replica: pli_server::testing::Replica,
    bucket: S3Server,
    balancer: pli_testkit::LoadBalancer,
    _dir: tempfile::TempDir,
}

async fn site(backend: Backend) -> Site {
    if backend == Backend::Sqlite {
        let server = relay(backend).await.unwrap();
        let base = server.base.clone();
        return Site {
            server,
            base,
            balanced: None,
        };
    }
    let bucket = S3Server::start().await.unwrap();
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], pli_testkit::free_port().unwrap()));
    let web = pli_server::testing::web_dist().unwrap();
    let section = bucket.section();
    let server = pli_server::testing::spawn(backend, move |c| {
        c.web_dir = Some(web);
        c.public_url = format!("http://{address}");
        c.s3 = Some(section);
    })
    .await
    .unwrap();
    let replica = server.replica(|_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let balancer =
        pli_testkit::LoadBalancer::start_on(dir.path(), address, &[&server.base, &replica.base])
            .unwrap();
    Site {
        base: balancer.base.clone(),
        server,
        balanced: Some(Balanced {
            replica,
            bucket,
            balancer,
            _dir: dir,
        }),
    }
}

async fn send_and_receive(backend: Backend, big: usize, label: &str) {
    if backend == Backend::Postgres && !S3Server::available() {
        return;
    }
    let site = site(backend).await;
    let server = &site.server;
    let Cast {
        greffier,
        caseworker,
        ..
    } = cast(&site.base, &server.setup_token).await.unwrap();

    let files = tempfile::tempdir().unwrap();
    let report = files.path().join("Signalement Léa B.pdf");
    let report_bytes = content(150_000, 1);
    std::fs::write(&report, &report_bytes).unwrap();
    let annex = files.path().join("annexe.bin");
    let annex_bytes = content(big, 2);
    std::fs::write(&annex, &annex_bytes).unwrap();

    // The greffier waits on the court's inbox.
    let mut court = Browser::logged_in(&site.base, &format!("{label}-court"), &greffier)
        .await
        .unwrap();
    court.goto("#/inbox").await.unwrap();
    court.find("[data-testid=empty]").await.unwrap();
    court.record("inbox-empty").await.unwrap();

    // Journey 2: the caseworker sends.
    let mut ase = Browser::logged_in(&site.base, &format!("{label}-ase"), &caseworker)
        .await
        .unwrap();
    ase.goto("#/send").await.unwrap();
    let subject = format!("Danger immédiat {CANARY}");
    ase.fill_send_form(&[&report, &annex], COURT, "Signalement", &subject)
        .await
        .unwrap();
    ase.click("#urgent").await.unwrap();
    ase.fill("#case-reference", "2026/00042").await.unwrap();
    ase.fill(
        "#message",
        &format!("Merci de traiter en urgence. {CANARY}"),
    )
    .await
    .unwrap();
    ase.record("compose-filled").await.unwrap();
    // The most runs of chunks the worker's pool of sealing helpers reports having sealed
    // (the progress bars' `data-pooled`) and hashed (`data-hashed`), watched for as long
    // as the page lives.
    ase.run(
        "window.pooled = 0; window.hashed = 0;\
         new MutationObserver(() => {\
           for (const bar of document.querySelectorAll('progress[data-pooled]')) {\
             window.pooled = Math.max(window.pooled, Number(bar.dataset.pooled));\
             window.hashed = Math.max(window.hashed, Number(bar.dataset.hashed || 0));\
           }\
         }).observe(document.body, { subtree: true, childList: true, attributes: true });",
    )
    .await
    .unwrap();
    ase.click("[data-testid=send]").await.unwrap();
    // The send is followed where it happens: the focus on its status line, the progress
    // bars in view (the button is at the foot of a long form).
    let followed = ase
        .wait_for(
            "#compose-status:focus ~ [data-testid=send-progress]",
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    drop(followed);
    let in_view = ase
        .run(
            "const r = document.querySelector('[data-testid=send-progress]').getBoundingClientRect();\
             return r.top >= 0 && r.bottom <= window.innerHeight;",
        )
        .await
        .unwrap();
    assert_eq!(
        in_view,
        serde_json::json!(true),
        "the progress bars are out of view"
    );
    ase.wait_for("[data-testid=sent]", Duration::from_secs(300))
        .await
        .unwrap();
    ase.record("sent").await.unwrap();
    // The chunks were sealed by the pool's helpers, not on the keys' worker alone. The
    // keys' worker seals alone until a helper says it is ready, which a send of a few
    // megabytes may not wait for; a large file's 4 MiB runs go to the pool.
    let pooled = ase.run("return window.pooled;").await.unwrap();
    assert!(
        big < 64 << 20 || pooled.as_u64().is_some_and(|n| n >= 8),
        "the pool of sealing workers sealed {pooled} runs"
    );
    // And one of them hashed the file's plaintext for the manifest (which the court's
    // download below checks), not the keys' worker.
    let hashed = ase.run("return window.hashed;").await.unwrap();
    assert!(
        big < 64 << 20 || hashed.as_u64().is_some_and(|n| n >= 8),
        "the pool's helpers did {hashed} hash jobs"
    );

    // Journey 3: it appears in the court's inbox without reloading, urgent and unread.
    let row = court
        .wait_for(
            "[data-testid=exchange-row][data-unread=true][data-urgent=true]",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(row.text().await.unwrap().contains(DEPT));
    court.record("inbox-new").await.unwrap();
    row.find(fantoccini::Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    court.find("[data-testid=verified-badge]").await.unwrap();
    court
        .wait_for_text(&subject, Duration::from_secs(5))
        .await
        .unwrap();
    court
        .wait_for_text(&caseworker.name, Duration::from_secs(5))
        .await
        .unwrap();
    court.find("[data-testid=receipt-sent]").await.unwrap();
    court.record("exchange-opened").await.unwrap();

    assert!(court.save_file(0, "Signalement Léa B.pdf").await.unwrap() == report_bytes);
    assert!(court.save_file(1, "annexe.bin").await.unwrap() == annex_bytes);
    court.record("files-saved").await.unwrap();

    // The caseworker's outbox shows it read, by the greffier (receipt verified).
    ase.goto("#/outbox").await.unwrap();
    let read = ase
        .wait_for(
            "[data-testid=exchange-row] [data-state=read]",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    drop(read);
    ase.wait_for_text(&greffier.name, Duration::from_secs(10))
        .await
        .unwrap();
    ase.record("outbox-read").await.unwrap();

    // The court answers with a decision; the caseworker sees it arrive.
    court.click("[data-testid=reply]").await.unwrap();
    court.find("[data-testid=reply-to]").await.unwrap();
    let decision = files.path().join("ordonnance.pdf");
    let decision_bytes = content(70_000, 3);
    std::fs::write(&decision, &decision_bytes).unwrap();
    court
        .attach("[data-testid=file-input]", &[&decision])
        .await
        .unwrap();
    court.select("#category", "Décision").await.unwrap();
    court
        .fill("#subject", &format!("Ordonnance de placement {CANARY}"))
        .await
        .unwrap();
    court.record("reply-filled").await.unwrap();
    court.click("[data-testid=send]").await.unwrap();
    court
        .wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    ase.goto("#/inbox").await.unwrap();
    ase.wait_for(
        "[data-testid=exchange-row][data-unread=true]",
        Duration::from_secs(30),
    )
    .await
    .unwrap()
    .find(fantoccini::Locator::Css("a"))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    ase.find("[data-testid=verified-badge]").await.unwrap();
    ase.find("[data-testid=in-reply-to]").await.unwrap();
    assert!(ase.save_file(0, "ordonnance.pdf").await.unwrap() == decision_bytes);
    ase.record("decision-opened").await.unwrap();

    // Nothing readable reached the relay: not the subject, the message, the names of the
    // files or their contents.
    for needle in [CANARY, "Signalement Léa", "ordonnance.pdf", "annexe.bin"] {
        match &site.balanced {
            // It read the ciphertext of every file (and the database, on SQLite).
            None => assert!(assert_absent(server.data.path(), needle.as_bytes()) > big),
            Some(balanced) => {
                let mut read = 0;
                for (key, bytes) in balanced.bucket.objects().await.unwrap() {
                    read += bytes.len();
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                        "the bucket's {key} holds plaintext"
                    );
                }
                assert!(read > big, "{read} bytes in the bucket");
            }
        }
    }
    if let Some(balanced) = &site.balanced {
        // Both replicas served the journeys: nginx sent them requests in turn (so the live
        // events the browsers waited for crossed from one replica to the other).
        let answered = balanced.balancer.answered().unwrap();
        for relay in [&server.base, &balanced.replica.base] {
            let relay = relay.trim_start_matches("http://");
            let served = answered
                .iter()
                .filter(|a| a.status < 400 && a.upstreams.last().is_some_and(|u| u == relay))
                .count();
            assert!(
                served > 10,
                "{relay} answered {served} requests: {answered:?}"
            );
        }
    }
    if backend == Backend::Postgres {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server.database_url)
            .await
            .unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert!(tables.len() > 5, "{tables:?}");
        // bytea columns print as hex.
        let hex: String = CANARY.bytes().map(|b| format!("{b:02x}")).collect();
        for table in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for row in rows {
                assert!(
                    !row.contains(CANARY) && !row.contains(&hex) && !row.contains("annexe.bin"),
                    "{table} holds plaintext"
                );
            }
        }
    }
    ase.close().await.unwrap();
    court.close().await.unwrap();
}

#[tokio::test]
async fn journeys_2_and_3_send_and_receive_on_sqlite_with_a_200_mb_file() {
    send_and_receive(Backend::Sqlite, 200 * 1000 * 1000, "journey2-sqlite").await;
}

/// On PostgreSQL, through nginx in front of two replicas sharing an S3 bucket.
#[tokio::test]
async fn journeys_2_and_3_send_and_receive_on_postgres() {
    send_and_receive(Backend::Postgres, 5 * 1024 * 1024 + 17, "journey2-postgres").await;
}

/// Waits until the send page says at least `percent` % of the upload is on the relay.
async fn wait_for_upload(browser: &Browser, percent: u32) {
    let started = std::time::Instant::now();
    loop {
        let value = browser
            .run("const bar = document.querySelector('[data-testid=progress-upload]'); return bar ? Number(bar.value) : 0;")
            .await
            .unwrap();
        if value.as_f64().unwrap_or(0.0) >= f64::from(percent) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the upload never reached {percent} %"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reloads the page once `percent` % of the send under way is on the relay, unlocks the
/// keys again (the session survives a reload, the keys do not), and comes back to the
/// send page, which offers to resume.
async fn interrupt_by_reload(browser: &Browser, percent: u32) {
    wait_for_upload(browser, percent).await;
    browser.client.refresh().await.unwrap();
    browser.fill("#unlock-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser.goto("#/send").await.unwrap();
    browser.find("[data-testid=resume]").await.unwrap();
}

/// Bytes in the relay's data folder outside its database files.
fn blob_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            total += blob_bytes(&path);
        } else if !entry.file_name().to_string_lossy().starts_with("pli.db") {
            total += entry.metadata().unwrap().len();
        }
    }
    total
}

#[tokio::test]
async fn journey_2_a_send_can_be_cancelled_and_leaves_nothing() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let Cast { caseworker, .. } = cast(&server.base, &server.setup_token).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let big = files.path().join("dossier complet.bin");
    std::fs::write(&big, content(300 * 1000 * 1000, 4)).unwrap();

    let mut ase = Browser::logged_in(&server.base, "journey2-cancel", &caseworker)
        .await
        .unwrap();
    ase.goto("#/send").await.unwrap();
    ase.fill_send_form(&[&big], COURT, "Rapport", "Rapport annuel")
        .await
        .unwrap();
    ase.click("[data-testid=send]").await.unwrap();
    // Cancel once the first parts are on the relay.
    wait_for_upload(&ase, 1).await;
    ase.click("[data-testid=cancel]").await.unwrap();
    ase.wait_for_text("Envoi annulé", Duration::from_secs(60))
        .await
        .unwrap();
    ase.record("send-cancelled").await.unwrap();
    // Nothing was delivered, and the parts sent are erased: a part still on its way when
    // the send was cancelled is erased as it ends (the relay refuses to keep it).
    let outbox = caseworker.session.outbox().await.unwrap();
    assert!(outbox.exchanges.is_empty(), "{:?}", outbox.exchanges);
    let data = server.data.path();
    until(Duration::from_secs(10), || async move {
        match blob_bytes(data) {
            kept if kept < 1 << 20 => Ok(()),
            kept => Err(format!("{kept} bytes of parts stay on the relay")),
        }
    })
    .await;
    // The form is still filled in: the person can send again.
    ase.wait_for_text("dossier complet.bin", Duration::from_secs(5))
        .await
        .unwrap();
    ase.close().await.unwrap();
}

#[tokio::test]
async fn journey_2_a_send_interrupted_by_a_reload_is_resumed_with_the_same_files() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let Cast {
        greffier,
        caseworker,
        ..
    } = cast(&server.base, &server.setup_token).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let letter = files.path().join("courrier.pdf");
    let letter_bytes = content(90_000, 5);
    std::fs::write(&letter, &letter_bytes).unwrap();
    let big = files.path().join("évaluation complète.bin");
    let big_bytes = content(200 * 1000 * 1000, 6);
    std::fs::write(&big, &big_bytes).unwrap();

    let mut ase = Browser::logged_in(&server.base, "journey2-resume", &caseworker)
        .await
        .unwrap();
    ase.goto("#/send").await.unwrap();
    ase.fill_send_form(
        &[&letter, &big],
        COURT,
        "Demande",
        "Évaluation de la situation",
    )
    .await
    .unwrap();
    ase.click("[data-testid=send]").await.unwrap();
    // Reload once the first parts of the big file are on the relay.
    interrupt_by_reload(&ase, 12).await;
    ase.wait_for_text("Évaluation de la situation", Duration::from_secs(5))
        .await
        .unwrap();
    ase.record("resume-offered").await.unwrap();

    // The relay holds part of it, undelivered.
    let outbox = caseworker.session.outbox().await.unwrap();
    let [upload] = outbox.exchanges.as_slice() else {
        panic!("{:?}", outbox.exchanges);
    };
    assert_eq!(upload.state, pli_api::ExchangeState::Uploading);
    let status: pli_api::messages::ExchangeCreated = caseworker
        .session
        .client()
        .get(&format!("/api/exchanges/{}/upload", upload.exchange_id))
        .await
        .unwrap();
    let stored = status.objects[2].parts_stored;
    assert!(
        stored >= 1 && stored < status.objects[2].part_count,
        "{status:?}"
    );

    // Only one of the files picked: refused, with the reason.
    ase.attach("[data-testid=resume-files]", &[&letter])
        .await
        .unwrap();
    ase.click("[data-testid=resume-send]").await.unwrap();
    ase.find("[data-testid=resume-failure]").await.unwrap();
    ase.wait_for_text("mêmes noms, mêmes tailles", Duration::from_secs(5))
        .await
        .unwrap();
    ase.record("resume-wrong-files").await.unwrap();
    // Both: resumed and delivered.
    ase.attach("[data-testid=resume-files]", &[&letter, &big])
        .await
        .unwrap();
    ase.click("[data-testid=resume-send]").await.unwrap();
    ase.wait_for("[data-testid=resumed]", Duration::from_secs(300))
        .await
        .unwrap();
    ase.record("resumed").await.unwrap();

    let received = greffier.session.open(&upload.exchange_id).await.unwrap();
    assert_eq!(received.manifest.subject, "Évaluation de la situation");
    for (index, expected) in [(0, &letter_bytes), (1, &big_bytes)] {
        let mut out = Vec::new();
        greffier
            .session
            .download_file(&received, index, &mut out)
            .await
            .unwrap();
        assert!(out == *expected, "file {index}");
    }
    // The plan is forgotten once delivered: the send page offers nothing to resume.
    ase.goto("#/inbox").await.unwrap();
    ase.goto("#/send").await.unwrap();
    ase.find("[data-testid=file-input]").await.unwrap();
    assert!(!ase.has("[data-testid=resume]").await.unwrap());
    ase.close().await.unwrap();
}

#[tokio::test]
async fn journey_2_an_interrupted_send_can_be_abandoned_and_leaves_nothing() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let Cast { caseworker, .. } = cast(&server.base, &server.setup_token).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let big = files.path().join("dossier.bin");
    std::fs::write(&big, content(100 * 1000 * 1000, 7)).unwrap();

    let mut ase = Browser::logged_in(&server.base, "journey2-abandon", &caseworker)
        .await
        .unwrap();
    ase.goto("#/send").await.unwrap();
    ase.fill_send_form(&[&big], COURT, "Rapport", "Rapport trimestriel")
        .await
        .unwrap();
    ase.click("[data-testid=send]").await.unwrap();
    interrupt_by_reload(&ase, 1).await;
    assert!(blob_bytes(server.data.path()) > 1 << 20);
    ase.click("[data-testid=resume-abandon]").await.unwrap();
    ase.find("[data-testid=abandoned]").await.unwrap();
    ase.record("resume-abandoned").await.unwrap();
    // Erased on the relay, and nothing left to resume.
    let outbox = caseworker.session.outbox().await.unwrap();
    assert!(outbox.exchanges.is_empty(), "{:?}", outbox.exchanges);
    assert!(blob_bytes(server.data.path()) < 1 << 20);
    ase.goto("#/inbox").await.unwrap();
    ase.goto("#/send").await.unwrap();
    ase.find("[data-testid=file-input]").await.unwrap();
    assert!(!ase.has("[data-testid=resume]").await.unwrap());
    ase.close().await.unwrap();
}
