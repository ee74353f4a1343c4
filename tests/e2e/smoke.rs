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
