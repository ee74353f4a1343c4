//! A lying relay (issue 9): a proxy in front of the real relay rewrites its answers, one
//! behaviour at a time, and the clients must refuse before anything is encrypted to, or
//! trusted from, what it serves. Here: another platform root.

use pli_client::protocol::OneTimeLink;
use pli_client::{Client, ClientError, Session};
use sqlx::Connection as _;

use pli_api::messages::PartHashes;
use pli_crypto::envelope::{Hashing, PartList};

use super::harness::{Backend, PASSWORD, data, file, options, test_kdf, world};
use pli_server::testing::proxy::Proxy;

/// A relay that serves another platform root (impersonating the platform) is refused by a
/// returning person logging in from a client that pinned nothing (their bundle seals the
/// root they trust) and by a newcomer whose link names the real root; nothing is unlocked
/// or created, and the same people go through once the relay is honest again.
#[tokio::test]
async fn a_relay_serving_another_platform_root_is_refused_by_returning_and_new_people() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let forged = pli_crypto::sign::SigningKey::generate()
        .unwrap()
        .verifying_key();
    proxy.serve_root(Some(&forged));
    let client = Client::new(&proxy.base);

    let returning = log_in(&client, &w.caseworker).await.unwrap_err();
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
    let newcomer =
        Session::accept_invitation(&client, &link.token, PASSWORD, test_kdf(), &root, None)
            .await
            .unwrap_err();
    assert!(matches!(newcomer, ClientError::RootChanged), "{newcomer:?}");

    // Honest again: the invitation was not spent, and both go through.
    proxy.serve_root(None);
    log_in(&client, &w.caseworker).await.unwrap();
    let accepted =
        Session::accept_invitation(&client, &link.token, PASSWORD, test_kdf(), &root, None)
            .await
            .unwrap();
    assert_eq!(accepted.trust.0, w.caseworker.session.trust.0);
}

async fn caseworker_through(
    w: &super::harness::World,
    proxy: &Proxy,
) -> Result<Session, ClientError> {
    log_in(&Client::new(&proxy.base), &w.caseworker).await
}

/// `person` logs in again through `client` (no two-factor code: members only).
async fn log_in(client: &Client, person: &super::harness::Person) -> Result<Session, ClientError> {
    Session::login(
        client,
        &person.email,
        PASSWORD,
        person.session.account_key(),
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
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let caseworker = caseworker_through(&w, &proxy).await.unwrap();
    caseworker.recipient_key(&w.court).await.unwrap();
    let before_rotation = proxy.last_answer("/api/directory/orgs").unwrap();

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
    let proxy = Proxy::start(&w.app.base).await.unwrap();
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
    // The session the relay opened for that login is ended at once, never used.
    let logouts = |proxy: &Proxy| {
        proxy
            .seen()
            .iter()
            .filter(|s| s.path == "/api/auth/logout" && s.status == 200)
            .count()
    };
    assert_eq!(logouts(&proxy), 1);
    proxy.rewrite_log_entries(None);
    caseworker_through(&w, &proxy).await.unwrap();
    assert_eq!(logouts(&proxy), 1);
}

/// A relay that serves an older checkpoint (recorded before a key rotation) to a session
/// that verified a newer one is refused: the log was rolled back.
#[tokio::test]
async fn a_log_rolled_back_under_a_session_is_refused() {
    let mut w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let caseworker = caseworker_through(&w, &proxy).await.unwrap();
    let old_state = proxy.last_answer("/api/log/state").unwrap();
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

/// A relay that drops the checkpoint a person had it record (so as to show them an older
/// log next time) is caught by a device that remembers the relay held it; a fresh device
/// has only the witnesses to rely on (see docs/security.md).
#[tokio::test]
async fn a_relay_that_drops_a_recorded_checkpoint_is_caught_by_a_device_that_remembers_it() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let first = caseworker_through(&w, &proxy).await.unwrap();
    let known = first.known_log().unwrap();
    assert!(
        known.confirmed > 0,
        "the relay recorded the checkpoint: {}",
        known.confirmed
    );

    proxy.drop_seen_checkpoint(true);
    let remembering = Client::new(&proxy.base).with_known_log(known.clone());
    let refused = log_in(&remembering, &w.caseworker).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogInconsistent,
        "{refused:?}"
    );
    assert!(refused.to_string().contains("no longer holds"), "{refused}");

    proxy.drop_seen_checkpoint(false);
    log_in(&remembering, &w.caseworker).await.unwrap();
}

