//! A recording reverse proxy in front of a real relay: what crossed the wire, as the
//! relay's operator (or anyone on the network) would see it. It forwards every request
//! to the relay untouched and keeps its method, path and the SHA-256 of its body. On
//! demand it plays a dishonest relay: its upload status then says that no part is
//! stored, to lure a client into encrypting and sending everything again; or it serves
//! another platform root than the relay's, as a relay impersonating the platform would.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use sha2::Digest as _;

/// A request the proxy forwarded.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body_sha256: [u8; 32],
}

/// A change made to the log's entries before they are served.
type Rewrite = fn(&mut Vec<serde_json::Value>);

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<Seen>>>,
    lie: Arc<AtomicBool>,
    /// Another platform root to serve (base64), in place of the relay's.
    root: Arc<Mutex<Option<String>>>,
    /// Requests received and not answered yet.
    open: Arc<AtomicUsize>,
    /// The last successful answer to each GET path (with its query).
    answers: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    /// Canned answers to serve instead of the relay's, by GET path (with its query).
    canned: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    /// Drops the person's recorded checkpoint from the account it serves.
    drop_seen: Arc<AtomicBool>,
    /// Rewrites the log's entries before they are served.
    rewrite_entries: Arc<Mutex<Option<Rewrite>>>,
}

/// Counts a request as open until it is answered (or dropped).
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::SeqCst);
        Self(open.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The proxy, listening on 127.0.0.1 until dropped.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`: give it to `pli_client::Client::new`.
    pub base: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts a proxy in front of the relay at `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let shared = Shared {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            seen: Arc::default(),
            lie: Arc::default(),
            root: Arc::default(),
            open: Arc::default(),
            answers: Arc::default(),
            canned: Arc::default(),
            rewrite_entries: Arc::default(),
            drop_seen: Arc::default(),
        };
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { base, shared, task }
    }

    /// From now on, the upload status says that no part of any object is stored.
    pub fn lie_about_stored_parts(&self, lie: bool) {
        self.shared.lie.store(lie, Ordering::SeqCst);
    }

    /// From now on, every answer naming the platform root (the root endpoint, the
    /// account, a log-in) names `root` instead; `None` stops the lie.
    pub fn serve_root(&self, root: Option<&pli_crypto::sign::VerifyingKey>) {
        use base64::Engine as _;
        *self.shared.root.lock().unwrap() =
            root.map(|r| base64::engine::general_purpose::STANDARD.encode(r.to_bytes()));
    }

    /// The relay's last successful answer to a GET of `path` (with its query).
    pub fn last_answer(&self, path: &str) -> Vec<u8> {
        self.shared
            .answers
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_else(|| panic!("no answer to {path} yet"))
    }

    /// From now on, a GET of `path` (with its query) is answered with `body` (an answer
    /// recorded earlier: an older state of the directory); `None` stops the lie.
    pub fn serve_canned(&self, path: &str, body: Option<Vec<u8>>) {
        let mut canned = self.shared.canned.lock().unwrap();
        match body {
            Some(body) => canned.insert(path.to_owned(), body),
            None => canned.remove(path),
        };
    }

    /// From now on, the account it serves (alone or with a log-in) has no recorded
    /// checkpoint, as a relay that lost or dropped it would.
    pub fn drop_seen_checkpoint(&self, drop: bool) {
        self.shared.drop_seen.store(drop, Ordering::SeqCst);
    }

    /// From now on, the log's entries pass through `rewrite` before they are served.
    pub fn rewrite_log_entries(&self, rewrite: Option<Rewrite>) {
        *self.shared.rewrite_entries.lock().unwrap() = rewrite;
    }

    /// Waits until no request has been open for a quarter of a second: what a cut client
    /// still had on its way (a part uploading in the background) has arrived.
    pub async fn settle(&self) {
        let mut quiet = 0;
        while quiet < 5 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            quiet = if self.shared.open.load(Ordering::SeqCst) == 0 {
                quiet + 1
            } else {
                0
            };
        }
    }

    /// Every request forwarded so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// The part uploads forwarded so far, as `(object, part, body SHA-256)`: accepted by
    /// the relay or not, their bytes went over the wire.
    pub fn part_uploads(&self) -> Vec<(u32, u32, [u8; 32])> {
        self.seen()
            .iter()
            .filter(|s| s.method == "PUT")
            .filter_map(|s| {
                let rest = s.path.split("/objects/").nth(1)?;
                let (idx, part) = rest.split_once("/parts/")?;
                Some((idx.parse().ok()?, part.parse().ok()?, s.body_sha256))
            })
            .collect()
    }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let _open = Open::new(&shared.open);
    let (head, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = head
        .uri
        .path_and_query()
        .map_or_else(|| head.uri.path().to_owned(), ToString::to_string);
    let mut outgoing = shared
        .http
        .request(head.method.clone(), format!("{}{path}", shared.upstream))
        .body(body.clone());
    for (name, value) in &head.headers {
        if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.send().await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let mut bytes = answer.bytes().await.unwrap().to_vec();
    if head.method == axum::http::Method::GET && status.is_success() {
        shared
            .answers
            .lock()
            .unwrap()
            .insert(path.clone(), bytes.clone());
        if let Some(canned) = shared.canned.lock().unwrap().get(&path) {
            bytes = canned.clone();
        }
        let rewrite = *shared.rewrite_entries.lock().unwrap();
        if let Some(rewrite) = rewrite
            && head.uri.path() == "/api/log/entries"
        {
            let mut page: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            rewrite(page["entries"].as_array_mut().unwrap());
            bytes = serde_json::to_vec(&page).unwrap();
        }
    }
    if shared.lie.load(Ordering::SeqCst)
        && head.method == axum::http::Method::GET
        && head.uri.path().ends_with("/upload")
        && status.is_success()
    {
        let mut status: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        for object in status["objects"].as_array_mut().unwrap() {
            object["parts_stored"] = 0.into();
        }
        bytes = serde_json::to_vec(&status).unwrap();
    }
    if shared.drop_seen.load(Ordering::SeqCst)
        && status.is_success()
        && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        if json.get("seen_checkpoint").is_some() {
            json["seen_checkpoint"] = serde_json::Value::Null;
        }
        if let Some(me) = json.get_mut("me")
            && me.get("seen_checkpoint").is_some()
        {
            me["seen_checkpoint"] = serde_json::Value::Null;
        }
        bytes = serde_json::to_vec(&json).unwrap();
    }
    let root = shared.root.lock().unwrap().clone();
    if let Some(root) = root
        && status.is_success()
        && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        if json.get("root_key").is_some() {
            json["root_key"] = root.clone().into();
        }
        if let Some(me) = json.get_mut("me")
            && me.get("root_key").is_some()
        {
            me["root_key"] = root.into();
        }
        bytes = serde_json::to_vec(&json).unwrap();
    }
    shared.seen.lock().unwrap().push(Seen {
        method: head.method.to_string(),
        path: head.uri.path().to_owned(),
        body_sha256: sha2::Sha256::digest(&body).into(),
    });
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != axum::http::header::CONTENT_LENGTH
            && name != axum::http::header::TRANSFER_ENCODING
            && name != axum::http::header::CONNECTION
        {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(bytes)).unwrap()
}
