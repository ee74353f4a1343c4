//! A witness of Pli's key directory, as C2SP `tlog-witness` describes one: an HTTP
//! service with a name and an Ed25519 key that cosigns (C2SP `cosignature/v1`) a log's
//! checkpoint only if the log's key signed it and it extends, by a consistency proof,
//! the last checkpoint this witness cosigned for that log.
//!
//! The rule itself is `pli_log::witness::check`, pure; this crate adds what makes it a
//! program: the known logs and their keys ([`WitnessConfig`]), the state of each log on
//! disk ([`state`]: written, synced and renamed into place before any cosignature
//! leaves), the `add-checkpoint` endpoint ([`http`]), and the key file ([`key`]).
//! `pli witness serve` runs it; the relay's tests start it on port 0 with [`spawn`].
//!
//! Requests for one log are serialised (a `tokio` mutex per log), so checking the old
//! size and recording the new checkpoint are one step, as the spec requires.

use std::collections::HashMap;
use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use pli_crypto::statement::WitnessKey;
use pli_log::note::{COSIGNATURE_V1, ED25519, NoteKey, parse_checkpoint, parse_verifier_key};
use pli_log::witness::{AddCheckpoint, LogState, Refusal, check};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, oneshot};
use zeroize::Zeroizing;

pub mod http;
pub mod key;
pub mod server;
pub mod state;

/// What a witness is: its name and key, where it keeps its state, the logs it witnesses.
#[derive(Clone)]
pub struct WitnessConfig {
    /// The witness's name, a signed-note key name (its cosignatures' lines carry it).
    pub name: String,
    /// The 32-byte Ed25519 seed of its key ([`key::read_key_file`]).
    pub seed: Zeroizing<[u8; 32]>,
    /// Where each log's state is kept, one file per log; created if missing. One
    /// witness at a time uses it (a lock file).
    pub state_dir: PathBuf,
    /// The logs it cosigns for.
    pub logs: Vec<KnownLog>,
}

impl std::fmt::Debug for WitnessConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessConfig")
            .field("name", &self.name)
            .field("state_dir", &self.state_dir)
            .field("logs", &self.logs)
            .finish_non_exhaustive()
    }
}

/// A log a witness cosigns for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLog {
    /// Its origin, the checkpoints' first line.
    pub origin: String,
    /// Its signed-note Ed25519 verifier key (`name+id+base64`), named as the origin.
    pub log_vkey: String,
}

impl KnownLog {
    /// The log a verifier key names: by the C2SP convention, a log's key is named as its
    /// origin.
    pub fn from_vkey(vkey: &str) -> anyhow::Result<Self> {
        let (origin, _) = parse_verifier_key(vkey, ED25519).context("invalid log key")?;
        Ok(Self {
            origin,
            log_vkey: vkey.to_owned(),
        })
    }
}

/// A witness, ready to answer. Cheap to clone: clones share the state.
#[derive(Debug, Clone)]
pub struct Witness {
    inner: Arc<Inner>,
}

struct Inner {
    key: NoteKey,
    vkey: String,
    logs: HashMap<String, Log>,
    state_dir: PathBuf,
    /// Held for the witness's life: a second witness on the same folder could cosign
    /// two forks.
    _lock: File,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("vkey", &self.vkey)
            .field("logs", &self.logs.keys())
            .field("state_dir", &self.state_dir)
            .finish_non_exhaustive()
    }
}

/// One log: what the witness last cosigned, behind the lock that serialises its
/// requests, and the file that records it.
struct Log {
    state: Arc<Mutex<LogState>>,
    path: PathBuf,
}

/// Why a checkpoint got no cosignature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The rule refused it (the HTTP status is [`Refusal::status`]).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The new state could not be recorded, or the cosignature made (the detail is for
    /// the witness's log, not for the client): nothing was cosigned and the state in
    /// memory did not change.
    #[error("no cosignature: {0}")]
    Internal(String),
}

