//! One harness for every test: `spawn_app(Backend)` starts the real server on port 0 with
//! a fresh SQLite file or a fresh PostgreSQL database, and captures its logs.
//!
//! PostgreSQL comes from `PLI_TEST_DATABASE_URL` (an admin URL; `cargo xtask test` starts
//! a throwaway server and sets it). Without it, PostgreSQL tests fail: they never skip.

use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use pli_client::{Client, Session};
use pli_crypto::cert::OrgKind;
use pli_crypto::password::KdfParams;
use pli_server::config::Config;

pub use pli_server::testing::Backend;

/// Every log line the servers of this process wrote.
pub fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,sqlx=info,hyper=info,h2=info,reqwest=info",
            ))
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buffer
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("PLI_TEST_LOG_STDERR").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        self.0.lock().unwrap().write_all(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A running relay, with a client for it.
pub struct TestApp {
    pub server: pli_server::testing::TestServer,
    pub client: Client,
}

impl std::ops::Deref for TestApp {
    type Target = pli_server::testing::TestServer;

    fn deref(&self) -> &Self::Target {
        &self.server
    }
}

/// Starts a relay on a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts a relay on a fresh database, after `adjust` tweaks its configuration.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let _ = logs();
    let server = pli_server::testing::spawn(backend, adjust).await.unwrap();
    TestApp {
        client: Client::new(&server.base),
        server,
    }
}

/// Cheap but valid KDF parameters, so tests do not spend seconds in Argon2id.
pub fn test_kdf() -> KdfParams {
    pli_server::testing::cheap_kdf().unwrap()
}

/// The current TOTP code for a base32 secret, `offset` steps ahead.
pub fn totp_now(secret: &str, offset: u64) -> String {
    pli_server::testing::totp_code(secret, offset).unwrap()
}

pub const PASSWORD: &str = "correct horse battery staple";

/// A person in a story.
pub struct Person {
    pub session: Session,
    pub email: String,
    pub totp: Option<String>,
}

/// Two organisations with an admin and a member each, keys published and granted.
pub struct World {
    pub app: TestApp,
    pub platform: Person,
    pub court: pli_api::OrgId,
    pub dept: pli_api::OrgId,
    pub court_admin: Person,
    pub dept_admin: Person,
    pub greffier: Person,
    pub caseworker: Person,
}

impl TestApp {
    /// Sets up the platform admin (with TOTP).
    pub async fn platform_admin(&self) -> Person {
        platform_admin_at(&self.client, &self.setup_token).await
    }

    /// Invites someone to `org` as `inviter`, and accepts as them.
    pub async fn invite_and_accept(
        &self,
        inviter: &Person,
        org: &pli_api::OrgId,
        email: &str,
        name: &str,
        role: pli_api::Role,
    ) -> Person {
        invite_and_accept_at(&self.client, inviter, org, email, name, role).await
    }
}

/// [`TestApp::platform_admin`] on any relay: its client and one-time set-up token.
pub async fn platform_admin_at(client: &Client, setup_token: &str) -> Person {
    let mut session = Session::setup_platform(
        client,
        setup_token,
        "admin@pli.test",
        "Admin Plateforme",
        PASSWORD,
        test_kdf(),
    )
    .await
    .unwrap();
    let secret = session.enable_totp(|s| totp_now(s, 0)).await.unwrap();
    Person {
        session,
        email: "admin@pli.test".into(),
        totp: Some(secret),
    }
}

/// [`TestApp::invite_and_accept`] on any relay.
pub async fn invite_and_accept_at(
    client: &Client,
    inviter: &Person,
    org: &pli_api::OrgId,
    email: &str,
    name: &str,
    role: pli_api::Role,
) -> Person {
    let invitation = inviter
        .session
        .invite(org, email, name, role)
        .await
        .unwrap();
    let link = pli_client::protocol::OneTimeLink::parse(&invitation.link).unwrap();
    let root = link
        .root
        .expect("the inviter's client pins the root in the link");
    let session =
        Session::accept_invitation(client, &link.token, PASSWORD, test_kdf(), &root, None)
            .await
            .unwrap();
    Person {
        session,
        email: email.into(),
        totp: None,
    }
}

impl Person {
    /// Turns TOTP on (admins must).
    pub async fn enable_totp(&mut self) {
        let secret = self.session.enable_totp(|s| totp_now(s, 0)).await.unwrap();
        self.totp = Some(secret);
    }
}

/// The whole cast: platform admin, a court and a Département, each with an admin (TOTP
/// on, organisation key published) and a certified member holding the key; both
/// organisations let their members choose whether to use two-factor authentication.
pub async fn world(backend: Backend) -> World {
    world_on(spawn_app(backend).await).await
}

