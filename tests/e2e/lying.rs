//! The lying relay in Chromium (issue 9): the proxy of the relay's own tests
//! (`pli_server::testing::proxy`) in front of a relay whose public address is the
//! proxy's, so that the browser talks to the lie. The browser refuses, in French, a key
//! the directory's log does not hold as current, a log older than the one it remembers
//! (kept sealed in IndexedDB between logins), a witness policy the platform root did not
//! sign, changes the relay answered as done but left out of the log, a removed member
//! kept in a rotation, a forked or rolled-back log and a dropped checkpoint.

use std::time::Duration;

use pli_e2e::cast::{COURT, PASSWORD, cast};
use pli_e2e::{Browser, TestServer};
use pli_server::testing::proxy::Proxy;

/// A relay serving the web app, whose public address is that of the proxy in front of
/// it, and the proxy: the browser talks to the lie.
pub(crate) async fn behind_proxy() -> (TestServer, Proxy) {
    pli_e2e::relay_behind_proxy().await.unwrap()
}

#[tokio::test]
async fn the_browser_refuses_an_older_key_and_a_log_older_than_it_remembers() {
    let (server, proxy) = behind_proxy().await;
    let mut people = cast(&server.base, &server.setup_token).await.unwrap();

    let caseworker = &people.caseworker;
    let mut browser = Browser::logged_in(&proxy.base, "lying", caseworker)
        .await
        .unwrap();
    browser.goto("#/send").await.unwrap();
    browser.select("#recipient", COURT).await.unwrap();
    browser
        .find("[data-testid=recipient-fingerprint]")
        .await
        .unwrap();
    let before_rotation = proxy.last_answer("/api/directory/orgs").unwrap();
    let log_before_rotation = proxy.last_answer("/api/log/state").unwrap();

    // The court rotates its key; the relay keeps serving the directory as it was.
    people.court_admin.session.rotate_org_key().await.unwrap();
    proxy.serve_canned("/api/directory/orgs", Some(before_rotation));
    browser.goto("#/inbox").await.unwrap();
    browser.goto("#/send").await.unwrap();
    browser
        .wait_for_text(
            "Clé que le journal public ne confirme pas comme actuelle",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("lying-older-key").await.unwrap();
    assert!(
        !proxy
            .seen()
            .iter()
            .any(|s| s.method == "POST" && s.path == "/api/exchanges"),
        "nothing was created"
    );
    proxy.serve_canned("/api/directory/orgs", None);

    // This browser verified the log after the rotation and keeps it. Logged out, then
    // shown the log as it was before: the login is refused, in French.
    browser.goto("#/inbox").await.unwrap();
    browser.click("[data-testid=logout]").await.unwrap();
    browser
        .wait_for("#login-email", Duration::from_secs(30))
        .await
        .unwrap();
    proxy.serve_canned("/api/log/state", Some(log_before_rotation));
    browser
        .fill("#login-email", &caseworker.email)
        .await
        .unwrap();
    browser.fill("#login-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text(
            "le journal public des clés présenté par le serveur n'est pas cohérent",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("lying-rolled-back-log").await.unwrap();

    // Honest again: the same browser logs in.
    proxy.serve_canned("/api/log/state", None);
    browser
        .log_in(
            &caseworker.email,
            PASSWORD,
            Some(&caseworker.account_key()),
            None,
        )
        .await
        .unwrap();
    browser.close().await.unwrap();
}

/// Issue 9: a relay that serves a witness policy the platform root did not sign (the
/// same witnesses, signed by another key) is refused at login, in French, and the same
/// browser logs in once the relay is honest again.
#[tokio::test]
async fn the_browser_refuses_a_witness_policy_the_root_did_not_sign() {
    use pli_crypto::codec::Canonical as _;
    use pli_crypto::sign::{Signed, SigningKey};
    use pli_crypto::statement::LogPolicy;

    let (server, proxy) = behind_proxy().await;
    let people = cast(&server.base, &server.setup_token).await.unwrap();
    let caseworker = &people.caseworker;
    let mut browser = Browser::logged_in(&proxy.base, "lying-policy", caseworker)
        .await
        .unwrap();
    let state = proxy.last_answer("/api/log/state").unwrap();
    let mut served: pli_api::messages::LogState = serde_json::from_slice(&state).unwrap();
    let policy = Signed::<LogPolicy>::from_wire(served.policy.as_ref().unwrap()).unwrap();
    let policy = LogPolicy::from_canonical(policy.data()).unwrap();
    served.policy = Some(
        Signed::sign(&policy, &SigningKey::generate().unwrap())
            .unwrap()
            .to_wire(),
    );
    browser.goto("#/inbox").await.unwrap();
    browser.click("[data-testid=logout]").await.unwrap();
    browser
        .wait_for("#login-email", Duration::from_secs(30))
        .await
        .unwrap();
    proxy.serve_canned("/api/log/state", Some(serde_json::to_vec(&served).unwrap()));
    browser
        .fill("#login-email", &caseworker.email)
        .await
        .unwrap();
    browser.fill("#login-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text(
            "une politique des témoins du journal public que la clé racine de la plateforme n'a pas signée",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("lying-unsigned-policy").await.unwrap();

    proxy.serve_canned("/api/log/state", None);
    browser
        .log_in(
            &caseworker.email,
            PASSWORD,
            Some(&caseworker.account_key()),
            None,
        )
        .await
        .unwrap();
    browser.close().await.unwrap();
}

/// Issue 9: a relay that answers an admin's change as done and logs nothing — a member's
/// removal (the member would stay certified, and be granted the next key), a key
/// rotation (senders would go on encrypting to the old key), a key's suspension (the
/// suspended key would stay in use): the admin's worker, which verifies the log again
/// after each, refuses it, and the page says so in French, naming that the log lacks the
/// change just confirmed. The rotation then goes through once the relay is honest; and a
/// relay that keeps a removed member in the next rotation's member list is refused too.
#[tokio::test]
async fn the_admin_page_refuses_changes_left_out_of_the_log_and_a_removed_member_kept() {
    let (server, proxy) = behind_proxy().await;
    let people = cast(&server.base, &server.setup_token).await.unwrap();
    let admin = &people.court_admin;
    let mut browser = Browser::open(&proxy.base, "lying-unlogged-removal")
        .await
        .unwrap();
    // The next TOTP code: the cast used the current one.
    let code = pli_e2e::cast::totp(admin.totp.as_ref().unwrap(), 1).unwrap();
    browser
        .log_in(
            &admin.email,
            PASSWORD,
            Some(&admin.account_key()),
            Some(&code),
        )
        .await
        .unwrap();
    browser.goto("#/admin").await.unwrap();
    let greffier = &people.greffier;
    let removal = format!(
        "/api/orgs/{}/members/{}",
        people.court, greffier.session.me.user_id
    );
    proxy.fake_next(
        "DELETE",
        &removal,
        200,
        br#"{"sessions_ended":1,"grants_deleted":1,"rotation_recommended":true}"#,
    );
    browser
        .click(&format!("[data-testid=\"remove-{}\"]", greffier.email))
        .await
        .unwrap();
    browser.find("[data-testid=remove-confirm]").await.unwrap();
    browser.click("[data-testid=remove-confirm]").await.unwrap();
    browser
        .wait_for_text(
            "ou il ne contient pas la modification que le serveur vient de confirmer",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("lying-unlogged-removal").await.unwrap();
    // The relay never heard of it, and the log still holds the greffier as certified.
    assert!(
        !proxy
            .seen()
            .iter()
            .any(|s| s.method == "DELETE" && s.path == removal),
        "the removal reached the relay"
    );
    greffier.session.sync_log().await.unwrap();
    let log = greffier.session.directory_log().unwrap();
    assert!(
        log.current(&greffier.session.me.user_id)
            .unwrap()
            .is_valid()
    );

    // A rotation, then a suspension, answered as done and never made.
    let court = people.court;
    let keys = format!("/api/orgs/{court}/keys");
    let suspension = format!("/api/orgs/{court}/keys/1/suspend");
    for (path, button, confirm, label) in [
        (
            &keys,
            "rotate-key",
            "rotate-confirm",
            "lying-unlogged-rotation",
        ),
        (
            &suspension,
            "suspend-1",
            "suspend-confirm",
            "lying-unlogged-suspension",
        ),
    ] {
        // A fresh page: the last refusal's message goes.
        browser.goto("#/inbox").await.unwrap();
        browser.goto("#/admin").await.unwrap();
        proxy.fake_next("POST", path, 204, b"");
        browser
            .click(&format!("[data-testid={button}]"))
            .await
            .unwrap();
        browser
            .click(&format!("[data-testid={confirm}]"))
            .await
            .unwrap();
        browser
            .wait_for_text(
                "ou il ne contient pas la modification que le serveur vient de confirmer",
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        browser.record(label).await.unwrap();
        assert!(
            !proxy
                .seen()
                .iter()
                .any(|s| s.method == "POST" && s.path == *path),
            "{path} reached the relay"
        );
    }
    greffier.session.sync_log().await.unwrap();
    let log = greffier.session.directory_log().unwrap();
    let key = &log.org(&court).unwrap().keys;
    assert!(key.len() == 1 && key[0].suspended_at.is_none(), "{key:?}");

    // Honest again: the rotation goes through, and the page shows generation 2.
    browser.goto("#/inbox").await.unwrap();
    browser.goto("#/admin").await.unwrap();
    browser.click("[data-testid=rotate-key]").await.unwrap();
    browser.click("[data-testid=rotate-confirm]").await.unwrap();
    let rotated = browser
        .wait_for("[data-testid=rotated]", Duration::from_secs(30))
        .await
        .unwrap();
    assert!(rotated.text().await.unwrap().contains("génération 2"));

    // The greffier removed for real; at the next rotation the relay serves the member
    // list and their certificate as they were before: the new key is given to nobody,
    // and the page names the danger.
    let members = format!("/api/orgs/{court}/members");
    let certificate = format!(
        "/api/directory/certificates/{}",
        greffier
            .session
            .keys
            .signing
            .verifying_key()
            .fingerprint()
            .to_hex()
    );
    let recorded = |path: &str| proxy.last_answer(path).unwrap();
    let (members_before, certificate_before) = (recorded(&members), recorded(&certificate));
    browser.goto("#/inbox").await.unwrap();
    browser.goto("#/admin").await.unwrap();
    browser
        .click(&format!("[data-testid=\"remove-{}\"]", greffier.email))
        .await
        .unwrap();
    browser.click("[data-testid=remove-confirm]").await.unwrap();
    browser
        .wait_for("[data-testid=rotate-now]", Duration::from_secs(30))
        .await
        .unwrap();
    proxy.serve_canned(&members, Some(members_before));
    proxy.serve_canned(&certificate, Some(certificate_before));
    browser.click("[data-testid=rotate-now]").await.unwrap();
    browser.click("[data-testid=rotate-confirm]").await.unwrap();
    browser
        .wait_for_text(
            "une personne dont le journal public des clés montre le certificat révoqué ou remplacé",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("lying-removed-member-kept").await.unwrap();
    people.caseworker.session.sync_log().await.unwrap();
    let log = people.caseworker.session.directory_log().unwrap();
    assert_eq!(
        log.org(&court).unwrap().keys.len(),
        2,
        "a generation was published"
    );
    browser.close().await.unwrap();
}

/// What the page says of a log the relay serves inconsistent.
const INCONSISTENT_LOG: &str =
    "le journal public des clés présenté par le serveur n'est pas cohérent";

/// Logs in as `person` on a fresh page (typing their account key if this browser asks
/// for it), and waits until the login page says the log is inconsistent.
async fn log_in_refused(browser: &mut Browser, person: &pli_e2e::cast::Person, label: &str) {
    // A new page and a new worker: nothing of the last attempt stays in memory.
    browser.client.refresh().await.unwrap();
    browser.goto("#/login").await.unwrap();
    browser.fill("#login-email", &person.email).await.unwrap();
    browser.fill("#login-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for("#login-account-key, form .alert", Duration::from_secs(30))
        .await
        .unwrap();
    // Asked for only on a device that does not keep it (found at once, or not at all).
    let asked = browser
        .client
        .find(fantoccini::Locator::Css("#login-account-key"))
        .await;
    if asked.is_ok() {
        browser
            .fill("#login-account-key", &person.account_key())
            .await
            .unwrap();
        browser.click("form button[type=submit]").await.unwrap();
    }
    browser
        .wait_for_text(INCONSISTENT_LOG, Duration::from_secs(30))
        .await
        .unwrap();
    browser.record(label).await.unwrap();
    // The session the relay opened for this login was ended: a reloaded page asks for a
    // login, not to unlock into it.
    browser.client.refresh().await.unwrap();
    browser
        .wait_for("#login-email", Duration::from_secs(30))
        .await
        .unwrap();
}

/// Issue 9 in Chromium: a relay that serves a forked log to one browser (split view), an
/// older log to a browser whose stored checkpoint was cleared (the person's checkpoint,
/// which the relay keeps signed with their account, is newer), or drops that recorded
/// checkpoint from a browser that remembers the relay held it: each login is refused,
/// in French, and an honest relay lets the person in again.
#[tokio::test]
async fn the_browser_refuses_a_forked_log_a_rolled_back_one_and_a_dropped_checkpoint() {
    let (server, proxy) = behind_proxy().await;
    let mut people = cast(&server.base, &server.setup_token).await.unwrap();
    let caseworker = &people.caseworker;
    let mut browser = Browser::open(&proxy.base, "lying-log").await.unwrap();
    let honest = async |browser: &Browser| {
        browser.client.refresh().await.unwrap();
        browser
            .log_in(
                &caseworker.email,
                PASSWORD,
                Some(&caseworker.account_key()),
                None,
            )
            .await
            .unwrap();
        browser.goto("#/inbox").await.unwrap();
        browser.click("[data-testid=logout]").await.unwrap();
        browser
            .wait_for("#login-email", Duration::from_secs(30))
            .await
            .unwrap();
    };
    honest(&browser).await;
    let before_rotation = proxy.last_answer("/api/log/state").unwrap();
    // The court rotates its key; the caseworker logs in again and records the newer
    // checkpoint with their account.
    people.court_admin.session.rotate_org_key().await.unwrap();
    honest(&browser).await;

    // The browser's storage cleared (a new device), and the log as it was before the
    // rotation: older than the checkpoint the person recorded.
    browser.forget_site_data().await.unwrap();
    proxy.serve_canned("/api/log/state", Some(before_rotation));
    log_in_refused(&mut browser, caseworker, "lying-rolled-back-log").await;
    proxy.serve_canned("/api/log/state", None);

    // A forked log for this new device: two entries swapped, each still validly signed.
    browser.forget_site_data().await.unwrap();
    proxy.rewrite_log_entries(Some(|entries| {
        if entries.len() > 3 {
            entries.swap(2, 3);
        }
    }));
    log_in_refused(&mut browser, caseworker, "lying-forked-log").await;
    proxy.rewrite_log_entries(None);

    // The browser remembers the log (and that the relay held the person's checkpoint);
    // the relay drops that checkpoint.
    honest(&browser).await;
    proxy.drop_seen_checkpoint(true);
    log_in_refused(&mut browser, caseworker, "lying-dropped-checkpoint").await;
    proxy.drop_seen_checkpoint(false);
    honest(&browser).await;
    browser.close().await.unwrap();
}
