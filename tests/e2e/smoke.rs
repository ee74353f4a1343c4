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

/// The browser remembers the platform root on first use; a relay that later serves
/// another one is refused at login, with an explanation.
#[tokio::test]
async fn a_changed_platform_root_is_refused_at_login_with_an_explanation() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let people = pli_e2e::cast::cast(&server.base, &server.setup_token)
        .await
        .unwrap();
    let mut browser = Browser::open(&server.base, "smoke-root").await.unwrap();
    browser.goto("#/login").await.unwrap();
    browser.find("#login-email").await.unwrap();
    // What the browser would have remembered from an earlier platform.
    let other = pli_crypto::sign::SigningKey::generate()
        .unwrap()
        .verifying_key();
    let remembered =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, other.to_bytes());
    browser
        .run(&format!(
            "localStorage.setItem('pli.root', '{remembered}'); return true;"
        ))
        .await
        .unwrap();
    browser
        .fill("#login-email", &people.caseworker.email)
        .await
        .unwrap();
    browser
        .fill("#login-password", pli_e2e::cast::PASSWORD)
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text(
            "une autre clé d'autorité de la plateforme",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("root-changed").await.unwrap();
    // Still on the login page: nothing was trusted.
    browser.find("#login-email").await.unwrap();
    browser.close().await.unwrap();
}
