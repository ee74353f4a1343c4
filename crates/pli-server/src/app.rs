//! The application: shared state, start-up, the listener, background maintenance.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use crate::auth::secrets::{self, ServerKey};
use crate::blob::BlobStore;
use crate::blob::local::LocalBlobs;
use crate::config::Config;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::now_ms;
use crate::slots::Slots;
use crate::store::Store;
use crate::store::invitations::Invitation;
use crate::store::users::{InvitationKind, Role};

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The shared parts of [`AppState`].
#[allow(missing_debug_implementations, reason = "AppState's Debug covers it")]
pub struct Shared {
    /// The configuration.
    pub config: Config,
    /// Metadata.
    pub store: Store,
    /// Ciphertext.
    pub blobs: Arc<dyn BlobStore>,
    /// Seals the secrets the relay must read back (TOTP).
    pub server_key: ServerKey,
    /// Makes stable fake KDF salts for unknown addresses.
    pub kdf_pepper: [u8; 32],
    /// Wakes the live-event streams of an organisation on this replica.
    pub events: broadcast::Sender<pli_api::OrgId>,
    /// E-mail notifications, if configured.
    pub mailer: Option<Mailer>,
    /// Prometheus counters.
    pub metrics: Metrics,
    /// The password-hashing slots (`limits.password_hashes`).
    pub password_hashes: Arc<tokio::sync::Semaphore>,
    /// The part uploads in progress (`limits.uploads_per_account`, `limits.uploads_total`).
    pub uploads: Arc<Slots>,
    /// The live-event streams open (`limits.events_per_account`).
    pub event_streams: Arc<Slots>,
    /// The key directory's transparency log: checkpoints and witnesses.
    /// Whether this replica runs the maintenance now (the holder of the maintenance
    /// lock on PostgreSQL: `replicas::Leadership`).
    pub maintainer: Arc<std::sync::atomic::AtomicBool>,
    /// Changes under way in tasks of their own (`routes::carry_changes_through`).
    pub changes: crate::changes::Changes,
    pub log: Arc<crate::log::LogService>,
    /// The WebAuthn relying party for passkeys; none when the public URL's host is not a
    /// domain name (an IP address), where browsers refuse passkeys.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// ProConnect sign-in, if configured (`PLI_OIDC_*`).
    pub proconnect: Option<crate::proconnect::ProConnect>,
    /// When this replica last wrote each session's activity time (a cache that only
    /// spares duplicate writes; nothing depends on it).
    touches: std::sync::Mutex<std::collections::HashMap<String, u64>>,
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("listen", &self.config.listen)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state from its parts (tests can pass their own blob store).
    pub async fn new(
        config: Config,
        store: Store,
        blobs: Arc<dyn BlobStore>,
        server_key: ServerKey,
    ) -> anyhow::Result<Self> {
        let pepper = store
            .setting_or_insert("kdf_pepper", || {
                secrets::random::<32>()
                    .map(|b| b.to_vec())
                    .unwrap_or_default()
            })
            .await
            .context("cannot read the KDF pepper")?;
        let kdf_pepper: [u8; 32] = pepper
            .try_into()
            .map_err(|_| anyhow::anyhow!("the stored KDF pepper is damaged"))?;
        let mailer = match &config.smtp_url {
            Some(url) => Some(Mailer::new(url, &config.smtp_from, &config.public_url)?),
            None => None,
        };
        let (events, _) = broadcast::channel(1024);
        let log = Arc::new(crate::log::LogService::new(&config.log, &server_key)?);
        let password_hashes = Arc::new(tokio::sync::Semaphore::new(
            config.limits.password_hashes.max(1),
        ));
        let webauthn = crate::routes::passkeys::relying_party(&config.public_url)?.map(Arc::new);
        let proconnect = match &config.oidc {
            Some(oidc) => Some(crate::proconnect::ProConnect::new(
                oidc,
                &config.public_url,
            )?),
            None => None,
        };
        let limits = &config.limits;
        let uploads = Slots::new(limits.uploads_per_account, limits.uploads_total);
        let event_streams = Slots::new(limits.events_per_account, usize::MAX);
        Ok(Self(Arc::new(Shared {
            log,
            webauthn,
            proconnect,
            password_hashes,
            uploads,
            event_streams,
            config,
            store,
            blobs,
            server_key,
            kdf_pepper,
            events,
            mailer,
            metrics: Metrics::default(),
            touches: std::sync::Mutex::default(),
            maintainer: Arc::default(),
            changes: crate::changes::Changes::default(),
        })))
    }