impl Witness {
    /// Opens a witness: its key, the lock on its state folder, and each log's last
    /// cosigned checkpoint (size 0 for a log never seen). A state file that cannot be
    /// read is an error, never a fresh start: that would let the log roll back.
    pub fn open(config: WitnessConfig) -> anyhow::Result<Self> {
        let key = NoteKey::new(&config.name, &config.seed)
            .with_context(|| format!("invalid witness name {:?}", config.name))?;
        let vkey = key
            .verifier_key(COSIGNATURE_V1)
            .context("cannot encode the witness key")?;
        let dir = config.state_dir;
        fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the state folder {}", dir.display()))?;
        let lock = state::lock(&dir)?;
        let mut logs = HashMap::new();
        for known in config.logs {
            let (name, log_key) = parse_verifier_key(&known.log_vkey, ED25519)
                .with_context(|| format!("invalid key for the log {:?}", known.origin))?;
            if name != known.origin {
                bail!(
                    "the key of the log {:?} is named {name:?}: a log's key is named as its origin",
                    known.origin
                );
            }
            let path = state::path(&dir, &known.origin);
            let (size, hash) = state::load(&path, &known.origin)?;
            let state = LogState {
                origin: known.origin.clone(),
                log_key: log_key.to_bytes(),
                size,
                hash,
            };
            let log = Log {
                state: Arc::new(Mutex::new(state)),
                path,
            };
            if logs.insert(known.origin.clone(), log).is_some() {
                bail!("the log {:?} is listed twice", known.origin);
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                key,
                vkey,
                logs,
                state_dir: dir,
                _lock: lock,
            }),
        })
    }

    /// The witness's `cosignature/v1` verifier key (`name+id+base64`), as logs and
    /// policies name it.
    pub fn verifier_key(&self) -> &str {
        &self.inner.vkey
    }

    /// The witness as a log policy names it.
    pub fn witness_key(&self) -> anyhow::Result<WitnessKey> {
        Ok(WitnessKey {
            name: self.inner.key.name().to_owned(),
            key: self
                .inner
                .key
                .verifying_key()
                .context("cannot read the witness key")?,
        })
    }

    /// The state folder.
    pub fn state_dir(&self) -> &Path {
        &self.inner.state_dir
    }

    /// The size of the last checkpoint cosigned for `origin`, if the log is known.
    pub async fn size(&self, origin: &str) -> Option<u64> {
        let log = self.inner.logs.get(origin)?;
        Some(log.state.lock().await.size)
    }

    /// The `add-checkpoint` routes (C2SP `tlog-witness`), at the root.
    pub fn router(&self) -> axum::Router {
        http::router(self.clone(), http::REQUEST_DEADLINE)
    }

    /// Handles one `add-checkpoint` request: the cosignature line (`— name base64\n`)
    /// of the checkpoint, the new state recorded durably before it is returned.
    ///
    /// Once the log's lock is taken, the check, the cosignature and the write run to
    /// completion on a blocking thread even if the caller goes away (a client that hangs
    /// up), so the state in memory is always the one on disk.
    pub async fn add_checkpoint(&self, request: AddCheckpoint) -> Result<Vec<u8>, WitnessError> {
        let (_, checkpoint) = parse_checkpoint(&request.note)
            .map_err(|_| Refusal::Malformed("not a checkpoint note"))?;
        let log = self
            .inner
            .logs
            .get(checkpoint.origin())
            .ok_or(Refusal::UnknownLog)?;
        let mut state = Arc::clone(&log.state).lock_owned().await;
        let inner = Arc::clone(&self.inner);
        let path = log.path.clone();
        let task = tokio::task::spawn_blocking(move || {
            let (next, text) = check(&state, &request).inspect_err(|refusal| {
                note_refusal(&state, &request, refusal);
            })?;
            if next.size < state.size {
                // `check` already forbids it; a witness never goes back, whatever the rule.
                return Err(Refusal::Conflict { size: state.size }.into());
            }
            let line = inner
                .key
                .cosign(&text, state::now()?)
                .map_err(|e| WitnessError::Internal(e.to_string()))?;
            if next != *state {
                state::store(&inner.state_dir, &path, &next)
                    .map_err(|e| WitnessError::Internal(format!("{}: {e}", path.display())))?;
                tracing::info!(
                    origin = %next.origin,
                    old = request.old_size,
                    size = next.size,
                    "cosigned"
                );
                *state = next;
            }
            Ok(line)
        });
        task.await
            .map_err(|e| WitnessError::Internal(format!("the cosigning task failed: {e}")))?
    }
}

/// Logs a refusal; one that may show the log misbehaving (signed by its key, but not an
/// extension of what was cosigned) with the signed checkpoint, as evidence.
fn note_refusal(state: &LogState, request: &AddCheckpoint, refusal: &Refusal) {
    match refusal {
        Refusal::Inconsistent => tracing::warn!(
            origin = %state.origin,
            old = request.old_size,
            size = state.size,
            checkpoint = %String::from_utf8_lossy(&request.note).escape_debug(),
            "a checkpoint signed by the log does not extend the last one cosigned"
        ),
        Refusal::Conflict { size } => tracing::info!(
            origin = %state.origin,
            old = request.old_size,
            size,
            "stale old size"
        ),
        other => tracing::info!(origin = %state.origin, %other, "refused"),
    }
}

/// What the witness allows each client by default: 30 s to send a request head; one
/// request per connection (its clients are a few relays, each sending a checkpoint now and
/// then: no connection holds a slot beyond one request's limits); 16 connections at once
/// from one address, 256 in all (`pli witness serve --max-connections-per-address`,
/// `--max-connections`). The caps count TCP peers: behind a reverse proxy every
/// connection is the proxy's, and the proxy must bound its clients itself.
pub const LIMITS: server::Limits = server::Limits {
    header_read: std::time::Duration::from_secs(30),
    per_peer: Some(16),
    total: Some(256),
    keep_alive: false,
};

/// Serves `witness` on `listener` until `shutdown` resolves; in-flight requests end first.
pub async fn serve_until(
    listener: TcpListener,
    witness: Witness,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, witness, LIMITS, shutdown).await
}

/// [`serve_until`] with other limits than [`LIMITS`].
pub async fn serve_with(
    listener: TcpListener,
    witness: Witness,
    limits: server::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, witness.router(), limits, shutdown).await
}

/// Serves `witness` on `listener` for ever (or until the listener fails).
pub async fn serve(listener: TcpListener, witness: Witness) -> std::io::Result<()> {
    serve_until(listener, witness, std::future::pending()).await
}

/// Serves `witness` on `listener` in a task of the current runtime, until
/// [`Running::stop`].
pub fn spawn(listener: TcpListener, witness: Witness) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_until(listener, witness, async move {
        // A dropped sender stops the server too.
        let _ = stopped.await;
    }));
    Ok(Running { addr, stop, task })
}

/// A witness served by [`spawn`].
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its submission prefix, `http://ADDR` (POST `{url}/add-checkpoint`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it and waits until it has answered its last request and let go of its
    /// state, so that the same state folder can be opened again.
    pub async fn stop(self) -> std::io::Result<()> {
        // The server may already have stopped on its own (its listener failed).
        let _ = self.stop.send(());
        self.task.await.map_err(std::io::Error::other)?
    }
}
