//! The key directory's transparency log, as the relay runs it: every directory change is
//! appended in its own transaction (`store::log`); this module signs checkpoints with the
//! relay's log key, asks the witnesses to cosign them (C2SP `tlog-witness`), and keeps
//! the latest cosigned checkpoint for clients. A witness that is down or refuses leaves
//! the checkpoint with fewer cosignatures: clients then refuse it, which is a denial of
//! service, never a silent acceptance.

use std::time::Duration;

use anyhow::Context as _;
use pli_crypto::sign::VerifyingKey;
use pli_crypto::statement::{LogPolicy, WitnessKey};
use pli_log::note::{
    COSIGNATURE_V1, NoteKey, add_signature_lines, parse_checkpoint, parse_verifier_key,
};
use pli_log::witness::AddCheckpoint;
use tokio::sync::{Mutex, Notify};

use crate::auth::secrets::ServerKey;
use crate::config::LogConfig;
use crate::store::Store;

/// One witness: its key and where to reach it.
#[derive(Debug, Clone)]
struct Witness {
    name: String,
    key: VerifyingKey,
    url: String,
}

/// The relay's side of the log.
#[derive(Debug)]
pub struct LogService {
    key: NoteKey,
    /// The witnesses proposed (`PLI_WITNESSES`).
    witnesses: Vec<Witness>,
    /// Witnesses asked but no longer proposed (`PLI_WITNESSES_RETIRING`).
    retiring: Vec<Witness>,
    quorum: u8,
    max_age_s: u32,
    refresh: Duration,
    http: reqwest::Client,
    wake: Notify,
    publishing: Mutex<()>,
    /// Checkpoints this relay published (signed and asked the witnesses to cosign).
    published: std::sync::atomic::AtomicU64,
}

/// The relay's log key: derived from the server key, so it needs no file of its own.
pub fn log_key(server_key: &ServerKey, origin: &str) -> anyhow::Result<NoteKey> {
    NoteKey::new(origin, &server_key.derive(b"pli/v1/log-key")).map_err(|e| anyhow::anyhow!("{e}"))
}

