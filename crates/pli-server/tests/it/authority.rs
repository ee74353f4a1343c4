//! The platform root stays with the platform authority: the relay never stores it, not
//! even sealed in the authority's key bundle. The session that set the platform up holds
//! it; another device holds it only once the root file is imported; a password change
//! does not put it back; a bundle an older set-up sealed with it is taken off the relay.

use pli_api::{ErrorCode, OrgKind};
use pli_client::Session;
use pli_crypto::bundle::KeyBundle;
use pli_crypto::password::derive;

use super::harness::{Backend, PASSWORD, Person, World, totp_now, world};
use super::security::stored_accounts;

const PASSPHRASE: &str = "armoire forte, deuxième étage, clé bleue";

/// What a copy of the relay's database holds for `person`, opened with their two secrets.
async fn stored_bundle(database_url: &str, person: &Person, password: &str) -> KeyBundle {
    let user_id = person.session.me.user_id;
    let stored = stored_accounts(database_url).await;
    let account = stored.iter().find(|a| a.user_id == user_id).unwrap();
    let credentials = derive(
        password.as_bytes(),
        person.session.account_key(),
        &account.kdf,
    )
    .unwrap();
    KeyBundle::open(&account.bundle, &credentials.bundle_key, &user_id).unwrap()
}

/// A fresh TOTP code for the platform admin: the relay burns each time step once, so the
/// test lets the next step come by clearing the burnt one (as 30 seconds would).
async fn code(w: &World) -> String {
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    sqlx::query("UPDATE users SET totp_last_step = 0 WHERE id = $1")
        .bind(w.platform.session.me.user_id.to_string())
        .execute(&pool)
        .await
        .unwrap();
    totp_now(w.platform.totp.as_ref().unwrap(), 0)
}

async fn log_in_elsewhere(w: &World, password: &str) -> Session {
    Session::login(
        &w.app.client,
        &w.platform.email,
        password,
        w.platform.session.account_key(),
        Some(&code(w).await),
        None,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_platform_root_never_reaches_the_relay_and_travels_only_as_its_file() {
    let w = world(Backend::Sqlite).await;
    let root = w.platform.session.trust.0;
    assert!(
        w.platform.session.holds_root(),
        "the set-up session holds it"
    );
    assert!(!w.platform.session.root_on_relay());

    // The relay's copy, opened with both secrets: the trusted root, never the root.
    let bundle = stored_bundle(&w.app.database_url, &w.platform, PASSWORD).await;
    assert!(bundle.root.is_none(), "the root was sealed for the relay");
    assert_eq!(bundle.trusted_root, Some(root));

    // Another device: the keys open, the root is not there, and what needs it says so.
    let mut elsewhere = log_in_elsewhere(&w, PASSWORD).await;
    assert!(!elsewhere.holds_root());
    let refused = elsewhere
        .create_org(OrgKind::Court, "Tribunal judiciaire de Rennes", "TJRENNES")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::RootAbsent, "{refused}");
    let court_admin = w.court_admin.session.me.user_id;
    let refused = elsewhere
        .remove_member(&w.court, &court_admin)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::RootAbsent, "{refused}");

    // The root file: a weak passphrase is refused before anything is sealed.
    let weak = w.platform.session.export_root("motdepasse").unwrap_err();
    assert_eq!(weak.code(), ErrorCode::PasswordTooShort, "{weak}");
    let file = w.platform.session.export_root(PASSPHRASE).unwrap();
    assert!(file.contains(&root.fingerprint().to_string()));

    // Wrong passphrase, edited file, another platform's file: refused, each by name.
    let wrong = elsewhere.import_root(&file, "armoire forte").unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::RootPassphrase, "{wrong}");
    let cut = elsewhere
        .import_root(&file[..file.len() / 2], PASSPHRASE)
        .unwrap_err();
    assert_eq!(cut.code(), ErrorCode::RootFileInvalid, "{cut}");
    let other = pli_crypto::sign::SigningKey::generate().unwrap();
    let other_file = pli_crypto::authority::seal(&other, PASSPHRASE).unwrap();
    let foreign = elsewhere.import_root(&other_file, PASSPHRASE).unwrap_err();
    assert_eq!(foreign.code(), ErrorCode::RootFileOther, "{foreign}");
    assert!(!elsewhere.holds_root());

    // The right file and passphrase: the other device can certify again.
    elsewhere.import_root(&file, PASSPHRASE).unwrap();
    assert!(elsewhere.holds_root());
    elsewhere
        .create_org(OrgKind::Court, "Tribunal judiciaire de Rennes", "TJRENNES")
        .await
        .unwrap();

    // A password change seals the bundle again: still without the root.
    let new_password = "une autre phrase bien plus longue";
    elsewhere
        .reauth(PASSWORD, Some(&code(&w).await))
        .await
        .unwrap();
    elsewhere.change_password(new_password).await.unwrap();
    let bundle = stored_bundle(&w.app.database_url, &w.platform, new_password).await;
    assert!(bundle.root.is_none(), "a password change put the root back");
}

