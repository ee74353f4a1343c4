//! « Mon compte » as a member manages their own account's security: the open sessions
//! (another device's closed from here, which ends it at once), the password changed
//! after proving the current one (the rule shown before typing, a weak one refused with
//! the reason), two-factor enrolment shown as a QR code beside the grouped secret, turned
//! on and off again; then failed logins warn before the last attempt and say the real
//! wait.

use std::time::Duration;

use pli_e2e::cast::{Cast, PASSWORD, cast};
use pli_e2e::{Backend, Browser, relay};

use crate::journeys::wait_gone;

const NEW_PASSWORD: &str = "un autre mot de passe bien plus long";

#[tokio::test]
async fn a_member_closes_another_session_changes_their_password_and_sees_the_totp_qr_code() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let Cast { greffier, .. } = cast(&base, &server.setup_token).await.unwrap();
    let mut browser = Browser::open(&base, "account").await.unwrap();
    browser
        .log_in(
            &greffier.email,
            PASSWORD,
            Some(&greffier.account_key()),
            None,
        )
        .await
        .unwrap();
    browser.goto("#/account").await.unwrap();

    // Two sessions: this browser's, and the command line's the cast opened.
    let current = browser
        .find("[data-testid=session-current]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(current.contains("Chrome · Linux"), "{current}");
    assert!(current.contains("Cette session"), "{current}");
    let other = browser
        .find("[data-testid=session-other]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(other.starts_with("pli"), "{other}");
    browser.record("sessions").await.unwrap();
    browser.click("[data-testid=session-end]").await.unwrap();
    wait_gone(&browser, "[data-testid=session-other]").await;
    let ended = greffier.session.sessions().await.unwrap_err();
    assert_eq!(ended.status(), Some(401), "{ended}");

    // The rule is on the page before anything is typed; a weak password is refused.
    browser
        .wait_for_text("Au moins 12 caractères", Duration::from_secs(10))
        .await
        .unwrap();
    browser.fill("#current-password", PASSWORD).await.unwrap();
    browser
        .fill("#new-password", "motdepasse123")
        .await
        .unwrap();
    browser
        .fill("#repeat-password", "motdepasse123")
        .await
        .unwrap();
    browser
        .click("[data-testid=password-submit]")
        .await
        .unwrap();
    browser
        .wait_for_text(
            "Ce mot de passe est trop facile à deviner.",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    // A wrong current password is named as such, and nothing changes.
    browser
        .fill("#current-password", "pas le bon mot de passe")
        .await
        .unwrap();
    browser.fill("#new-password", NEW_PASSWORD).await.unwrap();
    browser
        .fill("#repeat-password", NEW_PASSWORD)
        .await
        .unwrap();
    browser
        .click("[data-testid=password-submit]")
        .await
        .unwrap();
    browser
        .wait_for_text("incorrect", Duration::from_secs(30))
        .await
        .unwrap();
    browser.fill("#current-password", PASSWORD).await.unwrap();
    browser
        .click("[data-testid=password-submit]")
        .await
        .unwrap();
    browser
        .find("[data-testid=password-changed]")
        .await
        .unwrap();
    browser.record("password-changed").await.unwrap();

    // Two-factor enrolment: the QR code beside the secret.
    browser.click("[data-testid=totp-start]").await.unwrap();
    browser.find("[data-testid=totp-qr]").await.unwrap();
    browser.find("#totp-secret").await.unwrap();
    browser.record("totp-qr").await.unwrap();
    let secret: String = browser
        .find("#totp-secret")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .split_whitespace()
        .collect();
    browser
        .fill("#totp-code", &pli_e2e::cast::totp(&secret, 0).unwrap())
        .await
        .unwrap();
    browser.click("[data-testid=totp-confirm]").await.unwrap();
    browser
        .wait_for_text(
            "La double authentification est activée.",
            Duration::from_secs(30),
        )
        .await
        .unwrap();

    // Turned off again, with the password and a current code: the page offers to turn it
    // on again, and logging in no longer asks a code.
    browser
        .click("[data-testid=totp-off] summary")
        .await
        .unwrap();
    browser
        .fill("#totp-off-password", NEW_PASSWORD)
        .await
        .unwrap();
    browser
        .fill("#totp-off-code", &pli_e2e::cast::totp(&secret, 1).unwrap())
        .await
        .unwrap();
    browser.record("totp-off").await.unwrap();
    browser
        .click("[data-testid=totp-off-submit]")
        .await
        .unwrap();
    browser.find("[data-testid=totp-start]").await.unwrap();

    // The new password opens the account; the old one no longer does.
    browser.click("[data-testid=logout]").await.unwrap();
    browser
        .log_in(&greffier.email, NEW_PASSWORD, None, None)
        .await
        .unwrap();
    let old = pli_client::Session::login(
        &pli_client::Client::new(&base),
        &greffier.email,
        PASSWORD,
        greffier.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(old.code(), pli_api::ErrorCode::InvalidCredentials, "{old}");

    // Honest throttling: a warning before the last attempts, then the real wait.
    browser.click("[data-testid=logout]").await.unwrap();
    browser.goto("#/login").await.unwrap();
    browser.fill("#login-email", &greffier.email).await.unwrap();
    for said in [
        "Adresse électronique, mot de passe ou clé de compte incorrect.",
        "il vous reste 2 essais ; ensuite, la connexion depuis ce poste sera suspendue 15 minutes.",
        "il vous reste 1 essai ;",
        "C'était le dernier essai : la connexion depuis ce poste est suspendue 15 minutes.",
        "Trop de tentatives depuis ce poste : la connexion y est suspendue un moment. Réessayez dans 15 minutes.",
    ] {
        browser
            .fill("#login-password", "pas le bon mot de passe")
            .await
            .unwrap();
        browser.click("form button[type=submit]").await.unwrap();
        browser
            .wait_for_text(said, Duration::from_secs(30))
            .await
            .unwrap();
    }
    browser.record("throttled").await.unwrap();
    browser.close().await.unwrap();
}
