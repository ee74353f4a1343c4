//! « Mon compte » as a member manages their own account's security: the open sessions
//! (another device's closed from here, which ends it at once), the password changed
//! after proving the current one (the rule shown before typing, a weak one refused with
//! the reason), two-factor enrolment shown as a QR code beside the grouped secret, turned
//! on and off again; then failed logins warn before the last attempt and say the real
//! wait.

use std::time::Duration;

use pli_e2e::cast::{Cast, PASSWORD, cast};
use pli_e2e::{Backend, Browser, relay, relay_on_localhost};

use crate::journeys::wait_gone;

const NEW_PASSWORD: &str = "un autre mot de passe bien plus long";

#[tokio::test]
async fn a_member_closes_another_session_changes_their_password_and_sees_the_totp_qr_code() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let Cast { greffier, .. } = cast(&base, &server.setup_token).await.unwrap();
    let mut browser = Browser::logged_in(&base, "account", &greffier)
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
    // Only a password and a code are typed here: a wrong password is called that (not
    // the login's « adresse, mot de passe ou clé de compte »).
    browser
        .fill("#totp-off-password", "pas le bon mot de passe")
        .await
        .unwrap();
    browser
        .fill("#totp-off-code", &pli_e2e::cast::totp(&secret, 1).unwrap())
        .await
        .unwrap();
    browser
        .click("[data-testid=totp-off-submit]")
        .await
        .unwrap();
    browser
        .wait_for_text("Mot de passe incorrect.", Duration::from_secs(30))
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
        "il vous reste 2 essais ; ensuite, la connexion depuis cet appareil sera suspendue pendant 15 minutes.",
        "il vous reste 1 essai ;",
        "C'était le dernier essai : la connexion depuis cet appareil est suspendue pendant 15 minutes.",
        "Trop de tentatives depuis cet appareil : la connexion est temporairement suspendue. Réessayez dans 15 minutes.",
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

