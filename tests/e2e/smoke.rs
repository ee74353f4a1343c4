//! The app loads under its strict Content-Security-Policy, shows the login page in
//! French (from the door's module: without fetching the whole interface's, the
//! password-strength estimator nor the worker's module),
//! switches to English, passes axe-core, and starts the worker for a set-up link.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pli_e2e::{Backend, Browser, TestServer, relay, until};

#[tokio::test]
async fn the_login_page_loads_in_french_and_english_and_is_accessible() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let mut browser = Browser::open(&server.base, "smoke").await.unwrap();
    browser.goto("#/login").await.unwrap();
    browser
        .wait_for("#login-email", Duration::from_secs(30))
        .await
        .unwrap();
    browser
        .wait_for_text("Connexion", Duration::from_secs(5))
        .await
        .unwrap();
    browser.record("login-fr").await.unwrap();
    // The password-strength estimator (zxcvbn, a WebAssembly module of its own) is for
    // the pages where a password is chosen: the login page does not fetch it.
    let fetched = browser
        .run("return performance.getEntriesByType('resource').map((entry) => entry.name)")
        .await
        .unwrap();
    let fetched: Vec<&str> = fetched
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|name| name.as_str())
        .collect();
    // The login page is the door's (web/src/door.rs): the whole interface's module is
    // loaded once the keys are unlocked, or for a one-time link (below).
    assert!(
        fetched
            .iter()
            .any(|name| name.contains("/assets/pli_door_bg-")),
        "{fetched:?}"
    );
    assert!(
        !fetched.iter().any(|name| name.contains("/assets/pli_web")),
        "{fetched:?}"
    );
    assert!(
        !fetched.iter().any(|name| name.contains("pli_strength")),
        "{fetched:?}"
    );
    // Nor the worker's module (keys, cryptography): the page answers what the login page
    // asks (is there a session? is ProConnect offered?) itself, and starts the worker at
    // the first request it cannot (web/src/bridge.rs). The worker's fetches would not be
    // in the page's timeline, but its script would.
    assert!(
        !fetched
            .iter()
            .any(|name| name.contains("/assets/worker-") || name.contains("pli_worker")),
        "{fetched:?}"
    );
    browser.click("button.lang").await.unwrap();
    browser
        .wait_for_text("Log in", Duration::from_secs(5))
        .await
        .unwrap();
    browser.record("login-en").await.unwrap();
    // A one-time link's page is the whole interface's: the door steps aside for it. Its
    // first request the page cannot answer itself starts the worker (looking up a set-up
    // link's token, whole but unknown): then its script is fetched, which the check above
    // would see.
    browser
        .goto(&format!("#/setup/{}", "A".repeat(43)))
        .await
        .unwrap();
    let page = &browser;
    until(Duration::from_secs(10), || async move {
        let started_worker = page
            .run(
                "return performance.getEntriesByType('resource')\
                 .some((entry) => entry.name.includes('/assets/worker-'))",
            )
            .await
            .unwrap();
        if started_worker == serde_json::Value::Bool(true) {
            return Ok(());
        }
        let fetched = page
            .run("return performance.getEntriesByType('resource').map((e) => e.name)")
            .await;
        Err(format!(
            "the worker did not start for a set-up link: {fetched:?}"
        ))
    })
    .await;
    browser.close().await.unwrap();
}

