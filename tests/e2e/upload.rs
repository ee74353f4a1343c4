//! A send's parts on their way, in Chromium (the worker's `fetch`, through reqwest): a
//! relay too busy for a part (503 `busy`) gets it again and the file arrives whole; a
//! relay whose disk is full (507 `storage_full`) fails the send with its French
//! explanation, and « Réessayer » then sends only what the relay lacks.

use std::time::Duration;

use pli_e2e::Browser;
use pli_e2e::cast::{COURT, cast};

use super::lying::behind_proxy;

#[tokio::test]
async fn a_part_refused_as_busy_goes_again_and_a_full_disk_is_said_then_retried() {
    let (server, proxy) = behind_proxy().await;
    let people = cast(&server.base, &server.setup_token).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let report = files.path().join("rapport.bin");
    // Three parts: 16, 16 and 8 MiB.
    let bytes: Vec<u8> = (0..40u32 << 20).map(|i| (i % 253) as u8).collect();
    std::fs::write(&report, &bytes).unwrap();
    let mut browser = Browser::logged_in(&proxy.base, "upload-busy", &people.caseworker)
        .await
        .unwrap();

    // The file is object 1 (the manifest object 0): its first part meets a busy relay.
    let busy = br#"{"error":{"code":"busy","message":"every upload slot is taken"}}"#;
    proxy.fake_next_ending("PUT", "/objects/1/parts/0", 503, busy);
    browser.goto("#/send").await.unwrap();
    browser
        .fill_send_form(&[&report], COURT, "Rapport", "Rapport de situation")
        .await
        .unwrap();
    browser.click("[data-testid=send]").await.unwrap();
    browser
        .wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    // The file's parts the relay got, by part: the faked answer kept the first attempt
    // from the relay, which got each part once.
    let forwarded = || {
        let mut parts = [0; 3];
        for (idx, part, _) in proxy.part_uploads() {
            if let (1, Some(count)) = (idx, parts.get_mut(part as usize)) {
                *count += 1;
            }
        }
        parts
    };
    assert_eq!(forwarded(), [1, 1, 1]);

    // The next send's second part meets a full disk: not retried, said in French.
    let full = br#"{"error":{"code":"storage_full","message":"the disk is full"}}"#;
    proxy.fake_next_ending("PUT", "/objects/1/parts/1", 507, full);
    browser.goto("#/send").await.unwrap();
    browser
        .fill_send_form(&[&report], COURT, "Rapport", "Rapport de situation (2)")
        .await
        .unwrap();
    let before = forwarded();
    let since = |before: [usize; 3]| {
        let now = forwarded();
        [0, 1, 2].map(|i| now[i] - before[i])
    };
    browser.click("[data-testid=send]").await.unwrap();
    browser
        .wait_for_text(
            "L'espace de stockage du serveur est plein",
            Duration::from_secs(120),
        )
        .await
        .unwrap();
    browser.record("upload-storage-full").await.unwrap();
    // Only the first part went: the second was refused, the third never started.
    assert_eq!(since(before), [1, 0, 0]);
    browser.click("[data-testid=retry]").await.unwrap();
    browser
        .wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    // The retry sent the two parts the relay lacked, not the first again.
    assert_eq!(since(before), [1, 1, 1]);

    // Both arrive whole.
    let greffier = &people.greffier.session;
    let inbox = greffier.inbox().await.unwrap();
    assert_eq!(inbox.exchanges.len(), 2);
    for exchange in &inbox.exchanges {
        let received = greffier.open(&exchange.exchange_id).await.unwrap();
        let mut out = Vec::new();
        greffier
            .download_file(&received, 0, &mut out)
            .await
            .unwrap();
        assert!(out == bytes, "a file sent through the busy relay differs");
    }
    browser.close().await.unwrap();
}
