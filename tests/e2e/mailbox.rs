//! Issue 15, first friction: a clerk tells plis apart in the inbox without opening them.
//! Each row shows the subject, category, case reference, sender and real size that the
//! sender sealed for lists (decrypted by the worker; the relay sees none of it); the clerk
//! searches (accents optional), filters by category and sorts, all in the browser; and
//! reading the list signs no receipt. The sender's outbox shows the same.

use std::time::Duration;

use pli_api::Category;
use pli_client::{FileInput, SendOptions};
use pli_e2e::cast::{COURT, Cast, PASSWORD, cast};
use pli_e2e::{Backend, Browser, relay, until};

/// The rows shown, top to bottom, as `data-exchange-id` values.
async fn shown(browser: &Browser) -> Vec<String> {
    let ids = browser
        .run(
            "return [...document.querySelectorAll('[data-testid=exchange-row]')]\
             .map(r => r.dataset.exchangeId);",
        )
        .await
        .unwrap();
    serde_json::from_value(ids).unwrap()
}

/// Waits until the rows shown are exactly `want`, in this order.
async fn wait_rows(browser: &Browser, want: &[&pli_api::ExchangeId]) {
    let want: Vec<String> = want.iter().map(ToString::to_string).collect();
    let want = &want;
    until(Duration::from_secs(15), || async move {
        let rows = shown(browser).await;
        if rows == *want {
            Ok(())
        } else {
            Err(format!("rows {rows:?}, wanted {want:?}"))
        }
    })
    .await;
}

