//! Slow clients: every request body is paced. A body whose client sends nothing for
//! `limits.body_idle_seconds`, or less on average than `limits.body_min_bytes_per_second`
//! once `limits.body_grace_seconds` have passed, is cut: the handler reading it gets an
//! error, and answers `too_slow` (408) when its [`BodyTimer`] says the pace was the cause.
//!
//! Only the time the relay spends *waiting for the client* counts: a body the relay does
//! not read for a while (the blob store is slow, the handler is still checking the
//! request) loses nothing, since its bytes are waiting for the relay, not the reverse.
//! The clock starts when the handler first asks for the body.
//!
//! What happens before a body, the request head, has its own limit in the accept loop
//! (`limits.header_read_seconds`, `app::serve`).
//!
//! A body the handler did not read to its end (it answered first: an error, a 503 while
//! the database restarts; or the body was cut for its pace) leaves bytes on the connection that the next request would be
//! read from: hyper then closes the connection after the answer, but may already have
//! written that answer's head without `Connection: close`, so the client pools the
//! connection and sends its next request into a socket being closed (a reset, a request
//! lost). Such an answer says `Connection: close` itself.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::app::AppState;
use crate::config::Limits;

/// How slow a request body may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// The longest wait for the next bytes.
    pub idle: Duration,
    /// The waiting allowed before the rate counts.
    pub grace: Duration,
    /// Bytes per second of waiting, on average, after the grace; 0: no rate.
    pub min_rate: u64,
}

impl Pace {
    /// The configured pace (an idle limit of at least a second).
    pub fn of(limits: &Limits) -> Self {
        Self {
            idle: Duration::from_secs(limits.body_idle_seconds.max(1)),
            grace: Duration::from_secs(limits.body_grace_seconds),
            min_rate: limits.body_min_bytes_per_second,
        }
    }

    /// How much longer a body may keep the relay waiting, having waited `waited` in all
    /// for its `received` bytes.
    fn allowance(&self, received: u64, waited: Duration) -> Duration {
        if self.min_rate == 0 {
            return self.idle;
        }
        let earned = Duration::from_millis(received.saturating_mul(1000) / self.min_rate);
        self.idle
            .min(self.grace.saturating_add(earned).saturating_sub(waited))
    }
}

/// Whether a request's body was cut for being too slow. Handlers take it as an extractor
/// (a request that did not go through [`pace_bodies`] is never cut).
#[derive(Debug, Clone, Default)]
pub struct BodyTimer(Arc<AtomicBool>);

impl BodyTimer {
    /// Whether the body was cut for its pace.
    pub fn cut(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for BodyTimer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or_default())
    }
}

/// The error a paced body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct TooSlow;

/// Middleware: paces every request's body and hands the handler its [`BodyTimer`].
pub async fn pace_bodies(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let timer = BodyTimer::default();
    let pace = Pace::of(&state.config.limits);
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(timer.clone());
    let ended = Arc::new(AtomicBool::new(body.is_end_stream()));
    let body = Body::new(Paced::new(body, pace, timer, ended.clone()));
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if !ended.load(Ordering::Relaxed) {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// A body that fails with [`TooSlow`] when its client keeps the relay waiting too long.
pub struct Paced {
    inner: Body,
    pace: Pace,
    timer: BodyTimer,
    /// Set once the body has been read to its end.
    ended: Arc<AtomicBool>,
    received: u64,
    /// The time spent waiting for bytes, the current wait excepted.
    waited: Duration,
    /// When the current wait began.
    waiting_since: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl std::fmt::Debug for Paced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paced")
            .field("pace", &self.pace)
            .field("received", &self.received)
            .field("waited", &self.waited)
            .finish_non_exhaustive()
    }
}

impl Paced {
    /// `inner`, paced; `ended` is set once it has been read to its end.
    pub fn new(inner: Body, pace: Pace, timer: BodyTimer, ended: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            pace,
            timer,
            ended,
            received: 0,
            waited: Duration::ZERO,
            waiting_since: None,
            sleep: None,
        }
    }
}

impl HttpBody for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.timer.cut() {
            return Poll::Ready(Some(Err(axum::Error::new(TooSlow))));
        }
        let now = Instant::now();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(since) = this.waiting_since.take() {
                    this.waited = this.waited.saturating_add(now.duration_since(since));
                }
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                }
                if this.inner.is_end_stream() {
                    this.ended.store(true, Ordering::Relaxed);
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(None) => {
                this.ended.store(true, Ordering::Relaxed);
                return Poll::Ready(None);
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        let since = *this.waiting_since.get_or_insert(now);
        let allowance = this.pace.allowance(this.received, this.waited);
        let deadline = since
            .checked_add(allowance)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 86_400));
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.timer.0.store(true, Ordering::Relaxed);
                tracing::info!(
                    received = this.received,
                    waited_ms = u64::try_from(
                        this.waited
                            .saturating_add(now.duration_since(since))
                            .as_millis()
                    )
                    .unwrap_or(u64::MAX),
                    "a request body too slow was cut"
                );
                Poll::Ready(Some(Err(axum::Error::new(TooSlow))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_is_the_idle_limit_until_the_rate_asks_for_less() {
        let pace = Pace {
            idle: Duration::from_secs(30),
            grace: Duration::from_secs(10),
            min_rate: 1000,
        };
        // Nothing received, nothing waited: the grace, below the idle limit.
        assert_eq!(pace.allowance(0, Duration::ZERO), Duration::from_secs(10));
        // 100 kB earn 100 s; 60 s waited already: 50 s left, capped by the idle limit.
        assert_eq!(
            pace.allowance(100_000, Duration::from_secs(60)),
            Duration::from_secs(30)
        );
        // Waited more than earned: nothing left.
        assert_eq!(
            pace.allowance(1000, Duration::from_secs(12)),
            Duration::ZERO
        );
        let no_rate = Pace {
            min_rate: 0,
            ..pace
        };
        assert_eq!(
            no_rate.allowance(0, Duration::from_secs(1000)),
            Duration::from_secs(30)
        );
    }
}
