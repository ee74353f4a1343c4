//! A recording reverse proxy in front of a real relay, for the tests of a lying relay
//! (natively and in Chromium): what crossed the wire, as the relay's operator (or anyone
//! on the network) would see it. It forwards every request to the relay untouched and
//! keeps its method, path, query and the SHA-256 of its body, and the answer's status and
//! `Cache-Control`. On demand it plays a dishonest relay: its upload status then says
//! that no part is stored, to lure a client into encrypting and sending everything again;
//! or it serves another platform root than the relay's, as a relay impersonating the
//! platform would. It can also hold a request until the test lets it go, to land
//! something (a key rotation) exactly between a client's steps.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use sha2::Digest as _;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A request the proxy forwarded.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `PUT`…
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, if the address had one.
    pub query: Option<String>,
    /// SHA-256 of the request's body.
    pub body_sha256: [u8; 32],
    /// The relay's answer's status.
    pub status: u16,
    /// The relay's answer's `Cache-Control`, if any.
    pub cache_control: Option<String>,
}

impl Seen {
    /// The request `head`, whose body hashes to `body_sha256`, answered with `status`.
    fn of(
        head: &axum::http::request::Parts,
        body_sha256: [u8; 32],
        status: u16,
        cache_control: Option<String>,
    ) -> Self {
        Self {
            method: head.method.to_string(),
            path: head.uri.path().to_owned(),
            query: head.uri.query().map(str::to_owned),
            body_sha256,
            status,
            cache_control,
        }
    }
}

/// A change made to the log's entries before they are served.
type Rewrite = fn(&mut Vec<serde_json::Value>);

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Requests answered in the relay's place ([`Proxy::fake_next`]), never forwarded.
    faked: Arc<Mutex<Vec<Seen>>>,
    /// Every part upload that reached the proxy, as it arrived: `(object, part, body
    /// SHA-256)`.
    arrived: Arc<Mutex<Vec<PartUpload>>>,
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
    /// The next request to hold, and its gates.
    hold: Arc<Mutex<Option<Held>>>,
    /// The next request to answer without forwarding it.
    fake: Arc<Mutex<Option<Fake>>>,
    /// The next requests whose answers are lost.
    lose: Arc<Mutex<Option<Losing>>>,
}

/// A part upload that reached the proxy: `(object, part, body SHA-256)`.
pub type PartUpload = (u32, u32, [u8; 32]);

/// Requests whose answers are to be lost: their method, their path's end, and how many
/// more.
type Losing = (axum::http::Method, String, u32);

/// A request to answer in the relay's place: its method and path, and the answer.
#[derive(Clone)]
struct Fake {
    method: axum::http::Method,
    path: String,
    /// Whether `path` is the end of the path rather than all of it.
    path_end: bool,
    status: axum::http::StatusCode,
    body: Vec<u8>,
}

/// A request to hold: its method and path (or the path's end), and the gates between
/// the proxy and the test.
#[derive(Clone)]
struct Held {
    method: axum::http::Method,
    path: String,
    /// `path` is the end of the path (any exchange's part), not all of it.
    path_end: bool,
    arrived: Arc<tokio::sync::Notify>,
    release: Arc<tokio::sync::Notify>,
}

/// The test's side of a held request ([`Proxy::hold_next`]).
#[allow(missing_debug_implementations, reason = "a test tool")]
pub struct Hold(Held);

impl Hold {
    /// Waits until the request has arrived at the proxy (and is held there).
    pub async fn arrived(&self) {
        self.0.arrived.notified().await;
    }