    /// Whether this request should write the session's activity time: `false` if another
    /// request of this replica did in the last minute.
    pub fn claim_touch(&self, token_hash: &str, now: u64) -> bool {
        let Ok(mut touches) = self.touches.lock() else {
            return true;
        };
        if touches.len() > 10_000 {
            touches.retain(|_, at| now.saturating_sub(*at) < 60_000);
        }
        match touches.get(token_hash) {
            Some(at) if now.saturating_sub(*at) < 60_000 => false,
            _ => {
                touches.insert(token_hash.to_owned(), now);
                true
            }
        }
    }

    /// Wakes the live streams of `org` on this replica (others poll).
    pub fn notify(&self, org: pli_api::OrgId) {
        let _ = self.events.send(org);
    }
}

/// A relay bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    setup_token: Option<String>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the database and the blob store, binds the listener (port 0: any free port),
    /// and, if there is no platform admin yet, issues a one-time set-up token.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let server_key = ServerKey::load(
            std::env::var("PLI_SERVER_KEY").ok().as_deref(),
            &config.data_dir,
        )?;
        Self::build_with(config, server_key, None).await
    }

    /// [`build`](Self::build) with an explicit server key and, optionally, blob store.
    pub async fn build_with(
        config: Config,
        server_key: ServerKey,
        blobs: Option<Arc<dyn BlobStore>>,
    ) -> anyhow::Result<Self> {
        // The folder holds the SQLite database, or the blobs when they are on this disk.
        if config.database_url.starts_with("sqlite:") || (blobs.is_none() && config.s3.is_none()) {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!(
                    "cannot create the data folder {}",
                    config.data_dir.display()
                )
            })?;
        }
        let store = Store::connect(&config.database_url).await?;
        let blobs = match (blobs, &config.s3) {
            (Some(blobs), _) => blobs,
            (None, Some(s3)) => s3_blobs(s3)?,
            (None, None) => {
                let local = LocalBlobs::new(config.data_dir.join("blobs"))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                // Temporary files left by a crash in the middle of a write.
                let removed = local
                    .cleanup_tmp(3_600_000)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if removed > 0 {
                    tracing::info!(removed, "removed stale temporary blob files");
                }
                Arc::new(local)
            }
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let mut config = config;
        if config.listen.port() == 0 {
            // Port 0 (tests): the public URL is the address actually bound — or, for a
            // public URL without a port (`http://localhost`, so that passkeys work: they
            // need a domain name), that URL with the port bound.
            let port = listener.local_addr()?.port();
            if config.public_url == format!("http://{}", config.listen) {
                config.public_url = format!("http://{}", listener.local_addr()?);
            } else if config.public_url == "http://localhost" {
                config.public_url = format!("http://localhost:{port}");
            }
        }
        let state = AppState::new(config, store, blobs, server_key).await?;
        let setup_token = issue_setup_token(&state).await?;
        Ok(Self {
            listener,
            state,
            setup_token,
        })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.listen)
    }

    /// The state (for tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The one-time platform set-up link, if the platform has no admin yet. The token is
    /// in the fragment, which browsers never send to a server.
    pub fn setup_link(&self) -> Option<String> {
        self.setup_token
            .as_ref()
            .map(|token| format!("{}/#/setup/{token}", self.state.config.public_url))
    }

    /// Serves until `shutdown` resolves, running maintenance in the background.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // A relay that would sign checkpoints under another log key or origin than the
        // platform's does not serve (opening its data for a maintenance pass is fine).
        self.state
            .log
            .check_identity(&self.state.store)
            .await
            .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        // The background tasks end with the server, however it ends: also when this
        // future is dropped (a test stopping a replica as a crash would).
        let mut background = Background(vec![tokio::spawn(crate::maintenance::run(
            self.state.clone(),
        ))]);
        let log = self.state.log.clone();
        let store = self.state.store.clone();
        let maintainer = self.state.maintainer.clone();
        background.0.push(tokio::spawn(
            async move { log.run(store, &maintainer).await },
        ));
        // Other replicas' live events, at once (PostgreSQL only: see `replicas`).
        if self.state.store.backend() == crate::store::Backend::Postgres {
            background.0.push(tokio::spawn(crate::replicas::listen(
                self.state.config.database_url.clone(),
                self.state.events.clone(),
            )));
        }
        // The changes under way end with the server too, if this future is dropped; a
        // graceful stop waits for them first.
        let _changes = self.state.changes.end_when_dropped();
        let router = crate::routes::router(self.state.clone());
        // Not `axum::serve`, which gives hyper no timer (see `pli_witness::server`);
        // request bodies are paced by `pace::pace_bodies`.
        // No cap by address or in all here: behind a reverse proxy every connection comes
        // from it; the relay bounds what an account holds instead (`limits.uploads_*`,
        // `limits.events_per_account`).
        let limits = pli_witness::server::Limits {
            header_read: Duration::from_secs(self.state.config.limits.header_read_seconds.max(1)),
            per_peer: None,
            total: None,
            keep_alive: true,
        };
        let served = pli_witness::server::serve(self.listener, router, limits, shutdown).await;
        self.state.changes.finish(crate::changes::PATIENCE).await;
        drop(background);
        served
    }
}

