//! Journey 5: locked out, and every error a person can hit. A greffier who forgot their
//! password gets a new set-up link and reads the old exchanges again; a wrong password,
//! a session ended elsewhere, an access removed while the page is open, an expired
//! exchange and a corrupted file each show a clear French message, and nothing is lost.

use std::time::Duration;

use pli_api::ExchangeId;
use pli_client::{FileInput, SendOptions};
use pli_crypto::manifest::Category;
use pli_e2e::cast::{Cast, DEPT, PASSWORD, cast, totp};
use pli_e2e::{Backend, Browser, TestServer, relay};

use crate::journeys::{certify, open_link, text};

/// Bytes that look like nothing in particular (xorshift).
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn options(subject: &str) -> SendOptions {
    SendOptions {
        category: Category::Signalement,
        subject: subject.into(),
        message: "Veuillez trouver ci-joint le signalement.".into(),
        case_reference: "2026/00077".into(),
        urgent: false,
        copy_to_sender: true,
        in_reply_to: None,
    }
}

/// The caseworker sends `files` to the court with the native client.
async fn send(cast: &mut Cast, subject: &str, files: &[(&str, &[u8])]) -> ExchangeId {
    let inputs = files
        .iter()
        .map(|(name, bytes)| FileInput::from_bytes(name, "application/pdf", bytes.to_vec()))
        .collect();
    let court = cast.court;
    cast.caseworker
        .session
        .send(&court, inputs, &options(subject))
        .await
        .unwrap()
}

/// Opens exchange `id` in the browser and waits until it verified.
async fn open(browser: &Browser, id: &ExchangeId) {
    browser.goto(&format!("#/exchange/{id}")).await.unwrap();
    browser.find("[data-testid=verified-badge]").await.unwrap();
}

/// The folder under `root` whose path ends with `tail`.
fn find_dir(root: &std::path::Path, tail: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(root).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.ends_with(tail) {
                return Some(path);
            }
            if let Some(found) = find_dir(&path, tail) {
                return Some(found);
            }
        }
    }
    None
}

/// Flips a byte in the middle of the first part of object `object` of exchange `id` in
/// the relay's blob folder.
fn flip(server: &TestServer, id: &ExchangeId, object: u32) {
    let dir = find_dir(server.data.path(), &format!("x/{id}/{object}"))
        .unwrap_or_else(|| panic!("no blob folder for {id} under {:?}", server.data.path()));
    let part = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&part).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&part, &bytes).unwrap();
}

/// Waits until nothing matches `css` any more.
async fn gone(browser: &Browser, css: &str) {
    let script = format!(
        "const done = arguments[arguments.length - 1];\
         const check = () => document.querySelector({css:?}) === null ? done(true) : setTimeout(check, 100);\
         check();"
    );
    let finished = tokio::time::timeout(
        Duration::from_secs(30),
        browser.client.execute_async(&script, vec![]),
    )
    .await;
    assert!(
        matches!(finished, Ok(Ok(serde_json::Value::Bool(true)))),
        "{css} is still there: {finished:?}"
    );
}

async fn sql(server: &TestServer, query: &str, bind: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&server.database_url).await.unwrap();
    let done = sqlx::query(query)
        .bind(bind.to_owned())
        .execute(&pool)
        .await
        .unwrap();
    assert!(done.rows_affected() > 0, "{query} changed nothing");
    pool.close().await;
}

