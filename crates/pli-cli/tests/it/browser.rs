//! `pli` and the web app on either side of one exchange (issue 13): files sent with
//! `pli send` open in headless Chromium with the sender verified, and files sent from
//! Chromium are received by `pli receive`, verified; either way the bytes saved are the
//! bytes sent and the sender sees the signed read receipt.
//!
//! The relay (in this process, on SQLite and on PostgreSQL, with [`crate::network`]'s
//! cast) serves the
//! built web app, and the browser is the browser tests' (`pli_e2e`'s `Browser`:
//! chromedriver, screenshots into `target/e2e-screenshots/`, axe-core on every page
//! recorded). Like those tests, these fail rather than skip without Chromium,
//! chromedriver, the bundle (`cargo xtask web`, or `PLI_WEB_DIST`) or axe-core
//! (`PLI_AXE_JS`): `cargo xtask test` provides all four, so CI always runs them.

use std::fs;
use std::time::Duration;

use pli_chaos::cast::{COURT, Cast, DEPT, Person};
use pli_e2e::Browser;
use pli_server::testing::{Backend, TestServer};
use serde_json::Value;

use crate::harness::{data, entries, temp_dir};
use crate::network::{User, relay_on, row, write};

/// A relay on `backend` serving the built web app, and its cast.
async fn relay(backend: Backend) -> (TestServer, Cast) {
    let web = pli_server::testing::web_dist().unwrap();
    Box::pin(relay_on(backend, move |config| config.web_dir = Some(web))).await
}

/// The fingerprint of `person`'s signing key (the web app shows it grouped, `pli` in
/// hexadecimal).
fn signing_fingerprint(person: &Person) -> pli_crypto::sign::Fingerprint {
    person.session.keys.signing.verifying_key().fingerprint()
}

