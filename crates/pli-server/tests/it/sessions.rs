//! « Mon compte » lists a person's open sessions and ends one: theirs only. Another
//! person's session id, an ended one and a made-up one get the same `not_found`. A
//! live-event stream lasts no longer than its session, and keeps none alive.

use pli_api::{ErrorCode, SecondFactor};
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

/// A member turns two-factor authentication off — with a recent password proof and a
/// current code, never with a session alone — then on again; an admin cannot turn it
/// off. Each change is in the organisation's audit log.
#[tokio::test]
async fn a_member_turns_two_factor_off_and_on_again_and_an_admin_cannot() {
    let mut w = world(Backend::Sqlite).await;
    w.greffier.enable_totp().await;
    let secret = w.greffier.totp.clone().unwrap();
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    let user = w.greffier.session.me.user_id.to_string();
    // Each call below takes a fresh code: forget the steps used so far.
    let fresh_code = || async {
        sqlx::query("UPDATE users SET totp_last_step = 0 WHERE id = $1")
            .bind(&user)
            .execute(&pool)
            .await
            .unwrap();
        super::harness::totp_now(&secret, 0)
    };
    let refused = greffier_logs_in(&w).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::TotpRequired, "{refused:?}");

    // An old password proof is not enough: the password and a current code, now.
    sqlx::query("UPDATE sessions SET reauth_at = 0")
        .execute(&pool)
        .await
        .unwrap();
    let stale = w.greffier.session.totp_disable().await.unwrap_err();
    assert_eq!(stale.code(), ErrorCode::ReauthRequired, "{stale:?}");
    let wrong = w
        .greffier
        .session
        .reauth(PASSWORD, Some("000000"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::TotpInvalid, "{wrong:?}");
    let code = fresh_code().await;
    w.greffier
        .session
        .reauth(PASSWORD, Some(&code))
        .await
        .unwrap();
    w.greffier.session.totp_disable().await.unwrap();
    let again = w.greffier.session.totp_disable().await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::WrongState, "{again:?}");
    let without = greffier_logs_in(&w).await.unwrap();
    assert!(!without.me.totp_enabled);

    // On again, with a new secret: a code is asked again.
    fresh_code().await;
    w.greffier.enable_totp().await;
    let refused = greffier_logs_in(&w).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::TotpRequired);

    // Admins keep it.
    let admin = w.court_admin.session.totp_disable().await.unwrap_err();
    assert_eq!(admin.code(), ErrorCode::Forbidden, "{admin:?}");

    let audit = w
        .court_admin
        .session
        .org_audit(&w.court, pli_api::messages::AuditQuery::default())
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.actor.as_deref() == Some(user.as_str()))
        .map(|e| e.action.as_str())
        .filter(|a| a.starts_with("totp."))
        .collect();
    assert_eq!(actions, ["totp.enabled", "totp.disabled", "totp.enabled"]);
}

/// The greffier logs in again, without a two-factor code.
async fn greffier_logs_in(w: &super::harness::World) -> Result<Session, pli_client::ClientError> {
    Session::login(
        &w.app.client,
        &w.greffier.email,
        PASSWORD,
        w.greffier.session.account_key(),
        None,
        None,
    )
    .await
}

