//! Prometheus counters (`/metrics`) and the structured logs.
//!
//! Logs are JSON lines through `tracing`. They carry ids, sizes, codes and timings —
//! never a key, a password, a token, a file name or a subject (the canary test checks).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

/// The relay's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// Ciphertext bytes received in parts.
    pub bytes_uploaded: AtomicU64,
    /// Ciphertext bytes sent in downloads.
    pub bytes_downloaded: AtomicU64,
    /// Exchanges delivered.
    pub exchanges_delivered: AtomicU64,
    /// Failed logins.
    pub login_failures: AtomicU64,
    /// Exchanges purged (expired or abandoned).
    pub exchanges_purged: AtomicU64,
}

impl Metrics {
    /// Adds to a counter.
    pub fn add(counter: &AtomicU64, value: u64) {
        counter.fetch_add(value, Ordering::Relaxed);
    }

    fn record(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP pli_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE pli_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "pli_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
        for (name, help, counter) in [
            (
                "pli_bytes_uploaded_total",
                "Ciphertext bytes received.",
                &self.bytes_uploaded,
            ),
            (
                "pli_bytes_downloaded_total",
                "Ciphertext bytes served.",
                &self.bytes_downloaded,
            ),
            (
                "pli_exchanges_delivered_total",
                "Exchanges delivered.",
                &self.exchanges_delivered,
            ),
            (
                "pli_login_failures_total",
                "Failed logins.",
                &self.login_failures,
            ),
            (
                "pli_exchanges_purged_total",
                "Exchanges purged after expiry or abandonment.",
                &self.exchanges_purged,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// Counts every request by its route template (never its concrete path, which holds ids).
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.metrics.record(&method, &route, status);
    tracing::info!(
        method = %method,
        route = %route,
        status,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// Sets up logging: JSON lines (or human-readable) on stderr, level from `RUST_LOG`
/// (default `info`).
pub fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "pretty" {
        let _ = builder.try_init();
    } else {
        let _ = builder.json().with_current_span(false).try_init();
    }
}
