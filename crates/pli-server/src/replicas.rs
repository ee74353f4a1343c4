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
