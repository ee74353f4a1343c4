//! A failed login is answered after the same work whether or not the account exists: the
//! audit entry a known account's failure leaves is written beside the answer, not before
//! it (an unknown address writes none, so waiting for it would tell them apart).

use pli_api::ErrorCode;
use pli_client::Session;

use super::harness::{Backend, spawn_app, world_on};

/// While the audit log is locked, a known account's wrong password is still answered
/// at once (before: it waited for the lock); the entry is written once the lock goes.
/// On PostgreSQL, where one table can be locked alone.
#[tokio::test]
async fn a_known_accounts_failed_login_does_not_wait_for_its_audit_entry() {
    let Ok(_) = std::env::var("PLI_TEST_DATABASE_URL") else {
        assert!(std::env::var_os("CI").is_none(), "CI runs PostgreSQL");
        return;
    };
    let w = world_on(spawn_app(Backend::Postgres).await).await;
    let caseworker = &w.caseworker;
    let pool = sqlx::PgPool::connect(&w.app.database_url).await.unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = count().await;
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let attempt = Session::login(
        &w.app.client,
        &caseworker.email,
        "not the password",
        caseworker.session.account_key(),
        None,
        None,
    );
    let answered = tokio::time::timeout(std::time::Duration::from_secs(8), attempt)
        .await
        .expect("the answer waited for the audit log");
    assert_eq!(answered.unwrap_err().code(), ErrorCode::InvalidCredentials);
    lock.rollback().await.unwrap();
    let started = std::time::Instant::now();
    while count().await == before {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the failure was never audited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