/// A new device of a person is shown an older log (the relay's answer recorded before a
/// rotation): the checkpoint the person signed and the relay serves with their account
/// is larger, so the log was rolled back.
#[tokio::test]
async fn a_new_device_refuses_a_log_older_than_the_persons_recorded_checkpoint() {
    let mut w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let first = caseworker_through(&w, &proxy).await.unwrap();
    let before = proxy.last_answer("/api/log/state").unwrap();
    w.court_admin.session.rotate_org_key().await.unwrap();
    first.sync_log().await.unwrap();

    proxy.serve_canned("/api/log/state", Some(before));
    let refused = caseworker_through(&w, &proxy).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogInconsistent,
        "{refused:?}"
    );
    assert!(refused.to_string().contains("rolled back"), "{refused}");
}

/// With a witness down, the relay's next checkpoint has one cosignature where the policy
/// asks for two: clients refuse it (a denial of service, never a silent acceptance), and
/// accept again once the witness is back and cosigns.
#[tokio::test]
async fn a_checkpoint_short_of_the_witness_quorum_is_refused() {
    let mut w = world(Backend::Sqlite).await;
    let stopped = w.app.server.witnesses.pop().unwrap();
    let addr = stopped.addr();
    stopped.stop().await.unwrap();
    // The admin's own client, verifying the log after its rotation, is the first to
    // refuse the checkpoint (the relay made the rotation; its log cannot show it).
    let admin = w.court_admin.session.rotate_org_key().await.unwrap_err();
    assert_eq!(
        admin.code(),
        pli_api::ErrorCode::LogInconsistent,
        "{admin:?}"
    );
    let refused = log_in(&w.app.client, &w.caseworker).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogInconsistent,
        "{refused:?}"
    );
    assert!(refused.to_string().contains("witness"), "{refused}");

    // The witness comes back on the same address and state: the relay's next publication
    // is cosigned by both again.
    let witness = pli_witness::Witness::open(pli_witness::WitnessConfig {
        name: pli_server::testing::WITNESSES[1].to_owned(),
        seed: [102; 32].into(),
        state_dir: w.app.data.path().join("witness-2"),
        logs: vec![pli_witness::KnownLog::from_vkey(&log_vkey(&w)).unwrap()],
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    w.app
        .server
        .witnesses
        .push(pli_witness::spawn(listener, witness).unwrap());
    w.app.state.log.publish(&w.app.state.store).await.unwrap();
    log_in(&w.app.client, &w.caseworker).await.unwrap();
}

fn log_vkey(w: &super::harness::World) -> String {
    let origin = &w.app.state.config.log.origin;
    pli_server::log::log_key(
        &pli_server::auth::secrets::ServerKey::from_bytes([7; 32]),
        origin,
    )
    .unwrap()
    .verifier_key(pli_log::note::ED25519)
    .unwrap()
}

/// A relay that rewrites its own log (here the tree's right edge, as a relay forking its
/// history would) signs checkpoints the witnesses refuse to cosign, since they do not
/// extend what they cosigned: the clients then refuse the log.
#[tokio::test]
async fn witnesses_refuse_a_forked_checkpoint_and_clients_refuse_it_uncosigned() {
    let mut w = world(Backend::Sqlite).await;
    let mut db = sqlx::SqliteConnection::connect(&w.app.database_url)
        .await
        .unwrap();
    let frontier: String = sqlx::query_scalar("SELECT frontier FROM log_head WHERE id = 1")
        .fetch_one(&mut db)
        .await
        .unwrap();
    let mut edge: serde_json::Value = serde_json::from_str(&frontier).unwrap();
    // Flipped, not set: a byte set to a fixed value was already that value once in 256
    // runs, and the log was then not forked at all.
    let byte = edge["subtrees"][0][1][0].as_u64().unwrap();
    edge["subtrees"][0][1][0] = (byte ^ 0xFF).into();
    sqlx::query("UPDATE log_head SET frontier = $1 WHERE id = 1")
        .bind(edge.to_string())
        .execute(&mut db)
        .await
        .unwrap();
    let admin = w.court_admin.session.rotate_org_key().await.unwrap_err();
    assert!(
        admin.to_string().contains("0 witness cosignatures"),
        "{admin}"
    );
    let refused = log_in(&w.app.client, &w.caseworker).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogInconsistent,
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("0 witness cosignatures"),
        "{refused}"
    );
}

