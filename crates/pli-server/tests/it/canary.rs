//! The canary test: unique plaintext, file name, subject, message, case reference,
//! passwords, tokens and private keys go through every flow; none of them appears in the
//! database (its files, or every row), in the blob folder or the S3 bucket (PostgreSQL's
//! run keeps its blobs in moto's S3 server, as replicas do), or in the server's logs.

use base64::Engine as _;
use pli_client::{FileInput, SendOptions, Session};
use pli_crypto::manifest::Category;
use pli_server::testing::s3::S3Server;

use super::harness::{
    Backend, PASSWORD, first_file, logs, spawn_app_with, test_kdf, totp_now, world_on,
};
use super::passkeys::Authenticator;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`, read whole (test data is small).
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// Every row of every table, as text.
async fn dump(database_url: &str) -> Vec<u8> {
    use sqlx::Row as _;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.unwrap();
    let mut out = Vec::new();
    for table in [
        "settings",
        "organisations",
        "users",
        "user_certificates",
        "sessions",
        "invitations",
        "org_keys",
        "key_grants",
        "exchanges",
        "objects",
        "parts",
        "receipts",
        "chains",
        "audit_log",
        "events",
        "login_throttle",
        "passkeys",
        "ceremonies",
        "key_upgrades",
    ] {
        // Every column as text (bytes as hex on PostgreSQL, as text on SQLite): enough to
        // find a plaintext string, and the raw files are searched as well.
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&pool)
            .await
            .unwrap();
        for row in rows {
            for i in 0..row.len() {
                if let Ok(text) = row.try_get::<String, _>(i) {
                    out.extend(text.as_bytes());
                } else if let Ok(bytes) = row.try_get::<Vec<u8>, _>(i) {
                    out.extend(&bytes);
                }
                out.push(b'\n');
            }
        }
    }
    out
}

async fn canary(backend: Backend) {
    let tag = hex(&pli_server::auth::secrets::random::<8>().unwrap());
    let content = format!("CANARY-PLAINTEXT-{tag}");
    let name = format!("canary-name-{tag}.pdf");
    let subject = format!("canary-subject-{tag}");
    let message = format!("canary-message-{tag}");
    let case_reference = format!("canary-case-{tag}");

    // On PostgreSQL, the blobs go to an S3 bucket (moto's server), as replicas keep them.
    let bucket = match backend {
        Backend::Postgres if S3Server::available() => Some(S3Server::start().await.unwrap()),
        _ => None,
    };
    // Served as `localhost`, where passkeys work.
    let app = spawn_app_with(backend, |c| {
        c.public_url = "http://localhost".into();
        c.s3 = bucket.as_ref().map(S3Server::section);
    })
    .await;
    let origin = app.state.config.public_url.clone();
    let mut w = world_on(app).await;
    let file = content.repeat(20_000).into_bytes();
    let options = SendOptions {
        category: Category::Rapport,
        subject: subject.clone(),
        message: message.clone(),
        case_reference: case_reference.clone(),
        urgent: false,
        copy_to_sender: true,
        in_reply_to: None,
    };
    let input = FileInput::from_bytes(&name, "application/pdf", file.clone());
    let id = w
        .caseworker
        .session
        .send(&w.court, vec![input], &options)
        .await
        .unwrap();
    let received = w.greffier.session.open(&id).await.unwrap();
    let out = first_file(&w.greffier.session, &received).await;
    assert_eq!(out, file);
    w.greffier.session.acknowledge(&received).await.unwrap();
    // Other flows: a reply, a rotation, a new login with TOTP, a re-authentication, a reset.
    let reply = SendOptions {
        in_reply_to: Some(id),
        ..options.clone()
    };
    let input = FileInput::from_bytes(&name, "application/pdf", content.as_bytes()[..10].to_vec());
    w.greffier
        .session
        .send(&w.dept, vec![input], &reply)
        .await
        .unwrap();
    w.court_admin.session.rotate_org_key().await.unwrap();
    let totp = w.court_admin.totp.clone().unwrap();
    let again = Session::login(
        &w.app.client,
        &w.court_admin.email,
        PASSWORD,
        w.court_admin.session.account_key(),
        Some(&totp_now(&totp, 1)),
        None,
    )
    .await
    .unwrap();
    w.greffier.session.reauth(PASSWORD, None).await.unwrap();
    // A passkey added, then a login with it.
    let mut authenticator = Authenticator::new(11);
    authenticator.enrol(&w.caseworker.session, &origin).await;
    let prf = authenticator.prf;
    let by_passkey = authenticator
        .log_in(
            &w.app.client,
            &w.caseworker.email,
            &origin,
            &w.caseworker.session.me.user_id,
            &prf,
        )
        .await
        .unwrap();
    let reset = w
        .court_admin
        .session
        .reset_member(&w.court, &w.greffier.session.me.user_id, false)
        .await
        .unwrap();
    let reset_link = pli_client::protocol::OneTimeLink::parse(&reset.link).unwrap();
    let new_greffier = Session::accept_invitation(
        &w.app.client,
        &reset_link.token,
        "canary-new-password",
        test_kdf(),
        reset_link.root.as_ref().unwrap(),
        None,
    )
    .await
    .unwrap();

    let mut secrets: Vec<(String, Vec<u8>)> = vec![
        ("plaintext".into(), content.clone().into_bytes()),
        ("file name".into(), name.clone().into_bytes()),
        ("subject".into(), subject.clone().into_bytes()),
        ("message".into(), message.clone().into_bytes()),
        ("case reference".into(), case_reference.clone().into_bytes()),
        ("password".into(), PASSWORD.as_bytes().to_vec()),
        ("new password".into(), b"canary-new-password".to_vec()),
        ("reset token".into(), reset_link.token.clone().into_bytes()),
        ("setup token".into(), w.app.setup_token.clone().into_bytes()),
    ];
    secrets.push(("passkey PRF output".into(), authenticator.prf.to_vec()));
    secrets.push((
        "passkey PRF output, base64".into(),
        b64(&authenticator.prf).into_bytes(),
    ));
    secrets.push((
        "passkey PRF output, base64url".into(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(authenticator.prf)
            .into_bytes(),
    ));
    secrets.push((
        "passkey session token".into(),
        by_passkey.token().unwrap().as_bytes().to_vec(),
    ));
    let people = [
        &w.caseworker,
        &w.greffier,
        &w.court_admin,
        &w.dept_admin,
        &w.platform,
    ];
    for person in people {
        let who = &person.email;
        let account_key = person.session.account_key().unwrap();
        secrets.push((
            format!("account key of {who}"),
            account_key.to_bytes().to_vec(),
        ));
        secrets.push((
            format!("account key of {who}, as on the kit"),
            account_key.to_text().as_bytes().to_vec(),
        ));
        secrets.push((
            format!("session token of {who}"),
            person.session.token().unwrap().as_bytes().to_vec(),
        ));
        let identity = person.session.keys.encryption.to_bytes();
        secrets.push((format!("X25519 key of {who}"), identity.to_vec()));
        secrets.push((
            format!("X25519 key of {who}, hex"),
            hex(identity.as_slice()).into_bytes(),
        ));
        secrets.push((
            format!("X25519 key of {who}, base64"),
            b64(identity.as_slice()).into_bytes(),
        ));
        secrets.push((
            format!("age identity of {who}"),
            person
                .session
                .keys
                .encryption
                .to_secret_string()
                .unwrap()
                .as_bytes()
                .to_vec(),
        ));
        let seed = person.session.keys.signing.to_bytes();
        secrets.push((format!("Ed25519 seed of {who}"), seed.to_vec()));
        secrets.push((
            format!("Ed25519 seed of {who}, base64"),
            b64(seed.as_slice()).into_bytes(),
        ));
    }
    for (generation, key) in &w.court_admin.session.org_keys {
        secrets.push((
            format!("court key {generation}"),
            key.identity.to_bytes().to_vec(),
        ));
        secrets.push((
            format!("court key {generation}, base64"),
            b64(key.identity.to_bytes().as_slice()).into_bytes(),
        ));
    }
    let root = w.platform.session.root_key.as_ref().unwrap().to_bytes();
    secrets.push(("root key".into(), root.to_vec()));
    secrets.push((
        "later session token".into(),
        again.token().unwrap().as_bytes().to_vec(),
    ));
    secrets.push((
        "reset session token".into(),
        new_greffier.token().unwrap().as_bytes().to_vec(),
    ));

    let mut haystacks: Vec<(String, Vec<u8>)> = files(w.app.data.path());
    haystacks.push(("database rows".into(), dump(&w.app.database_url).await));
    haystacks.push(("logs".into(), logs().lock().unwrap().clone()));
    assert!(
        haystacks.iter().any(|(n, h)| n == "logs" && !h.is_empty()),
        "no logs captured"
    );
    match &bucket {
        Some(bucket) => {
            let objects = bucket.objects().await.unwrap();
            assert!(!objects.is_empty(), "no blobs written to the bucket");
            haystacks.extend(
                objects
                    .into_iter()
                    .map(|(key, bytes)| (format!("the bucket's {key}"), bytes)),
            );
        }
        None => assert!(
            files(w.app.data.path())
                .iter()
                .any(|(n, _)| n.contains("blobs")),
            "no blobs written"
        ),
    }
    let mut found = Vec::new();
    for (what, needle) in &secrets {
        for (where_, haystack) in &haystacks {
            if contains(haystack, needle) {
                found.push(format!("{what} found in {where_}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "secrets reached the server's storage or logs:\n{}",
        found.join("\n")
    );
    let _ = &mut w;
}

#[tokio::test]
async fn no_secret_reaches_storage_or_logs_on_sqlite() {
    canary(Backend::Sqlite).await;
}

#[tokio::test]
async fn no_secret_reaches_storage_or_logs_on_postgres() {
    canary(Backend::Postgres).await;
}
