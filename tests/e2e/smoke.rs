//! The app loads under its strict Content-Security-Policy, shows the login page in
//! French, switches to English, and passes axe-core.

use std::time::Duration;

use pli_e2e::{Backend, Browser, relay};

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
    browser.click("button.lang").await.unwrap();
    browser
        .wait_for_text("Log in", Duration::from_secs(5))
        .await
        .unwrap();
    browser.record("login-en").await.unwrap();
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
            "une autre clé d'autorité de la plateforme",
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
            "une autre clé d'autorité de la plateforme",
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
