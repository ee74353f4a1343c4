//! A resume never seals two plaintexts under one key and nonce, in Chromium (issue 9):
//! no part leaves the browser before the page stored the plan covering it, however slow
//! the page is to store it, and a send under way in one tab cannot be resumed in
//! another. Both run behind the lying proxy (`lying::behind_proxy`), which holds a part
//! and sees every part's bytes.

use std::time::Duration;

use pli_e2e::cast::{COURT, Cast, PASSWORD, cast};
use pli_e2e::{Browser, TestServer};
use pli_server::testing::proxy::{Hold, Proxy};
use tempfile::TempDir;

use super::lying::behind_proxy;

/// Wraps the page's `localStorage.setItem` so that storing a send's plan takes 1.5 s (a
/// slow disk, a busy page) and is recorded as `[began, ended]` in `window.planWrites`.
const SLOW_PLAN_WRITES: &str = "
    window.planWrites = [];
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
        if (key !== 'pli.pending-send') return setItem.call(this, key, value);
        const began = Date.now();
        while (Date.now() - began < 1500) {}
        setItem.call(this, key, value);
        window.planWrites.push([began, Date.now()]);
    };
    return true;";

/// A send from the caseworker's browser caught midway, as both tests start: behind the
/// lying proxy, a 40 MiB `rapport.bin` is being sent to the court, and the proxy holds
/// its second part, whose bytes have left the browser (the file's first part went on to
/// the relay).
/// Its tests bind every field: the relay, the proxy and the file must outlive the send.
struct HeldSend {
    /// The relay.
    _server: TestServer,
    proxy: Proxy,
    people: Cast,
    /// Holds `rapport.bin`.
    files: TempDir,
    /// `rapport.bin`'s bytes.
    bytes: Vec<u8>,
    browser: Browser,
    /// The held second part.
    hold: Hold,
}

/// Starts [`HeldSend`] in a browser for test `label`: `rapport.bin`'s bytes count up
/// modulo `period`, and `page_script`, if any, runs in the send page before the form is
/// filled.
async fn a_send_held_at_its_second_part(
    label: &str,
    period: u32,
    page_script: Option<&str>,
) -> HeldSend {
    let (server, proxy) = behind_proxy().await;
    let people = cast(&server.base, &server.setup_token).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let report = files.path().join("rapport.bin");
    let bytes: Vec<u8> = (0..40u32 << 20).map(|i| (i % period) as u8).collect();
    std::fs::write(&report, &bytes).unwrap();

    let browser = Browser::logged_in(&proxy.base, label, &people.caseworker)
        .await
        .unwrap();
    browser.goto("#/send").await.unwrap();
    if let Some(script) = page_script {
        browser.run(script).await.unwrap();
    }
    browser
        .fill_send_form(&[&report], COURT, "Rapport", "Rapport de situation")
        .await
        .unwrap();
    // The file's second part: the plan records its hash just before it leaves, after
    // the first part left.
    let hold = proxy.hold_next_part(1, 1);
    browser.click("[data-testid=send]").await.unwrap();
    tokio::time::timeout(Duration::from_secs(120), hold.arrived())
        .await
        .expect("the second part never left");
    HeldSend {
        _server: server,
        proxy,
        people,
        files,
        bytes,
        browser,
        hold,
    }
}