/// A fresh browser never takes the platform root on the relay's word. An invitation link
/// written by the administrator's client carries the root it trusts: opened with another
/// root in it (what a relay forging the platform would need), the acceptance is refused
/// with an explanation and nothing is created. The relay's own link (its e-mail) carries
/// none: the browser asks for the fingerprint the administrator reads out, refuses a
/// wrong one, and accepts the right one, then shows the kit de secours.
#[tokio::test]
async fn a_fresh_browser_trusts_the_root_the_link_or_the_administrator_names_never_the_relay() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let people = pli_e2e::cast::cast(&server.base, &server.setup_token)
        .await
        .unwrap();
    let invited = people
        .court_admin
        .session
        .invite(
            &people.court,
            "nouveau@tj.test",
            "Nouveau Greffier",
            pli_api::Role::Member,
        )
        .await
        .unwrap();
    let (relay_link, pinned) = invited.link.split_once("?root=").unwrap();
    let other = pli_client::protocol::RootPin::of(
        &pli_crypto::sign::SigningKey::generate()
            .unwrap()
            .verifying_key(),
    );
    let fragment = |link: &str| format!("#{}", link.split_once('#').unwrap().1);
    let mut browser = Browser::open(&server.base, "smoke-root").await.unwrap();
    let accept = async |browser: &Browser| {
        browser.find("#new-password").await.unwrap();
        browser
            .fill("#new-password", pli_e2e::cast::PASSWORD)
            .await
            .unwrap();
        browser
            .fill("#repeat-password", pli_e2e::cast::PASSWORD)
            .await
            .unwrap();
        browser.click("form button[type=submit]").await.unwrap();
    };

    // A link naming another root.
    browser
        .goto(&format!("{}?root={}", fragment(relay_link), other.to_hex()))
        .await
        .unwrap();
    accept(&browser).await;
    browser
        .wait_for_text(
            "une clé racine de la plateforme différente",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("root-changed").await.unwrap();
    browser.find("#new-password").await.unwrap();

    // The relay's own link: the fingerprint is asked; a wrong one is refused.
    browser.goto(&fragment(relay_link)).await.unwrap();
    browser.find("[data-testid=invitation-root]").await.unwrap();
    browser.record("root-asked").await.unwrap();
    let shown = |pin: &str| {
        pin.as_bytes()
            .chunks(4)
            .take(8)
            .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(" ")
    };
    browser
        .fill("[data-testid=invitation-root]", &shown(&other.to_hex()))
        .await
        .unwrap();
    accept(&browser).await;
    browser
        .wait_for_text(
            "une clé racine de la plateforme différente",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    // The one the administrator reads out (the eight groups their page shows).
    browser
        .fill("[data-testid=invitation-root]", &shown(pinned))
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    let key = browser.keep_kit().await.unwrap();
    assert!(key.starts_with("PLI1-"));
    browser
        .wait_for(
            "[data-testid=my-signing-fingerprint]",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.close().await.unwrap();
}

/// The password-strength estimator is a module of its own that `import()` fetches, and
/// `import()` carries no integrity: `boot.js` has the browser check the module's glue
/// through a modulepreload link first (the browser keeps the module it checked, and
/// `import()` takes it from there) and its wasm through `fetch`. With either changed on
/// the relay, the estimator never runs (nor does the changed glue), and the set-up form
/// refuses to submit, saying why in French.
#[tokio::test]
async fn a_changed_estimator_module_never_runs_and_the_set_up_form_says_so() {
    for (changed, record) in [("pli_strength-", true), ("pli_strength_bg-", false)] {
        let (server, _web) = relay_serving_changed(Some(changed)).await;
        let mut browser = Browser::open(&server.base, "smoke-estimator")
            .await
            .unwrap();
        browser
            .goto(&format!("#/setup/{}", server.setup_token))
            .await
            .unwrap();
        browser.find("#setup-name").await.unwrap();
        // The page is drawn again when the worker has said whether a session is open
        // (`app.rs`'s `body` reads it for every route), which empties the form: type
        // until what was typed stays.
        let fields = [
            ("#setup-name", "Camille Admin"),
            ("#setup-email", "admin@pli.test"),
            ("#new-password", pli_e2e::cast::PASSWORD),
            ("#repeat-password", pli_e2e::cast::PASSWORD),
        ];
        for attempt in 0.. {
            for (field, text) in fields {
                browser.fill(field, text).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut kept = true;
            for (field, _) in fields {
                let value = browser.find(field).await.unwrap().prop("value").await;
                kept &= value.unwrap().is_some_and(|value| !value.is_empty());
            }
            if kept {
                break;
            }
            assert!(attempt < 10, "the set-up form keeps being emptied");
        }
        browser.click("form button[type=submit]").await.unwrap();
        browser
            .wait_for_text(
                "Le contrôle du mot de passe n'a pas pu être chargé, et rien n'a été envoyé.",
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        if record {
            browser.record("estimator-unavailable").await.unwrap();
        }
        let ran = browser.run("return window.CHANGED === true").await.unwrap();
        assert_eq!(ran, serde_json::Value::Bool(false), "{changed}");
        browser.close().await.unwrap();
    }
}

/// The whole interface's module is loaded after the log-in, by `import()` as the
/// estimator is (`boot.js`'s `loadModule`: the glue checked through a modulepreload link,
/// the wasm through `fetch`, each with its SRI hash). With either changed on the relay,
/// a log-in never runs it (nor the changed glue): the door stays, and the page says in
/// French that Pli could not start. With both untouched, the same log-in reaches the
/// inbox (the case the two changed ones would otherwise pass by never trying).
#[tokio::test]
async fn a_changed_interface_module_never_runs_after_a_log_in() {
    for changed in [Some("pli_web-"), Some("pli_web_bg-"), None] {
        let (server, _web) = relay_serving_changed(changed).await;
        let people = pli_e2e::cast::cast(&server.base, &server.setup_token)
            .await
            .unwrap();
        let greffier = &people.greffier;
        let browser = Browser::open(&server.base, "smoke-interface")
            .await
            .unwrap();
        // Not `log_in`: it waits for the interface, which never comes here.
        let typed = browser
            .submit_log_in(
                &greffier.email,
                pli_e2e::cast::PASSWORD,
                Some(&greffier.account_key()),
                None,
            )
            .await
            .unwrap();
        // The door asked for the key (a first log-in in this browser), and got it.
        assert_eq!(typed, pli_e2e::KeyTyped::Yes, "{changed:?}");
        if changed.is_some() {
            browser
                .wait_for_text("Pli n’a pas pu démarrer.", Duration::from_secs(30))
                .await
                .unwrap();
            let ran = browser.run("return window.CHANGED === true").await.unwrap();
            assert_eq!(ran, serde_json::Value::Bool(false), "{changed:?}");
            // The door stayed, saying it is loading: no page of the interface was drawn.
            let drawn = browser
                .run("return document.querySelector('main h1') !== null")
                .await
                .unwrap();
            assert_eq!(drawn, serde_json::Value::Bool(false), "{changed:?}");
            browser.find("[data-testid=entering]").await.unwrap();
        } else {
            // (The focus on its heading after a log-in: `mailbox.rs`.)
            browser.find("main h1#inbox-title").await.unwrap();
        }
        browser.close().await.unwrap();
    }
}

/// The door's own module is checked too, as every module is (`boot.js`'s `loadModule`):
/// with its glue or its wasm changed on the relay, nothing changed runs, no login form is
/// shown, and the page says in French that Pli could not start. Untouched, the same copy
/// of the bundle shows the login form (the case the changed ones would otherwise pass by
/// never trying).
#[tokio::test]
async fn a_changed_door_module_never_runs() {
    for changed in [Some("pli_door-"), Some("pli_door_bg-"), None] {
        let (server, _web) = relay_serving_changed(changed).await;
        let browser = Browser::open(&server.base, "smoke-door").await.unwrap();
        browser.goto("#/login").await.unwrap();
        if changed.is_none() {
            browser.find("#login-email").await.unwrap();
            browser.close().await.unwrap();
            continue;
        }
        browser
            .wait_for_text("Pli n’a pas pu démarrer.", Duration::from_secs(30))
            .await
            .unwrap();
        let state = browser
            .run(
                "return [window.CHANGED === true, document.querySelector('#login-email') !== null]",
            )
            .await
            .unwrap();
        assert_eq!(state, serde_json::json!([false, false]), "{changed:?}");
        browser.close().await.unwrap();
    }
}

/// Changes the module file of `assets/` whose name starts with `prefix` (its glue: a line
/// setting `window.CHANGED` first; its wasm: a custom section more, so that it is still a
/// valid module and only its integrity check can refuse it); returns the file changed.
fn change_module(web: &Path, prefix: &str) -> PathBuf {
    let file = std::fs::read_dir(web.join("assets"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            // The module itself, not one of its precompressed copies beside it.
            name.starts_with(prefix) && path.extension().is_some_and(|e| e == "js" || e == "wasm")
        })
        .unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    if file.extension().is_some_and(|e| e == "js") {
        bytes.splice(0..0, b"window.CHANGED = true;\n".iter().copied());
    } else {
        // Section id 0 (custom), 3 bytes: a name of 1 byte, "x", and 1 byte of content.
        bytes.extend_from_slice(&[0x00, 0x03, 0x01, b'x', 0x00]);
    }
    std::fs::write(&file, bytes).unwrap();
    file
}

/// A relay serving a copy of the web app with the module named by `changed` changed
/// ([`change_module`]), or none.
async fn relay_serving_changed(changed: Option<&str>) -> (TestServer, tempfile::TempDir) {
    pli_e2e::relay_serving_changed_copy(|web| {
        Ok(changed
            .map(|changed| change_module(web, changed))
            .into_iter()
            .collect())
    })
    .await
    .unwrap()
}