/// A relay that slips an entry into an organisation's part of the log (here a key
/// generation signed by a key none of the court's admins hold, appended and
/// checkpointed by the relay itself): every client's replay refuses it, so nothing is
/// encrypted to it, and the monitor flags it as made by none of the court's admins,
/// while the court admin's own rotation is listed as theirs.
#[tokio::test]
async fn the_monitor_flags_an_entry_none_of_the_organisations_admins_made() {
    use pli_crypto::cert::OrgKeyCertificate;
    use pli_crypto::sign::{Signed, SigningKey};
    let mut w = world(Backend::Sqlite).await;
    let admins = [w
        .court_admin
        .session
        .keys
        .signing
        .verifying_key()
        .fingerprint()];
    let before = w.court_admin.session.monitor(&w.court, 0).await.unwrap();
    assert!(
        before
            .entries
            .iter()
            .any(|r| r.what.contains("key generation 1")),
        "{:?}",
        before.entries
    );
    let since = before.size;

    w.court_admin.session.rotate_org_key().await.unwrap();
    let impostor = SigningKey::generate().unwrap();
    let forged = OrgKeyCertificate {
        org_id: w.court,
        generation: 3,
        public_key: pli_crypto::age::Identity::generate()
            .unwrap()
            .to_recipient()
            .into(),
        issued_at: 1,
        issuer: impostor.verifying_key().fingerprint(),
        expires_at: None,
    };
    let leaf = pli_log::Entry::OrgKey(Signed::sign(&forged, &impostor).unwrap()).to_leaf();
    let mut tx = w.app.state.store.begin().await.unwrap();
    tx.log_append(&leaf, 1).await.unwrap();
    tx.commit().await.unwrap();
    w.app.state.log.publish(&w.app.state.store).await.unwrap();

    let report = w
        .court_admin
        .session
        .monitor(&w.court, since)
        .await
        .unwrap();
    let whats: Vec<&str> = report.entries.iter().map(|r| r.what.as_str()).collect();
    assert_eq!(report.entries.len(), 2, "{whats:?}");
    let unexpected: Vec<_> = report.unexpected(&admins).collect();
    assert_eq!(unexpected.len(), 1, "{whats:?}");
    assert!(
        unexpected[0].what.contains("key generation 3"),
        "{unexpected:?}"
    );
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);

    let caseworker = log_in(&w.app.client, &w.caseworker).await.unwrap();
    assert_eq!(
        caseworker
            .recipient_key(&w.court)
            .await
            .unwrap()
            .key
            .generation,
        2
    );
}

/// A key signed by an admin the platform authority removed (the removal, signed by the
/// root, is in the log): the removed admin's own client refuses to rotate (its
/// certificate is revoked in the log it verified), and a generation the relay appends for
/// it anyway, as a relay still taking keys from that admin would, is refused by every
/// replay: nobody encrypts to it.
#[tokio::test]
async fn a_key_published_by_a_removed_admin_is_refused() {
    use pli_crypto::cert::OrgKeyCertificate;
    use pli_crypto::sign::Signed;
    use pli_crypto::statement::{Revocation, Revoked};
    let mut w = world(Backend::Sqlite).await;
    let root = w.platform.session.root_key.clone().unwrap();
    let append = async |w: &super::harness::World, leaf: Vec<u8>| {
        let mut tx = w.app.state.store.begin().await.unwrap();
        tx.log_append(&leaf, 1).await.unwrap();
        tx.commit().await.unwrap();
        w.app.state.log.publish(&w.app.state.store).await.unwrap();
    };
    let admin_key = w.court_admin.session.keys.signing.clone();
    let removal = Revocation {
        org_id: w.court,
        subject: Revoked::Person {
            user_id: w.court_admin.session.me.user_id,
            key: admin_key.verifying_key().fingerprint(),
        },
        issued_at: 1,
        issuer: root.verifying_key().fingerprint(),
    };
    append(
        &w,
        pli_log::Entry::Revocation(Signed::sign(&removal, &root).unwrap()).to_leaf(),
    )
    .await;

    // The relay still lists the removed admin as a member: their own client refuses.
    let refused = w.court_admin.session.rotate_org_key().await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::CertificateRevoked,
        "{refused:?}"
    );

    let late = OrgKeyCertificate {
        org_id: w.court,
        generation: 2,
        public_key: pli_crypto::age::Identity::generate()
            .unwrap()
            .to_recipient()
            .into(),
        issued_at: 2,
        issuer: admin_key.verifying_key().fingerprint(),
        expires_at: None,
    };
    append(
        &w,
        pli_log::Entry::OrgKey(Signed::sign(&late, &admin_key).unwrap()).to_leaf(),
    )
    .await;
    let caseworker = log_in(&w.app.client, &w.caseworker).await.unwrap();
    let log = caseworker.directory_log().unwrap();
    assert!(
        log.refused().iter().any(|r| r.why.contains("revoked")),
        "{:?}",
        log.refused()
    );
    assert_eq!(
        caseworker
            .recipient_key(&w.court)
            .await
            .unwrap()
            .key
            .generation,
        1
    );
}