/// An organisation requires two-factor authentication of its members (the default for a
/// new organisation): a member without it can still reach their own settings, but
/// nothing that sends or reads until they turn it on, and then cannot turn it off.
/// Relaxing the rule needs a recent password proof; only the organisation's admins may
/// change it, and each change is in its audit log.
#[tokio::test]
async fn an_organisation_requires_two_factor_of_its_members() {
    let mut w = world(Backend::Sqlite).await;
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    let before = greffier_logs_in(&w).await.unwrap();
    assert!(!before.me.totp_required && !before.me.must_enrol());
    before.inbox().await.unwrap();

    // A new organisation requires it from the start.
    let new = w
        .platform
        .session
        .create_org(
            pli_crypto::cert::OrgKind::Court,
            "Tribunal judiciaire de Melun",
            "TJ-MELUN",
        )
        .await
        .unwrap();
    let members = w.platform.session.members(&new).await.unwrap();
    assert_eq!(members.second_factor, SecondFactor::Required);

    // Only the organisation's admins decide.
    let member = w
        .greffier
        .session
        .set_second_factor(&w.court, SecondFactor::Required)
        .await
        .unwrap_err();
    assert_eq!(member.code(), ErrorCode::Forbidden, "{member:?}");
    let other = w
        .dept_admin
        .session
        .set_second_factor(&w.court, SecondFactor::Required)
        .await
        .unwrap_err();
    assert_eq!(other.code(), ErrorCode::NotFound, "{other:?}");

    w.court_admin
        .session
        .set_second_factor(&w.court, SecondFactor::Required)
        .await
        .unwrap();
    let members = w.court_admin.session.members(&w.court).await.unwrap();
    assert_eq!(members.second_factor, SecondFactor::Required);

    // The member's open session, and a new one, reach their settings and nothing else.
    let refused = before.inbox().await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::TotpSetupRequired, "{refused:?}");
    let gated = greffier_logs_in(&w).await.unwrap();
    assert!(gated.me.totp_required && gated.me.must_enrol());
    gated.sessions().await.unwrap();
    let refused = gated.inbox().await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::TotpSetupRequired, "{refused:?}");
    // The other organisation is not concerned.
    w.caseworker.session.inbox().await.unwrap();

    // Turned on, everything works again; it cannot be turned off.
    w.greffier.enable_totp().await;
    w.greffier.session.inbox().await.unwrap();
    reauth_with_code(&pool, &w.greffier).await;
    let kept = w.greffier.session.totp_disable().await.unwrap_err();
    assert_eq!(kept.code(), ErrorCode::TotpMandatory, "{kept:?}");

    // Relaxing it needs a recent password proof (tightening does not).
    sqlx::query("UPDATE sessions SET reauth_at = 0")
        .execute(&pool)
        .await
        .unwrap();
    let stale = w
        .court_admin
        .session
        .set_second_factor(&w.court, SecondFactor::Optional)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), ErrorCode::ReauthRequired, "{stale:?}");
    reauth_with_code(&pool, &w.court_admin).await;
    w.court_admin
        .session
        .set_second_factor(&w.court, SecondFactor::Optional)
        .await
        .unwrap();
    // Relaxed, the member may turn theirs off (after proving the password again).
    reauth_with_code(&pool, &w.greffier).await;
    w.greffier.session.totp_disable().await.unwrap();

    let audit = w
        .court_admin
        .session
        .org_audit(&w.court, pli_api::messages::AuditQuery::default())
        .await
        .unwrap();
    let changes: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "org.second_factor")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(
        changes,
        [
            r#"{"policy":"optional"}"#,
            r#"{"policy":"required"}"#,
            r#"{"policy":"optional"}"#
        ],
        "{audit:?}"
    );
}

/// `person` proves their password and a current code again (the time steps used so far
/// forgotten, so that a code of this step is accepted once more).
async fn reauth_with_code(pool: &sqlx::AnyPool, person: &super::harness::Person) {
    sqlx::query("UPDATE users SET totp_last_step = 0")
        .execute(pool)
        .await
        .unwrap();
    let code = super::harness::totp_now(person.totp.as_deref().unwrap(), 0);
    person.session.reauth(PASSWORD, Some(&code)).await.unwrap();
}