impl LogService {
    /// The service for `config`, signing with a key derived from `server_key`.
    pub fn new(config: &LogConfig, server_key: &ServerKey) -> anyhow::Result<Self> {
        let key = log_key(server_key, &config.origin)?;
        let parse = |list: &[crate::config::WitnessEndpoint]| {
            list.iter()
                .map(|w| {
                    let (name, key) = parse_verifier_key(&w.vkey, COSIGNATURE_V1)?;
                    Ok(Witness {
                        name,
                        key,
                        url: w.url.clone(),
                    })
                })
                .collect::<Result<Vec<_>, pli_log::Error>>()
                .map_err(|e| anyhow::anyhow!("{e}"))
        };
        let witnesses = parse(&config.witnesses)?;
        let mut retiring = parse(&config.retiring)?;
        retiring.retain(|r| !witnesses.iter().any(|w| w.name == r.name));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("cannot build the witnesses' HTTP client")?;
        Ok(Self {
            key,
            witnesses,
            retiring,
            quorum: config.quorum,
            max_age_s: config.max_age_s,
            refresh: Duration::from_secs(config.refresh_seconds.max(1)),
            http,
            wake: Notify::new(),
            publishing: Mutex::new(()),
            published: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// What the platform authority signs as the log's policy.
    pub fn proposal(&self, issued_at: u64) -> anyhow::Result<LogPolicy> {
        Ok(LogPolicy {
            origin: self.key.name().to_owned(),
            log_key: self
                .key
                .verifying_key()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            witnesses: self
                .witnesses
                .iter()
                .map(|w| WitnessKey {
                    name: w.name.clone(),
                    key: w.key,
                })
                .collect(),
            quorum: self.quorum,
            max_age_s: self.max_age_s,
            issued_at,
        })
    }

    /// Asks the background task for a new checkpoint soon (a caller that does not wait
    /// for it; the relay's handlers publish themselves, see `routes::common::logged`).
    pub fn changed(&self) {
        self.wake.notify_one();
    }

    /// Signs a checkpoint of the log as it is, has it cosigned, and stores it.
    ///
    /// Every witness configured is asked, the retiring ones too: while the witnesses
    /// change, the checkpoints before the new policy's entry must satisfy the policy in
    /// force (the former witnesses), and the one holding it and those after it the new
    /// policy (clients judge each checkpoint by the log's latest policy it covers), so
    /// asking both sets lets either be met whichever the log is at.
    pub async fn publish(&self, store: &Store) -> anyhow::Result<u64> {
        let _one_at_a_time = self.publishing.lock().await;
        let head = store.log_head().await?;
        let mut note = self
            .key
            .sign_checkpoint(head.size, head.frontier.root().0)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for witness in self.witnesses.iter().chain(&self.retiring) {
            match self.cosign(store, witness, head.size, &note).await {
                Ok(lines) => {
                    note =
                        add_signature_lines(&note, &lines).map_err(|e| anyhow::anyhow!("{e}"))?;
                }
                Err(error) => {
                    tracing::warn!(witness = %witness.name, error = %format!("{error:#}"), "a witness did not cosign");
                }
            }
        }
        store.set_log_checkpoint(head.size, &note).await?;
        self.published
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(head.size)
    }

    /// How many checkpoints this relay published since it started.
    pub fn published(&self) -> u64 {
        self.published.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One witness's cosignature line for `note` (of `size` entries), checked.
    async fn cosign(
        &self,
        store: &Store,
        witness: &Witness,
        size: u64,
        note: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        let mut old = store.log_witness_size(&witness.name).await?;
        for _ in 0..2 {
            if old > size {
                anyhow::bail!("the witness is at size {old}, beyond this log's {size}");
            }
            let request = AddCheckpoint {
                old_size: old,
                proof: store.log_consistency_proof(size, old).await?,
                note: note.to_vec(),
            };
            let response = self
                .http
                .post(format!("{}/add-checkpoint", witness.url))
                .body(request.to_body())
                .send()
                .await?;
            let status = response.status();
            let body = response.bytes().await?;
            if status == reqwest::StatusCode::CONFLICT {
                old = std::str::from_utf8(&body)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .context("a 409 without the witness's size")?;
                store.set_log_witness_size(&witness.name, old).await?;
                continue;
            }
            if !status.is_success() {
                anyhow::bail!(
                    "the witness answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            self.check_cosignature(witness, note, &body)?;
            store.set_log_witness_size(&witness.name, size).await?;
            return Ok(body.to_vec());
        }
        anyhow::bail!("the witness keeps answering 409")
    }

    /// Checks a witness's answer is its valid cosignature of `note` (so one broken
    /// witness cannot spoil the note for the others).
    fn check_cosignature(
        &self,
        witness: &Witness,
        note: &[u8],
        lines: &[u8],
    ) -> anyhow::Result<()> {
        let alone = LogPolicy {
            witnesses: vec![WitnessKey {
                name: witness.name.clone(),
                key: witness.key,
            }],
            quorum: 1,
            max_age_s: u32::MAX,
            ..self.proposal(0)?
        };
        let cosigned = add_signature_lines(note, lines).map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = crate::now_ms() / 1000;
        pli_log::verify_checkpoint(&alone, &cosigned, now).map_err(|e| anyhow::anyhow!("{e}"))?;
        parse_checkpoint(&cosigned).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }

    /// Fails if the platform signed a log policy naming another origin or log key than
    /// this relay's: a replica started with another `PLI_SERVER_KEY` (the log key derives
    /// from it) or another `PLI_LOG_ORIGIN` would sign checkpoints no client accepts, and
    /// store them for every replica.
    pub async fn check_identity(&self, store: &Store) -> anyhow::Result<()> {
        let Some(logged) = logged_policy(store).await? else {
            return Ok(());
        };
        let ours = self.proposal(logged.issued_at)?;
        if logged.origin != ours.origin {
            anyhow::bail!(
                "the platform's key directory log is {:?}, this relay's PLI_LOG_ORIGIN gives {:?}: \
                 every replica needs the same PLI_LOG_ORIGIN",
                logged.origin,
                ours.origin
            );
        }
        if logged.log_key != ours.log_key {
            anyhow::bail!(
                "this relay's log key is not the one the platform signed: every replica needs \
                 the same PLI_SERVER_KEY (or the same server.key) as the relay the platform \
                 was set up on"
            );
        }
        Ok(())
    }

    /// Whether the policy in force (the log's latest) names other witnesses, another
    /// quorum or another maximum age than this relay's configuration: the platform
    /// authority then has a new policy to sign (on the platform page).
    pub async fn policy_outdated(&self, store: &Store) -> anyhow::Result<bool> {
        let Some(logged) = logged_policy(store).await? else {
            return Ok(false);
        };
        let proposed = self.proposal(logged.issued_at)?;
        Ok(logged.witnesses != proposed.witnesses
            || logged.quorum != proposed.quorum
            || logged.max_age_s != proposed.max_age_s)
    }

    /// Whether the stored checkpoint is overdue, whoever runs the maintenance: none (the
    /// log holding entries), one short of its quorum (or not this relay's), or one whose
    /// quorum's cosignatures are more than two refresh periods old — the maintenance
    /// replica is gone, stuck, or cut off from the witnesses, and clients would refuse the
    /// checkpoint once it is `max_age_s` old.
    async fn overdue(&self, store: &Store) -> bool {
        let now_ms = crate::now_ms();
        let Ok(head) = store.log_head().await else {
            return false;
        };
        // An empty log (before the set-up) has nothing to present yet.
        let Some(note) = head.checkpoint else {
            return head.size > 0;
        };
        let Ok(policy) = self.proposal(now_ms) else {
            return false;
        };
        let now = now_ms / 1000;
        match pli_log::note::verify_checkpoint(&policy, &note, now) {
            Ok(checkpoint) => usize::from(self.quorum)
                .checked_sub(1)
                .and_then(|i| checkpoint.cosigned.get(i))
                .is_some_and(|&(_, time)| now.saturating_sub(time) > 2 * self.refresh.as_secs()),
            Err(_) => true,
        }
    }

    /// Publishes at start and after each change made here, and again every `refresh` so
    /// cosignatures stay fresh — that re-presentation only while `maintainer` says this
    /// replica runs the maintenance (the PostgreSQL advisory lock of
    /// [`crate::replicas::Leadership`]; the one relay on SQLite), so replicas do not all
    /// ask the witnesses the same thing every hour; or, on any replica, when the stored
    /// checkpoint is [overdue](Self::overdue).
    pub async fn run(&self, store: Store, maintainer: &std::sync::atomic::AtomicBool) {
        if self.policy_outdated(&store).await.unwrap_or(false) {
            tracing::warn!(
                "the configured witnesses or quorum differ from the log's policy: the platform authority must sign the new policy (platform page)"
            );
        }
        let mut due = true;
        loop {
            if due && let Err(error) = self.publish(&store).await {
                tracing::warn!(error = %format!("{error:#}"), "cannot publish a checkpoint");
            }
            let woken = tokio::time::timeout(self.refresh, self.wake.notified())
                .await
                .is_ok();
            due = woken
                || maintainer.load(std::sync::atomic::Ordering::Relaxed)
                || self.overdue(&store).await;
        }
    }
}

/// The log policy the platform authority signed last (the log's latest), if any.
async fn logged_policy(store: &Store) -> anyhow::Result<Option<LogPolicy>> {
    let Some(logged) = store.log_policy().await? else {
        return Ok(None);
    };
    pli_crypto::codec::Canonical::from_canonical(&logged.data)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{e}"))
}