/// [`world`] on an app already started.
pub async fn world_on(app: TestApp) -> World {
    let Cast {
        platform,
        court,
        dept,
        court_admin,
        dept_admin,
        greffier,
        caseworker,
    } = cast(&app.client, &app.setup_token).await;
    World {
        app,
        platform,
        court,
        dept,
        court_admin,
        dept_admin,
        greffier,
        caseworker,
    }
}

/// The people and organisations of a [`World`], without the app they live on.
pub struct Cast {
    pub platform: Person,
    pub court: pli_api::OrgId,
    pub dept: pli_api::OrgId,
    pub court_admin: Person,
    pub dept_admin: Person,
    pub greffier: Person,
    pub caseworker: Person,
}

/// Sets up the cast of a [`World`] on any relay, given a client for it and its one-time
/// set-up token (the fault tests run the relay binary as a process of its own).
pub async fn cast(client: &Client, setup_token: &str) -> Cast {
    let platform = platform_admin_at(client, setup_token).await;
    let court = platform
        .session
        .create_org(
            OrgKind::Court,
            "Tribunal judiciaire de Meaux — Parquet",
            "TJ-MEAUX-PARQUET",
        )
        .await
        .unwrap();
    let dept = platform
        .session
        .create_org(OrgKind::Departement, "Seine-et-Marne — ASE", "D77-ASE")
        .await
        .unwrap();

    let mut court_admin = invite_and_accept_at(
        client,
        &platform,
        &court,
        "greffe.chef@tj-meaux.test",
        "Chef de greffe",
        pli_api::Role::OrgAdmin,
    )
    .await;
    let mut dept_admin = invite_and_accept_at(
        client,
        &platform,
        &dept,
        "ase.admin@d77.test",
        "Admin ASE",
        pli_api::Role::OrgAdmin,
    )
    .await;
    platform
        .session
        .certify(&court, &court_admin.session.me.user_id)
        .await
        .unwrap();
    platform
        .session
        .certify(&dept, &dept_admin.session.me.user_id)
        .await
        .unwrap();
    for (admin, org) in [(&mut court_admin, court), (&mut dept_admin, dept)] {
        admin.session.refresh_keys().await.unwrap();
        admin.enable_totp().await;
        admin.session.rotate_org_key().await.unwrap();
        // The stories of other capabilities run with members who chose no second factor:
        // the organisations relax the default (sessions.rs tests the policy itself).
        admin
            .session
            .set_second_factor(&org, pli_api::SecondFactor::Optional)
            .await
            .unwrap();
    }
    let mut greffier = invite_and_accept_at(
        client,
        &court_admin,
        &court,
        "greffier@tj-meaux.test",
        "Greffier Martin",
        pli_api::Role::Member,
    )
    .await;
    let mut caseworker = invite_and_accept_at(
        client,
        &dept_admin,
        &dept,
        "ts@d77.test",
        "Travailleuse sociale Durand",
        pli_api::Role::Member,
    )
    .await;
    court_admin
        .session
        .certify(&court, &greffier.session.me.user_id)
        .await
        .unwrap();
    dept_admin
        .session
        .certify(&dept, &caseworker.session.me.user_id)
        .await
        .unwrap();
    greffier.session.refresh_keys().await.unwrap();
    caseworker.session.refresh_keys().await.unwrap();
    Cast {
        platform,
        court,
        dept,
        court_admin,
        dept_admin,
        greffier,
        caseworker,
    }
}

/// Bytes that look like nothing in particular, `len` long, different per `seed`.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    let mut state = u64::from(seed) + 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A file input from memory.
pub fn file(name: &str, bytes: Vec<u8>) -> pli_client::FileInput {
    pli_client::FileInput::from_bytes(name, "application/pdf", bytes)
}

/// Default sending options.
pub fn options(subject: &str) -> pli_client::SendOptions {
    pli_client::SendOptions {
        category: pli_crypto::manifest::Category::Signalement,
        subject: subject.into(),
        message: "Veuillez trouver ci-joint le signalement.".into(),
        case_reference: "2026/00042".into(),
        urgent: true,
        copy_to_sender: true,
        in_reply_to: None,
    }
}

/// A reader that fails after `limit` bytes, as a browser tab does when it is reloaded.
pub struct CutOff {
    pub bytes: Vec<u8>,
    pub at: usize,
    pub limit: usize,
}

impl futures_util::io::AsyncRead for CutOff {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.at >= self.limit {
            return std::task::Poll::Ready(Err(std::io::Error::other("the page was reloaded")));
        }
        let n = buf
            .len()
            .min(self.limit - self.at)
            .min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        std::task::Poll::Ready(Ok(n))
    }
}

/// A file input whose reading fails after `limit` of its bytes ([`CutOff`]).
pub fn cut_file(name: &str, bytes: Vec<u8>, limit: usize) -> pli_client::FileInput {
    pli_client::FileInput {
        name: name.into(),
        media_type: "application/pdf".into(),
        size: bytes.len() as u64,
        reader: Box::new(CutOff {
            bytes,
            at: 0,
            limit,
        }),
    }
}

