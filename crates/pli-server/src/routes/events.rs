//! Live events by server-sent events: the member's organisation's stream (new exchange,
//! receipt, key change), resumable with `Last-Event-ID`. Only kinds and ids travel.
//!
//! A replica is woken by its own broadcast when it makes an event and, on PostgreSQL, by
//! the events other replicas commit (`crate::replicas`: `LISTEN`/`NOTIFY`); it also reads
//! the events table every `limits.events_poll_seconds`, in case a wake-up was lost.
//!
//! An account holds at most `limits.events_per_account` streams at once on a replica
//! (past it `busy`, at once). A stream is not activity: opening it does not keep the
//! session from its idle timeout (`routes::is_activity`), nor does its staying open; at
//! each poll the session is checked again, and the stream ends once it no longer lets its
//! account in (a logout, the idle or absolute timeout, the account removed).

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::slots::Slot;

pub(super) async fn stream(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let slot = state
        .event_streams
        .try_take(auth.user_id())
        .ok_or(ApiError::Busy)?;
    let org = auth.user.org_id;
    let after = match headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        Some(id) => id.parse().unwrap_or(0),
        // A fresh stream starts now, not at the beginning of history.
        None => state.store.chain_head(&format!("events:{org}")).await?.0,
    };
    let token_hash = auth.session.token_hash.clone();
    let mut wake = state.events.subscribe();
    let poll = Duration::from_secs(state.config.limits.events_poll_seconds.max(1));
    let stream = async_stream(slot, move |tx| async move {
        let mut last = after;
        loop {
            // Stop once the session no longer lets its account in (logout, removal, idle
            // or absolute timeout), or when it cannot be told.
            match crate::auth::session_still_valid(&state, &token_hash, crate::now_ms()).await {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            }
            match state.store.events_after(&org, last, 100).await {
                Ok(events) => {
                    for event in events {
                        last = event.seq;
                        let data = serde_json::json!({ "kind": event.kind, "exchange_id": event.exchange_id, "at": event.at });
                        let sse = Event::default()
                            .id(event.seq.to_string())
                            .event(event.kind.clone())
                            .data(data.to_string());
                        if tx.send(Ok(sse)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(error) => tracing::warn!(error = %error, "events not read"),
            }
            // Wait for a wake-up for this organisation, or the poll interval.
            let _ = tokio::time::timeout(poll, async {
                loop {
                    match wake.recv().await {
                        Ok(woken) if woken == org => return,
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await;
                        }
                    }
                }
            })
            .await;
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A stream fed by a task through a bounded channel (ends when the task returns), which
/// holds `slot` until it is dropped.
fn async_stream<T: Send + 'static, F, Fut>(slot: Slot, body: F) -> impl Stream<Item = T>
where
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(body(tx));
    let guard = AbortOnDrop(task);
    futures_util::stream::poll_fn(move |cx| {
        let _keep = (&guard, &slot);
        rx.poll_recv(cx)
    })
}

/// Aborts the feeding task when the client goes away.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
