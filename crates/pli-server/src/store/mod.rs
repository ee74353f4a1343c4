//! The metadata store: the only module that holds SQL.
//!
//! One portable set of migrations (`migrations/` at the repository root) and one set of
//! queries serve SQLite and PostgreSQL through sqlx's `Any` driver: `$1` placeholders,
//! `BIGINT` for times and booleans, `BYTEA` for bytes, ids made by the application.
//!
//! Writes go through [`Store::begin`]. On SQLite, write transactions are serialised by an
//! in-process lock (SQLite has one writer anyway), so a transaction that reads then
//! writes never meets `SQLITE_BUSY`; readers are not blocked (WAL).

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor as _, Row as _};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub mod audit;
pub mod directory;
pub mod exchanges;
pub mod invitations;
pub mod log;
pub mod objects;
pub mod passkeys;
pub mod proconnect;
pub mod sessions;
pub mod users;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A uniqueness or state conflict; the text says what.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database is unreachable or restarting.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full: nothing was written; the same write goes through
    /// once space is freed.
    #[error("database disk full: {0}")]
    Full(String),
    /// Anything else.
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(error.to_string()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict("already exists".into())
            }
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if disk_full(&code) {
                    Self::Full(error.to_string())
                } else if retryable(&code) {
                    Self::Unavailable(error.to_string())
                } else {
                    Self::Other(error.to_string())
                }
            }
            _ => Self::Other(error.to_string()),
        }
    }
}

/// Whether a database error code means "nothing was done, try again": PostgreSQL's
/// connection exceptions (08…), shutting down (57P0…), too many connections (53300), a
/// transaction rolled back whole by a deadlock (40P01) or a serialization failure
/// (40001), and a write refused by a database that is read-only for now (25006: a
/// standby, a failover under way, `default_transaction_read_only`; it was answered 500,
/// seen by `cargo xtask chaos` with the cluster made read-only under load); SQLite's
/// busy (5) and locked (6). The relay answers these 503 with Retry-After, and clients
/// send the request again once the database takes writes.
///
/// Deadlocks: `cargo xtask chaos` (issue 11) found one on PostgreSQL — a read receipt
/// and a completion between the same two organisations took both organisations' audit
/// chains in opposite orders (fixed: every handler takes the sender's first) — which
/// was answered 500. A deadlock left elsewhere is now a retry, not a failure.
fn retryable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P0")
        || matches!(code, "53300" | "40P01" | "40001" | "25006" | "5" | "6")
}

/// Whether a database error code means the database's disk is full: SQLite's
/// `SQLITE_FULL` (13; sqlx gives SQLite's extended code, whose low byte is the primary
/// one) and PostgreSQL's `disk_full` (53100). Without it a full disk under the database
/// (the default layout keeps the SQLite file beside the blobs) was answered 500 to every
/// write; it is now `storage_full` (507, Retry-After) like a full blob store.
fn disk_full(code: &str) -> bool {
    if code.len() == 5 {
        // A PostgreSQL SQLSTATE (SQLite's extended codes have at most four digits).
        return code == "53100";
    }
    code.parse::<u32>().is_ok_and(|n| n & 0xff == 13)
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The metadata store: a connection pool and, on SQLite, the writers' lock.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    write_lock: Option<Arc<Mutex<()>>>,
}

