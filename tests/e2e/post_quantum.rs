//! Issue 10 in Chromium: a Département made before post-quantum keys (admin and member with
//! X25519 keys, an X25519 service key, an exchange received) moves to them from the
//! browser, without a reset.

use std::time::Duration;

use pli_client::{Client, Session};
use pli_crypto::keys::UserKeys;
use pli_e2e::cast::{PASSWORD, Person, cast, join_with_keys, totp};
use pli_e2e::{Backend, Browser, relay};

use crate::journeys::{text, wait_gone};

/// The member logs in in Chromium (their browser makes and asks for their post-quantum
/// key), then the admin: « Passer aux clés post-quantiques » certifies the member's key
/// and says the admin's own waits for the platform; once the platform has certified it,
/// the same button renews the service key as post-quantum, and the key history says so.
/// The court's next exchange is encrypted to it, and the member opens what came before and
/// after.
#[tokio::test]
async fn a_service_made_before_post_quantum_keys_moves_to_them_from_the_browser() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let cast = cast(&base, &server.setup_token).await.unwrap();
    let client = Client::new(&base);
    let org = cast
        .platform
        .session
        .create_org(
            pli_crypto::cert::OrgKind::Departement,
            "Essonne — ASE",
            "D91-ASE",
        )
        .await
        .unwrap();
    let admin_who = ("admin@d91.test", "Admin Essonne", pli_api::Role::OrgAdmin);
    let mut admin = join_with_keys(
        &client,
        &cast.platform,
        &org,
        admin_who,
        UserKeys::generate_classic().unwrap(),
    )
    .await
    .unwrap();
    admin.enable_totp().await.unwrap();
    assert_eq!(admin.session.rotate_org_key().await.unwrap(), 1);
    admin
        .session
        .set_second_factor(&org, pli_api::SecondFactor::Optional)
        .await
        .unwrap();
    let member_who = ("ts@d91.test", "Assistante Leroy", pli_api::Role::Member);
    let member = join_with_keys(
        &client,
        &admin,
        &org,
        member_who,
        UserKeys::generate_classic().unwrap(),
    )
    .await
    .unwrap();
    let classic = cast.greffier.session.recipient_key(&org).await.unwrap();
    assert!(!classic.is_post_quantum());
    let before = send(&cast.greffier, &org, "avant").await;

    // The member's browser asks for their post-quantum key at login.
    let browser = Browser::logged_in(&base, "post-quantum-member", &member)
        .await
        .unwrap();
    browser.close().await.unwrap();
    let listed = admin.session.members(&org).await.unwrap();
    let asked = listed
        .members
        .iter()
        .find(|m| m.email == member.email)
        .and_then(|m| m.key_upgrade.as_ref());
    assert!(
        asked.is_some(),
        "the member's browser asked for a post-quantum key"
    );

    let mut browser = Browser::open(&base, "post-quantum").await.unwrap();
    let code = totp(admin.totp.as_deref().unwrap(), 1).unwrap();
    browser
        .log_in(
            &admin.email,
            PASSWORD,
            Some(&admin.account_key()),
            Some(&code),
        )
        .await
        .unwrap();
    browser.goto("#/admin").await.unwrap();
    browser
        .wait_for(
            &format!("[data-testid='member-key-asked-{}']", member.email),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    // (WebDriver reads a no-break space as a space.)
    let status = text(&browser, "[data-testid=pq-status]")
        .await
        .replace('\u{a0}', " ");
    assert!(status.contains("certifiée : 0 sur 2."), "{status}");
    assert!(status.contains("certifier : 2."), "{status}");
    browser
        .click("[data-testid=move-to-post-quantum]")
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=pq-certified]", Duration::from_secs(60))
        .await
        .unwrap();
    let certified = text(&browser, "[data-testid=pq-certified]").await;
    assert!(certified.contains("Assistante Leroy"), "{certified}");
    let waiting = text(&browser, "[data-testid=pq-waiting-platform]").await;
    assert!(waiting.contains("Admin Essonne"), "{waiting}");
    browser
        .wait_for(
            &format!("[data-testid='member-key-post-quantum-{}']", member.email),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    browser.record("post-quantum-01-waiting").await.unwrap();

    // The platform authority certifies the admin's key (its own page does the same).
    cast.platform
        .session
        .certify_key_upgrade(&org, &admin.session.me.user_id)
        .await
        .unwrap();
    browser.goto("#/inbox").await.unwrap();
    browser.goto("#/admin").await.unwrap();
    browser
        .wait_for(
            "[data-testid=move-to-post-quantum]",
            Duration::from_secs(30),
        )
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=pq-rotated]", Duration::from_secs(60))
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=key-2-post-quantum]", Duration::from_secs(30))
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=pq-done]", Duration::from_secs(30))
        .await
        .unwrap();
    browser.record("post-quantum-02-done").await.unwrap();
    browser.close().await.unwrap();

    // The court's next exchange is post-quantum; the member reads both.
    let latest = cast.greffier.session.recipient_key(&org).await.unwrap();
    assert!(latest.is_post_quantum() && latest.key.generation == 2);
    let after = send(&cast.greffier, &org, "apres").await;
    let reader = log_in(&client, &member).await;
    for (id, bytes) in [(before, b"avant"), (after, b"apres")] {
        let received = reader.open(&id).await.unwrap();
        let mut out = Vec::new();
        reader.download_file(&received, 0, &mut out).await.unwrap();
        assert_eq!(out, bytes);
    }
}

