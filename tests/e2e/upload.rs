//! A send's parts on their way, in Chromium (the worker's `fetch`, through reqwest): a
//! relay too busy for a part (503 `busy`) gets it again, and so does one whose answer was
//! lost (the connection cut as it answered), and the file arrives whole; a relay whose
//! disk is full (507 `storage_full`) fails the send with its French explanation, and
//! « Réessayer » then sends only what the relay lacks.

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
    // Its last part's answers are lost, five times: more than Chromium sends a request
    // again by itself (when a kept-alive connection closes before any answer, at most
    // twice), so `fetch` fails, and the worker sends the part again.
    proxy.lose_next_answers("PUT", "/objects/1/parts/2", 5);
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
    // The file's parts that left the browser, by part: the first twice (the fake answered
    // the first time), the second once, the last six times (five answers lost), the same
    // bytes each time.
    let left = || {
        let mut parts = [0; 3];
        for (idx, part, _) in proxy.part_uploads() {
            if let (1, Some(count)) = (idx, parts.get_mut(part as usize)) {
                *count += 1;
            }
        }
        parts
    };
    assert_eq!(left(), [2, 1, 6]);
    let last: std::collections::BTreeSet<[u8; 32]> = proxy
        .part_uploads()
        .into_iter()
        .filter(|(idx, part, _)| (*idx, *part) == (1, 2))
        .map(|(.., sha256)| sha256)
        .collect();
    assert_eq!(last.len(), 1, "the part sent again is the same");
    let faked = |status: u16| {
        proxy
            .faked()
            .iter()
            .filter(|seen| seen.status == status)
            .map(|seen| {
                seen.path
                    .rsplit_once("/objects/")
                    .map(|(_, end)| end.to_owned())
            })
            .collect::<Vec<_>>()
    };
    // The busy answer was met.
    assert_eq!(faked(503), [Some("1/parts/0".to_owned())]);

    // The next send's second part meets a full disk: not retried, said in French.
    let full = br#"{"error":{"code":"storage_full","message":"the disk is full"}}"#;
    proxy.fake_next_ending("PUT", "/objects/1/parts/1", 507, full);
    browser.goto("#/send").await.unwrap();
    browser
        .fill_send_form(&[&report], COURT, "Rapport", "Rapport de situation (2)")
        .await
        .unwrap();
    let before = left();
    let since = |before: [usize; 3]| {
        let now = left();
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
    // The first part went, the second was refused (by the fake: the relay never saw it),
    // the third never started.
    assert_eq!(since(before), [1, 1, 0]);
    assert_eq!(faked(507), [Some("1/parts/1".to_owned())]);
    browser.click("[data-testid=retry]").await.unwrap();
    browser
        .wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    // The retry sent the two parts the relay lacked, not the first again.
    assert_eq!(since(before), [1, 2, 1]);

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
