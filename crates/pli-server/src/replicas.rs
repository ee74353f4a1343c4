//! What several relays sharing one PostgreSQL database tell each other, through the
//! database itself (`LISTEN`/`NOTIFY`, no other engine): a live event made on one replica
//! wakes, at once, the organisation's live-event streams open on every other.
//!
//! The transaction that appends an event (`Tx::append_event`) also runs
//! `pg_notify(CHANNEL, <organisation id>)`, which PostgreSQL delivers when, and only if,
//! it commits. [`listen`] holds one connection per replica listening on [`CHANNEL`] and
//! hands each organisation id to the replica's own broadcast, which wakes its streams
//! (`routes::events`). A notification lost while that connection is down (sqlx's
//! listener connects again by itself) only delays the event until the stream's next poll
//! of the events table, a few seconds later: the table, not the notification, is what
//! the streams read. On SQLite (one relay) the broadcast alone is enough.

use std::time::Duration;

use tokio::sync::broadcast;

/// The notification channel.
pub const CHANNEL: &str = "pli_events";

/// Listens on `database_url` for the events other replicas commit and wakes this
/// replica's streams through `events`; runs until the task is aborted.
pub async fn listen(database_url: String, events: broadcast::Sender<pli_api::OrgId>) {
    loop {
        match listen_once(&database_url, &events).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other replicas' events; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

async fn listen_once(
    database_url: &str,
    events: &broadcast::Sender<pli_api::OrgId>,
) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    loop {
        let notification = listener.recv().await?;
        match notification.payload().parse::<pli_api::OrgId>() {
            Ok(org) => {
                // No stream open on this replica: nobody to wake.
                let _ = events.send(org);
            }
            Err(_) => tracing::warn!("a notification on {CHANNEL} names no organisation"),
        }
    }
}

/// The advisory lock whose holder runs the maintenance ("pli_main").
pub const MAINTENANCE_LOCK: i64 = 0x706c_695f_6d61_696e;

/// Whether this replica is the one that runs a piece of background work: on PostgreSQL,
/// the holder of a session-level advisory lock, kept on a connection of its own; when
/// that replica dies, its connection closes, PostgreSQL releases the lock, and the next
/// replica to [`check`](Leadership::check) takes it. On SQLite (one relay), always.
pub struct Leadership {
    database_url: Option<String>,
    key: i64,
    held: Option<sqlx::PgConnection>,
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("key", &self.key)
            .field("held", &self.held.is_some())
            .finish_non_exhaustive()
    }
}

impl Leadership {
    /// The lock `key` on the database of `state` (none on SQLite); `flag` says, between
    /// checks, whether this replica holds it.
    pub fn new(state: &crate::app::AppState, key: i64) -> Self {
        let postgres = state.store.backend() == crate::store::Backend::Postgres;
        Self {
            database_url: postgres.then(|| state.config.database_url.clone()),
            key,
            held: None,
            flag: state.maintainer.clone(),
        }
    }

    /// Whether this replica holds the lock now, taking it if it is free.
    pub async fn check(&mut self) -> bool {
        use sqlx::Connection as _;
        use std::sync::atomic::Ordering;
        let Some(url) = &self.database_url else {
            self.flag.store(true, Ordering::Relaxed);
            return true;
        };
        if let Some(connection) = &mut self.held {
            if connection.ping().await.is_ok() {
                return true;
            }
            // Its connection lost, the lock went with it.
            tracing::warn!("lost the maintenance lock's connection");
            self.held = None;
            self.flag.store(false, Ordering::Relaxed);
        }
        let taken = async {
            let mut connection = sqlx::PgConnection::connect(url).await?;
            let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(self.key)
                .fetch_one(&mut connection)
                .await?;
            Ok::<_, sqlx::Error>(taken.then_some(connection))
        }
        .await;
        match taken {
            Ok(Some(connection)) => {
                tracing::info!("this replica runs the maintenance now");
                self.held = Some(connection);
                self.flag.store(true, Ordering::Relaxed);
                true
            }
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, "cannot ask for the maintenance lock");
                false
            }
        }
    }
}
