//! A lying relay (issue 9): a proxy in front of the real relay rewrites its answers, one
//! behaviour at a time, and the clients must refuse before anything is encrypted to, or
//! trusted from, what it serves. Here: another platform root.

use pli_client::protocol::OneTimeLink;
use pli_client::{Client, ClientError, Session};

use super::harness::{Backend, PASSWORD, test_kdf, world};
use super::proxy::Proxy;

/// A relay that serves another platform root (impersonating the platform) is refused by a
/// returning person logging in from a client that pinned nothing (their bundle seals the
/// root they trust) and by a newcomer whose link names the real root; nothing is unlocked
/// or created, and the same people go through once the relay is honest again.
#[tokio::test]
async fn a_relay_serving_another_platform_root_is_refused_by_returning_and_new_people() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await;
    let forged = pli_crypto::sign::SigningKey::generate()
        .unwrap()
        .verifying_key();
    proxy.serve_root(Some(&forged));
    let client = Client::new(&proxy.base);

    let returning = Session::login(
        &client,
        &w.caseworker.email,
        PASSWORD,
        w.caseworker.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(returning, ClientError::RootChanged),
        "{returning:?}"
    );

    let invited = w
        .court_admin
        .session
        .invite(
            &w.court,
            "nouveau@tj-meaux.test",
            "Nouveau Greffier",
            pli_api::Role::Member,
        )
        .await
        .unwrap();
    let link = OneTimeLink::parse(&invited.link).unwrap();
    let root = link.root.clone().unwrap();
    let newcomer = Session::accept_invitation(&client, &link.token, PASSWORD, test_kdf(), &root)
        .await
        .unwrap_err();
    assert!(matches!(newcomer, ClientError::RootChanged), "{newcomer:?}");

    // Honest again: the invitation was not spent, and both go through.
    proxy.serve_root(None);
    Session::login(
        &client,
        &w.caseworker.email,
        PASSWORD,
        w.caseworker.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap();
    let accepted = Session::accept_invitation(&client, &link.token, PASSWORD, test_kdf(), &root)
        .await
        .unwrap();
    assert_eq!(accepted.trust.0, w.caseworker.session.trust.0);
}

async fn caseworker_through(
    w: &super::harness::World,
    proxy: &Proxy,
) -> Result<Session, ClientError> {
    Session::login(
        &Client::new(&proxy.base),
        &w.caseworker.email,
        PASSWORD,
        w.caseworker.session.account_key(),
        None,
        None,
    )
    .await
}

/// A relay that keeps serving the court's previous key after a rotation (its directory
/// answer recorded before) is caught by the transparency log, which holds the new
/// generation: nothing is encrypted to the old key, even by a session that never saw the
/// new one.
#[tokio::test]
async fn a_relay_serving_an_older_generation_is_refused_by_the_log() {
    let mut w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await;
    let caseworker = caseworker_through(&w, &proxy).await.unwrap();
    caseworker.recipient_key(&w.court).await.unwrap();
    let before_rotation = proxy.last_answer("/api/directory/orgs");

    assert_eq!(w.court_admin.session.rotate_org_key().await.unwrap(), 2);
    proxy.serve_canned("/api/directory/orgs", Some(before_rotation));
    let fresh = caseworker_through(&w, &proxy).await.unwrap();
    for session in [&caseworker, &fresh] {
        let refused = session.recipient_key(&w.court).await.unwrap_err();
        assert_eq!(
            refused.code(),
            pli_api::ErrorCode::KeyNotLatest,
            "{refused:?}"
        );
    }
    let sent = fresh
        .send(
            &w.court,
            vec![super::harness::file("a.pdf", vec![1; 10])],
            &super::harness::options("Rapport"),
        )
        .await
        .unwrap_err();
    assert_eq!(sent.code(), pli_api::ErrorCode::KeyNotLatest, "{sent:?}");
    assert!(
        !proxy
            .seen()
            .iter()
            .any(|s| s.method == "POST" && s.path == "/api/exchanges"),
        "nothing was created, let alone encrypted"
    );

    proxy.serve_canned("/api/directory/orgs", None);
    assert_eq!(
        fresh.recipient_key(&w.court).await.unwrap().key.generation,
        2
    );
}

/// A relay that serves the log's entries altered (here two swapped, each still validly
/// signed) cannot make them match the checkpoint: a forked log is refused at login.
#[tokio::test]
async fn a_forked_log_is_refused_at_login() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await;
    proxy.rewrite_log_entries(Some(|entries| {
        if entries.len() > 3 {
            entries.swap(2, 3);
        }
    }));
    let refused = caseworker_through(&w, &proxy).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogInconsistent,
        "{refused:?}"
    );
    proxy.rewrite_log_entries(None);
    caseworker_through(&w, &proxy).await.unwrap();
}

/// A relay that serves an older checkpoint (recorded before a key rotation) to a session
/// that verified a newer one is refused: the log was rolled back.
#[tokio::test]
async fn a_log_rolled_back_under_a_session_is_refused() {
    let mut w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await;
    let caseworker = caseworker_through(&w, &proxy).await.unwrap();
    let old_state = proxy.last_answer("/api/log/state");
    w.dept_admin.session.rotate_org_key().await.unwrap();
    caseworker.sync_log().await.unwrap();
    proxy.serve_canned("/api/log/state", Some(old_state));
    let refused = caseworker.sync_log().await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogInconsistent,
        "{refused:?}"
    );
    assert!(refused.to_string().contains("rolled back"), "{refused}");
}

/// A removed member's removal is a revocation, signed by their admin, in the log: every
/// client's view of the directory holds their certificate as revoked (so a rotation's
/// grants, checked against that view, can no longer include them).
#[tokio::test]
async fn a_removed_member_is_revoked_in_the_log() {
    let w = world(Backend::Sqlite).await;
    let greffier = w.greffier.session.me.user_id;
    w.court_admin
        .session
        .remove_member(&w.court, &greffier)
        .await
        .unwrap();
    let log = w.court_admin.session.directory_log().unwrap();
    let person = log.current(&greffier).unwrap();
    assert!(person.revoked_at.is_some(), "{person:?}");
    assert!(log.refused().is_empty(), "{:?}", log.refused());
    // Their signing key signs nothing valid any more: a second removal is refused by the
    // relay (already removed) and the log holds one revocation.
    assert!(
        w.court_admin
            .session
            .remove_member(&w.court, &greffier)
            .await
            .is_err()
    );
}