    /// Lets the request go on to the relay.
    pub fn release(&self) {
        self.0.release.notify_one();
    }
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

/// A proxy's port, taken before its relay started.
#[derive(Debug)]
pub struct Bound {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    listener: tokio::net::TcpListener,
}

impl Bound {
    /// Starts forwarding to the relay at `upstream`.
    pub fn forward_to(self, upstream: &str) -> anyhow::Result<Proxy> {
        let shared = Shared {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            seen: Arc::default(),
            faked: Arc::default(),
            arrived: Arc::default(),
            lie: Arc::default(),
            root: Arc::default(),
            open: Arc::default(),
            answers: Arc::default(),
            canned: Arc::default(),
            fake: Arc::default(),
            rewrite_entries: Arc::default(),
            drop_seen: Arc::default(),
            hold: Arc::default(),
            lose: Arc::default(),
        };
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let listener = self.listener;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Proxy {
            base: self.base,
            shared,
            task,
        })
    }
}

/// The proxy, listening on 127.0.0.1 until dropped.
#[allow(missing_debug_implementations, reason = "a test tool")]
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
    pub async fn start(upstream: &str) -> anyhow::Result<Self> {
        Self::bind().await?.forward_to(upstream)
    }

    /// Takes a port for a proxy whose relay is not started yet (a relay whose public
    /// address must be the proxy's, for a browser).
    pub async fn bind() -> anyhow::Result<Bound> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        Ok(Bound { base, listener })
    }

    /// From now on, the upload status says that no part of any object is stored.
    pub fn lie_about_stored_parts(&self, lie: bool) {
        self.shared.lie.store(lie, Ordering::SeqCst);
    }

    /// From now on, every answer naming the platform root (the root endpoint, the
    /// account, a log-in) names `root` instead; `None` stops the lie.
    pub fn serve_root(&self, root: Option<&pli_crypto::sign::VerifyingKey>) {
        use base64::Engine as _;
        *lock(&self.shared.root) =
            root.map(|r| base64::engine::general_purpose::STANDARD.encode(r.to_bytes()));
    }

    /// The relay's last successful answer to a GET of `path` (with its query).
    pub fn last_answer(&self, path: &str) -> Option<Vec<u8>> {
        lock(&self.shared.answers).get(path).cloned()
    }

    /// From now on, a GET of `path` (with its query) is answered with `body` (an answer
    /// recorded earlier: an older state of the directory); `None` stops the lie.
    pub fn serve_canned(&self, path: &str, body: Option<Vec<u8>>) {
        let mut canned = lock(&self.shared.canned);
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
        *lock(&self.shared.rewrite_entries) = rewrite;
    }

    /// Holds the next `method` request to `path` (without its query) before it reaches
    /// the relay, until the returned [`Hold`] releases it.
    pub fn hold_next(&self, method: axum::http::Method, path: &str) -> Hold {
        self.hold(method, path, false)
    }

    /// Holds the next upload of part `part` of object `idx` of any exchange before it
    /// reaches the relay (its bytes have left the client), until the returned [`Hold`]
    /// releases it.
    pub fn hold_next_part(&self, idx: u32, part: u32) -> Hold {
        self.hold(
            axum::http::Method::PUT,
            &format!("/objects/{idx}/parts/{part}"),
            true,
        )
    }

    /// Holds the next `method` request whose path ends with `path_end` (`"/complete"`:
    /// any exchange's completion) before it reaches the relay, until the returned [`Hold`]
    /// releases it.
    pub fn hold_next_ending(&self, method: axum::http::Method, path_end: &str) -> Hold {
        self.hold(method, path_end, true)
    }

    fn hold(&self, method: axum::http::Method, path: &str, path_end: bool) -> Hold {
        let held = Held {
            method,
            path: path.to_owned(),
            path_end,
            arrived: Arc::default(),
            release: Arc::default(),
        };
        *lock(&self.shared.hold) = Some(held.clone());
        Hold(held)
    }

    /// Answers the next `method` request (`"POST"`, `"DELETE"`…) to `path` (without its
    /// query) with `status` and a JSON `body`, without forwarding it: a relay that
    /// acknowledges a change and does not make it (nor log it).
    pub fn fake_next(&self, method: &str, path: &str, status: u16, body: &[u8]) {
        self.fake(method, (path, false), status, body);
    }

    /// Answers the next `method` request whose path ends with `path_end` (a part:
    /// `/objects/1/parts/0`) with `status` and a JSON `body`, without forwarding it: a
    /// relay too busy for it, or whose disk is full.
    pub fn fake_next_ending(&self, method: &str, path_end: &str, status: u16, body: &[u8]) {
        self.fake(method, (path_end, true), status, body);
    }

    fn fake(&self, method: &str, (path, path_end): (&str, bool), status: u16, body: &[u8]) {
        let (Ok(method), Ok(status)) = (
            axum::http::Method::from_bytes(method.as_bytes()),
            axum::http::StatusCode::from_u16(status),
        ) else {
            return;
        };
        *lock(&self.shared.fake) = Some(Fake {
            method,
            path: path.to_owned(),
            path_end,
            status,
            body: body.to_vec(),
        });
    }

    /// Forwards the next `method` request whose path ends with `path_end` and loses the
    /// relay's answer: the connection is cut as the answer starts, as a network failing
    /// just then would cut it. The relay has carried the request out; its client cannot
    /// know.
    pub fn lose_next_answer(&self, method: &str, path_end: &str) {
        self.lose_next_answers(method, path_end, 1);
    }

    /// [`Proxy::lose_next_answer`], for the next `count` such requests: more than a
    /// browser sends again by itself before its `fetch` fails.
    pub fn lose_next_answers(&self, method: &str, path_end: &str, count: u32) {
        if count > 0
            && let Ok(method) = axum::http::Method::from_bytes(method.as_bytes())
        {
            *lock(&self.shared.lose) = Some((method, path_end.to_owned(), count));
        }
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
        lock(&self.shared.seen).clone()
    }

    /// Every request answered in the relay's place so far ([`Proxy::fake_next`],
    /// [`Proxy::fake_next_ending`]): what shows that a fake was met.
    pub fn faked(&self) -> Vec<Seen> {
        lock(&self.shared.faked).clone()
    }

    /// The part uploads that reached the proxy so far, as `(object, part, body SHA-256)`,
    /// in the order they arrived: forwarded, held, answered by a fake or not, their bytes
    /// left the client.
    pub fn part_uploads(&self) -> Vec<PartUpload> {
        lock(&self.shared.arrived).clone()
    }
}

