//! Issue 10, the move of people made before post-quantum keys: an organisation whose
//! admin and member have X25519 keys (as earlier versions made them) moves to a
//! post-quantum generation without a reset, and keeps reading what it received before; a
//! relay that swaps the key a person asked for is caught by the admin's client.

use pli_api::{OrgKind, Role, SecondFactor};
use pli_client::protocol::OneTimeLink;
use pli_client::{Client, ClientError, Session};
use pli_crypto::keys::UserKeys;
use sqlx::Connection as _;

use super::harness::{
    Backend, PASSWORD, Person, World, data, file, first_file, options, test_kdf, totp_now, world,
};

/// `inviter` invites someone to `org`, who accepts with X25519 keys (as before issue 10).
async fn accept_classic(
    client: &Client,
    inviter: &Person,
    org: &pli_api::OrgId,
    email: &str,
    name: &str,
    role: Role,
) -> Person {
    let invitation = inviter
        .session
        .invite(org, email, name, role)
        .await
        .unwrap();
    let link = OneTimeLink::parse(&invitation.link).unwrap();
    let root = link.root.unwrap();
    let session = Session::accept_invitation_with_keys(
        client,
        &link.token,
        PASSWORD,
        test_kdf(),
        &root,
        None,
        UserKeys::generate_classic().unwrap(),
    )
    .await
    .unwrap();
    assert!(!session.has_post_quantum_key());
    Person {
        session,
        email: email.into(),
        totp: None,
    }
}

/// The person's next login (with a code if they have TOTP: once per person and test).
async fn log_in_again(client: &Client, person: Person) -> Person {
    // The next time step: enabling TOTP used this one.
    let code = person.totp.as_deref().map(|s| totp_now(s, 1));
    let session = Session::login(
        client,
        &person.email,
        PASSWORD,
        person.session.account_key(),
        code.as_deref(),
        None,
    )
    .await
    .unwrap();
    Person { session, ..person }
}

/// A new Département and its admin, certified, TOTP on, with X25519 keys; no key yet.
async fn classic_admin(w: &World) -> (pli_api::OrgId, Person) {
    let org = w
        .platform
        .session
        .create_org(OrgKind::Departement, "Essonne — ASE", "D91-ASE")
        .await
        .unwrap();
    let mut admin = accept_classic(
        &w.app.client,
        &w.platform,
        &org,
        "admin@d91.test",
        "Admin Essonne",
        Role::OrgAdmin,
    )
    .await;
    w.platform
        .session
        .certify(&org, &admin.session.me.user_id)
        .await
        .unwrap();
    admin.session.refresh_keys().await.unwrap();
    admin.enable_totp().await;
    (org, admin)
}

/// A Département made as before issue 10: admin and member with X25519 keys, an X25519
/// first generation, an exchange the court sent to it.
async fn classic_department(w: &World) -> (pli_api::OrgId, Person, Person, pli_api::ExchangeId) {
    let client = &w.app.client;
    let (org, mut admin) = classic_admin(w).await;
    assert_eq!(admin.session.rotate_org_key().await.unwrap(), 1);
    admin
        .session
        .set_second_factor(&org, SecondFactor::Optional)
        .await
        .unwrap();
    let member = accept_classic(
        client,
        &admin,
        &org,
        "ts@d91.test",
        "Travailleuse sociale",
        Role::Member,
    )
    .await;
    admin
        .session
        .certify(&org, &member.session.me.user_id)
        .await
        .unwrap();
    let key = w.greffier.session.recipient_key(&org).await.unwrap();
    assert!(!key.is_post_quantum() && key.key.generation == 1);
    let before = w
        .greffier
        .session
        .send(
            &org,
            vec![file("avant.pdf", data(70_000, 1))],
            &options("Avant"),
        )
        .await
        .unwrap();
    (org, admin, member, before)
}

