//! The five journeys of the issue, as people do them, in real Chromium against the real
//! relay. Each page on the way is screenshotted and checked with axe-core.

use std::time::Duration;

use pli_e2e::{Backend, Browser, relay};

const PASSWORD: &str = "une phrase de passe assez longue";

/// The current TOTP code for a base32 secret, `offset` steps ahead.
fn totp(secret: &str, offset: u64) -> String {
    let mut bytes = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in secret.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => continue,
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    let step = pli_server::now_ms() / 1000 / 30 + offset;
    format!("{:06}", pli_server::auth::totp::code(&bytes, step).unwrap())
}

/// Journey 1, first part: the platform admin opens the one-time link, chooses a
/// password (the browser generates the root key and their keys), and enables TOTP.
async fn set_up_platform(browser: &mut Browser, token: &str) -> String {
    browser.goto(&format!("#/setup/{token}")).await.unwrap();
    browser.find("#setup-name").await.unwrap();
    browser.record("setup").await.unwrap();
    browser.fill("#setup-name", "Camille Admin").await.unwrap();
    browser
        .fill("#setup-email", "admin@pli.test")
        .await
        .unwrap();
    browser.fill("#new-password", PASSWORD).await.unwrap();
    browser.fill("#repeat-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    // Admins must enable TOTP before anything else.
    browser
        .wait_for_text(
            "Activer la double authentification",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    browser.record("totp-required").await.unwrap();
    browser.click("button.primary").await.unwrap();
    let secret = browser
        .find("#totp-secret")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    browser.fill("#totp-code", &totp(&secret, 0)).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text("Plateforme", Duration::from_secs(30))
        .await
        .unwrap();
    secret
}

#[tokio::test]
async fn journey_1_platform_set_up() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let mut browser = Browser::open(&server.base, "journey1").await.unwrap();
    let _secret = set_up_platform(&mut browser, &server.setup_token).await;
    browser.record("platform").await.unwrap();
    // The one-time link cannot be used twice.
    let mut second = Browser::open(&server.base, "journey1-reuse").await.unwrap();
    second
        .goto(&format!("#/setup/{}", server.setup_token))
        .await
        .unwrap();
    second
        .wait_for_text("Ce lien n'est plus valable", Duration::from_secs(30))
        .await
        .unwrap();
    second.record("setup-reused").await.unwrap();
    second.close().await.unwrap();
    browser.close().await.unwrap();
}