/// Types into the search field as a person would, after emptying it.
async fn search(browser: &Browser, words: &str) {
    browser
        .run(
            "const f = document.querySelector('[data-testid=mailbox-search]');\
             f.value = ''; f.dispatchEvent(new Event('input', { bubbles: true }));",
        )
        .await
        .unwrap();
    if !words.is_empty() {
        browser
            .find("[data-testid=mailbox-search]")
            .await
            .unwrap()
            .send_keys(words)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_inbox_tells_plis_apart_finds_and_sorts_them_without_reading_them() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let Cast {
        greffier,
        caseworker,
        platform,
        ..
    } = cast(&server.base, &server.setup_token).await.unwrap();
    let send = |category, subject: &str, case: &str, urgent, sizes: &[usize]| {
        let files = sizes
            .iter()
            .enumerate()
            .map(|(i, size)| {
                FileInput::from_bytes(&format!("piece-{i}.pdf"), "application/pdf", vec![7; *size])
            })
            .collect::<Vec<_>>();
        let options = SendOptions {
            category,
            subject: subject.into(),
            message: "Bonjour".into(),
            case_reference: case.into(),
            urgent,
            copy_to_sender: true,
            in_reply_to: None,
        };
        let session = &caseworker.session;
        let court = greffier.session.me.org_id;
        async move { session.send(&court, files, &options).await.unwrap() }
    };
    let evaluation = send(
        Category::DemandeEvaluation,
        "Demande d'évaluation — Lucas",
        "2026/00107",
        false,
        &[1000, 2000],
    )
    .await;
    let report = send(Category::Rapport, "Rapport d'échéance", "", false, &[5000]).await;
    let signalement = send(
        Category::Signalement,
        "Signalement — fratrie Martin",
        "2026/00042",
        true,
        &[410],
    )
    .await;

    let mut court = Browser::logged_in(&server.base, "mailbox-court", &greffier)
        .await
        .unwrap();
    // Logged in: the focus is on the page's main heading (RGAA), not left on a field
    // that is gone.
    assert_eq!(focused_heading(&court).await, "Plis reçus");
    court.goto("#/inbox").await.unwrap();
    court
        .wait_for(
            &format!("[data-exchange-id='{evaluation}'][data-preview=read]"),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    // Urgent first, then newest first: the relay's order.
    wait_rows(&court, &[&signalement, &report, &evaluation]).await;
    let row = court
        .find(&format!("[data-exchange-id='{signalement}']"))
        .await
        .unwrap();
    let text = row.text().await.unwrap();
    for expected in [
        "Signalement — fratrie Martin",
        "dossier 2026/00042",
        "Seine-et-Marne — ASE",
        caseworker.name.as_str(),
        "410 o",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
    let size = court
        .find(&format!(
            "[data-exchange-id='{evaluation}'] [data-testid=size]"
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(size, "2,9 ko", "3000 plaintext bytes");
    assert_eq!(
        court
            .find(&format!(
                "[data-exchange-id='{report}'] [data-testid=category]"
            ))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Rapport"
    );
    court.record("inbox-previews").await.unwrap();

    // Words, whatever their accents and case.
    search(&court, "EVALUATION").await;
    wait_rows(&court, &[&evaluation]).await;
    court
        .wait_for_text("1 pli correspond sur 3.", Duration::from_secs(5))
        .await
        .unwrap();
    court.record("inbox-search").await.unwrap();
    search(&court, "2026/000").await;
    wait_rows(&court, &[&signalement]).await;
    search(&court, "meaux").await;
    wait_rows(&court, &[]).await;
    court.find("[data-testid=empty]").await.unwrap();
    search(&court, "").await;
    wait_rows(&court, &[&signalement, &report, &evaluation]).await;

    // A category, then an order.
    court
        .select("[data-testid=filter-category]", "Rapport")
        .await
        .unwrap();
    wait_rows(&court, &[&report]).await;
    court
        .select("[data-testid=filter-category]", "Toutes")
        .await
        .unwrap();
    court
        .select("[data-testid=mailbox-sort]", "Objet")
        .await
        .unwrap();
    wait_rows(&court, &[&evaluation, &report, &signalement]).await;
    court
        .select("[data-testid=mailbox-sort]", "Plus anciens")
        .await
        .unwrap();
    wait_rows(&court, &[&evaluation, &report, &signalement]).await;
    court
        .select("[data-testid=mailbox-sort]", "Numéro de dossier")
        .await
        .unwrap();
    wait_rows(&court, &[&signalement, &evaluation, &report]).await;

    // Reading the list signed no receipt: all three are still unread, for everyone.
    let inbox = greffier.session.inbox().await.unwrap();
    assert_eq!(inbox.exchanges.len(), 3);
    assert!(inbox.exchanges.iter().all(|e| e.first_read_at.is_none()));
    assert_eq!(
        court
            .run("return document.querySelectorAll('[data-unread=true]').length;")
            .await
            .unwrap(),
        3
    );

    // The platform admin, who reads no pli, following a pli's link is told it leads
    // nowhere (« Introuvable »), not that their access may have been removed.
    let mut admin = Browser::open(&server.base, "mailbox-platform")
        .await
        .unwrap();
    let code = pli_e2e::cast::totp(platform.totp.as_deref().unwrap(), 1).unwrap();
    admin
        .log_in(
            &platform.email,
            PASSWORD,
            Some(&platform.account_key()),
            Some(&code),
        )
        .await
        .unwrap();
    admin
        .goto(&format!("#/exchange/{signalement}"))
        .await
        .unwrap();
    admin
        .find("[data-testid=exchange-error][data-code=not_found]")
        .await
        .unwrap();
    admin
        .wait_for_text("Introuvable", Duration::from_secs(5))
        .await
        .unwrap();
    // Who has no mailbox is led back to the platform page.
    let back = admin.find("[data-testid=back]").await.unwrap();
    assert_eq!(
        back.attr("href").await.unwrap().as_deref(),
        Some("#/platform")
    );
    admin
        .record("exchange-not-for-platform-admin")
        .await
        .unwrap();

    // The sender's outbox shows the same previews, toward the court.
    let mut dept = Browser::logged_in(&server.base, "mailbox-dept", &caseworker)
        .await
        .unwrap();
    dept.goto("#/outbox").await.unwrap();
    dept.wait_for(
        &format!("[data-exchange-id='{report}'][data-preview=read]"),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    dept.wait_for_text(COURT, Duration::from_secs(10))
        .await
        .unwrap();
    dept.wait_for_text("Rapport d'échéance", Duration::from_secs(5))
        .await
        .unwrap();
    search(&dept, "fratrie").await;
    wait_rows(&dept, &[&signalement]).await;
    dept.record("outbox-previews").await.unwrap();
    // Each navigation moves the focus to the new page's heading.
    dept.click("nav a[href='#/inbox']").await.unwrap();
    dept.wait_for_text("Plis reçus", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(focused_heading(&dept).await, "Plis reçus");

    // The language chosen is remembered by this browser across a reload.
    dept.click("[data-testid=lang-switch]").await.unwrap();
    dept.wait_for_text("Inbox", Duration::from_secs(5))
        .await
        .unwrap();
    dept.run("location.reload(); return true;").await.unwrap();
    let dept_ref = &dept;
    until(Duration::from_secs(15), || async move {
        let lang = dept_ref
            .run("return document.documentElement.lang;")
            .await
            .unwrap_or_default();
        let english = dept_ref
            .run("return !!document.querySelector('[data-testid=lang-switch]') && document.querySelector('[data-testid=lang-switch]').textContent.includes('Français');")
            .await
            .unwrap_or_default();
        if lang == "en" && english == true {
            Ok(())
        } else {
            Err(format!("after a reload the page is in {lang:?}"))
        }
    })
    .await;
}

/// The text of the focused element, which must be the page's main heading.
async fn focused_heading(browser: &Browser) -> String {
    until(Duration::from_secs(10), || async move {
        let focused = browser
            .run(
                "const e = document.activeElement;                  return e && e.tagName === 'H1' && e.closest('main') ? e.textContent : null;",
            )
            .await
            .unwrap();
        match focused {
            serde_json::Value::String(text) => Ok(text),
            _ => Err("the focus is not on the main heading".to_owned()),
        }
    })
    .await
}
