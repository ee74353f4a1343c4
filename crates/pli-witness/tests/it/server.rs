//! The HTTP/1 server the witness (and the relay) run on: a request head sent too
//! slowly, or a connection left idle after an answer, is closed once the head-read time
//! runs out; an honest request is answered.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Reads until the server closes the connection (or 10 s pass); returns what came and
/// how long the server took to close it.
async fn until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buffer = [0u8; 1024];
    while started.elapsed() < Duration::from_secs(10) {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buffer[..n]),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn slow_request_heads_and_idle_connections_are_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pli_witness::server::serve(
        listener,
        router,
        Duration::from_secs(1),
        async move {
            let _ = stopped.await;
        },
    ));

    // Half a request head, then nothing: closed after about a second, unanswered.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
    let (said, after) = until_closed(&mut slow).await;
    assert!(!said.contains("200 OK"), "{said}");
    assert!(after < Duration::from_secs(5), "held {after:?}");

    // An honest request is answered; the connection, then idle, is closed too.
    let mut honest = TcpStream::connect(addr).await.unwrap();
    honest
        .write_all(b"GET / HTTP/1.1\r\nHost: temoin\r\n\r\n")
        .await
        .unwrap();
    let (said, after) = until_closed(&mut honest).await;
    assert!(
        said.starts_with("HTTP/1.1 200 OK") && said.ends_with("ok"),
        "{said}"
    );
    assert!(
        after < Duration::from_secs(5),
        "idle connection held {after:?}"
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
