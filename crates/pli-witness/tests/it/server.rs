//! The HTTP/1 server the witness (and the relay) run on: a request head sent too
//! slowly, or a connection left idle after an answer, is closed once the head-read time
//! runs out; an honest request is answered; one address cannot hold more than its share
//! of connections, nor all of them the total; the witness cuts a body trickled past its
//! deadline.

use std::time::{Duration, Instant};

use pli_witness::server::Limits;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

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
        Limits {
            header_read: Duration::from_secs(1),
            per_peer: None,
            total: None,
            keep_alive: true,
        },
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

/// A connection to `addr` from the loopback address `from` (127.0.0.x).
async fn connect_from(from: [u8; 4], addr: std::net::SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind((std::net::Ipv4Addr::from(from), 0).into())
        .unwrap();
    socket.connect(addr).await.unwrap()
}

/// Sends one keep-alive request on `stream`; returns what came back within 2 s (empty
/// if the server closed the connection unanswered).
async fn ask(stream: &mut TcpStream) -> String {
    let _ = stream
        .write_all(b"GET / HTTP/1.1\r\nHost: temoin\r\n\r\n")
        .await;
    let mut buffer = [0u8; 1024];
    match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buffer[..n]).into_owned(),
        Ok(Err(_)) | Err(_) => String::new(),
    }
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections_and_all_at_most_the_total() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pli_witness::server::serve(
        listener,
        router,
        Limits {
            header_read: Duration::from_secs(30),
            per_peer: Some(3),
            total: Some(5),
            keep_alive: true,
        },
        async move {
            let _ = stopped.await;
        },
    ));

    // Three kept-alive connections from 127.0.0.1, each answered: its share.
    let mut first = Vec::new();
    for _ in 0..3 {
        let mut stream = connect_from([127, 0, 0, 1], addr).await;
        assert!(ask(&mut stream).await.starts_with("HTTP/1.1 200 OK"));
        first.push(stream);
    }
    // A fourth from the same address is closed unanswered, at once.
    let mut fourth = connect_from([127, 0, 0, 1], addr).await;
    let (said, after) = until_closed(&mut fourth).await;
    assert!(said.is_empty(), "{said}");
    assert!(after < Duration::from_secs(2), "held {after:?}");
    // Another address is served, up to the total of 5.
    let mut others = Vec::new();
    for n in 2..4 {
        let mut stream = connect_from([127, 0, 0, n], addr).await;
        assert!(ask(&mut stream).await.starts_with("HTTP/1.1 200 OK"));
        others.push(stream);
    }
    let mut sixth = connect_from([127, 0, 0, 4], addr).await;
    assert_eq!(ask(&mut sixth).await, "", "past the total");

    // A connection that ends gives its slot back.
    drop(first.pop());
    let started = Instant::now();
    loop {
        let mut again = connect_from([127, 0, 0, 1], addr).await;
        if ask(&mut again).await.starts_with("HTTP/1.1 200 OK") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no slot came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let _ = stop.send(());
    drop((first, others));
    server.await.unwrap().unwrap();
}

/// The witness answers a body still coming at its deadline with 408 and closes the
/// connection: a client cannot hold it by trickling a checkpoint.
#[tokio::test]
async fn a_body_trickled_to_the_witness_is_cut_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let log = super::harness::Log::new(1);
    let witness =
        pli_witness::Witness::open(super::harness::config(dir.path(), vec![log.known()])).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pli_witness::server::serve(
        listener,
        pli_witness::http::router(witness, Duration::from_secs(1)),
        pli_witness::LIMITS,
        async move {
            let _ = stopped.await;
        },
    ));

    let slow = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = slow.into_split();
    writer
        .write_all(
            b"POST /add-checkpoint HTTP/1.1\r\nHost: temoin\r\nContent-Length: 1000\r\n\r\nold 0\n",
        )
        .await
        .unwrap();
    // A byte every 200 ms, never the whole body (which would take 200 s).
    let trickle = tokio::spawn(async move {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(b"x").await.is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut said = Vec::new();
    let mut buffer = [0u8; 1024];
    while let Ok(Ok(n @ 1..)) =
        tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buffer)).await
    {
        said.extend_from_slice(&buffer[..n]);
    }
    let after = started.elapsed();
    let said = String::from_utf8_lossy(&said);
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    assert!(said.ends_with("too slow\n"), "{said}");
    assert!(after < Duration::from_secs(5), "held {after:?}");
    trickle.abort();

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// With the witness's limits a connection carries one request: it is closed with its
/// answer, so no client keeps a slot by sending a cheap request now and then.
#[tokio::test]
async fn the_witness_closes_each_connection_with_its_answer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pli_witness::server::serve(
        listener,
        router,
        pli_witness::LIMITS,
        async move {
            let _ = stopped.await;
        },
    ));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: temoin\r\n\r\n")
        .await
        .unwrap();
    let (said, after) = until_closed(&mut stream).await;
    assert!(
        said.starts_with("HTTP/1.1 200 OK") && said.ends_with("ok"),
        "{said}"
    );
    assert!(after < Duration::from_secs(2), "held {after:?}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