/// A member forgot their password: a wrong one is refused in plain words; their admin
/// gives them a new set-up link (the dialog says their second factor is kept); they
/// choose a new password (new keys made in the browser) and type a current code of the
/// second factor they kept; the admin certifies them again, which grants the court's key
/// again; the exchange sent before reads and saves as before.
#[tokio::test]
async fn journey_5_forgotten_password_and_new_account_set_up() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let mut cast = cast(&server.base, &server.setup_token).await.unwrap();
    cast.greffier.enable_totp().await.unwrap();
    let greffier_secret = cast.greffier.totp.clone().unwrap();
    let report = content(90_000, 11);
    let id = send(
        &mut cast,
        "Rapport avant l'oubli",
        &[("rapport.pdf", &report)],
    )
    .await;

    let mut browser = Browser::open(&server.base, "journey5-reset").await.unwrap();
    browser.goto("#/login").await.unwrap();
    browser
        .fill("#login-email", &cast.greffier.email)
        .await
        .unwrap();
    browser
        .fill("#login-password", "je ne sais plus du tout")
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    // A new browser: the account key is asked first (the kit), before any check.
    browser
        .wait_for_text(
            "Ce compte est protégé par une clé de compte",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("account-key-asked").await.unwrap();
    browser
        .fill("#login-account-key", &cast.greffier.account_key())
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text(
            "Adresse électronique, mot de passe ou clé de compte incorrect.",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    // The form stays filled in, ready for another try.
    assert_eq!(
        browser
            .find("#login-email")
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(cast.greffier.email.as_str())
    );
    let hint = text(&browser, "[data-testid=forgot-password]").await;
    assert!(hint.contains("Mot de passe oublié ?"), "{hint}");
    browser.record("wrong-password").await.unwrap();

    // The admin issues a new set-up link on the administration page.
    let mut admin = Browser::open(&server.base, "journey5-reset-admin")
        .await
        .unwrap();
    let secret = cast.court_admin.totp.clone().unwrap();
    // A wrong code from the authenticator app first: said plainly, and the form stays.
    let code = totp(&secret, 1).unwrap();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    admin.goto("#/login").await.unwrap();
    admin
        .fill("#login-email", &cast.court_admin.email)
        .await
        .unwrap();
    admin.fill("#login-password", PASSWORD).await.unwrap();
    admin.click("form button[type=submit]").await.unwrap();
    admin
        .fill("#login-account-key", &cast.court_admin.account_key())
        .await
        .unwrap();
    admin.click("form button[type=submit]").await.unwrap();
    admin.fill("#login-totp", &wrong).await.unwrap();
    admin.click("form button[type=submit]").await.unwrap();
    admin
        .wait_for_text(
            "Code de vérification incorrect ou déjà utilisé",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    admin.record("wrong-totp").await.unwrap();
    admin.fill("#login-totp", &code).await.unwrap();
    admin.click("form button[type=submit]").await.unwrap();
    gone(&admin, "#login-email").await;
    admin.goto("#/admin").await.unwrap();
    let email = cast.greffier.email.clone();
    admin
        .click(&format!("[data-testid=\"reset-{email}\"]"))
        .await
        .unwrap();
    // Their second factor is kept unless the admin says it was lost too.
    admin
        .find("[data-testid=reset-second-factor-kept]")
        .await
        .unwrap();
    let lost = admin
        .find("[data-testid=reset-clear-second-factor]")
        .await
        .unwrap();
    assert_eq!(
        lost.prop("checked").await.unwrap().as_deref(),
        Some("false")
    );
    admin.record("reset-dialog").await.unwrap();
    admin.click("[data-testid=reset-confirm]").await.unwrap();
    let link = text(&admin, "[data-testid=reset-link]").await;
    admin.record("reset-issued").await.unwrap();

    // The greffier opens it and chooses a new password: new keys, made here.
    open_link(&browser, &link).await;
    browser
        .wait_for_text("Recréer votre accès", Duration::from_secs(30))
        .await
        .unwrap();
    browser.record("reset-link").await.unwrap();
    // The reset keeps the second factor: a current code is asked with the new password.
    browser
        .fill("#invitation-totp", &totp(&greffier_secret, 1).unwrap())
        .await
        .unwrap();
    let new_password = "une toute nouvelle phrase de passe";
    browser.fill("#new-password", new_password).await.unwrap();
    browser
        .fill("#repeat-password", new_password)
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    // New keys, a new account key: a new kit.
    let new_key = browser.keep_kit().await.unwrap();
    assert_ne!(new_key, cast.greffier.account_key());
    let print = text(&browser, "[data-testid=my-signing-fingerprint]").await;
    browser.record("reset-pending").await.unwrap();

    // The admin compares the new fingerprint and certifies: the grant of the court's key
    // comes with the certificate.
    certify(&mut admin, "[data-testid=members-refresh]", &email, &print).await;
    admin.close().await.unwrap();
    browser
        .click("[data-testid=pending-refresh]")
        .await
        .unwrap();
    browser.find("[data-testid=exchange-row]").await.unwrap();

    open(&browser, &id).await;
    browser
        .wait_for_text("Rapport avant l'oubli", Duration::from_secs(5))
        .await
        .unwrap();
    assert!(browser.save_file(0, "rapport.pdf").await.unwrap() == report);
    browser.record("old-exchange-read").await.unwrap();

    // The old password no longer opens anything; the new one does.
    browser
        .click("header button.link:not(.lang)")
        .await
        .unwrap();
    browser.find("#login-email").await.unwrap();
    browser
        .fill("#login-email", &cast.greffier.email)
        .await
        .unwrap();
    browser.fill("#login-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text(
            "Adresse électronique, mot de passe ou clé de compte incorrect.",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    sql(
        &server,
        "UPDATE users SET totp_last_step = 0 WHERE email = $1",
        &cast.greffier.email,
    )
    .await;
    browser
        .log_in(
            &cast.greffier.email,
            new_password,
            Some(&new_key),
            Some(&totp(&greffier_secret, 0).unwrap()),
        )
        .await
        .unwrap();
    browser.find("[data-testid=exchange-row]").await.unwrap();
    browser.close().await.unwrap();
}

/// A session ended elsewhere while an exchange is open: the next action says so, a
/// password brings the person back to the same page, and the file saves. Then the
/// admin removes them while the page is open: the next action says the session ended
/// (possibly because access was removed), and logging in again is refused.
#[tokio::test]
async fn journey_5_session_ended_and_access_removed() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let mut cast = cast(&server.base, &server.setup_token).await.unwrap();
    let first = content(40_000, 21);
    let second = content(70_000, 22);
    let id = send(
        &mut cast,
        "Note de situation",
        &[("note.pdf", &first), ("annexe.pdf", &second)],
    )
    .await;

    let mut browser = Browser::logged_in(&server.base, "journey5-session", &cast.greffier)
        .await
        .unwrap();
    let user = cast.greffier.session.me.user_id.to_string();

    // A message is ready to go when the session ends on the relay (logged out
    // elsewhere, or timed out): sending says so, and after the password the form is
    // still filled in and sends.
    let files = tempfile::tempdir().unwrap();
    let reply = files.path().join("convocation.pdf");
    let reply_bytes = content(60_000, 23);
    std::fs::write(&reply, &reply_bytes).unwrap();
    browser.goto("#/send").await.unwrap();
    browser
        .fill_send_form(&[&reply], DEPT, "Demande", "Convocation à l'audience")
        .await
        .unwrap();
    sql(
        &server,
        "UPDATE sessions SET expires_at = 1 WHERE user_id = $1",
        &user,
    )
    .await;
    browser.click("[data-testid=send]").await.unwrap();
    browser
        .find("dialog[open] [data-testid=session-ended]")
        .await
        .unwrap();
    browser.record("session-ended-sending").await.unwrap();
    browser.fill("#relogin-password", PASSWORD).await.unwrap();
    browser.click("[data-testid=relogin-submit]").await.unwrap();
    gone(&browser, "dialog[open] [data-testid=session-ended]").await;
    let subject = browser.find("#subject").await.unwrap();
    assert_eq!(
        subject.prop("value").await.unwrap().as_deref(),
        Some("Convocation à l'audience")
    );
    browser.find("[data-testid=send-failure]").await.unwrap();
    browser.record("session-restored-compose").await.unwrap();
    browser.click("[data-testid=send]").await.unwrap();
    browser
        .wait_for("[data-testid=sent]", Duration::from_secs(60))
        .await
        .unwrap();
    let inbox = cast.caseworker.session.inbox().await.unwrap();
    assert_eq!(inbox.exchanges.len(), 1);

    // The same with an exchange open (its read receipt sent): saving a file says the
    // session ended; after the password the page is still there and the files save.
    open(&browser, &id).await;
    browser.find("[data-testid=receipt-sent]").await.unwrap();
    sql(
        &server,
        "UPDATE sessions SET expires_at = 1 WHERE user_id = $1",
        &user,
    )
    .await;
    // Saving is the next action, unless the page noticed first: it reads the receipts
    // again when the relay announces one (its own, just sent), and the dialog then
    // covers the button.
    browser
        .run("window.showSaveFilePicker = undefined; return true;")
        .await
        .unwrap();
    let _maybe_covered = browser
        .find("[data-testid=save-file-0]")
        .await
        .unwrap()
        .click()
        .await;
    browser
        .find("dialog[open] [data-testid=session-ended]")
        .await
        .unwrap();
    let said = text(&browser, "dialog[open] [data-testid=session-ended]").await;
    assert!(said.contains("Votre session a pris fin"), "{said}");
    assert!(said.contains(&cast.greffier.name), "{said}");
    browser.record("session-ended").await.unwrap();
    // A wrong password first: said in the dialog, which stays.
    browser
        .fill("#relogin-password", "pas le bon mot de passe")
        .await
        .unwrap();
    browser.click("[data-testid=relogin-submit]").await.unwrap();
    let refused = text(&browser, "[data-testid=relogin-refused]").await;
    assert!(refused.contains("Connexion refusée"), "{refused}");
    browser
        .record("session-ended-wrong-password")
        .await
        .unwrap();
    browser.fill("#relogin-password", PASSWORD).await.unwrap();
    browser.click("[data-testid=relogin-submit]").await.unwrap();
    // Back on the same exchange, still open: nothing to do again but the click.
    gone(&browser, "dialog[open] [data-testid=session-ended]").await;
    browser.find("[data-testid=verified-badge]").await.unwrap();
    assert!(browser.run("return location.hash").await.unwrap() == format!("#/exchange/{id}"));
    assert!(browser.save_file(0, "note.pdf").await.unwrap() == first);
    assert!(browser.save_file(1, "annexe.pdf").await.unwrap() == second);
    browser.record("session-restored").await.unwrap();

    // The admin removes the greffier, on the administration page, while the greffier's
    // page is open.
    let mut admin = Browser::open(&server.base, "journey5-session-admin")
        .await
        .unwrap();
    let secret = cast.court_admin.totp.clone().unwrap();
    admin
        .log_in(
            &cast.court_admin.email,
            PASSWORD,
            Some(&cast.court_admin.account_key()),
            Some(&totp(&secret, 1).unwrap()),
        )
        .await
        .unwrap();
    admin.goto("#/admin").await.unwrap();
    let email = cast.greffier.email.clone();
    admin
        .click(&format!("[data-testid=\"remove-{email}\"]"))
        .await
        .unwrap();
    admin.click("[data-testid=remove-confirm]").await.unwrap();
    admin
        .find(&format!("[data-testid=\"member-{email}\"].removed"))
        .await
        .unwrap();
    // The admin's own session ends too: their dialog asks for the TOTP code as well
    // (the next code only comes in the next 30 seconds: a wrong one is typed here).
    let admin_id = cast.court_admin.session.me.user_id.to_string();
    sql(
        &server,
        "UPDATE sessions SET expires_at = 1 WHERE user_id = $1",
        &admin_id,
    )
    .await;
    admin.click("[data-testid=members-refresh]").await.unwrap();
    admin
        .find("dialog[open] [data-testid=session-ended]")
        .await
        .unwrap();
    admin.fill("#relogin-password", PASSWORD).await.unwrap();
    admin.click("[data-testid=relogin-submit]").await.unwrap();
    admin.find("#relogin-totp").await.unwrap();
    admin
        .wait_for_text("Saisissez le code à six chiffres", Duration::from_secs(30))
        .await
        .unwrap();
    admin.record("session-ended-totp").await.unwrap();
    let code = totp(&secret, 1).unwrap();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    admin.fill("#relogin-totp", &wrong).await.unwrap();
    admin.click("[data-testid=relogin-submit]").await.unwrap();
    admin
        .wait_for_text(
            "Code de vérification incorrect ou déjà utilisé",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    admin.close().await.unwrap();
    browser.click("nav a[href='#/inbox']").await.unwrap();
    browser
        .find("dialog[open] [data-testid=session-ended]")
        .await
        .unwrap();
    let said = text(&browser, "dialog[open] [data-testid=session-ended]").await;
    assert!(said.contains("administrateur"), "{said}");
    browser.record("access-removed").await.unwrap();
    browser.fill("#relogin-password", PASSWORD).await.unwrap();
    browser.click("[data-testid=relogin-submit]").await.unwrap();
    let refused = text(&browser, "[data-testid=relogin-refused]").await;
    assert!(refused.contains("Connexion refusée"), "{refused}");
    browser.record("access-removed-refused").await.unwrap();
    // The relay said the session ended: the browser let the keys go at once. The account
    // page behind the dialog can no longer show what only they give (their fingerprints).
    browser.goto("#/account").await.unwrap();
    browser
        .find("dialog[open] [data-testid=session-ended]")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        browser
            .wait_for(
                "[data-testid=my-signing-fingerprint]",
                Duration::from_secs(3)
            )
            .await
            .is_err(),
        "the keys outlived the session"
    );
    // Another account can log in from here.
    browser.click("[data-testid=relogin-other]").await.unwrap();
    browser.find("#login-email").await.unwrap();
    browser.close().await.unwrap();
}

/// An exchange expires (its files purged) while its page is open, and a stored file is
/// corrupted: each says so in plain words, nothing corrupted lands in the downloads as
/// if complete, and the other files still save.
#[tokio::test]
async fn journey_5_expired_exchange_and_corrupted_file() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let mut cast = cast(&server.base, &server.setup_token).await.unwrap();
    let a = content(30_000, 31);
    let b = content(200_000, 32);
    let c = content(50_000, 33);
    let e = content(10_000, 35);
    let damaged = send(
        &mut cast,
        "Pièces du dossier",
        &[("a.pdf", &a), ("b.pdf", &b), ("c.pdf", &c), ("e.pdf", &e)],
    )
    .await;
    let old = content(20_000, 34);
    let expiring = send(&mut cast, "Ancien rapport", &[("ancien.pdf", &old)]).await;

    // Flip a byte in the middle of file b's ciphertext (object 2: the manifest is 0),
    // and in the manifest of a third exchange.
    flip(&server, &damaged, 2);
    // And in e, whose only chunk then fails: not one byte of it is released.
    flip(&server, &damaged, 4);
    let tampered = send(&mut cast, "Manifeste altéré", &[("d.pdf", &a)]).await;
    flip(&server, &tampered, 0);

    let mut browser = Browser::logged_in(&server.base, "journey5-damage", &cast.greffier)
        .await
        .unwrap();
    open(&browser, &damaged).await;
    assert!(browser.save_file(0, "a.pdf").await.unwrap() == a);
    // The envelope binds each part's SHA-256 (format 2): the damaged part is refused
    // against it before any of it is decrypted.
    browser.click_save(1).await.unwrap();
    let error = browser.find("[data-testid=save-error-1]").await.unwrap();
    assert_eq!(
        error.attr("data-code").await.unwrap().as_deref(),
        Some("verification")
    );
    let said = error.text().await.unwrap();
    assert!(
        said.contains("vérification cryptographique a échoué"),
        "{said}"
    );
    assert!(
        said.contains("demandez à l'expéditeur de vous le renvoyer"),
        "{said}"
    );
    browser.record("file-corrupted").await.unwrap();
    browser.click_save(3).await.unwrap();
    let error = browser.find("[data-testid=save-error-3]").await.unwrap();
    assert_eq!(
        error.attr("data-code").await.unwrap().as_deref(),
        Some("verification")
    );
    // The other files still save, and the damaged ones are not in the downloads.
    assert!(browser.save_file(2, "c.pdf").await.unwrap() == c);
    assert!(browser.save_file(0, "a.pdf").await.unwrap() == a);
    let left: Vec<String> = std::fs::read_dir(browser.downloads.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !left
            .iter()
            .any(|n| (n.starts_with('b') || n.starts_with('e')) && !n.ends_with(".crdownload")),
        "a damaged file was saved as complete: {left:?}"
    );

    // The other exchange is open when it expires and its files are purged.
    open(&browser, &expiring).await;
    sql(
        &server,
        // A minute ago.
        &format!(
            "UPDATE exchanges SET expires_at = {} WHERE id = $1",
            pli_server::now_ms() - 60_000
        ),
        &expiring.to_string(),
    )
    .await;
    let report = pli_server::maintenance::run_once(&server.state)
        .await
        .unwrap();
    assert_eq!(report.purged, 1);
    browser.click_save(0).await.unwrap();
    let error = browser.find("[data-testid=save-error-0]").await.unwrap();
    assert_eq!(
        error.attr("data-code").await.unwrap().as_deref(),
        Some("expired")
    );
    assert!(error.text().await.unwrap().contains("Ce pli a expiré"));
    browser.record("expired-while-open").await.unwrap();
    // The inbox lists only the other exchange now; a link kept to the expired one says
    // what it was and that its files are gone.
    browser.goto("#/inbox").await.unwrap();
    browser.find("[data-testid=exchange-row]").await.unwrap();
    browser.record("inbox-without-expired").await.unwrap();
    open_expired(&browser, &expiring).await;
    browser.record("expired").await.unwrap();

    // An exchange whose stored manifest was altered: a red warning, nothing of it shown.
    browser
        .goto(&format!("#/exchange/{tampered}"))
        .await
        .unwrap();
    let warning = text(&browser, "[data-testid=verification-failed]").await;
    assert!(warning.contains("n'a pas pu être vérifié"), "{warning}");
    assert!(!browser.has("[data-testid=save-file-0]").await.unwrap());
    browser.record("manifest-altered").await.unwrap();

    // A link to an exchange that does not exist (or is another service's).
    browser
        .goto("#/exchange/0193e2a4-7c1e-7000-8000-00000000beef")
        .await
        .unwrap();
    let error = browser.find("[data-testid=exchange-error]").await.unwrap();
    assert_eq!(
        error.attr("data-code").await.unwrap().as_deref(),
        Some("not_found")
    );
    assert!(error.text().await.unwrap().contains("Introuvable"));
    browser.record("not-found").await.unwrap();
    browser.close().await.unwrap();
}

async fn open_expired(browser: &Browser, id: &ExchangeId) {
    browser.goto(&format!("#/exchange/{id}")).await.unwrap();
    let error = browser.find("[data-testid=exchange-error]").await.unwrap();
    assert_eq!(
        error.attr("data-code").await.unwrap().as_deref(),
        Some("expired")
    );
    let said = error.text().await.unwrap();
    assert!(said.contains("Ce pli a expiré"), "{said}");
    browser.find("[data-testid=expired-at]").await.unwrap();
    browser
        .wait_for_text(DEPT, Duration::from_secs(10))
        .await
        .unwrap();
}