async fn log_in(client: &Client, person: &Person) -> Session {
    Session::login(
        client,
        &person.email,
        PASSWORD,
        person.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap()
}

/// `sender` sends `word` (as `<word>.pdf`, holding the word) to `org`.
async fn send(sender: &Person, org: &pli_api::OrgId, word: &str) -> pli_api::ExchangeId {
    let file = pli_client::FileInput::from_bytes(
        &format!("{word}.pdf"),
        "application/pdf",
        word.as_bytes().to_vec(),
    );
    sender
        .session
        .send(org, vec![file], &options(word))
        .await
        .unwrap()
}

fn options(subject: &str) -> pli_client::SendOptions {
    pli_client::SendOptions {
        category: pli_api::Category::Rapport,
        subject: subject.into(),
        message: "Rapport.".into(),
        case_reference: "2026/00091".into(),
        urgent: false,
        copy_to_sender: false,
        in_reply_to: None,
    }
}

/// Issue 9, renewal in Chromium: a member whose certificate expires within sixty days is
/// flagged on the admin's page with « Renouveler le certificat », which certifies the same
/// keys for two more years.
#[tokio::test]
async fn an_admin_renews_a_certificate_about_to_expire() {
    use pli_api::endpoints as ep;
    use pli_api::messages::{CertificateChain, CertifyRequest};
    use pli_crypto::cert::UserCertificate;
    use pli_crypto::codec::Canonical as _;
    use pli_crypto::sign::Signed;

    let server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let cast = cast(&base, &server.setup_token).await.unwrap();
    let admin = &cast.court_admin;
    let greffier = &cast.greffier;
    // The greffier's certificate, as if issued two years ago less ten days.
    let chain: CertificateChain = admin
        .session
        .client()
        .fetch(&ep::Certificate {
            fingerprint: greffier
                .session
                .keys
                .signing
                .verifying_key()
                .fingerprint()
                .to_hex(),
        })
        .await
        .unwrap();
    let cert = UserCertificate::from_canonical(&chain.certificate.data.0).unwrap();
    let now = pli_server::now_ms();
    let soon = UserCertificate {
        issued_at: now,
        expires_at: Some(now + 10 * 24 * 3600 * 1000),
        ..cert
    };
    let request = CertifyRequest {
        certificate: Signed::sign(&soon, &admin.session.keys.signing)
            .unwrap()
            .to_wire(),
        grants: Vec::new(),
    };
    admin
        .session
        .client()
        .submit(
            &ep::Certify {
                org: cast.court,
                user: greffier.session.me.user_id,
            },
            &request,
        )
        .await
        .unwrap();

    let mut browser = Browser::open(&base, "renewal").await.unwrap();
    let code = totp(admin.totp.as_deref().unwrap(), 1).unwrap();
    browser
        .log_in(
            &admin.email,
            PASSWORD,
            Some(&admin.account_key()),
            Some(&code),
        )
        .await
        .unwrap();
    browser.goto("#/admin").await.unwrap();
    let flagged = format!("[data-testid='certificate-expiring-{}']", greffier.email);
    browser
        .wait_for(&flagged, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        text(&browser, &flagged)
            .await
            .contains("à renouveler avant le")
    );
    browser.record("renewal-01-expiring").await.unwrap();
    browser
        .click(&format!("[data-testid='renew-{}']", greffier.email))
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=certificate-renewed]", Duration::from_secs(60))
        .await
        .unwrap();
    let listed = admin.session.members(&cast.court).await.unwrap();
    let renewed = listed
        .members
        .iter()
        .find(|m| m.user_id == greffier.session.me.user_id)
        .and_then(|m| m.certificate_expires_at)
        .unwrap();
    assert!(renewed > now + 700 * 24 * 3600 * 1000);
    wait_gone(&browser, &flagged).await;
    browser.close().await.unwrap();
}
