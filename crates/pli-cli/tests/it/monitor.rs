//! `pli monitor` as an organisation's security officer runs it from cron, against a real
//! relay: each run lists the entries about the organisation since the last one (kept in
//! its state file), quiet when nothing changed, and ends with status 3 on an entry none
//! of the organisation's admins signed.

use pli_crypto::cert::OrgKeyCertificate;
use pli_crypto::sign::{Signed, SigningKey};

use crate::harness::temp_dir;
use crate::network::{User, relay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pli_monitor_lists_new_entries_once_and_alerts_on_one_no_admin_signed() {
    let (server, mut cast) = relay().await;
    // A member of the court keeps watch (the admins' fingerprints are given to it).
    let officer = User::of(&cast.greffier);
    let state = temp_dir();
    let state_file = state.path().join("monitor.json");
    let court = cast.court.to_string();
    let admin = cast
        .court_admin
        .session
        .keys
        .signing
        .verifying_key()
        .fingerprint()
        .to_hex();
    // The platform root certifies the organisation and its admin.
    let root = cast.platform.session.trust.0.fingerprint().to_hex();
    let args = [
        "monitor",
        "--url",
        &server.base,
        "--org",
        &court,
        "--admin",
        &admin,
        "--admin",
        &root,
        "--state",
        state_file.to_str().unwrap(),
    ];

    let first = officer.ok(&args);
    assert!(first.contains("key generation 1"), "{first}");
    assert!(!first.contains("NOT AN ADMIN"), "{first}");
    assert!(state_file.exists());
    // Nothing new: nothing said.
    assert_eq!(officer.ok(&args), "");

    // A rotation by the court's admin: one new line, signed by an admin.
    cast.court_admin.session.rotate_org_key().await.unwrap();
    let second = officer.ok(&args);
    assert_eq!(second.lines().count(), 1, "{second}");
    assert!(
        second.contains("key generation 2") && second.contains("signed by an admin"),
        "{second}"
    );

    // A key generation the relay slips into the court's part of the log, signed by a
    // key none of its admins hold: status 3, the entry named with its signer.
    let impostor = SigningKey::generate().unwrap();
    let forged = OrgKeyCertificate {
        org_id: cast.court,
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
    let mut tx = server.state.store.begin().await.unwrap();
    tx.log_append(&leaf, 1).await.unwrap();
    tx.commit().await.unwrap();
    server.state.log.publish(&server.state.store).await.unwrap();
    let alert = officer.run(&args);
    assert_eq!(alert.status.code(), Some(3), "{alert:?}");
    let said = String::from_utf8(alert.stdout).unwrap();
    assert!(
        said.contains(&format!(
            "NOT AN ADMIN ({})",
            impostor.verifying_key().fingerprint().to_hex()
        )),
        "{said}"
    );
    let stderr = String::from_utf8(alert.stderr).unwrap();
    assert!(stderr.contains("need a look"), "{stderr}");
}