/// A platform set up before the root left the relay: its admin's bundle still holds the
/// root. Logging in says so, a password change keeps it (nothing is lost before the
/// file is saved), and taking it off the relay leaves the relay without it.
#[tokio::test]
async fn a_root_an_older_set_up_sealed_on_the_relay_is_taken_off_it() {
    let w = world(Backend::Sqlite).await;
    let user_id = w.platform.session.me.user_id;
    let root = w.platform.session.root_key.clone().unwrap();
    // Rewrites the bundle as an older set-up sealed it: with the root.
    let stored = stored_accounts(&w.app.database_url).await;
    let account = stored.iter().find(|a| a.user_id == user_id).unwrap();
    let credentials = derive(
        PASSWORD.as_bytes(),
        w.platform.session.account_key(),
        &account.kdf,
    )
    .unwrap();
    let old = KeyBundle {
        user_id,
        keys: w.platform.session.keys.clone(),
        root: Some(root.clone()),
        trusted_root: Some(root.verifying_key()),
    }
    .seal(&credentials.bundle_key)
    .unwrap();
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    sqlx::query("UPDATE users SET key_bundle = $1 WHERE id = $2")
        .bind(old)
        .bind(user_id.to_string())
        .execute(&pool)
        .await
        .unwrap();

    let mut session = log_in_elsewhere(&w, PASSWORD).await;
    assert!(session.holds_root());
    assert!(session.root_on_relay());
    // A password change before the file is saved keeps it there (nothing is lost).
    session
        .reauth(PASSWORD, Some(&code(&w).await))
        .await
        .unwrap();
    let password = "une autre phrase bien plus longue";
    session.change_password(password).await.unwrap();
    let bundle = stored_bundle(&w.app.database_url, &w.platform, password).await;
    assert!(bundle.root.is_some(), "a password change lost the root");

    let wrong = session
        .take_root_off_relay("not the password at all", Some(&code(&w).await))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::InvalidCredentials, "{wrong}");
    assert!(session.root_on_relay(), "a refused attempt changes nothing");
    session
        .take_root_off_relay(password, Some(&code(&w).await))
        .await
        .unwrap();
    assert!(!session.root_on_relay());
    assert!(session.holds_root(), "the session keeps it");
    let bundle = stored_bundle(&w.app.database_url, &w.platform, password).await;
    assert!(bundle.root.is_none());
    assert_eq!(bundle.trusted_root, Some(root.verifying_key()));
    let again = log_in_elsewhere(&w, password).await;
    assert!(!again.holds_root() && !again.root_on_relay());
}

