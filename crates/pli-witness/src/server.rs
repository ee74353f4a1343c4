//! Serving HTTP/1 with a timer, for the witness and the relay alike: a client cannot
//! hold a connection by sending a request head a byte at a time or by idling between
//! requests, which `axum::serve` allows (it gives hyper no timer). A witness reachable
//! from the internet that could be held that way would stop cosigning, and every
//! client would then refuse the relay's checkpoints once their cosignatures aged.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;

/// What a server allows each client.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a request head may take, and a connection stay idle between requests.
    pub header_read: Duration,
    /// Connections open at once from one address (an IPv6 address counts by its /64).
    /// `None` where every connection comes from a reverse proxy (the relay's case).
    pub per_peer: Option<usize>,
    /// Connections open at once in all. `None`: bounded by the process's file limit.
    pub total: Option<usize>,
    /// Whether a connection may carry more than one request. Without, each connection
    /// ends with its answer, so none holds a slot longer than one request's time limits.
    pub keep_alive: bool,
}

/// The connections open now, by peer (IPv6 by /64), and in all.
#[derive(Default)]
struct Open {
    by_peer: HashMap<IpAddr, usize>,
    total: usize,
}

/// A connection counted in [`Open`] while it lives.
struct Counted {
    open: Arc<Mutex<Open>>,
    peer: IpAddr,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_peer.get_mut(&self.peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.by_peer.remove(&self.peer);
            }
        }
    }
}

/// The address a peer is counted under: an IPv6 host holds a whole /64.
fn peer_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// Counts a new connection from `peer`, or `None` if it is one too many.
fn admit(open: &Arc<Mutex<Open>>, peer: IpAddr, limits: &Limits) -> Option<Counted> {
    let peer = peer_key(peer);
    let mut guard = open.lock().unwrap_or_else(PoisonError::into_inner);
    let from_peer = guard.by_peer.get(&peer).copied().unwrap_or(0);
    if limits.total.is_some_and(|max| guard.total >= max)
        || limits.per_peer.is_some_and(|max| from_peer >= max)
    {
        return None;
    }
    guard.total += 1;
    guard.by_peer.insert(peer, from_peer + 1);
    drop(guard);
    Some(Counted {
        open: Arc::clone(open),
        peer,
    })
}

/// Serves HTTP/1 on `listener` until `shutdown` resolves, then waits for the connections
/// in progress to end. A connection past `limits.per_peer` or `limits.total` is closed
/// at once, unread: one address cannot hold every connection the server can take.
///
/// Not `axum::serve`, which gives hyper no timer: a client could then keep a connection
/// forever by sending a request head a byte at a time, or by idling between requests.
/// Here hyper has a timer and `header_read`, which bounds both: hyper
/// starts that clock whenever it waits for a request head, on a new connection and after
/// each answer on a keep-alive one, and closes the connection when it runs out. Request
/// bodies are the caller's to pace (the relay's `pace_bodies`; a witness's are capped at
/// 64 KiB); a response being streamed is not under this clock. Each request carries the
/// peer's address (`ConnectInfo`).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use tower::ServiceExt as _;

    // Each connection watches `stop` for the shutdown (then ends gracefully).
    let (stop, watching) = tokio::sync::watch::channel(false);
    let open = Arc::new(Mutex::new(Open::default()));
    // The connections belong to this future: dropped (a relay stopped as a crash would
    // stop it), it takes them all down with it; stopped, it waits for each to end.
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin (as axum::serve).
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let Some(counted) = admit(&open, peer.ip(), &limits) else {
            tracing::debug!(peer = %peer.ip(), "too many connections: closed");
            drop(stream);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        ));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read)
            .keep_alive(limits.keep_alive);
        let mut stopping = watching.clone();
        // Finished connections are reaped as new ones come.
        while connections.try_join_next().is_some() {}
        connections.spawn(async move {
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended");
            }
            drop(stopping);
            drop(counted);
        });
    }
    drop(listener);
    drop(watching);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// An accept error about one connection only (the peer gave up): the next accept works.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