/// The relay's background tasks, aborted when dropped.
struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The S3-compatible blob store of the `[s3]` configuration section.
#[cfg(feature = "s3")]
fn s3_blobs(section: &toml::Table) -> anyhow::Result<Arc<dyn BlobStore>> {
    let config: crate::blob::objects::S3Config = section
        .clone()
        .try_into()
        .context("invalid [s3] configuration")?;
    Ok(Arc::new(
        crate::blob::objects::ObjectStoreBlobs::s3(&config).map_err(|e| anyhow::anyhow!("{e}"))?,
    ))
}

/// Without the `s3` feature, an `[s3]` section is an error, not silently ignored.
#[cfg(not(feature = "s3"))]
fn s3_blobs(_section: &toml::Table) -> anyhow::Result<Arc<dyn BlobStore>> {
    anyhow::bail!(
        "the configuration has an [s3] section but this pli-server was built without the s3 feature"
    )
}

/// A new set-up token while no platform admin exists, beside those issued before: each
/// replica starting before the set-up (and each restart) prints a link of its own, and
/// none withdraws another's — a replica started after the operator copied the first link
/// must not break it. The first link used withdraws them all (`routes::invitations::setup`);
/// each expires after 7 days.
async fn issue_setup_token(state: &AppState) -> anyhow::Result<Option<String>> {
    if state.store.has_platform_admin().await? {
        return Ok(None);
    }
    let (token, token_hash) = secrets::new_token().map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    tx.insert_invitation(&Invitation {
        token_hash,
        kind: InvitationKind::Setup,
        org_id: None,
        user_id: secrets::new_id().map_err(|e| anyhow::anyhow!("{e}"))?,
        email: String::new(),
        display_name: String::new(),
        role: Role::PlatformAdmin,
        created_by: None,
        created_at: now,
        expires_at: now + 7 * 24 * 3_600_000,
        used_at: None,
        clears_second_factor: false,
        issued_entry: None,
        service: false,
    })
    .await?;
    tx.commit().await?;
    Ok(Some(token))
}