/// An organisation admin requires two-factor authentication of every member (« Gérer mon
/// service »): the page says how many members have not turned it on; such a member, at
/// their next log-in, lands on « Mon compte » with the reason, whatever address they
/// open, turns it on with the QR code, then reaches their inbox, and can no longer turn it
/// off.
#[tokio::test]
async fn an_admin_requires_two_factor_and_a_member_turns_it_on_before_anything_else() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let Cast {
        greffier,
        court_admin,
        ..
    } = cast(&base, &server.setup_token).await.unwrap();
    let mut admin = Browser::open(&base, "second-factor-admin").await.unwrap();
    // The cast used the admin's current code: the next one.
    let secret = court_admin.totp.clone().unwrap();
    admin
        .log_in(
            &court_admin.email,
            PASSWORD,
            Some(&court_admin.account_key()),
            Some(&pli_e2e::cast::totp(&secret, 1).unwrap()),
        )
        .await
        .unwrap();
    admin.goto("#/admin").await.unwrap();
    admin
        .wait_for(
            "[data-testid=second-factor-optional]:checked",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let without = admin
        .find("[data-testid=second-factor-without]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(without.contains("1 membre"), "{without}");
    admin
        .click("[data-testid=second-factor-required]")
        .await
        .unwrap();
    admin
        .click("[data-testid=second-factor-submit]")
        .await
        .unwrap();
    admin
        .wait_for_text("est désormais exigée", Duration::from_secs(30))
        .await
        .unwrap();
    admin.record("second-factor-required").await.unwrap();
    admin.close().await.unwrap();

    // The member's next log-in ends on « Mon compte », even asked for the inbox.
    let mut member = Browser::logged_in(&base, "second-factor-member", &greffier)
        .await
        .unwrap();
    member.goto("#/inbox").await.unwrap();
    member
        .wait_for("[data-testid=totp-required-org]", Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        member
            .never_has(
                "[data-testid=exchange-row], [data-testid=mailbox-search]",
                Duration::from_secs(2)
            )
            .await
            .unwrap(),
        "the inbox must not show before two-factor is on"
    );
    member.record("second-factor-member-gated").await.unwrap();
    member
        .check_accessibility("second-factor-gated")
        .await
        .unwrap();
    crate::journeys::enable_totp(&mut member).await;
    member.goto("#/inbox").await.unwrap();
    member
        .wait_for("[data-testid=mailbox-search]", Duration::from_secs(30))
        .await
        .unwrap();
    member.goto("#/account").await.unwrap();
    member
        .wait_for("[data-testid=totp-mandatory]", Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        member
            .never_has("[data-testid=totp-off]", Duration::from_secs(2))
            .await
            .unwrap()
    );
    member.record("second-factor-mandatory").await.unwrap();
    member.close().await.unwrap();
}

/// A member adds a passkey on « Mon compte » (Chromium's virtual authenticator, with
/// PRF); on a device that keeps nothing of theirs, the passkey alone — no password, no
/// account key — logs them in and unlocks their keys (the inbox shows a pli's verified
/// subject, which only the organisation's key decrypts); then they remove it and it
/// logs in no more.
#[tokio::test]
async fn a_member_adds_a_passkey_logs_in_with_it_alone_on_a_new_device_and_removes_it() {
    let server = relay_on_localhost(Backend::Sqlite).await.unwrap();
    let base = server.state.config.public_url.clone();
    let Cast {
        greffier,
        caseworker,
        ..
    } = cast(&server.base, &server.setup_token).await.unwrap();
    let subject = "Rapport d'échéance — clé d'accès";
    let options = pli_client::SendOptions {
        category: pli_api::Category::Rapport,
        subject: subject.into(),
        message: "Bonjour".into(),
        case_reference: "2026/00042".into(),
        urgent: false,
        copy_to_sender: true,
        in_reply_to: None,
    };
    let files = vec![pli_client::FileInput::from_bytes(
        "rapport.pdf",
        "application/pdf",
        vec![7; 4000],
    )];
    caseworker
        .session
        .send(&greffier.session.me.org_id, files, &options)
        .await
        .unwrap();

    let mut browser = Browser::open(&base, "passkey").await.unwrap();
    browser.add_passkey_authenticator().await.unwrap();
    // Without an address, the passkey button says what to type first.
    browser.goto("#/login").await.unwrap();
    browser.click("[data-testid=login-passkey]").await.unwrap();
    browser
        .find("[data-testid=login-passkey-email]")
        .await
        .unwrap();
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
    browser.find("[data-testid=passkeys-none]").await.unwrap();
    browser.click("[data-testid=passkey-add]").await.unwrap();
    browser.find("[data-testid=passkey-added]").await.unwrap();
    let row = browser
        .find("[data-testid=passkey]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("Chrome · Linux"), "{row}");
    assert!(row.contains("Jamais"), "{row}");
    browser.record("passkey-added").await.unwrap();
    let listed = greffier.session.passkeys().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");

    // A new device: nothing of this site kept, the session gone.
    browser.click("[data-testid=logout]").await.unwrap();
    browser.find("#login-email").await.unwrap();
    browser.forget_site_data().await.unwrap();
    browser.goto("#/login").await.unwrap();
    browser.fill("#login-email", &greffier.email).await.unwrap();
    browser.click("[data-testid=login-passkey]").await.unwrap();
    browser
        .wait_for_text(subject, Duration::from_secs(60))
        .await
        .unwrap();
    browser.record("passkey-login-inbox").await.unwrap();
    let used = greffier.session.passkeys().await.unwrap();
    assert!(used[0].last_used_at.is_some(), "{used:?}");
    // A reload forgets the unlocked keys, not the session: the passkey unlocks them again.
    browser.client.refresh().await.unwrap();
    browser.click("[data-testid=unlock-passkey]").await.unwrap();
    browser
        .wait_for_text(subject, Duration::from_secs(60))
        .await
        .unwrap();

    // Removed from « Mon compte »: the passkey logs in no more.
    browser.goto("#/account").await.unwrap();
    browser.click("[data-testid=passkey-remove]").await.unwrap();
    browser.find("[data-testid=passkeys-none]").await.unwrap();
    assert!(greffier.session.passkeys().await.unwrap().is_empty());
    browser.click("[data-testid=logout]").await.unwrap();
    browser.fill("#login-email", &greffier.email).await.unwrap();
    browser.click("[data-testid=login-passkey]").await.unwrap();
    // The relay asked for credentials this device does not hold (the decoys an address
    // without passkeys gets): the browser finds none.
    browser
        .find("[data-testid=login-passkey-none]")
        .await
        .unwrap();
    browser.record("passkey-removed-login").await.unwrap();
}