/// What `slot` holds, taken out, if it is meant for the request `head` (its method and
/// its path without the query, or the path's end, as `target` reads them); else nothing
/// is taken.
fn take_for<T>(
    slot: &Mutex<Option<T>>,
    head: &axum::http::request::Parts,
    target: impl Fn(&T) -> (&axum::http::Method, &String, bool),
) -> Option<T> {
    let mut slot = lock(slot);
    let meant = slot.as_ref().is_some_and(|held| {
        let (method, path, path_end) = target(held);
        let requested = head.uri.path();
        *method == head.method
            && if path_end {
                requested.ends_with(path.as_str())
            } else {
                path == requested
            }
    });
    if meant { slot.take() } else { None }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let _open = Open::new(&shared.open);
    let (head, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return status_only(axum::http::StatusCode::BAD_REQUEST);
    };
    let body_sha256: [u8; 32] = sha2::Sha256::digest(&body).into();
    let path = head
        .uri
        .path_and_query()
        .map_or_else(|| head.uri.path().to_owned(), ToString::to_string);
    if head.method == axum::http::Method::PUT
        && let Some((idx, part)) = head
            .uri
            .path()
            .split("/objects/")
            .nth(1)
            .and_then(|rest| rest.split_once("/parts/"))
        && let (Ok(idx), Ok(part)) = (idx.parse(), part.parse())
    {
        lock(&shared.arrived).push((idx, part, body_sha256));
    }
    if let Some(held) = take_for(&shared.hold, &head, |h| (&h.method, &h.path, h.path_end)) {
        held.arrived.notify_one();
        held.release.notified().await;
    }
    if let Some(fake) = take_for(&shared.fake, &head, |f| (&f.method, &f.path, f.path_end)) {
        lock(&shared.faked).push(Seen::of(&head, body_sha256, fake.status.as_u16(), None));
        let mut answer = Response::new(Body::from(fake.body));
        *answer.status_mut() = fake.status;
        answer.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        return answer;
    }
    let mut outgoing = shared
        .http
        .request(head.method.clone(), format!("{}{path}", shared.upstream))
        .body(body.clone());
    for (name, value) in &head.headers {
        if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return status_only(axum::http::StatusCode::BAD_GATEWAY);
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let Ok(bytes) = answer.bytes().await else {
        return status_only(axum::http::StatusCode::BAD_GATEWAY);
    };
    let mut bytes = bytes.to_vec();
    if head.method == axum::http::Method::GET && status.is_success() {
        lock(&shared.answers).insert(path.clone(), bytes.clone());
        if let Some(canned) = lock(&shared.canned).get(&path) {
            bytes = canned.clone();
        }
        let rewrite = *lock(&shared.rewrite_entries);
        if let Some(rewrite) = rewrite
            && head.uri.path() == "/api/log/entries"
            && let Ok(mut page) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(entries) = page.get_mut("entries").and_then(|e| e.as_array_mut())
        {
            rewrite(entries);
            bytes = serde_json::to_vec(&page).unwrap_or(bytes);
        }
    }
    if shared.lie.load(Ordering::SeqCst)
        && head.method == axum::http::Method::GET
        && head.uri.path().ends_with("/upload")
        && status.is_success()
        && let Ok(mut upload) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        if let Some(objects) = upload.get_mut("objects").and_then(|o| o.as_array_mut()) {
            for object in objects {
                if let Some(stored) = object.get_mut("parts_stored") {
                    *stored = 0.into();
                }
            }
        }
        bytes = serde_json::to_vec(&upload).unwrap_or(bytes);
    }
    if shared.drop_seen.load(Ordering::SeqCst)
        && status.is_success()
        && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        if let Some(seen) = json.get_mut("seen_checkpoint") {
            *seen = serde_json::Value::Null;
        }
        if let Some(seen) = json
            .get_mut("me")
            .and_then(|me| me.get_mut("seen_checkpoint"))
        {
            *seen = serde_json::Value::Null;
        }
        bytes = serde_json::to_vec(&json).unwrap_or(bytes);
    }
    let root = lock(&shared.root).clone();
    if let Some(root) = root
        && status.is_success()
        && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        if let Some(key) = json.get_mut("root_key") {
            *key = root.clone().into();
        }
        if let Some(key) = json.get_mut("me").and_then(|me| me.get_mut("root_key")) {
            *key = root.into();
        }
        bytes = serde_json::to_vec(&json).unwrap_or(bytes);
    }
    let cache_control = headers
        .get(axum::http::header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    lock(&shared.seen).push(Seen::of(&head, body_sha256, status.as_u16(), cache_control));
    if lose_this(&shared.lose, &head) {
        // A body that fails at once: hyper closes the connection without finishing the
        // answer.
        return Response::new(Body::from_stream(futures_util::stream::once(async {
            Err::<bytes::Bytes, _>(std::io::Error::other("the answer is lost"))
        })));
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != axum::http::header::CONTENT_LENGTH
            && name != axum::http::header::TRANSFER_ENCODING
            && name != axum::http::header::CONNECTION
        {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(bytes))
        .unwrap_or_else(|_| status_only(axum::http::StatusCode::BAD_GATEWAY))
}

/// Whether the answer to `head` is to be lost ([`Proxy::lose_next_answers`]), counting it.
fn lose_this(slot: &Mutex<Option<Losing>>, head: &axum::http::request::Parts) -> bool {
    let mut slot = lock(slot);
    let Some((method, path_end, count)) = slot.as_mut() else {
        return false;
    };
    if *method != head.method || !head.uri.path().ends_with(path_end.as_str()) {
        return false;
    }
    *count = count.saturating_sub(1);
    if *count == 0 {
        *slot = None;
    }
    true
}

fn status_only(status: axum::http::StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}