/// A write transaction. Dropping it without [`commit`](Tx::commit) rolls back.
///
/// The transaction is begun and ended by this type's own `BEGIN` and `COMMIT`, on a
/// connection of its own, and a transaction that did not commit takes its connection
/// with it: the connection is closed, never returned to the pool, which is what rolls
/// it back. sqlx's own `Transaction` instead rolls back on the connection and returns
/// it, counting nesting depth on its side; after an error that makes the database end
/// the transaction by itself (SQLite does on `SQLITE_FULL`), that `ROLLBACK` fails, the
/// count stays one too high, and the connection's next "transaction" is a savepoint
/// whose `ROLLBACK TO` leaves a real transaction open: every later write on that
/// connection was then answered as done but never committed (the chaos run's disk-full
/// rounds lost acknowledged receipts and uploads that way). A connection whose
/// transaction failed is never reused here, whatever state it is in.
#[derive(Debug)]
pub struct Tx {
    pub(crate) tx: sqlx::pool::PoolConnection<Any>,
    /// `BEGIN` ran and no `COMMIT` succeeded yet.
    open: bool,
    /// The chains this transaction made sure exist (and locked, by writing their row):
    /// [`advance`](Tx::advance) does not ask again.
    chains: Vec<String>,
    /// Which database: on PostgreSQL an event is also announced to the other replicas.
    pub(crate) backend: Backend,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    /// Commits.
    pub async fn commit(mut self) -> StoreResult<()> {
        self.tx.execute("COMMIT").await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.open {
            self.tx.close_on_drop();
        }
    }
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let connections = if url.starts_with("sqlite:") { 8 } else { 16 };
        Self::connect_with(url, connections).await
    }

    /// [`connect`](Self::connect) with a pool of at most `connections`.
    async fn connect_with(url: &str, connections: u32) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let options = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            });
        let pool = options
            .connect(url)
            .await
            .with_context(|| format!("cannot open the database ({})", redact(url)))?;
        sqlx::migrate!("../../migrations")
            .run(&pool)
            .await
            .context("cannot apply the database migrations")?;
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Self {
            pool,
            backend,
            write_lock,
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let writer = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let mut tx = self.pool.acquire().await?;
        tx.execute("BEGIN").await?;
        Ok(Tx {
            tx,
            open: true,
            chains: Vec::new(),
            backend: self.backend,
            _writer: writer,
        })
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Reads a setting.
    pub async fn setting(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get::<Vec<u8>, _>(0))
            .transpose()
            .map_err(StoreError::from)
    }

    /// Reads a setting, or stores `make()` under it if there is none yet (first writer
    /// wins, so several replicas agree).
    pub async fn setting_or_insert(
        &self,
        name: &str,
        make: impl FnOnce() -> Vec<u8>,
    ) -> StoreResult<Vec<u8>> {
        if let Some(value) = self.setting(name).await? {
            return Ok(value);
        }
        let mut tx = self.begin().await?;
        let inserted = sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
            .bind(name)
            .bind(make())
            .execute(&mut *tx.tx)
            .await;
        match inserted.map_err(StoreError::from) {
            Ok(_) => tx.commit().await?,
            Err(StoreError::Conflict(_)) => drop(tx),
            Err(other) => return Err(other),
        }
        self.setting(name).await?.ok_or(StoreError::NotFound)
    }
}

impl Tx {
    /// Stores a setting that must not exist yet.
    pub async fn insert_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
            .bind(name)
            .bind(value.to_vec())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

/// A URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!(
            "{}://…@{}",
            url.get(..scheme).unwrap_or(""),
            url.get(at + 1..).unwrap_or("")
        ),
        _ => url.to_owned(),
    }
}

/// `u64` → `BIGINT`.
pub(crate) fn big(value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Other("value out of range".into()))
}

/// `BIGINT` → `u64` (negative values are a corrupt row).
pub(crate) fn unbig(value: i64) -> StoreResult<u64> {
    u64::try_from(value).map_err(|_| StoreError::Other("negative value in the database".into()))
}

/// Reads a `BIGINT` column as `u64`.
/// A column holding a word of one of `pli_api`'s vocabularies (a role, a state…).
pub(crate) fn get_word<T>(row: &AnyRow, column: &str) -> StoreResult<T>
where
    T: std::str::FromStr<Err = pli_api::UnknownWord>,
{
    row.try_get::<String, _>(column)?
        .parse()
        .map_err(|e: pli_api::UnknownWord| StoreError::Other(e.to_string()))
}

pub(crate) fn get_u64(row: &AnyRow, column: &str) -> StoreResult<u64> {
    unbig(row.try_get::<i64, _>(column)?)
}

