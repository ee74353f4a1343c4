//! A relay that logs a key nobody entitled signed, in Chromium (issue 9): the court's
//! admin is removed (a revocation signed by the platform root), and the relay then logs
//! a new generation of the court's key signed with that admin's key, as a relay still
//! taking keys from them would. The caseworker's browser never uses it: the send page
//! shows the court's verified generation 1 and warns, in French, that the log holds
//! changes nobody entitled signed; what is sent opens with the court's key.

use std::time::Duration;

use pli_crypto::cert::OrgKeyCertificate;
use pli_crypto::sign::Signed;
use pli_crypto::statement::{Revocation, Revoked};
use pli_e2e::cast::{COURT, cast};
use pli_e2e::{Backend, Browser, relay};

#[tokio::test]
async fn the_browser_sets_aside_a_key_published_by_a_removed_admin_and_warns() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let people = cast(&server.base, &server.setup_token).await.unwrap();
    let root = people.platform.session.root_key.clone().unwrap();
    let append = async |leaf: Vec<u8>| {
        let store = &server.state.store;
        let mut tx = store.begin().await.unwrap();
        tx.log_append(&leaf, 1).await.unwrap();
        tx.commit().await.unwrap();
        server.state.log.publish(store).await.unwrap();
    };
    let admin = &people.court_admin.session;
    let admin_key = admin.keys.signing.clone();
    let removal = Revocation {
        org_id: people.court,
        subject: Revoked::Person {
            user_id: admin.me.user_id,
            key: admin_key.verifying_key().fingerprint(),
        },
        issued_at: 1,
        issuer: root.verifying_key().fingerprint(),
    };
    append(pli_log::Entry::Revocation(Signed::sign(&removal, &root).unwrap()).to_leaf()).await;
    let late = OrgKeyCertificate {
        org_id: people.court,
        generation: 2,
        public_key: pli_crypto::age::Identity::generate()
            .unwrap()
            .to_recipient()
            .into(),
        issued_at: 2,
        issuer: admin_key.verifying_key().fingerprint(),
        expires_at: None,
    };
    append(pli_log::Entry::OrgKey(Signed::sign(&late, &admin_key).unwrap()).to_leaf()).await;

    let caseworker = &people.caseworker;
    let mut browser = Browser::logged_in(&server.base, "lying-removed-admin", caseworker)
        .await
        .unwrap();
    browser.goto("#/send").await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let note = files.path().join("note.txt");
    std::fs::write(&note, "Note de situation").unwrap();
    browser
        .fill_send_form(&[&note], COURT, "Rapport", "Note de situation")
        .await
        .unwrap();
    let generation = browser
        .find("[data-testid=recipient-generation]")
        .await
        .unwrap();
    assert_eq!(generation.text().await.unwrap(), "1");
    let warning = browser
        .find("[data-testid=recipient-refused-entries]")
        .await
        .unwrap();
    assert!(
        warning
            .text()
            .await
            .unwrap()
            .contains("que personne d'habilité n'a signées"),
        "{:?}",
        warning.text().await
    );
    browser
        .run("document.querySelector('[data-testid=recipient-key]').scrollIntoView(); return 0;")
        .await
        .unwrap();
    browser.record("removed-admin-key-set-aside").await.unwrap();

    // Sent to the court's verified key: its greffier, who holds generation 1, opens it.
    browser.click("[data-testid=send]").await.unwrap();
    browser
        .wait_for("[data-testid=sent]", Duration::from_secs(60))
        .await
        .unwrap();
    let inbox = people.greffier.session.inbox().await.unwrap();
    let [exchange] = inbox.exchanges.as_slice() else {
        panic!("{:?}", inbox.exchanges);
    };
    let opened = people
        .greffier
        .session
        .open(&exchange.exchange_id)
        .await
        .unwrap();
    assert_eq!(opened.manifest.subject, "Note de situation");
    browser.close().await.unwrap();
}