/// A relay that withholds a member's grant of their organisation's newest key (here, the
/// grants answered as before a rotation) cannot make their copy of what they send go to
/// the older generation: the copy is sealed to the latest key the log holds, and the
/// organisation's admin, who holds it, reads the preview in the outbox.
#[tokio::test]
async fn a_withheld_grant_does_not_keep_the_senders_copy_on_an_older_key() {
    let mut w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let client = Client::new(&proxy.base);
    log_in(&client, &w.greffier).await.unwrap();
    let before_rotation = proxy.last_answer("/api/me/grants").unwrap();
    assert_eq!(w.court_admin.session.rotate_org_key().await.unwrap(), 2);
    proxy.serve_canned("/api/me/grants", Some(before_rotation));
    let greffier = log_in(&client, &w.greffier).await.unwrap();
    assert!(!greffier.org_keys.contains_key(&2), "the grant is withheld");
    let id = greffier
        .send(
            &w.dept,
            vec![super::harness::file("ordonnance.pdf", vec![3; 100])],
            &super::harness::options("Ordonnance"),
        )
        .await
        .unwrap();
    let detail = w.court_admin.session.exchange(&id).await.unwrap();
    let signed = pli_crypto::sign::Signed::<pli_crypto::envelope::Envelope>::from_wire(
        detail.summary.envelope.as_ref().unwrap(),
    )
    .unwrap();
    let envelope: pli_crypto::envelope::Envelope =
        pli_crypto::codec::Canonical::from_canonical(signed.data()).unwrap();
    assert_eq!(envelope.sender_generation, Some(2));
    let outbox = w
        .court_admin
        .session
        .list(
            pli_client::protocol::Mailbox::Outbox,
            pli_api::messages::ExchangeQuery::default(),
        )
        .await
        .unwrap();
    assert!(matches!(
        &outbox.rows[0].preview,
        pli_client::protocol::Listed::Read(p) if p.subject == "Ordonnance"
    ));
}

/// The log's state as the relay served it, with its policy replaced by `policy`.
fn state_with_policy(state: &[u8], policy: pli_api::SignedObject) -> Vec<u8> {
    let mut state: pli_api::messages::LogState = serde_json::from_slice(state).unwrap();
    state.policy = Some(policy);
    serde_json::to_vec(&state).unwrap()
}

/// The operator drops witness 1 (still asked, as retiring, until the new policy is in
/// the log) and lowers the quorum to 1; the platform authority signs the new policy.
async fn drop_the_first_witness(w: &mut super::harness::World) {
    let first = w.app.state.config.log.witnesses[0].clone();
    w.app
        .server
        .restart(|config| {
            config.log.witnesses.remove(0);
            config.log.quorum = 1;
            config.log.retiring = vec![first];
        })
        .await
        .unwrap();
    let signed = w.platform.session.sign_log_policy().await.unwrap();
    assert_eq!(signed.quorum, 1);
}

