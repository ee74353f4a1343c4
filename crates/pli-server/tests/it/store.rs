//! The metadata store's conformance suite, run on SQLite and on PostgreSQL: the same
//! queries must mean the same thing on both.

use pli_api::{OrgId, UserId};
use pli_server::store::directory::{Org, SignedBlob};
use pli_server::store::exchanges::{
    Cursor, Exchange, ExchangeState, ListFilter, Mailbox, NewExchange,
};
use pli_server::store::objects::PartRecord;
use pli_server::store::users::{AccountStatus, Credentials, Role};
use pli_server::store::{Store, StoreError};

use super::harness::{Backend, spawn_app};

fn id<K>(n: u64) -> pli_api::Id<K> {
    let mut bytes = [0u8; 16];
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    pli_api::Id::from_random(bytes)
}

async fn org(store: &Store, n: u64) -> OrgId {
    let org = Org {
        id: id(n),
        kind: pli_api::OrgKind::Court,
        name: format!("Org {n}"),
        code: format!("ORG-{n}"),
        certificate: SignedBlob {
            data: vec![1],
            signature: vec![2],
        },
        retention_days: 30,
        second_factor: pli_api::SecondFactor::Required,
        created_at: 1,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_org(&org).await.unwrap();
    tx.commit().await.unwrap();
    org.id
}

async fn user(store: &Store, org: &OrgId, n: u64) -> UserId {
    let credentials = Credentials {
        kdf: pli_crypto::password::KdfParams::with_salt([0; 16]),
        auth_hash: "x".into(),
        key_bundle: vec![0],
        signing_key: [0; 32],
        encryption_key: vec![0; 32],
    };
    let user: UserId = id(1000 + n);
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(
        &user,
        org,
        &format!("u{n}@x.fr"),
        "U",
        Role::Member,
        AccountStatus::Active,
        &credentials,
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    user
}

fn exchange(n: u64, from: OrgId, sender: UserId, to: OrgId, urgent: bool) -> Exchange {
    Exchange {
        id: id(n),
        sender_org_id: from,
        sender_user_id: sender,
        recipient_org_id: to,
        recipient_generation: 1,
        sender_generation: None,
        urgent,
        state: ExchangeState::Uploading,
        idempotency_key: Some(format!("key-{n}")),
        request_hash: vec![0],
        in_reply_to: None,
        object_count: 2,
        total_size: 200,
        envelope: None,
        sender_fingerprint: None,
        created_at: 1_000 + n,
        expires_at: 10_000_000,
        delivered_at: None,
        first_read_at: None,
    }
}

async fn suite(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = &app.state.store;

    // Uniqueness violations are conflicts, on both databases.
    let court = org(store, 1).await;
    let dept = org(store, 2).await;
    let mut tx = store.begin().await.unwrap();
    let duplicate = Org {
        id: id(3),
        kind: pli_api::OrgKind::Court,
        name: "Dup".into(),
        code: "ORG-1".into(),
        certificate: SignedBlob {
            data: vec![1],
            signature: vec![2],
        },
        retention_days: 30,
        second_factor: pli_api::SecondFactor::Required,
        created_at: 1,
    };
    assert!(matches!(
        tx.insert_org(&duplicate).await,
        Err(StoreError::Conflict(_))
    ));
    drop(tx);

    // Settings: the first writer wins, later ones read it.
    let first = store.setting_or_insert("test", || vec![1]).await.unwrap();
    let second = store.setting_or_insert("test", || vec![2]).await.unwrap();
    assert_eq!((first, second), (vec![1], vec![1]));

    // Inbox order: urgent first, then newest delivery first; cursors page through all.
    let sender = user(store, &dept, 1).await;
    for n in 0..45u64 {
        let mut tx = store.begin().await.unwrap();
        let new = NewExchange {
            exchange: exchange(n, dept, sender, court, n % 7 == 0),
            sizes: vec![100, 100],
            part_size: 16,
            empty_hash_state: vec![0],
        };
        assert!(tx.insert_exchange(&new, 1 << 50).await.unwrap());
        let envelope = SignedBlob {
            data: vec![n as u8],
            signature: vec![0],
        };
        assert!(
            tx.deliver(&id(n), &envelope, "f", 5_000 + n * 10)
                .await
                .unwrap()
        );
        assert!(
            !tx.deliver(&id(n), &envelope, "f", 5_000).await.unwrap(),
            "delivered only once"
        );
        tx.commit().await.unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store
            .list_exchanges(
                Mailbox::Inbox,
                &court,
                &ListFilter::default(),
                cursor.as_ref(),
                10,
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap();
        cursor = Some(Cursor {
            priority: i64::from(last.urgent),
            at: last.delivered_at.unwrap() as i64,
            id: last.id.to_string(),
        });
        seen.extend(page);
    }
    assert_eq!(seen.len(), 45, "every exchange once");
    let keys: Vec<(bool, u64)> = seen
        .iter()
        .map(|e| (e.urgent, e.delivered_at.unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "urgent first, newest first");
    let urgent = ListFilter {
        urgent: Some(true),
        ..ListFilter::default()
    };
    assert_eq!(
        store
            .list_exchanges(Mailbox::Inbox, &court, &urgent, None, 100)
            .await
            .unwrap()
            .len(),
        7
    );
    assert!(
        store
            .list_exchanges(Mailbox::Inbox, &dept, &ListFilter::default(), None, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // The quota is checked in the creating statement.
    let mut tx = store.begin().await.unwrap();
    let new = NewExchange {
        exchange: exchange(100, dept, sender, court, false),
        sizes: vec![100, 100],
        part_size: 16,
        empty_hash_state: vec![0],
    };
    assert!(
        !tx.insert_exchange(&new, 45 * 200).await.unwrap(),
        "over quota: nothing written"
    );
    drop(tx);
    assert!(store.exchange(&id(100)).await.unwrap().is_none());

    // Parts are recorded in order, each once.
    let mut tx = store.begin().await.unwrap();
    let new = NewExchange {
        exchange: exchange(200, dept, sender, court, false),
        sizes: vec![40, 40],
        part_size: 16,
        empty_hash_state: vec![0],
    };
    assert!(tx.insert_exchange(&new, 1 << 50).await.unwrap());
    assert_eq!(
        tx.record_part(&id(200), 1, 0, 16, &[1; 32], 1)
            .await
            .unwrap(),
        PartRecord::Recorded
    );
    assert_eq!(
        tx.record_part(&id(200), 1, 0, 16, &[1; 32], 1)
            .await
            .unwrap(),
        PartRecord::NotNext,
        "part 0 again"
    );
    assert_eq!(
        tx.record_part(&id(200), 1, 2, 16, &[1; 32], 1)
            .await
            .unwrap(),
        PartRecord::NotNext,
        "part 2 before part 1"
    );
    tx.commit().await.unwrap();
    let objects = store.objects(&id(200)).await.unwrap();
    assert_eq!((objects[1].parts_stored, objects[1].part_count), (1, 3));
    // An exchange is purged only if it is still as the caller found it: a delivered one
    // (an upload completed as it was being cancelled) is not, and keeps its parts.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.mark_purged(&id(1), ExchangeState::Uploading, 2)
            .await
            .unwrap(),
        None,
        "a delivered exchange purged as an upload"
    );
    assert_eq!(
        tx.mark_purged(&id(200), ExchangeState::Delivered, 2)
            .await
            .unwrap(),
        None,
        "an upload purged as delivered"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        store.exchange(&id(1)).await.unwrap().unwrap().state,
        ExchangeState::Delivered
    );
    assert!(store.part_sha256(&id(200), 1, 0).await.unwrap().is_some());
    // Once the upload is cancelled, its recorded parts are gone and no part is recorded
    // any more.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.mark_purged(&id(200), ExchangeState::Uploading, 2)
            .await
            .unwrap(),
        Some(ExchangeState::Abandoned)
    );
    assert_eq!(
        tx.record_part(&id(200), 1, 1, 16, &[2; 32], 3)
            .await
            .unwrap(),
        PartRecord::NotUploading,
        "the next part, after the cancellation"
    );
    tx.commit().await.unwrap();
    assert!(store.part_sha256(&id(200), 1, 0).await.unwrap().is_none());
    assert!(store.part_sha256(&id(200), 1, 1).await.unwrap().is_none());

    // Concurrent audit appends get consecutive positions and a valid chain.
    let chain = format!("audit:{court}");
    let mut tasks = Vec::new();
    for n in 0..24 {
        let store = store.clone();
        let chain = chain.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let seq = tx
                .append_audit(&chain, n, None, "test.append", "x", &n.to_string(), "{}")
                .await
                .unwrap();
            tx.commit().await.unwrap();
            seq
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=24).collect::<Vec<u64>>());
    let mut verifier = pli_server::audit::Verifier::default();
    for entry in store.audit_entries(&chain, 0, 100).await.unwrap() {
        verifier.push(&entry);
    }
    assert!(
        verifier
            .finish(store.chain_head(&chain).await.unwrap())
            .valid
    );

    // Login attempts are counted as they start, given back when they succeed, and
    // windows restart once old.
    assert_eq!(
        store.reserve_login_attempt("k", 1_000, 0).await.unwrap(),
        (1, 1_000)
    );
    assert_eq!(
        store.reserve_login_attempt("k", 2_000, 0).await.unwrap(),
        (2, 1_000)
    );
    store.release_login_attempt("k", 1_000).await.unwrap();
    assert_eq!(
        store.reserve_login_attempt("k", 3_000, 0).await.unwrap(),
        (2, 1_000)
    );
    // A release for a window that has since been replaced changes nothing.
    assert_eq!(
        store
            .reserve_login_attempt("k", 100_000, 50_000)
            .await
            .unwrap(),
        (1, 100_000),
        "a new window"
    );
    store.release_login_attempt("k", 1_000).await.unwrap();
    assert_eq!(
        store
            .reserve_login_attempt("k", 100_001, 50_000)
            .await
            .unwrap(),
        (2, 100_000)
    );
    store.clear_login_failures("k").await.unwrap();
    assert_eq!(
        store
            .reserve_login_attempt("k", 100_002, 50_000)
            .await
            .unwrap(),
        (1, 100_002)
    );

    certifications_that_raced_change_nothing(store, &court).await;
    certificates_read_together(store, &court).await;
    chains_appended_in_opposite_orders_do_not_deadlock(store, court, dept).await;
}

/// Two transactions appending to the same two organisations' chains in opposite orders
/// (a completion from the court to the Département and one the other way round), each
/// having taken its chains first with `lock_orgs_chains`, both commit: the second waits
/// for the first. Appending in those orders without it deadlocks on PostgreSQL, one of the
/// two refused with SQLSTATE 40P01 (seen 735 times in `cargo xtask bench load`).
async fn chains_appended_in_opposite_orders_do_not_deadlock(store: &Store, a: OrgId, b: OrgId) {
    use pli_server::audit::{Action, AuditEvent, Chain};
    let append = |first: OrgId, second: OrgId, head_start: u64| {
        let store = store.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(head_start)).await;
            let mut tx = store.begin().await?;
            tx.lock_orgs_chains(&[first, second]).await?;
            for (n, org) in [first, second].into_iter().enumerate() {
                tx.audit(AuditEvent {
                    chain: Chain::Org(org),
                    at: 1,
                    actor: None,
                    action: Action::ExchangeRead,
                    object_id: format!("opposite-{first}"),
                    detail: "{}".to_owned(),
                })
                .await?;
                tx.append_event(&org, 1, "receipt.added", None).await?;
                if n == 0 {
                    // Long enough for the other transaction to take its first chain.
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                }
            }
            tx.commit().await
        }
    };
    let (one, other) = tokio::join!(append(a, b, 0), append(b, a, 100));
    one.unwrap();
    other.unwrap();
}

/// Two certifications of one member read the same state, then write in turn: the second
/// must find what it read gone (the route answers 409), not add a second current
/// certificate or activate the account twice.
async fn certifications_that_raced_change_nothing(store: &Store, org_id: &OrgId) {
    use pli_server::store::directory::UserCertRow;
    let member = user(store, org_id, 77).await;
    let row = |created_at| UserCertRow {
        fingerprint: "ab".repeat(32),
        user_id: member,
        issuer_fingerprint: "cd".repeat(32),
        certificate: SignedBlob {
            data: vec![created_at as u8],
            signature: vec![0],
        },
        created_at,
        superseded_at: None,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_user_certificate(&row(10)).await.unwrap();
    tx.commit().await.unwrap();
    // Both read the certificate stored at 10 as current; the first supersedes it.
    let mut first = store.begin().await.unwrap();
    assert!(
        first
            .supersede_user_certificate(&member, 10, 20)
            .await
            .unwrap()
    );
    first.insert_user_certificate(&row(20)).await.unwrap();
    first.commit().await.unwrap();
    let mut second = store.begin().await.unwrap();
    assert!(
        !second
            .supersede_user_certificate(&member, 10, 30)
            .await
            .unwrap(),
        "the certificate read is no longer current"
    );
    drop(second);
    let current = store
        .current_user_certificate(&member)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.created_at, 20);
    // The member list reads every member's current certificate in one query.
    let of_org = store
        .current_user_certificates_of_org(org_id)
        .await
        .unwrap();
    let mine: Vec<u64> = of_org
        .iter()
        .filter(|c| c.user_id == member)
        .map(|c| c.created_at)
        .collect();
    assert_eq!(mine, [20]);
    assert!(store.key_upgrades_of_org(org_id).await.unwrap().is_empty());

    // A pending account is activated once.
    let mut tx = store.begin().await.unwrap();
    tx.set_user_status(&member, AccountStatus::Pending, 40)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut first = store.begin().await.unwrap();
    assert!(first.activate_user(&member, 41).await.unwrap());
    first.commit().await.unwrap();
    let mut second = store.begin().await.unwrap();
    assert!(!second.activate_user(&member, 42).await.unwrap());
}

/// A list page reads its senders' certificates in one query (issue 12): the latest of
/// each signing key, as one read of each would give, and nothing for unknown keys.
/// Runs after [`certifications_that_raced_change_nothing`], which certified `ab…` twice.
async fn certificates_read_together(store: &Store, org_id: &OrgId) {
    use pli_server::store::directory::UserCertRow;
    let other = user(store, org_id, 78).await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_user_certificate(&UserCertRow {
        fingerprint: "ef".repeat(32),
        user_id: other,
        issuer_fingerprint: "cd".repeat(32),
        certificate: SignedBlob {
            data: vec![7; 1200],
            signature: vec![8; 64],
        },
        created_at: 5,
        superseded_at: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let asked = ["ab", "ef", "ab", "00"].map(|b| b.repeat(32));
    let found = store.user_certificates(&asked).await.unwrap();
    assert_eq!(
        found.keys().cloned().collect::<Vec<_>>(),
        ["ab".repeat(32), "ef".repeat(32)]
    );
    for (fingerprint, cert) in &found {
        let one = store.user_certificate(fingerprint).await.unwrap().unwrap();
        assert_eq!(cert, &one, "{fingerprint}: as read alone");
    }
    assert_eq!(found[&"ab".repeat(32)].created_at, 20, "the latest");
    assert_eq!(found[&"ef".repeat(32)].certificate.data.len(), 1200);
    assert!(store.user_certificates(&[]).await.unwrap().is_empty());
    assert!(
        store
            .user_certificates(&["00".repeat(32)])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn store_conformance_on_sqlite() {
    suite(Backend::Sqlite).await;
}

#[tokio::test]
async fn store_conformance_on_postgres() {
    suite(Backend::Postgres).await;
}
