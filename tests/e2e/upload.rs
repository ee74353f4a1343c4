//! A send's parts on their way, in Chromium (the worker's own `fetch`, `http/fetch.rs`): a
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
    // Its last part's answer is lost: `fetch` fails, and the part goes again.
    proxy.lose_next_answer("PUT", "/objects/1/parts/2");
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
    // from the relay, which got the first two parts once and the last twice (its first
    // answer lost), the same bytes each time.
    let forwarded = || {
        let mut parts = [0; 3];
        for (idx, part, _) in proxy.part_uploads() {
            if let (1, Some(count)) = (idx, parts.get_mut(part as usize)) {
                *count += 1;
            }
        }
        parts
    };
    assert_eq!(forwarded(), [1, 1, 2]);
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
    // The busy answer was met: the part went once to the fake, then once to the relay.
    assert_eq!(faked(503), [Some("1/parts/0".to_owned())]);

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
    assert_eq!(faked(507), [Some("1/parts/1".to_owned())]);
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