#[tokio::test]
async fn no_part_leaves_the_browser_before_the_page_stored_the_plan_covering_it() {
    // A relay that keeps the bytes of a first attempt learns P ⊕ P′ if a resume ever
    // encrypts other content under the same key and nonce. A resume starts from the
    // plan the page stored: every part must leave only once a plan recording its hash
    // is stored, however slow the page is to store it.
    // Every field bound: one left to `..` would drop (the relay, the proxy, the file)
    // at the end of this statement.
    let HeldSend {
        _server,
        proxy: _proxy,
        people,
        files: _files,
        bytes: _,
        mut browser,
        hold,
    } = a_send_held_at_its_second_part("lying-plan", 251, Some(SLOW_PLAN_WRITES)).await;
    let arrived = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    hold.release();
    browser
        .wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    browser.record("plan-stored-first").await.unwrap();

    let writes: Vec<(f64, f64)> =
        serde_json::from_value(browser.run("return window.planWrites;").await.unwrap()).unwrap();
    let begun: Vec<_> = writes
        .iter()
        .filter(|(began, _)| *began <= arrived)
        .collect();
    // The plan before any part, then one recording each of the first two parts: all
    // stored before the second part left. (The next one, recording the third part, may
    // start while the second is held: the third waits for the second to arrive.)
    assert!(begun.len() >= 3, "{writes:?}, part arrived at {arrived}");
    for (began, ended) in begun.into_iter().take(3) {
        assert!(
            *ended <= arrived,
            "the part left at {arrived} while its plan was being stored ({began} → {ended})"
        );
    }
    let sent = people.caseworker.session.outbox().await.unwrap();
    assert_eq!(sent.exchanges.len(), 1);
    browser.close().await.unwrap();
}

/// Issue 9: a send under way in one tab cannot be resumed in another of the same browser
/// (which finds its plan in the shared storage): a resume there with other files of the
/// same names and sizes would seal chunks under keys and nonces whose ciphertext already
/// left. The exchange's Web Lock refuses it, in French, and nothing leaves from the
/// second tab; the first tab's send then completes, and the second tab, asked again,
/// does not resume from the plan its page read before the first tab moved the send on.
#[tokio::test]
async fn a_send_under_way_in_one_tab_cannot_be_resumed_in_another() {
    let HeldSend {
        _server,
        proxy,
        people,
        files,
        bytes,
        mut browser,
        hold,
    } = a_send_held_at_its_second_part("two-tabs", 253, None).await;
    let other = files.path().join("autre").join("rapport.bin");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    // The same first two parts (the plan the second tab reads records them), another
    // third one: only a lock keeps the second tab from sealing it under the keys and
    // nonces the first tab uses for it.
    let mut changed = bytes.clone();
    for byte in &mut changed[32 << 20..] {
        *byte ^= 1;
    }
    std::fs::write(&other, &changed).unwrap();

    let first_tab = browser.client.window().await.unwrap();
    let first_again = first_tab.clone();

    // A second tab: it unlocks the keys, and its send page offers to resume the send.
    let second_tab = browser.client.new_window(true).await.unwrap().handle;
    browser
        .client
        .switch_to_window(second_tab.clone())
        .await
        .unwrap();
    browser.goto("#/send").await.unwrap();
    browser.fill("#unlock-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser.goto("#/inbox").await.unwrap();
    browser.goto("#/send").await.unwrap();
    browser.find("[data-testid=resume]").await.unwrap();
    browser
        .attach("[data-testid=resume-files]", &[&other])
        .await
        .unwrap();
    browser.click("[data-testid=resume-send]").await.unwrap();
    browser
        .wait_for_text(
            "Cet envoi est déjà en cours dans un autre onglet",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("second-tab-refused").await.unwrap();

    // Back to the first tab: its send goes on and completes.
    browser.client.switch_to_window(first_tab).await.unwrap();
    hold.release();
    browser
        .wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    // The second tab, asked again, no longer holds the latest state of the send (its
    // page read the plan while the first tab was still extending it): it does not
    // resume from there.
    browser.client.switch_to_window(second_tab).await.unwrap();
    browser.click("[data-testid=resume-send]").await.unwrap();
    browser
        .wait_for_text("Cet envoi a avancé ailleurs", Duration::from_secs(30))
        .await
        .unwrap();
    browser.record("second-tab-stale-plan").await.unwrap();
    browser.client.close_window().await.unwrap();
    browser.client.switch_to_window(first_again).await.unwrap();
    // Each part left once.
    let mut parts = proxy.part_uploads();
    parts.sort();
    let sent = parts.len();
    parts.dedup_by_key(|(idx, part, _)| (*idx, *part));
    assert_eq!(parts.len(), sent, "a part left twice");
    let received = people.greffier.session.inbox().await.unwrap();
    assert_eq!(received.exchanges.len(), 1);
    browser.close().await.unwrap();
}
