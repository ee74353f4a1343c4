//! Starting a relay for tests: on port 0, on a fresh SQLite file or a fresh PostgreSQL
//! database. Used by the relay's own integration tests and by the browser tests.
//!
//! PostgreSQL comes from `PLI_TEST_DATABASE_URL` (an admin URL; `cargo xtask test` starts
//! a throwaway server and sets it). Without it, PostgreSQL tests fail: they never skip.

pub mod proxy;
#[cfg(feature = "s3")]
pub mod s3;

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use sqlx::Connection as _;

use pli_crypto::password::KdfParams;

use crate::app::{AppState, Application};
use crate::auth::secrets::{ServerKey, random};
use crate::config::Config;

/// Which database the relay runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the data folder.
    Sqlite,
    /// A fresh database on the server of `PLI_TEST_DATABASE_URL`.
    Postgres,
}

/// A running relay and what a test needs to drive it.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Its data folder (SQLite file, blobs).
    pub data: tempfile::TempDir,
    /// The one-time platform set-up token.
    pub setup_token: String,
    /// The database URL.
    pub database_url: String,
    /// The relay's state (blob store, store).
    pub state: AppState,
    /// The two witnesses its log's checkpoints need (quorum 2), running until dropped.
    pub witnesses: Vec<pli_witness::Running>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    postgres: Option<PostgresDatabase>,
}

/// A fresh database of its own on the test PostgreSQL (`PLI_TEST_DATABASE_URL`), dropped
/// with this.
#[derive(Debug)]
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    /// The URL a relay connects to.
    pub url: String,
}