/// `person` logs in again through the test relay's client (no two-factor code: members).
async fn member_logs_in(w: &World, person: &Person) -> Session {
    Session::login(
        &w.app.client,
        &person.email,
        PASSWORD,
        person.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap()
}

/// Issue 9, changing the witnesses after set-up. The operator replaces witness 1 by a
/// third one (witness 1 kept as retiring, so checkpoints still satisfy the policy in
/// force); the platform authority sees the difference, signs the new policy with the
/// root, and the relay logs it (audited). From its entry on, checkpoints are judged by
/// the new policy: once witness 1 is stopped and gone from the configuration, every
/// client still accepts the log, under witnesses 2 and 3.
#[tokio::test]
async fn the_authority_signs_new_witnesses_and_checkpoints_are_judged_by_them() {
    let mut w = world(Backend::Sqlite).await;
    let unchanged = w.platform.session.log_policies().await.unwrap();
    assert!(!unchanged.differs(), "{unchanged:?}");
    let refused = w.platform.session.sign_log_policy().await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::LogPolicyInvalid, "{refused:?}");

    let (third, endpoint) = w
        .app
        .server
        .start_witness(3, "temoin-3.pli.test")
        .await
        .unwrap();
    w.app.server.witnesses.push(third);
    let first = w.app.state.config.log.witnesses[0].clone();
    w.app
        .server
        .restart(|config| {
            config.log.witnesses.remove(0);
            config.log.witnesses.push(endpoint);
            config.log.retiring = vec![first];
        })
        .await
        .unwrap();
    // Before the authority signs, the former witnesses still cosign: people log in.
    w.court_admin.session.rotate_org_key().await.unwrap();
    let before = member_logs_in(&w, &w.caseworker).await;

    let state = &w.app.state;
    assert!(state.log.policy_outdated(&state.store).await.unwrap());
    let change = w.platform.session.log_policies().await.unwrap();
    assert!(change.differs());
    let names = |policy: &pli_crypto::statement::LogPolicy| -> Vec<String> {
        policy.witnesses.iter().map(|w| w.name.clone()).collect()
    };
    assert_eq!(
        names(&change.current),
        ["temoin-1.pli.test", "temoin-2.pli.test"]
    );
    assert_eq!(
        names(&change.proposed),
        ["temoin-2.pli.test", "temoin-3.pli.test"]
    );
    // Without a recent proof of the password and code, the relay logs nothing.
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    sqlx::query("UPDATE sessions SET reauth_at = 0 WHERE user_id = $1")
        .bind(w.platform.session.me.user_id.to_string())
        .execute(&pool)
        .await
        .unwrap();
    let refused = w.platform.session.sign_log_policy().await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ReauthRequired, "{refused:?}");
    assert!(w.platform.session.log_policies().await.unwrap().differs());
    let code = code(&w).await;
    w.platform
        .session
        .reauth(PASSWORD, Some(&code))
        .await
        .unwrap();
    let signed = w.platform.session.sign_log_policy().await.unwrap();
    assert_eq!(
        (signed.quorum, names(&signed)),
        (2, names(&change.proposed))
    );
    assert!(signed.issued_at > change.current.issued_at);
    assert!(!w.platform.session.log_policies().await.unwrap().differs());
    let state = &w.app.state;
    assert!(!state.log.policy_outdated(&state.store).await.unwrap());
    let audit = w
        .platform
        .session
        .platform_audit(pli_api::messages::AuditQuery::default())
        .await
        .unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "log.policy_changed")
        .expect("the change is audited");
    assert_eq!(entry.actor, Some(w.platform.session.me.user_id.to_string()));

    // Witness 1 stops and leaves the configuration: the log goes on under witnesses 2
    // and 3, for a session that verified the former policy and for a new one.
    let stopped = w.app.server.witnesses.remove(0);
    stopped.stop().await.unwrap();
    w.app
        .server
        .restart(|config| config.log.retiring.clear())
        .await
        .unwrap();
    w.dept_admin.session.rotate_org_key().await.unwrap();
    before.sync_log().await.unwrap();
    let after = member_logs_in(&w, &w.caseworker).await;
    let log = after.directory_log().unwrap();
    assert_eq!(log.policy_view().unwrap().issued_at, signed.issued_at);
    assert!(log.refused().is_empty(), "{:?}", log.refused());
    assert_eq!(
        after.recipient_key(&w.court).await.unwrap().key.generation,
        2
    );
}

/// A policy that cannot follow the one in force is refused before the root signs it
/// (a quorum of 0) and by the relay when it is signed anyway (a quorum of 0; witnesses
/// the relay is not configured with).
#[tokio::test]
async fn a_policy_change_to_an_unreachable_quorum_or_other_witnesses_is_refused() {
    use pli_crypto::sign::Signed;
    let mut w = world(Backend::Sqlite).await;
    w.app
        .server
        .restart(|config| config.log.quorum = 0)
        .await
        .unwrap();
    let refused = w.platform.session.sign_log_policy().await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::LogPolicyInvalid, "{refused:?}");
    assert!(refused.to_string().contains("quorum"), "{refused}");

    let root = w.platform.session.root_key.clone().unwrap();
    let zero = w.app.state.log.proposal(pli_server::now_ms()).unwrap();
    let other = pli_crypto::statement::LogPolicy {
        quorum: 1,
        witnesses: zero.witnesses[..1].to_vec(),
        ..zero.clone()
    };
    for policy in [zero, other] {
        let wire = Signed::sign(&policy, &root).unwrap().to_wire();
        let refused = w
            .platform
            .session
            .client()
            .submit(&pli_api::endpoints::SignLogPolicy {}, &wire)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::LogPolicyInvalid, "{refused:?}");
    }
    let log = w.platform.session.log_policies().await.unwrap();
    assert_eq!(log.current.quorum, 2, "the policy in force stays");
}
