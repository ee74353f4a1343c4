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