/// CLI → browser: the greffier waits on the court's inbox in Chromium; the caseworker
/// sends a report and a note with `pli send`. The exchange appears without a reload,
/// opens with the badge naming the caseworker (and their key's fingerprint), the files
/// saved are the bytes `pli` sent, under their names, and `pli outbox` then shows the
/// receipt the browser signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_sent_with_pli_open_verified_in_chromium_and_pli_sees_the_receipt() {
    Box::pin(cli_to_browser(Backend::Sqlite, "cli-to-browser")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_sent_with_pli_open_verified_in_chromium_on_postgres() {
    Box::pin(cli_to_browser(Backend::Postgres, "cli-to-browser-pg")).await;
}

async fn cli_to_browser(backend: Backend, name: &str) {
    let (server, cast) = Box::pin(relay(backend)).await;
    let ase = User::of(&cast.caseworker);
    ase.ok(&["login", "--url", &server.base]);
    let mut court = Box::pin(Browser::logged_in(&server.base, name, &cast.greffier))
        .await
        .unwrap();
    court.goto("#/inbox").await.unwrap();
    court.find("[data-testid=empty]").await.unwrap();

    let files = temp_dir();
    let report_name = "Rapport de situation Léa B.pdf";
    let report_bytes = data(300_000 + 17, 21);
    let report = write(files.path(), report_name, &report_bytes);
    let note_bytes = "Calendrier des visites : mardi et vendredi.\n".as_bytes();
    let note = write(files.path(), "note.txt", note_bytes);
    let subject = "Rapport de situation — Léa B.";
    let sent = ase.json(&[
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "rapport",
        "--subject",
        subject,
        "--case-ref",
        "2026/00042",
        report.to_str().unwrap(),
        note.to_str().unwrap(),
    ]);
    let id = sent["exchange_id"].as_str().unwrap().to_owned();
    assert_eq!(row(&ase.json(&["outbox"]), &id)["read_at"], Value::Null);

    // It appears in the court's inbox without a reload, unread.
    let listed = court
        .wait_for(
            "[data-testid=exchange-row][data-unread=true]",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(listed.text().await.unwrap().contains(DEPT));
    court.record("inbox-new").await.unwrap();
    court
        .click("[data-testid=exchange-row][data-unread=true] a")
        .await
        .unwrap();
    let badge = court
        .find("[data-testid=verified-badge]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        badge.contains(&cast.caseworker.name) && badge.contains(DEPT),
        "{badge}"
    );
    // A person sent it: no « logiciel » mark.
    let marked = court
        .run("return document.querySelector('[data-testid=sender-service]') !== null;")
        .await
        .unwrap();
    assert_eq!(marked, Value::Bool(false));
    // The fingerprint sits in a closed <details>: its text, not what is shown.
    let fingerprint = court
        .run("return document.querySelector('[data-testid=sender-fingerprint]').textContent;")
        .await
        .unwrap();
    assert_eq!(
        fingerprint.as_str(),
        Some(signing_fingerprint(&cast.caseworker).to_string().as_str())
    );
    court
        .wait_for_text(subject, Duration::from_secs(5))
        .await
        .unwrap();
    court
        .wait_for_text("2026/00042", Duration::from_secs(5))
        .await
        .unwrap();
    court.find("[data-testid=receipt-sent]").await.unwrap();
    court.record("exchange-opened").await.unwrap();

    assert!(court.save_file(0, report_name).await.unwrap() == report_bytes);
    assert!(court.save_file(1, "note.txt").await.unwrap() == note_bytes);
    court.record("files-saved").await.unwrap();

    // The receipt the browser signed is what pli outbox reports.
    let outbox = ase.json(&["outbox"]);
    assert!(row(&outbox, &id)["read_at"].is_u64(), "{outbox}");
    court.close().await.unwrap();
}

/// Browser → CLI: the caseworker sends a report from Chromium; the greffier finds it with
/// `pli inbox --json` and receives it with `pli receive ID --to DIR --json`, which names
/// the caseworker (their account and signing key) as the verified sender and writes the
/// exact bytes under the file's name; the caseworker's outbox in Chromium then shows it
/// read by the greffier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_from_chromium_is_received_verified_by_pli_and_the_receipt_shows() {
    Box::pin(browser_to_cli(Backend::Sqlite, "browser-to-cli")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_from_chromium_is_received_verified_by_pli_on_postgres() {
    Box::pin(browser_to_cli(Backend::Postgres, "browser-to-cli-pg")).await;
}

async fn browser_to_cli(backend: Backend, name: &str) {
    let (server, cast) = Box::pin(relay(backend)).await;
    let court = User::of(&cast.greffier);
    court.ok(&["login", "--url", &server.base]);
    let mut ase = Box::pin(Browser::logged_in(&server.base, name, &cast.caseworker))
        .await
        .unwrap();

    let files = temp_dir();
    let name = "Évaluation Léa B.pdf";
    let bytes = data(250_000 + 3, 22);
    let path = write(files.path(), name, &bytes);
    let subject = "Évaluation de la situation — Léa B.";
    ase.goto("#/send").await.unwrap();
    ase.fill_send_form(&[&path], COURT, "Rapport", subject)
        .await
        .unwrap();
    ase.fill("#case-reference", "2026/00043").await.unwrap();
    ase.record("compose-filled").await.unwrap();
    ase.click("[data-testid=send]").await.unwrap();
    ase.wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    ase.record("sent").await.unwrap();

    let inbox = court.json(&["inbox"]);
    let listed = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == subject)
        .unwrap_or_else(|| panic!("{inbox}"));
    assert_eq!(listed["verification"], "read", "{listed}");
    assert_eq!(listed["counterpart"], DEPT);
    assert_eq!(listed["read_at"], Value::Null);
    let id = listed["exchange_id"].as_str().unwrap();

    let dir = temp_dir();
    let received = court.json(&["receive", id, "--to", dir.path().to_str().unwrap()]);
    assert_eq!(received["failed"], serde_json::json!([]), "{received}");
    let [one] = received["received"].as_array().unwrap().as_slice() else {
        panic!("{received}");
    };
    assert_eq!(one["exchange_id"], id);
    let sender = &one["sender"];
    assert_eq!(sender["name"], cast.caseworker.name.as_str());
    assert_eq!(sender["organisation"], DEPT);
    assert_eq!(
        sender["user_id"],
        cast.caseworker.session.me.user_id.to_string().as_str()
    );
    let signing = signing_fingerprint(&cast.caseworker).to_hex();
    assert_eq!(sender["signing_key"], signing.as_str());
    assert_eq!(one["category"], "rapport");
    assert_eq!(one["subject"], subject);
    assert_eq!(one["case_reference"], "2026/00043");
    assert_eq!(one["files"][0]["name"], name);
    assert_eq!(one["files"][0]["size"], bytes.len());
    assert_eq!(one["acknowledged"], true);
    assert_eq!(entries(dir.path()), [name]);
    assert!(fs::read(dir.path().join(name)).unwrap() == bytes);

    // The caseworker's outbox shows it read, by the greffier (the receipt verified).
    ase.goto("#/outbox").await.unwrap();
    ase.wait_for(
        "[data-testid=exchange-row] [data-state=read]",
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let reader = ase
        .find("[data-testid=reader]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reader.contains(&cast.greffier.name), "{reader}");
    ase.record("outbox-read").await.unwrap();
    ase.close().await.unwrap();
}