/// A `u32` column (a count, an index, a key generation).
pub(crate) fn get_u32(row: &AnyRow, column: &str) -> StoreResult<u32> {
    u32::try_from(get_u64(row, column)?).map_err(|_| StoreError::Other(format!("bad {column}")))
}

/// Reads a nullable `BIGINT` column as `Option<u64>`.
pub(crate) fn get_opt_u64(row: &AnyRow, column: &str) -> StoreResult<Option<u64>> {
    row.try_get::<Option<i64>, _>(column)?
        .map(unbig)
        .transpose()
}

/// Reads a `TEXT` id column.
pub(crate) fn get_id<K>(row: &AnyRow, column: &str) -> StoreResult<pli_api::Id<K>> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Other(format!("bad id in column {column}")))
}

/// Reads a nullable `TEXT` id column.
pub(crate) fn get_opt_id<K>(row: &AnyRow, column: &str) -> StoreResult<Option<pli_api::Id<K>>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| {
        t.parse()
            .map_err(|_| StoreError::Other(format!("bad id in column {column}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use sqlx::{Executor as _, Row as _};

    use super::{Store, disk_full, retryable};

    /// A transaction the database ended by itself (as SQLite does on `SQLITE_FULL`;
    /// here a trigger's `RAISE(ROLLBACK)` does it without filling a disk), then one that
    /// failed on a statement, must not leave the next committed write uncommitted on the
    /// connection they used (with sqlx's own transactions, it stayed inside a
    /// transaction nobody would ever commit: answered as done, and lost).
    #[tokio::test]
    async fn a_write_committed_after_failed_transactions_is_really_committed() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        // One connection: every transaction below runs on it.
        let store = Store::connect_with(&url, 1).await.unwrap();
        store
            .pool()
            .execute(
                "CREATE TABLE t (x BIGINT PRIMARY KEY); \
                 CREATE TRIGGER refuse BEFORE INSERT ON t WHEN NEW.x < 0 \
                 BEGIN SELECT RAISE(ROLLBACK, 'refused'); END;",
            )
            .await
            .unwrap();
        let insert = |x: i64| sqlx::query("INSERT INTO t (x) VALUES ($1)").bind(x);
        let mut tx = store.begin().await.unwrap();
        insert(1).execute(&mut *tx.tx).await.unwrap();
        tx.commit().await.unwrap();
        // Ended by the database itself.
        let mut tx = store.begin().await.unwrap();
        insert(-1).execute(&mut *tx.tx).await.unwrap_err();
        drop(tx);
        // A statement refused, the transaction left open for its owner to end.
        let mut tx = store.begin().await.unwrap();
        insert(1).execute(&mut *tx.tx).await.unwrap_err();
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        insert(2).execute(&mut *tx.tx).await.unwrap();
        tx.commit().await.unwrap();
        // Another connection (a restarted relay) sees the commit.
        let other = Store::connect(&url).await.unwrap();
        let count: i64 = sqlx::query("SELECT count(*) FROM t WHERE x = 2")
            .fetch_one(other.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, 1, "the acknowledged write is not in the database");
    }

    #[test]
    fn a_full_disk_is_told_apart_on_both_databases() {
        for code in ["13", "53100"] {
            assert!(disk_full(code), "{code}");
            assert!(!retryable(code), "{code}");
        }
        // SQLite's I/O error (10), an extended busy (517), PostgreSQL's too many
        // connections and out of memory.
        for code in ["10", "517", "53300", "53200", "", "x"] {
            assert!(!disk_full(code), "{code}");
        }
    }

    #[test]
    fn a_deadlock_or_a_database_going_away_is_retried_and_nothing_else() {
        for code in [
            "40P01", "40001", "25006", "08006", "57P01", "53300", "5", "6",
        ] {
            assert!(retryable(code), "{code}");
        }
        for code in ["23505", "42P01", "22P02", "", "1"] {
            assert!(!retryable(code), "{code}");
        }
    }
}