/// Issue 9, a policy change: a relay that serves a log policy the platform root did not
/// sign (the same witnesses, signed by another key) is refused, with its own code (the
/// page says so in French), before any checkpoint is judged by it.
#[tokio::test]
async fn a_log_policy_the_root_did_not_sign_is_refused() {
    use pli_crypto::codec::Canonical as _;
    use pli_crypto::sign::{Signed, SigningKey};
    use pli_crypto::statement::LogPolicy;
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    caseworker_through(&w, &proxy).await.unwrap();
    let state = proxy.last_answer("/api/log/state").unwrap();
    let served: pli_api::messages::LogState = serde_json::from_slice(&state).unwrap();
    let policy = Signed::<LogPolicy>::from_wire(&served.policy.unwrap()).unwrap();
    let policy = LogPolicy::from_canonical(policy.data()).unwrap();
    let forged = Signed::sign(&policy, &SigningKey::generate().unwrap())
        .unwrap()
        .to_wire();
    proxy.serve_canned("/api/log/state", Some(state_with_policy(&state, forged)));
    let refused = caseworker_through(&w, &proxy).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogPolicyRefused,
        "{refused:?}"
    );
    assert!(refused.to_string().contains("platform root"), "{refused}");
    proxy.serve_canned("/api/log/state", None);
    caseworker_through(&w, &proxy).await.unwrap();
}

/// Issue 9: after the witnesses changed, a relay that goes back to the former policy is
/// refused — serving the state from before the change to a session (or a device) that
/// verified the new policy, or the former policy with the log that holds the new one to
/// a new device (the log's latest policy is not the one served).
#[tokio::test]
async fn a_relay_going_back_to_the_former_witnesses_is_refused() {
    let mut w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let session = caseworker_through(&w, &proxy).await.unwrap();
    let former = proxy.last_answer("/api/log/state").unwrap();
    drop_the_first_witness(&mut w).await;
    session.sync_log().await.unwrap();
    let current = proxy.last_answer("/api/log/state").unwrap();

    // The state from before the change, to those who verified the new policy.
    proxy.serve_canned("/api/log/state", Some(former.clone()));
    let refused = session.sync_log().await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogPolicyRefused,
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("former witnesses"),
        "{refused}"
    );
    let remembering = Client::new(&proxy.base).with_known_log(session.known_log().unwrap());
    let refused = log_in(&remembering, &w.caseworker).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogPolicyRefused,
        "{refused:?}"
    );

    // The former policy with today's log (which witness 1 still cosigned, as
    // retiring) to a new device: the log's latest policy is not the one served.
    let former_policy: pli_api::messages::LogState = serde_json::from_slice(&former).unwrap();
    proxy.serve_canned(
        "/api/log/state",
        Some(state_with_policy(&current, former_policy.policy.unwrap())),
    );
    let refused = caseworker_through(&w, &proxy).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::LogPolicyRefused,
        "{refused:?}"
    );
    assert!(refused.to_string().contains("latest"), "{refused}");

    proxy.serve_canned("/api/log/state", None);
    session.sync_log().await.unwrap();
    caseworker_through(&w, &proxy).await.unwrap();
}

/// A key rotation landing between the moment a send reads the recipient's key and the
/// moment it creates the exchange (the relay answers `stale_key_generation`): the send
/// starts again with the new key, and the person never sees the refusal.
#[tokio::test]
async fn a_send_that_a_rotation_overtakes_starts_again_with_the_new_key() {
    let mut w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let caseworker = caseworker_through(&w, &proxy).await.unwrap();
    let hold = proxy.hold_next(axum::http::Method::POST, "/api/exchanges");
    let options = super::harness::options("Rapport");
    let court_admin = &mut w.court_admin.session;
    let (sent, ()) = tokio::join!(
        caseworker.send(
            &w.court,
            vec![super::harness::file("a.pdf", vec![1; 10])],
            &options,
        ),
        async {
            hold.arrived().await;
            assert_eq!(court_admin.rotate_org_key().await.unwrap(), 2);
            hold.release();
        },
    );
    let id = sent.unwrap();
    let creations: Vec<u16> = proxy
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.path == "/api/exchanges")
        .map(|s| s.status)
        .collect();
    assert_eq!(creations, [409, 201], "refused once, then created");
    w.greffier.session.refresh_keys().await.unwrap();
    let received = w.greffier.session.open(&id).await.unwrap();
    assert_eq!(received.exchange.envelope.recipient_generation, 2);
}

