//! Serving HTTP/1 with a timer, for the witness and the relay alike: a client cannot
//! hold a connection by sending a request head a byte at a time or by idling between
//! requests, which `axum::serve` allows (it gives hyper no timer). A witness reachable
//! from the internet that could be held that way would stop cosigning, and every
//! client would then refuse the relay's checkpoints once their cosignatures aged.

use std::time::Duration;

use tokio::net::TcpListener;

/// Serves HTTP/1 on `listener` until `shutdown` resolves, then waits for the connections
/// in progress to end.
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
    header_read: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use tower::ServiceExt as _;

    // Each connection watches `stop` for the shutdown, and holds its receiver while it
    // lives: the loop waits for every receiver to be dropped.
    let (stop, watching) = tokio::sync::watch::channel(false);
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
            .header_read_timeout(header_read);
        let mut stopping = watching.clone();
        tokio::spawn(async move {
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
        });
    }
    drop(listener);
    drop(watching);
    let _ = stop.send(true);
    stop.closed().await;
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
