//! « Mon compte » lists a person's open sessions and ends one: theirs only. Another
//! person's session id, an ended one and a made-up one get the same `not_found`.

use pli_api::ErrorCode;
use pli_client::Session;

use super::harness::{Backend, PASSWORD, world};

#[tokio::test]
async fn a_person_lists_their_sessions_and_ends_one_and_only_theirs() {
    let w = world(Backend::Sqlite).await;
    let greffier = &w.greffier;
    let elsewhere = Session::login(
        &w.app.client,
        &greffier.email,
        PASSWORD,
        greffier.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap();
    let listed = greffier.session.sessions().await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed.iter().filter(|s| s.current).count(), 1);
    assert!(listed.iter().all(|s| s.device == "pli"), "{listed:?}");
    let other = listed.iter().find(|s| !s.current).unwrap().clone();
    // The same list seen from the other session marks the other one as current.
    let seen = elsewhere.sessions().await.unwrap();
    assert!(seen.iter().any(|s| s.id == other.id && s.current));

    // Someone else cannot end it, nor learn it exists: the answer a made-up id gets.
    let refused = w
        .caseworker
        .session
        .end_session(&other.id)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotFound, "{refused}");
    let made_up = greffier
        .session
        .end_session("000000000000000000000000")
        .await
        .unwrap_err();
    assert_eq!(made_up.code(), ErrorCode::NotFound, "{made_up}");
    assert!(elsewhere.sessions().await.is_ok(), "still open");

    // Its owner ends it: that session is over, this one goes on.
    greffier.session.end_session(&other.id).await.unwrap();
    let ended = elsewhere.sessions().await.unwrap_err();
    assert_eq!(ended.status(), Some(401), "{ended}");
    let left = greffier.session.sessions().await.unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
    let again = greffier.session.end_session(&other.id).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::NotFound, "{again}");
}