/// A relay that acknowledges an admin's signed change and leaves it out of the log — a
/// new key generation, a key suspended, a member removed — is caught by the admin's own
/// client, which verifies the log again after each acknowledged change and requires its
/// statement in it: otherwise the rotation would stay hidden, everyone would go on
/// encrypting to the suspended key, and the removed member would keep a valid
/// certificate (and be granted the next key). The same changes go through once the relay
/// is honest.
#[tokio::test]
async fn a_change_the_relay_acknowledges_but_leaves_out_of_the_log_is_refused() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let court = w.court;
    let mut admin = court_admin_through(&w, &proxy).await;
    let refused = |error: ClientError, what: &str| {
        assert_eq!(
            error.code(),
            pli_api::ErrorCode::LogInconsistent,
            "{error:?}"
        );
        let said = error.to_string();
        assert!(
            said.contains(what) && said.contains("does not hold it"),
            "{said}"
        );
    };

    proxy.fake_next("POST", &format!("/api/orgs/{court}/keys"), 204, b"");
    refused(
        admin.rotate_org_key().await.unwrap_err(),
        "key generation 2",
    );
    assert_eq!(admin.rotate_org_key().await.unwrap(), 2);

    proxy.fake_next(
        "POST",
        &format!("/api/orgs/{court}/keys/1/suspend"),
        204,
        b"",
    );
    refused(
        admin.suspend_key(&court, 1).await.unwrap_err(),
        "the suspension of key generation 1",
    );
    admin.suspend_key(&court, 1).await.unwrap();

    let greffier = w.greffier.session.me.user_id;
    proxy.fake_next(
        "DELETE",
        &format!("/api/orgs/{court}/members/{greffier}"),
        200,
        br#"{"sessions_ended":1,"grants_deleted":1,"rotation_recommended":true}"#,
    );
    refused(
        admin.remove_member(&court, &greffier).await.unwrap_err(),
        "the revocation of the member's certificate",
    );
    admin.remove_member(&court, &greffier).await.unwrap();
    let log = admin.directory_log().unwrap();
    assert!(log.current(&greffier).unwrap().revoked_at.is_some());
    // Each faked answer reached no relay: the relay saw each change once.
    let seen = proxy.seen();
    for (method, path) in [
        ("POST", format!("/api/orgs/{court}/keys")),
        ("POST", format!("/api/orgs/{court}/keys/1/suspend")),
        ("DELETE", format!("/api/orgs/{court}/members/{greffier}")),
    ] {
        let count = seen
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .count();
        assert_eq!(count, 1, "{method} {path}");
    }
}

/// The court's admin, logged in again through `proxy` (a code of the next TOTP step: the
/// current one was spent setting the world up).
async fn court_admin_through(w: &super::harness::World, proxy: &Proxy) -> Session {
    Session::login(
        &Client::new(&proxy.base),
        &w.court_admin.email,
        PASSWORD,
        w.court_admin.session.account_key(),
        Some(&super::harness::totp_now(
            w.court_admin.totp.as_ref().unwrap(),
            1,
        )),
        None,
    )
    .await
    .unwrap()
}

/// A relay that keeps a removed member in the member list (and serves their certificate
/// as before) when the admin rotates the key: the admin's client grants a new key only to
/// members the log holds as current and unrevoked, so the rotation is refused and nothing
/// is granted to the removed member; with the true list, it goes through.
#[tokio::test]
async fn a_rotation_is_never_granted_to_a_member_the_log_shows_removed() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let court = w.court;
    let mut admin = court_admin_through(&w, &proxy).await;
    // An honest rotation first: the proxy records the member list and the greffier's
    // certificate as the relay served them.
    assert_eq!(admin.rotate_org_key().await.unwrap(), 2);
    let greffier = &w.greffier.session;
    let members = format!("/api/orgs/{court}/members");
    let certificate = format!(
        "/api/directory/certificates/{}",
        greffier.keys.signing.verifying_key().fingerprint().to_hex()
    );
    let recorded = |path: &str| proxy.last_answer(path).unwrap();
    let (members_before, certificate_before) = (recorded(&members), recorded(&certificate));

    admin
        .remove_member(&court, &greffier.me.user_id)
        .await
        .unwrap();
    proxy.serve_canned(&members, Some(members_before));
    proxy.serve_canned(&certificate, Some(certificate_before));
    let refused = admin.rotate_org_key().await.unwrap_err();
    assert!(
        matches!(
            refused,
            ClientError::KeyNotLatest(pli_log::Mismatch::Revoked)
        ),
        "{refused:?}"
    );
    let latest = |admin: &Session| {
        admin
            .directory_log()
            .unwrap()
            .org(&court)
            .unwrap()
            .keys
            .last()
            .unwrap()
            .generation
    };
    assert_eq!(latest(&admin), 2, "a generation was published");

    proxy.serve_canned(&members, None);
    proxy.serve_canned(&certificate, None);
    assert_eq!(admin.rotate_org_key().await.unwrap(), 3);
    assert_eq!(latest(&admin), 3);
}

