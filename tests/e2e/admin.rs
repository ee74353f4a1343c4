//! Journey 4: a court's admin manages their service on `#/admin`: invites and certifies a
//! member, removes them (their open session ends at once) and rotates the service key as
//! the page then proposes; the key history shows both generations, an exchange sent
//! before the rotation stays readable by the remaining member, the audit log verifies and
//! exports, and the retention period changes (a bad value gets a clear error).

use std::time::Duration;

use pli_client::{Client, FileInput, SendOptions, Session};
use pli_crypto::manifest::Category;
use pli_e2e::cast::{Cast, PASSWORD, cast, totp};
use pli_e2e::{Backend, Browser, relay, until};

use crate::journeys::{accept, certify, text, wait_for_in, wait_gone};

const NEWCOMER: &str = "stagiaire@tj-meaux.test";

#[tokio::test]
async fn journey_4_members_key_rotation_audit_and_retention() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let Cast {
        court,
        court_admin,
        greffier,
        caseworker,
        ..
    } = cast(&base, &server.setup_token).await.unwrap();

    // Before anything changes, the Département sends the court an exchange.
    let subject = "Rapport d'évaluation avant rotation";
    let before = caseworker
        .session
        .send(
            &court,
            vec![FileInput::from_bytes(
                "rapport.pdf",
                "application/pdf",
                b"%PDF-1.4 rapport".to_vec(),
            )],
            &SendOptions {
                category: Category::Rapport,
                subject: subject.into(),
                message: "Rapport demandé.".into(),
                case_reference: "2026/00077".into(),
                urgent: false,
                copy_to_sender: false,
                in_reply_to: None,
            },
        )
        .await
        .unwrap();

    // The court's admin logs in with their TOTP code (the next one: the cast used the
    // current one).
    let mut admin = Browser::open(&base, "journey4-admin").await.unwrap();
    let secret = court_admin.totp.clone().unwrap();
    admin
        .log_in(
            &court_admin.email,
            PASSWORD,
            Some(&court_admin.account_key()),
            Some(&totp(&secret, 1).unwrap()),
        )
        .await
        .unwrap();
    admin.goto("#/admin").await.unwrap();
    admin
        .find(&format!(
            "[data-testid=\"member-{}\"].active",
            greffier.email
        ))
        .await
        .unwrap();
    admin.find("[data-testid=key-1]").await.unwrap();
    admin.find("[data-testid=audit-status]").await.unwrap();
    admin.record("admin").await.unwrap();

    // Invites a member; the link is shown; the newcomer accepts in their browser and is
    // certified.
    admin.fill("#invite-name", "Stagiaire Petit").await.unwrap();
    admin.fill("#invite-email", NEWCOMER).await.unwrap();
    admin.click("[data-testid=invite-submit]").await.unwrap();
    let link = text(&admin, "[data-testid=invitation-link]").await;
    admin
        .find(&format!("[data-testid=\"invitation-{NEWCOMER}\"]"))
        .await
        .unwrap();
    admin.record("invited").await.unwrap();
    let (mut newcomer, print, newcomer_key, _) =
        accept(&base, "journey4-newcomer", &link, NEWCOMER).await;
    certify(
        &mut admin,
        "[data-testid=members-refresh]",
        NEWCOMER,
        &print,
    )
    .await;
    // The link, used, is put away.
    admin.find("[data-testid=invitation-used]").await.unwrap();
    wait_gone(&admin, "[data-testid=invitation-link]").await;
    // An invitation withdrawn: its link, dead, is put away too.
    let mistaken = "erreur@tj-meaux.test";
    admin
        .fill("#invite-name", "Invitée Par Erreur")
        .await
        .unwrap();
    admin.fill("#invite-email", mistaken).await.unwrap();
    admin.click("[data-testid=invite-submit]").await.unwrap();
    admin.find("[data-testid=invitation-link]").await.unwrap();
    admin
        .click(&format!("[data-testid=\"withdraw-{mistaken}\"]"))
        .await
        .unwrap();
    admin
        .find("[data-testid=invitation-withdrawn]")
        .await
        .unwrap();
    wait_gone(&admin, "[data-testid=invitation-link]").await;
    newcomer
        .click("[data-testid=pending-refresh]")
        .await
        .unwrap();
    newcomer.find("[data-testid=exchange-row]").await.unwrap();
    newcomer.record("inbox").await.unwrap();

    // Removes them: their open session ends at once, and the page proposes a rotation.
    admin
        .click(&format!("[data-testid=\"remove-{NEWCOMER}\"]"))
        .await
        .unwrap();
    admin.find("[data-testid=remove-confirm]").await.unwrap();
    admin.record("remove-confirm").await.unwrap();
    admin.click("[data-testid=remove-confirm]").await.unwrap();
    let notice = text(&admin, "[data-testid=removed-notice]").await;
    assert!(notice.contains("1 session fermée"), "{notice}");
    admin.find("[data-testid=rotate-now]").await.unwrap();
    admin
        .find(&format!("[data-testid=\"member-{NEWCOMER}\"].removed"))
        .await
        .unwrap();
    admin.record("removed").await.unwrap();

    // The removed member's next action says their session ended, in French; they cannot
    // log in again.
    newcomer.goto("#/send").await.unwrap();
    let newcomer_ref = &newcomer;
    until(Duration::from_secs(30), || async move {
        let body = text(newcomer_ref, "body").await;
        if ["Votre session a expiré", "Votre session a pris fin"]
            .iter()
            .any(|t| body.contains(t))
        {
            Ok(())
        } else {
            Err(format!("the removed member's page says:\n{body}"))
        }
    })
    .await;
    newcomer.record("session-ended").await.unwrap();
    newcomer.close().await.unwrap();
    // With every secret they had (password and account key), the removed member is refused.
    let key = pli_crypto::account_key::AccountKey::parse(&newcomer_key).unwrap();
    let refused = Session::login(
        &Client::new(&base),
        NEWCOMER,
        PASSWORD,
        Some(&key),
        None,
        None,
    )
    .await;
    assert_eq!(
        refused.map(|_| ()).unwrap_err().code(),
        pli_api::ErrorCode::InvalidCredentials,
        "a removed member logged in"
    );

    // Rotates the key: generation 2, granted to every current member.
    admin.click("[data-testid=rotate-now]").await.unwrap();
    admin.find("[data-testid=rotate-confirm]").await.unwrap();
    admin.record("rotate-confirm").await.unwrap();
    admin.click("[data-testid=rotate-confirm]").await.unwrap();
    wait_for_in(&admin, "[data-testid=rotated]", "génération 2").await;
    let first = text(&admin, "[data-testid=key-1] code").await;
    let second = text(&admin, "[data-testid=key-2] code").await;
    assert!(first.len() > 10 && second.len() > 10 && first != second);
    wait_for_in(&admin, "[data-testid=key-2]", "Actuelle").await;
    wait_for_in(&admin, "[data-testid=key-1]", "Ancienne").await;
    // Every member has post-quantum keys (all made since issue 10): so has generation 2.
    wait_for_in(&admin, "[data-testid=key-2-post-quantum]", "Post-quantique").await;
    for email in [&greffier.email, &court_admin.email] {
        let css = format!("[data-testid=\"member-{email}\"]");
        wait_for_in(&admin, &css, "1, 2").await;
    }
    // The advice to rotate, followed, is no longer offered.
    admin.find("[data-testid=removed-rotated]").await.unwrap();
    wait_gone(&admin, "[data-testid=rotate-now]").await;
    admin.record("rotated").await.unwrap();

    // The exchange sent before the rotation is still readable by the greffier.
    let mut reader = Browser::logged_in(&base, "journey4-greffier", &greffier)
        .await
        .unwrap();
    reader.goto(&format!("#/exchange/{before}")).await.unwrap();
    reader.find("[data-testid=verified-badge]").await.unwrap();
    reader
        .wait_for_text(subject, Duration::from_secs(30))
        .await
        .unwrap();
    reader.record("old-exchange").await.unwrap();
    reader.close().await.unwrap();

    // The audit log: entries, a valid chain, and the export.
    admin.click("[data-testid=audit-refresh]").await.unwrap();
    wait_for_in(&admin, "[data-testid=audit-status]", "Chaîne intègre").await;
    let status = admin.find("[data-testid=audit-status]").await.unwrap();
    assert_eq!(
        status.attr("data-valid").await.unwrap().as_deref(),
        Some("true")
    );
    for action in ["member.invited", "member.certified", "member.removed"] {
        admin
            .find(&format!("tr[data-action=\"{action}\"]"))
            .await
            .unwrap();
    }
    // The new key's entry shows its fingerprint as the key history does.
    let published = text(&admin, "tr[data-action=\"key.published\"]").await;
    assert!(published.contains(&second), "{published}");
    admin
        .run("document.querySelector('table.audit').scrollIntoView(); return true;")
        .await
        .unwrap();
    admin.record("audit").await.unwrap();
    admin.click("[data-testid=audit-export]").await.unwrap();
    let export = admin
        .downloaded(&format!("audit-{court}.jsonl"), Duration::from_secs(30))
        .await
        .unwrap();
    let export = String::from_utf8(pli_e2e::read(&export).unwrap()).unwrap();
    let lines: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 5, "{export}");
    assert!(export.contains("member.removed"));

    // The retention period: a bad value is refused with a clear message, a good one saved.
    admin.fill("#retention-days", "0").await.unwrap();
    admin.click("[data-testid=retention-submit]").await.unwrap();
    admin
        .wait_for_text(
            "Saisissez un nombre entier de jours entre 1 et 3650.",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let field = admin.find("#retention-days").await.unwrap();
    assert_eq!(
        field.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    admin.record("retention-invalid").await.unwrap();
    admin.fill("#retention-days", "4000").await.unwrap();
    admin.click("[data-testid=retention-submit]").await.unwrap();
    admin.find("[data-testid=retention-error]").await.unwrap();
    admin.fill("#retention-days", "365").await.unwrap();
    admin.click("[data-testid=retention-submit]").await.unwrap();
    admin
        .wait_for_text("365 jours", Duration::from_secs(10))
        .await
        .unwrap();
    wait_gone(&admin, "#retention-days[aria-invalid]").await;
    admin.record("retention-saved").await.unwrap();
    let members = court_admin.session.members(&court).await.unwrap();
    assert_eq!(members.retention_days, 365);

    // The whole page in English: no French left on it.
    admin.click("button.lang").await.unwrap();
    admin
        .wait_for_text("Service administration", Duration::from_secs(10))
        .await
        .unwrap();
    let page = text(&admin, "main").await;
    for french in [
        "Membres",
        "Clé du service",
        "Journal d'audit",
        "Conservation",
        "Actualiser",
        "Génération",
        "Chaîne",
        "jours",
        "retiré",
    ] {
        assert!(
            !page.contains(french),
            "{french:?} on the English page:\n{page}"
        );
    }
    admin
        .run("window.scrollTo(0, 0); return true;")
        .await
        .unwrap();
    admin.record("admin-english").await.unwrap();
    admin.close().await.unwrap();
}

/// Once the admin's password proof is old (the relay wants one from the last five minutes
/// before a sensitive action), inviting a member asks for the password and code
/// again; a wrong password is refused in the dialog with a clear message, and giving
/// up changes nothing and shows no error.
#[tokio::test]
async fn journey_4_sensitive_actions_ask_for_the_password_again() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let Cast {
        court, court_admin, ..
    } = cast(&server.base, &server.setup_token).await.unwrap();
    let mut admin = Browser::open(&server.base, "journey4-reauth")
        .await
        .unwrap();
    let secret = court_admin.totp.clone().unwrap();
    admin
        .log_in(
            &court_admin.email,
            PASSWORD,
            Some(&court_admin.account_key()),
            Some(&totp(&secret, 1).unwrap()),
        )
        .await
        .unwrap();
    // Time passes: every password proof is now older than five minutes.
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&server.database_url)
        .await
        .unwrap();
    let aged = sqlx::query("UPDATE sessions SET reauth_at = 0")
        .execute(&mut db)
        .await
        .unwrap();
    assert!(aged.rows_affected() > 0);
    admin.goto("#/admin").await.unwrap();
    admin.fill("#invite-name", "Stagiaire Petit").await.unwrap();
    admin.fill("#invite-email", NEWCOMER).await.unwrap();
    admin.click("[data-testid=invite-submit]").await.unwrap();

    // The dialog asks, its password field focused.
    admin.find("dialog[open] #reauth-password").await.unwrap();
    admin
        .wait_for_text("Confirmez votre identité", Duration::from_secs(5))
        .await
        .unwrap();
    let focused = admin
        .run("return document.activeElement && document.activeElement.id;")
        .await
        .unwrap();
    assert_eq!(focused, serde_json::json!("reauth-password"));
    admin.record("reauth").await.unwrap();
    admin
        .fill("#reauth-password", "pas le bon mot de passe")
        .await
        .unwrap();
    admin
        .fill("#reauth-totp", &totp(&secret, 1).unwrap())
        .await
        .unwrap();
    admin.click("[data-testid=reauth-submit]").await.unwrap();
    let refusal = admin
        .wait_for("dialog[open] [role=alert]", Duration::from_secs(60))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Only the password was typed: the message names it, not the address.
    assert_eq!(refusal.trim(), "Mot de passe incorrect.");
    admin.record("reauth-refused").await.unwrap();

    // Giving up: the dialog closes, nothing is saved, no error is shown.
    admin
        .click("dialog[open] button[type=button]")
        .await
        .unwrap();
    wait_gone(&admin, "dialog[open]").await;
    assert!(!admin.has("main [role=alert]").await.unwrap());
    let members = court_admin.session.members(&court).await.unwrap();
    assert!(members.invitations.is_empty());
    admin.close().await.unwrap();
}