impl PostgresDatabase {
    /// Creates it.
    pub async fn create() -> anyhow::Result<Self> {
        let Ok(admin_url) = std::env::var("PLI_TEST_DATABASE_URL") else {
            bail!(
                "PLI_TEST_DATABASE_URL is not set: run the tests through `cargo xtask test`, which starts PostgreSQL"
            );
        };
        let name = unique("pli_test")?;
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .context("cannot reach the test PostgreSQL")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        Ok(Self {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // On a thread of its own: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(&drop).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// The names of the test relays' witnesses.
pub const WITNESSES: [&str; 2] = ["temoin-1.pli.test", "temoin-2.pli.test"];

/// Starts the two witnesses of a test relay whose log is `origin`, signed by a key
/// derived from `server_key`; returns them and the configuration naming them.
async fn witnesses(
    data: &std::path::Path,
    server_key: &ServerKey,
    origin: &str,
) -> anyhow::Result<(
    Vec<pli_witness::Running>,
    Vec<crate::config::WitnessEndpoint>,
)> {
    let log_vkey = crate::log::log_key(server_key, origin)?
        .verifier_key(pli_log::note::ED25519)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut running = Vec::new();
    let mut endpoints = Vec::new();
    for (n, name) in (1u8..).zip(WITNESSES) {
        let (served, endpoint) = witness(data, &log_vkey, n, name).await?;
        endpoints.push(endpoint);
        running.push(served);
    }
    Ok((running, endpoints))
}

/// Starts witness number `n`, named `name`, of the log whose verifier key is `log_vkey`
/// (its state in `witness-<n>/` of `data`, its key from `n`).
async fn witness(
    data: &std::path::Path,
    log_vkey: &str,
    n: u8,
    name: &str,
) -> anyhow::Result<(pli_witness::Running, crate::config::WitnessEndpoint)> {
    let state_dir = data.join(format!("witness-{n}"));
    std::fs::create_dir_all(&state_dir)?;
    let witness = pli_witness::Witness::open(pli_witness::WitnessConfig {
        name: name.to_owned(),
        seed: [100u8.saturating_add(n); 32].into(),
        state_dir,
        logs: vec![pli_witness::KnownLog::from_vkey(log_vkey)?],
    })?;
    let vkey = witness.verifier_key().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let served = pli_witness::spawn(listener, witness)?;
    let endpoint = crate::config::WitnessEndpoint {
        vkey,
        url: served.url(),
    };
    Ok((served, endpoint))
}

impl TestServer {
    /// Starts one more witness of this relay's log (number `n`, from 3 on: 1 and 2 are
    /// the relay's own), named `name`; the caller names it in the relay's configuration
    /// ([`TestServer::restart`]).
    pub async fn start_witness(
        &self,
        n: u8,
        name: &str,
    ) -> anyhow::Result<(pli_witness::Running, crate::config::WitnessEndpoint)> {
        let log_vkey = crate::log::log_key(
            &ServerKey::from_bytes(SERVER_KEY),
            &self.state.config.log.origin,
        )?
        .verifier_key(pli_log::note::ED25519)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        witness(self.data.path(), &log_vkey, n, name).await
    }

    /// Stops the relay at once, as a crash would (its connections closed, its background
    /// tasks gone), keeping its database and data: what a replica dying looks like to
    /// the others.
    pub fn crash(&mut self) {
        self.stop = None;
        self.server.abort();
    }

    /// Stops the relay (its requests in progress end) and starts it again on the same
    /// address, database and data, with its configuration changed by `adjust`: an
    /// operator changing the relay's witnesses or quorum, for instance.
    pub async fn restart(&mut self, adjust: impl FnOnce(&mut Config)) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // A response still streaming (live events) would hold a graceful stop: after a
        // few seconds, the relay is stopped anyway.
        match tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.server).await {
            Ok(ended) => ended??,
            Err(_) => self.server.abort(),
        }
        let mut config = self.state.config.clone();
        config.listen = self
            .base
            .trim_start_matches("http://")
            .parse()
            .context("the test relay's address")?;
        adjust(&mut config);
        let mut tries = 0;
        let app = loop {
            match Application::build_with(config.clone(), ServerKey::from_bytes(SERVER_KEY), None)
                .await
            {
                Ok(app) => break app,
                Err(error) if tries < 50 => {
                    tries += 1;
                    tracing::debug!(error = %format!("{error:#}"), "the test relay's address is not free yet");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error),
            }
        };
        self.state = app.state().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(stop);
        self.server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Ok(())
    }
}

/// A second relay on a [`TestServer`]'s database and data folder (its blobs): a replica
/// behind the same load balancer. Stopped when dropped.
pub struct Replica {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The set-up token it issued, if the platform was not set up when it started.
    pub setup_token: Option<String>,
    /// Its state.
    pub state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestServer {
    /// Starts a replica of this relay: the same configuration, database and data folder,
    /// on another port, with its configuration changed by `adjust`.
    pub async fn replica(&self, adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Replica> {
        let mut config = self.state.config.clone();
        config.listen = "127.0.0.1:0".parse().context("a loopback address")?;
        adjust(&mut config);
        let app = Application::build_with(config, ServerKey::from_bytes(SERVER_KEY), None).await?;
        let base = format!("http://{}", app.address());
        let setup_token = app
            .setup_link()
            .and_then(|link| link.rsplit('/').next().map(str::to_owned));
        let state = app.state().clone();
        let server = tokio::spawn(app.run_until(std::future::pending()));
        Ok(Replica {
            base,
            setup_token,
            state,
            server,
        })
    }
}

/// The test relays' server key.
const SERVER_KEY: [u8; 32] = [7; 32];

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.abort();
        // Its database goes once its requests can no longer use it.
        drop(self.postgres.take());
    }
}

fn unique(prefix: &str) -> anyhow::Result<String> {
    let bytes = random::<6>().map_err(|e| anyhow::anyhow!("{e}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}_{}_{hex}", std::process::id()))
}

/// `postgres://…/postgres?host=…` with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (before_query, query) = url
        .split_once('?')
        .map_or((url, None), |(a, b)| (a, Some(b)));
    let base = before_query
        .rsplit_once('/')
        .map_or(before_query, |(a, _)| a);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Starts a relay on a fresh database, after `adjust` tweaks its configuration (the web
/// app folder, SMTP…).
pub async fn spawn(
    backend: Backend,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<TestServer> {
    let data = tempfile::tempdir()?;
    let (database_url, postgres) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", data.path().join("pli.db").display()),
            None,
        ),
        Backend::Postgres => {
            let database = PostgresDatabase::create().await?;
            (database.url.clone(), Some(database))
        }
    };
    let env = vec![
        ("PLI_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ("PLI_DATA_DIR".to_owned(), data.path().display().to_string()),
        ("PLI_DATABASE_URL".to_owned(), database_url.clone()),
    ];
    let mut config = Config::from_env(env)?;
    let server_key = ServerKey::from_bytes(SERVER_KEY);
    let (witnesses, endpoints) = witnesses(data.path(), &server_key, &config.log.origin).await?;
    config.log.witnesses = endpoints;
    config.log.quorum = 2;
    adjust(&mut config);
    let app = Application::build_with(config, server_key, None).await?;
    let base = format!("http://{}", app.address());
    let setup_token = app
        .setup_link()
        .and_then(|link| link.rsplit('/').next().map(str::to_owned))
        .context("a fresh relay has a set-up link")?;
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Ok(TestServer {
        base,
        data,
        setup_token,
        database_url,
        state,
        witnesses,
        server,
        stop: Some(stop),
        postgres,
    })
}

/// The built web app (`cargo xtask web`), from `PLI_WEB_DIST` or `target/web/dist`.
pub fn web_dist() -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os("PLI_WEB_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/web/dist"),
    };
    if !dir.join("index.html").is_file() {
        bail!(
            "the web app is not built at {}: run `cargo xtask web` (cargo xtask test does)",
            dir.display()
        );
    }
    Ok(dir)
}

/// Argon2id parameters valid but cheap, so that tests (and the browser in them) do not
/// spend seconds deriving keys.
pub fn cheap_kdf() -> anyhow::Result<KdfParams> {
    let salt = random::<16>().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(KdfParams {
        secrets: pli_crypto::password::Secrets::PasswordAndAccountKey,
        m_cost_kib: KdfParams::MIN_M_COST_KIB,
        t_cost: 2,
        p_cost: 1,
        salt,
    })
}

/// The TOTP code an authenticator app shows for the base32 `secret`, `offset` 30-second
/// steps from now.
pub fn totp_code(secret: &str, offset: u64) -> anyhow::Result<String> {
    let step = crate::now_ms() / 1000 / 30 + offset;
    let code = crate::auth::totp::code(&base32_decode(secret)?, step).context("TOTP secret")?;
    Ok(format!("{code:06}"))
}

/// RFC 4648 base32, as authenticator apps read it (padding and spaces ignored).
fn base32_decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => continue,
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff)?);
        }
    }
    Ok(out)
}