/// Session tokens, for `docs/asvs.md` (item 6): 256 random bits (43 base64url
/// characters), a new one at every login — a token the browser already presents, made up
/// or real, is never adopted —, and the relay keeps only their SHA-256. (Ending one:
/// `a_person_lists_their_sessions_and_ends_one_and_only_theirs`.)
#[tokio::test]
async fn session_tokens_are_256_random_bits_new_at_every_login_and_kept_hashed() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sha2::Digest as _;
    use sqlx::Row as _;

    let w = world(Backend::Sqlite).await;
    let greffier = &w.greffier;
    let again = greffier_logs_in(&w).await.unwrap();
    let once_more = greffier_logs_in(&w).await.unwrap();
    let mut tokens: Vec<String> = [&greffier.session, &again, &once_more]
        .iter()
        .map(|s| s.token().unwrap().to_owned())
        .collect();

    // A login presenting a session cookie, made up or real, gets a token of its own.
    let http = reqwest::Client::new();
    let prelogin: pli_api::messages::PreloginResponse = http
        .post(format!("{}/api/auth/prelogin", w.app.base))
        .json(&serde_json::json!({ "email": greffier.email }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kdf = pli_crypto::password::KdfParams::from_wire(&prelogin.kdf).unwrap();
    let credentials =
        pli_crypto::password::derive(PASSWORD.as_bytes(), greffier.session.account_key(), &kdf)
            .unwrap();
    let planted = URL_SAFE_NO_PAD.encode([0x42; 32]);
    for presented in [planted.clone(), tokens[0].clone()] {
        let response = http
            .post(format!("{}/api/auth/login", w.app.base))
            .header("cookie", format!("__Host-pli_session={presented}"))
            .json(&serde_json::json!({
                "email": greffier.email,
                "auth_key": pli_api::Base64(credentials.auth_key.to_bytes().to_vec()),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        let token = cookie
            .strip_prefix("__Host-pli_session=")
            .and_then(|rest| rest.split(';').next())
            .unwrap()
            .to_owned();
        assert_ne!(token, presented, "a presented token was adopted");
        tokens.push(token);
    }
    let me = http
        .get(format!("{}/api/me", w.app.base))
        .bearer_auth(&planted)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "the planted token opened a session");

    let distinct: std::collections::BTreeSet<&String> = tokens.iter().collect();
    assert_eq!(
        distinct.len(),
        tokens.len(),
        "a token came twice: {tokens:?}"
    );
    for token in &tokens {
        assert_eq!(token.len(), 43, "{token}");
        assert_eq!(URL_SAFE_NO_PAD.decode(token).unwrap().len(), 32, "{token}");
    }
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    let stored: Vec<String> = sqlx::query("SELECT token_hash FROM sessions")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<String, _>("token_hash"))
        .collect();
    for token in &tokens {
        let hash: String = sha2::Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(stored.contains(&hash), "{token} is not kept as its hash");
        assert!(
            stored.iter().all(|s| !s.contains(token.as_str())),
            "{token} is kept as it is"
        );
    }
}

/// Reads a live-event stream until the relay ends it, failing the test if it is still
/// open after 30 s (the relay checks the session every few seconds).
async fn stream_ends(mut stream: reqwest::Response, what: &str) {
    let read = async { while let Ok(Some(_)) = stream.chunk().await {} };
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .unwrap_or_else(|_| panic!("{what}: the stream is still open after 30 s"));
}

/// A live-event stream ends with its session: at a logout, past the idle timeout, past the
/// absolute timeout. It is not activity: neither opening it nor its staying open keeps the
/// session from its idle timeout.
#[tokio::test]
async fn a_live_event_stream_ends_with_its_session_and_keeps_none_alive() {
    let w = world(Backend::Sqlite).await;
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    let greffier = &w.greffier;
    let login = || {
        Session::login(
            &w.app.client,
            &greffier.email,
            PASSWORD,
            greffier.session.account_key(),
            None,
            None,
        )
    };
    let open = |session: &Session| {
        session
            .client()
            .request(reqwest::Method::GET, "/api/events")
            .send()
    };
    let set = |column: &'static str, value: i64, session: &Session| {
        let hash = pli_server::auth::secrets::token_hash(session.token().unwrap());
        let pool = pool.clone();
        async move {
            sqlx::query(&format!(
                "UPDATE sessions SET {column} = $1 WHERE token_hash = $2"
            ))
            .bind(value)
            .bind(hash)
            .execute(&pool)
            .await
            .unwrap();
        }
    };

    // A logout.
    let elsewhere = login().await.unwrap();
    let stream = open(&elsewhere).await.unwrap();
    assert_eq!(stream.status(), 200);
    elsewhere.logout().await.unwrap();
    stream_ends(stream, "logged out").await;

    // The idle timeout: opening the stream is not activity, nor is its staying open.
    let elsewhere = login().await.unwrap();
    let quiet_since = i64::try_from(pli_server::now_ms()).unwrap() - 5 * 60_000;
    set("last_seen_at", quiet_since, &elsewhere).await;
    let stream = open(&elsewhere).await.unwrap();
    assert_eq!(stream.status(), 200);
    let hash = pli_server::auth::secrets::token_hash(elsewhere.token().unwrap());
    let seen: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions WHERE token_hash = $1")
        .bind(&hash)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(seen, quiet_since, "opening the stream counted as activity");
    set("last_seen_at", 1, &elsewhere).await;
    stream_ends(stream, "idle").await;
    let ended = elsewhere.sessions().await.unwrap_err();
    assert_eq!(ended.status(), Some(401), "{ended}");

    // The absolute timeout.
    let elsewhere = login().await.unwrap();
    let stream = open(&elsewhere).await.unwrap();
    assert_eq!(stream.status(), 200);
    set("expires_at", 1, &elsewhere).await;
    stream_ends(stream, "expired").await;

    // None of it touched the greffier's own session.
    assert_eq!(greffier.session.sessions().await.unwrap().len(), 1);
}