/// Scrolls the platform page to its witness policy card (for the screenshot).
const SHOW_POLICY_CARD: &str =
    "document.querySelector('[data-testid=log-policy-card]').scrollIntoView(); return true;";

/// The root file's passphrase in the witness policy test.
const ROOT_PASSPHRASE: &str = "armoire forte, deuxième étage, clé bleue";

/// Issue 9, changing the witnesses after set-up: the operator replaces the relay's first
/// witness by a third one (the first kept as retiring until the change is signed). The
/// platform admin's page shows the policy in force beside the one proposed (names,
/// fingerprints, quorum, maximum age); « Signer la nouvelle politique des témoins » signs
/// it with the root (imported from its file) and the relay logs it; a member's client
/// then verifies the log under the new witnesses.
#[tokio::test]
async fn the_platform_admin_signs_the_new_witness_policy() {
    let mut server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let Cast {
        platform,
        caseworker,
        ..
    } = cast(&base, &server.setup_token).await.unwrap();
    let (third, endpoint) = server.start_witness(3, "temoin-3.pli.test").await.unwrap();
    server.witnesses.push(third);
    let first = server.state.config.log.witnesses[0].clone();
    server
        .restart(|config| {
            config.log.witnesses.remove(0);
            config.log.witnesses.push(endpoint);
            config.log.retiring = vec![first];
        })
        .await
        .unwrap();

    let mut browser = Browser::open(&base, "log-policy").await.unwrap();
    let file = browser.downloads.path().join("racine.txt");
    std::fs::write(
        &file,
        platform.session.export_root(ROOT_PASSPHRASE).unwrap(),
    )
    .unwrap();
    let secret = platform.totp.clone().unwrap();
    browser
        .log_in(
            &platform.email,
            PASSWORD,
            Some(&platform.account_key()),
            Some(&totp(&secret, 1).unwrap()),
        )
        .await
        .unwrap();
    browser.goto("#/platform").await.unwrap();
    browser.find("[data-testid=root-absent]").await.unwrap();
    let file = file.canonicalize().unwrap();
    browser.attach("#root-file", &[&file]).await.unwrap();
    browser
        .fill("#root-import-passphrase", ROOT_PASSPHRASE)
        .await
        .unwrap();
    browser
        .click("[data-testid=root-import-submit]")
        .await
        .unwrap();
    browser.find("[data-testid=root-ok]").await.unwrap();

    browser
        .wait_for("[data-testid=log-policy-differs]", Duration::from_secs(30))
        .await
        .unwrap();
    let current = text(&browser, "[data-testid=log-policy-current]").await;
    let proposed = text(&browser, "[data-testid=log-policy-proposed]").await;
    assert!(current.contains("temoin-1.pli.test"), "{current}");
    assert!(!proposed.contains("temoin-1.pli.test"), "{proposed}");
    assert!(proposed.contains("temoin-3.pli.test"), "{proposed}");
    assert!(
        proposed.contains("2 / 2") && proposed.contains("24 heures"),
        "{proposed}"
    );
    browser
        .find("[data-testid=log-policy-proposed] [data-testid=log-policy-proposed-quorum]")
        .await
        .unwrap();
    browser.run(SHOW_POLICY_CARD).await.unwrap();
    browser.record("log-policy-differs").await.unwrap();

    browser
        .click("[data-testid=log-policy-sign]")
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=log-policy-signed]", Duration::from_secs(60))
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=log-policy-same]", Duration::from_secs(30))
        .await
        .unwrap();
    let now = text(&browser, "[data-testid=log-policy-current]").await;
    assert!(
        now.contains("temoin-3.pli.test") && !now.contains("temoin-1.pli.test"),
        "{now}"
    );
    browser.run(SHOW_POLICY_CARD).await.unwrap();
    browser.record("log-policy-signed").await.unwrap();

    // Every client now judges the log by the new policy.
    caseworker.session.sync_log().await.unwrap();
    let change = caseworker.session.log_policies().await.unwrap();
    let names: Vec<&str> = change
        .current
        .witnesses
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(names, ["temoin-2.pli.test", "temoin-3.pli.test"]);
    assert!(!change.differs());
    browser.close().await.unwrap();
}