/// The first file of an opened pli, downloaded and decrypted whole.
pub async fn first_file(session: &Session, received: &pli_client::Received) -> Vec<u8> {
    let mut out = Vec::new();
    session.download_file(received, 0, &mut out).await.unwrap();
    out
}

#[allow(dead_code, reason = "used by some test modules only")]
pub fn write_all(out: &mut Vec<u8>, bytes: &[u8]) {
    out.write_all(bytes).unwrap();
}

/// One answer read off a connection written by hand.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The relay's error code.
    pub fn code(&self) -> String {
        let body: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        body["error"]["code"].as_str().unwrap().to_owned()
    }
}

/// A request written by hand on a connection of its own, as a slow or stalled client
/// sends it: the head, then `body` (perhaps only the first bytes of what the head
/// announces; the test writes the rest, or never does).
pub async fn raw_request(
    base: &str,
    head: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let address = base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut text = format!("{head} HTTP/1.1\r\nhost: {address}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream
}

/// A part upload written by hand: the head announcing the whole of `part`, then its first
/// `sent` bytes.
pub async fn raw_part(
    base: &str,
    session: &Session,
    exchange: &pli_api::ExchangeId,
    idx: u32,
    part: &[u8],
    sent: usize,
) -> tokio::net::TcpStream {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(part))
    );
    raw_request(
        base,
        &format!("PUT /api/exchanges/{exchange}/objects/{idx}/parts/0"),
        &[
            (
                "authorization",
                format!("Bearer {}", session.token().unwrap()),
            ),
            ("content-digest", digest),
            ("content-length", part.len().to_string()),
        ],
        &part[..sent],
    )
    .await
}

/// Reads one answer (a body with a Content-Length, as every answer of the relay's API
/// but a stream has), failing the test if none comes within a minute.
pub async fn raw_answer(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> RawAnswer {
    use tokio::io::AsyncReadExt as _;
    let read = async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the connection closed before an answer: {buffer:?}");
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_lowercase(), value.trim().to_owned())
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = buffer[head_end + 4..].to_vec();
        while body.len() < length {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the connection closed in the middle of an answer");
            body.extend_from_slice(&chunk[..n]);
        }
        RawAnswer {
            status,
            headers,
            body: String::from_utf8(body).unwrap(),
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("no answer within a minute")
}

/// Waits until `condition` holds, checking every 20 ms, failing the test after 30 s.
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still not so after 30 s: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Creates an exchange from `sender` to `recipient` whose objects have these sizes (the
/// relay checks bytes against sizes and hashes, not that they are age files, until
/// completion).
pub async fn bare_exchange(
    sender: &Session,
    recipient: pli_api::OrgId,
    sizes: Vec<u64>,
) -> pli_api::ExchangeId {
    let request = pli_api::messages::CreateExchange {
        recipient_org_id: recipient,
        recipient_generation: 1,
        sender_generation: None,
        urgent: false,
        sizes,
        in_reply_to: None,
    };
    let created: pli_api::messages::ExchangeCreated = sender
        .client()
        .post("/api/exchanges", &request)
        .await
        .unwrap();
    created.exchange_id
}

/// The blobs the relay keeps under `prefix` (`x/<exchange>/`: an exchange's; `…/1/`: its
/// first file's parts).
pub async fn blobs_under(w: &World, prefix: &str) -> Vec<pli_server::blob::Listed> {
    let prefix = pli_server::blob::BlobKey::parse(prefix).unwrap();
    w.app.state.blobs.list(&prefix).await.unwrap()
}

/// How many parts of each object of `exchange` the relay holds.
pub async fn parts_stored(sender: &Session, exchange: &pli_api::ExchangeId) -> Vec<u32> {
    let status: pli_api::messages::ExchangeCreated = sender
        .client()
        .get(&format!("/api/exchanges/{exchange}/upload"))
        .await
        .unwrap();
    status.objects.iter().map(|o| o.parts_stored).collect()
}

/// A minimal SMTP server that keeps every message it receives.
pub async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = messages.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
                let (read, mut write) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut message = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            // Undo quoted-printable soft line breaks, so texts can be searched.
                            kept.lock()
                                .unwrap()
                                .push(std::mem::take(&mut message).replace("=\n", ""));
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, messages)
}

/// Runs a request until it gets an answer, which must be a success: right after a restart,
/// a pooled connection to the killed relay may fail once or twice.
pub async fn settle<T, F, Fut>(request: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, pli_client::ClientError>>,
{
    let mut attempt = 0;
    loop {
        match request().await {
            Ok(value) => return value,
            Err(pli_client::ClientError::Http(_)) if attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            Err(error) => panic!("the relay refused a valid request: {error}"),
        }
    }
}