/// A relay serving a file whose second part is not the one the sender signed (a format 2
/// envelope binds each part's SHA-256): the first part, which is, comes out; not one byte
/// of the second. A relay serving another list of part hashes than the envelope binds is
/// refused before any byte comes out. Honest again, the file comes back whole.
#[tokio::test]
async fn a_part_the_sender_did_not_sign_is_never_decrypted_and_the_parts_before_it_are() {
    let w = world(Backend::Sqlite).await;
    let report = data((16 << 20) + 300_000, 7);
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("rapport.pdf", report.clone())],
            &options("Rapport"),
        )
        .await
        .unwrap();
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let greffier = log_in(&Client::new(&proxy.base), &w.greffier)
        .await
        .unwrap();
    let received = greffier.open(&id).await.unwrap();
    assert_eq!(
        received.exchange.envelope.hashing,
        Hashing::Parts {
            part_size: 16 << 20
        }
    );
    // The file through the proxy: whole, or refused as unverified (what came out).
    let whole = async || {
        let mut out = Vec::new();
        greffier
            .download_file(&received, 0, &mut out)
            .await
            .unwrap();
        assert!(out == report);
    };
    let refused = async || {
        let mut out = Vec::new();
        let error = greffier
            .download_file(&received, 0, &mut out)
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Verification(_)), "{error:?}");
        out
    };
    whole().await;

    // One bit of the second part changed.
    let object = format!("/api/exchanges/{id}/objects/1");
    let ciphertext = proxy.last_answer(&object).unwrap();
    let mut altered = ciphertext.clone();
    // Well into the second part, past the age chunk that straddles the boundary: a
    // client that did not hold the part would write more than 16 MiB before failing.
    altered[(16 << 20) + 200_000] ^= 1;
    proxy.serve_canned(&object, Some(altered));
    let out = refused().await;
    // What came out is the first part's plaintext, up to its last whole chunk: less than
    // a part, and exactly the report's beginning.
    assert!(
        out.len() > (15 << 20) && out.len() < (16 << 20),
        "{}",
        out.len()
    );
    assert!(out[..] == report[..out.len()]);
    proxy.serve_canned(&object, None);

    // Another list of part hashes (the relay's own, one bit changed), with the true file.
    let parts = format!("{object}/parts");
    let listed: PartHashes = serde_json::from_slice(&proxy.last_answer(&parts).unwrap()).unwrap();
    let mut forged = listed.clone();
    forged.sha256.0[40] ^= 1;
    proxy.serve_canned(&parts, Some(serde_json::to_vec(&forged).unwrap()));
    assert!(refused().await.is_empty());
    // The true hashes said to be of parts of another size than the envelope's.
    let mut resized = listed.clone();
    resized.part_size = 8 << 20;
    proxy.serve_canned(&parts, Some(serde_json::to_vec(&resized).unwrap()));
    assert!(refused().await.is_empty());
    // A list matching a forged file would have to match the envelope too: the relay's list
    // is the one the envelope binds.
    assert_eq!(
        PartList {
            part_size: listed.part_size,
            size: ciphertext.len() as u64,
            parts: listed
                .sha256
                .0
                .chunks(32)
                .map(|h| h.try_into().unwrap())
                .collect(),
        }
        .object_ref()
        .unwrap(),
        received.exchange.envelope.files[0]
    );

    proxy.serve_canned(&parts, None);
    whole().await;
}