/// At their next login each person asks for a post-quantum key (signed by their signing
/// key, the identity sealed beside their bundle) and still reads with their X25519 key;
/// « Passer aux clés post-quantiques » certifies the member's and waits for the platform
/// to certify the admin's; then it rotates to a post-quantum generation. The court sends
/// to it; the member, logged in again, opens what came before and after; the log holds
/// each person's signing key certified twice and set nothing aside.
async fn an_organisation_made_before_post_quantum_keys_moves_to_them(backend: Backend) {
    let w = world(backend).await;
    let client = &w.app.client;
    let (org, admin, member, before) = classic_department(&w).await;

    let mut admin = log_in_again(client, admin).await;
    let member = log_in_again(client, member).await;
    for person in [&admin, &member] {
        assert!(person.session.me.key_upgrade.is_some());
        assert!(person.session.has_post_quantum_key());
    }
    // Nothing is certified yet: the member reads with the X25519 key, as before.
    let received = member.session.open(&before).await.unwrap();
    assert_eq!(
        first_file(&member.session, &received).await,
        data(70_000, 1)
    );

    let progress = admin.session.move_to_post_quantum().await.unwrap();
    assert_eq!(progress.certified, ["Travailleuse sociale"]);
    assert_eq!(progress.waiting_for_platform, ["Admin Essonne"]);
    assert!(progress.waiting_for_login.is_empty());
    assert_eq!(progress.rotated, None);

    w.platform
        .session
        .certify_key_upgrade(&org, &admin.session.me.user_id)
        .await
        .unwrap();
    let progress = admin.session.move_to_post_quantum().await.unwrap();
    assert!(progress.certified.is_empty() && progress.waiting_for_platform.is_empty());
    assert_eq!(progress.rotated, Some(2));
    let again = admin.session.move_to_post_quantum().await.unwrap();
    assert!(again.already_post_quantum && again.rotated.is_none());

    let key = w.greffier.session.recipient_key(&org).await.unwrap();
    assert!(key.is_post_quantum() && key.key.generation == 2);
    let after = w
        .greffier
        .session
        .send(
            &org,
            vec![file("apres.pdf", data(70_000, 2))],
            &options("Après"),
        )
        .await
        .unwrap();

    let member = log_in_again(client, member).await;
    assert_eq!(
        member.session.org_keys.keys().copied().collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(member.session.org_keys[&2].identity.is_post_quantum());
    for (id, seed) in [(before, 1), (after, 2)] {
        let received = member.session.open(&id).await.unwrap();
        assert_eq!(
            first_file(&member.session, &received).await,
            data(70_000, seed)
        );
    }
    // What the member signed before the move (a receipt of `before`) stays theirs; the
    // log set nothing aside and holds both certificates of each key.
    let directory = member.session.directory_log().unwrap();
    assert!(directory.refused().is_empty(), "{:?}", directory.refused());
    for person in [&admin, &member] {
        let view = directory.current(&person.session.me.user_id).unwrap();
        assert_eq!(view.earlier_certificates.len(), 1);
        assert!(view.is_valid());
    }
}

#[tokio::test]
async fn an_organisation_made_before_post_quantum_keys_moves_to_them_on_sqlite() {
    an_organisation_made_before_post_quantum_keys_moves_to_them(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_organisation_made_before_post_quantum_keys_moves_to_them_on_postgres() {
    an_organisation_made_before_post_quantum_keys_moves_to_them(Backend::Postgres).await;
}

/// A relay that swaps the key a member asked for (its own key, signed by nobody the log
/// knows) is refused by the admin's client: nothing is certified, the member keeps their
/// X25519 key, and no post-quantum generation is granted to the relay's key.
#[tokio::test]
async fn a_relay_swapping_the_key_a_member_asked_for_is_refused() {
    let w = world(Backend::Sqlite).await;
    let client = &w.app.client;
    let (org, admin, member, _) = classic_department(&w).await;
    let mut admin = log_in_again(client, admin).await;
    let member = log_in_again(client, member).await;

    // The relay's own request for the member: a key it holds, signed by a key of its own.
    let relay_key = pli_crypto::sign::SigningKey::generate().unwrap();
    let forged = pli_crypto::upgrade::KeyUpgrade {
        user_id: member.session.me.user_id,
        org_id: org,
        encryption_key: pli_crypto::age::HybridIdentity::generate()
            .unwrap()
            .to_recipient()
            .into(),
        issued_at: pli_server::now_ms(),
    };
    let signed = pli_crypto::sign::Signed::sign(&forged, &relay_key).unwrap();
    let wire = signed.to_wire();
    let mut db = sqlx::SqliteConnection::connect(&w.app.database_url)
        .await
        .unwrap();
    sqlx::query("UPDATE key_upgrades SET upgrade = $1, upgrade_signature = $2 WHERE user_id = $3")
        .bind(wire.data.0.clone())
        .bind(wire.signature.0.clone())
        .bind(member.session.me.user_id.to_string())
        .execute(&mut db)
        .await
        .unwrap();

    let refused = admin.session.move_to_post_quantum().await.unwrap_err();
    assert!(
        matches!(&refused, ClientError::Verification(why) if why.contains("not theirs")),
        "{refused:?}"
    );
    let members = admin.session.members(&org).await.unwrap();
    let listed = members
        .members
        .iter()
        .find(|m| m.user_id == member.session.me.user_id)
        .unwrap();
    assert_eq!(listed.keys.encryption_key.0.len(), 32, "still X25519");
    assert_eq!(members.generations, [1]);
}

/// The relay keeps only a request the person signed with their certified signing key, for
/// their own account, once; and it certifies an active member again only with their
/// current key or the one they asked for, in a certificate later than the current one.
#[tokio::test]
async fn the_relay_keeps_only_what_the_person_signed_and_certifies_only_that_key() {
    use pli_api::endpoints as ep;
    use pli_api::messages::{CertifyRequest, KeyUpgradeRequest};
    use pli_crypto::cert::UserCertificate;
    use pli_crypto::codec::Canonical as _;
    use pli_crypto::sign::Signed;
    use pli_crypto::upgrade::KeyUpgrade;

    let w = world(Backend::Sqlite).await;
    let (org, admin, member, _) = classic_department(&w).await;
    let code = |e: ClientError| match e {
        ClientError::Api { status, code, .. } => (status, code.to_string()),
        other => panic!("{other:?}"),
    };
    let hybrid = || {
        pli_crypto::age::HybridIdentity::generate()
            .unwrap()
            .to_recipient()
            .into()
    };
    let request = |upgrade: &KeyUpgrade, by: &pli_crypto::sign::SigningKey| KeyUpgradeRequest {
        upgrade: Signed::sign(upgrade, by).unwrap().to_wire(),
        later_identities: pli_api::Base64(vec![1; 100]),
    };
    let upgrade = KeyUpgrade {
        user_id: member.session.me.user_id,
        org_id: org,
        encryption_key: hybrid(),
        issued_at: 1,
    };
    let put = |r: KeyUpgradeRequest| {
        let client = member.session.client().clone();
        async move { client.submit(&ep::PutKeyUpgrade {}, &r).await }
    };
    // Signed by another key, or for someone else: refused.
    let other = pli_crypto::sign::SigningKey::generate().unwrap();
    assert_eq!(
        code(put(request(&upgrade, &other)).await.unwrap_err()),
        (422, "bad_certificate".into())
    );
    let someone_else = KeyUpgrade {
        user_id: admin.session.me.user_id,
        ..upgrade.clone()
    };
    assert_eq!(
        code(
            put(request(&someone_else, &member.session.keys.signing))
                .await
                .unwrap_err()
        ),
        (422, "bad_certificate".into())
    );
    // Signed by them: kept once.
    put(request(&upgrade, &member.session.keys.signing))
        .await
        .unwrap();
    assert_eq!(
        code(
            put(request(&upgrade, &member.session.keys.signing))
                .await
                .unwrap_err()
        ),
        (409, "wrong_state".into())
    );

    // Certifying the member again: their current certificate, as the log holds it.
    let current = admin
        .session
        .members(&org)
        .await
        .unwrap()
        .members
        .into_iter()
        .find(|m| m.user_id == member.session.me.user_id)
        .unwrap();
    assert!(current.key_upgrade.is_some());
    let chain: pli_api::messages::CertificateChain = admin
        .session
        .client()
        .fetch(&ep::Certificate {
            fingerprint: member
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
    let certify = |cert: &UserCertificate| {
        let request = CertifyRequest {
            certificate: Signed::sign(cert, &admin.session.keys.signing)
                .unwrap()
                .to_wire(),
            grants: Vec::new(),
        };
        let client = admin.session.client().clone();
        let user = member.session.me.user_id;
        async move { client.submit(&ep::Certify { org, user }, &request).await }
    };
    // Another key than the current or the one asked for, or not later: refused.
    let later = cert.issued_at + 1;
    for wrong in [
        UserCertificate {
            encryption_key: hybrid(),
            issued_at: later,
            ..cert.clone()
        },
        UserCertificate {
            encryption_key: upgrade.encryption_key.clone(),
            ..cert.clone()
        },
    ] {
        assert_eq!(
            code(certify(&wrong).await.unwrap_err()),
            (422, "bad_certificate".into())
        );
    }
    // The key asked for, later: certified, and no longer shown as asked.
    certify(&UserCertificate {
        encryption_key: upgrade.encryption_key.clone(),
        issued_at: later,
        ..cert.clone()
    })
    .await
    .unwrap();
    let listed = admin
        .session
        .members(&org)
        .await
        .unwrap()
        .members
        .into_iter()
        .find(|m| m.user_id == member.session.me.user_id)
        .unwrap();
    assert!(listed.key_upgrade.is_none());
    assert_eq!(
        listed.keys.encryption_key.0,
        upgrade.encryption_key.to_bytes()
    );
}

/// A platform that requires post-quantum keys (`PLI_REQUIRE_POST_QUANTUM`) refuses an
/// X25519 generation with a code that names why, and accepts the service's first key once
/// its people have moved: the organisations made with post-quantum keys never notice.
#[tokio::test]
async fn a_platform_requiring_post_quantum_keys_refuses_an_x25519_generation() {
    use super::harness::{spawn_app_with, world_on};

    let app = spawn_app_with(Backend::Sqlite, |c| c.require_post_quantum = true).await;
    let mut w = world_on(app).await;
    assert_eq!(w.court_admin.session.rotate_org_key().await.unwrap(), 2);
    let client = w.app.client.clone();
    let (org, mut admin) = classic_admin(&w).await;
    let refused = admin.session.rotate_org_key().await.unwrap_err();
    assert!(
        matches!(
            refused,
            ClientError::Api {
                status: 409,
                code: pli_api::ErrorCode::PostQuantumRequired,
                ..
            }
        ),
        "{refused:?}"
    );

    let mut admin = log_in_again(&client, admin).await;
    w.platform
        .session
        .certify_key_upgrade(&org, &admin.session.me.user_id)
        .await
        .unwrap();
    let progress = admin.session.move_to_post_quantum().await.unwrap();
    assert_eq!(progress.rotated, Some(1));
    assert!(admin.session.org_keys[&1].identity.is_post_quantum());
}

/// Issue 9, renewing a certificate: the same rule certifies a member's signing key again
/// with the same keys and a later expiry — even once it has expired. The admin's page
/// reads the expiry from the member list; the log keeps the earlier certificate.
#[tokio::test]
async fn an_expired_certificate_is_renewed_with_the_same_keys() {
    use pli_api::endpoints as ep;
    use pli_api::messages::{CertificateChain, CertifyRequest};
    use pli_crypto::cert::UserCertificate;
    use pli_crypto::codec::Canonical as _;
    use pli_crypto::sign::Signed;

    let w = world(Backend::Sqlite).await;
    let admin = &w.court_admin.session;
    let greffier = w.greffier.session.me.user_id;
    let fingerprint = w
        .greffier
        .session
        .keys
        .signing
        .verifying_key()
        .fingerprint()
        .to_hex();
    let chain: CertificateChain = admin
        .client()
        .fetch(&ep::Certificate {
            fingerprint: fingerprint.clone(),
        })
        .await
        .unwrap();
    let cert = UserCertificate::from_canonical(&chain.certificate.data.0).unwrap();
    // A certificate that expires in a second (as one issued two years ago would now).
    let now = pli_server::now_ms();
    let short = UserCertificate {
        issued_at: now,
        expires_at: Some(now + 1000),
        ..cert.clone()
    };
    let request = CertifyRequest {
        certificate: Signed::sign(&short, &admin.keys.signing).unwrap().to_wire(),
        grants: Vec::new(),
    };
    admin
        .client()
        .submit(
            &ep::Certify {
                org: w.court,
                user: greffier,
            },
            &request,
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let listed = |members: pli_api::messages::Members| {
        members
            .members
            .into_iter()
            .find(|m| m.user_id == greffier)
            .unwrap()
    };
    let before = listed(admin.members(&w.court).await.unwrap());
    assert_eq!(before.certificate_expires_at, Some(now + 1000));

    admin.renew_certificate(&w.court, &greffier).await.unwrap();
    let after = listed(admin.members(&w.court).await.unwrap());
    let renewed_until = after.certificate_expires_at.unwrap();
    assert!(renewed_until > pli_server::now_ms() + pli_crypto::cert::VALIDITY_MS - 60_000);
    assert_eq!(after.keys, before.keys, "the same keys");

    let chain: CertificateChain = admin
        .client()
        .fetch(&ep::Certificate { fingerprint })
        .await
        .unwrap();
    let renewed = Signed::<UserCertificate>::from_wire(&chain.certificate).unwrap();
    admin.sync_log().await.unwrap();
    let directory = admin.directory_log().unwrap();
    assert!(
        directory
            .check_person(&renewed, pli_server::now_ms())
            .is_ok()
    );
    let view = directory.current(&greffier).unwrap();
    assert_eq!(
        view.earlier_certificates.len(),
        2,
        "the first and the short one"
    );
    assert!(directory.refused().is_empty(), "{:?}", directory.refused());
}

/// Two renewals of one member at once (two admin tabs, a double click): whatever order
/// they land in, the member ends with one current certificate, the log refuses nothing,
/// and one that lost the race is told so rather than stored beside the other.
#[tokio::test]
async fn renewals_that_race_leave_one_current_certificate() {
    use pli_crypto::cert::UserCertificate;
    use pli_crypto::codec::Canonical as _;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let w = world(backend).await;
        let admin = &w.court_admin.session;
        let greffier = w.greffier.session.me.user_id;
        let (a, b) = tokio::join!(
            admin.renew_certificate(&w.court, &greffier),
            admin.renew_certificate(&w.court, &greffier),
        );
        assert!(a.is_ok() || b.is_ok(), "{a:?} {b:?}");
        // The one that lost is told, one of three ways depending on where the other
        // overtook it: certified meanwhile (409), not later than the one now current
        // (422), or — its client read the new certificate before its log held it — not
        // the log's.
        for outcome in [a, b] {
            if let Err(error) = outcome {
                assert!(
                    matches!(
                        error.code(),
                        pli_api::ErrorCode::WrongState
                            | pli_api::ErrorCode::BadCertificate
                            | pli_api::ErrorCode::KeyNotLatest
                            | pli_api::ErrorCode::CertificateRevoked
                    ),
                    "{error:?}"
                );
            }
        }
        let current = w
            .app
            .state
            .store
            .current_user_certificate(&greffier)
            .await
            .unwrap()
            .unwrap();
        admin.sync_log().await.unwrap();
        let directory = admin.directory_log().unwrap();
        assert!(directory.refused().is_empty(), "{:?}", directory.refused());
        let view = directory.current(&greffier).unwrap();
        let current = UserCertificate::from_canonical(&current.certificate.data).unwrap();
        assert_eq!(
            view.issued_at, current.issued_at,
            "the log's current certificate is the relay's"
        );
    }
}
