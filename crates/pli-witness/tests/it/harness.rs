//! A log kept in memory (its hashes stored as `tlog_tiles` stores them, its checkpoints
//! signed with a throwaway key), witnesses started on port 0, and a log's HTTP calls.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use pli_crypto::statement::LogPolicy;
use pli_log::note::{ED25519, NoteKey, add_signature_lines};
use pli_log::witness::AddCheckpoint;
use pli_log::{VerifiedCheckpoint, verify_checkpoint};
use pli_witness::{KnownLog, Running, Witness, WitnessConfig};
use tlog_tiles::{Hash, HashReader, prove_tree, stored_hashes, tree_hash};

pub const ORIGIN: &str = "pli.example.fr/annuaire";
pub const WITNESS: &str = "temoin.example.fr";

/// A log: its key and every hash `tlog_tiles` stores for its entries.
pub struct Log {
    pub key: NoteKey,
    stored: Vec<Hash>,
    size: u64,
}

impl HashReader for Log {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        Ok(indexes
            .iter()
            .map(|&i| self.stored[usize::try_from(i).unwrap()])
            .collect())
    }
}

impl Log {
    /// The log [`ORIGIN`], signed with the key of `seed`.
    pub fn new(seed: u8) -> Self {
        Self::named(ORIGIN, seed)
    }

    pub fn named(origin: &str, seed: u8) -> Self {
        Self {
            key: NoteKey::new(origin, &[seed; 32]).unwrap(),
            stored: Vec::new(),
            size: 0,
        }
    }

    /// Appends entries `tag‖0`, `tag‖1`…, `n` of them.
    pub fn append(&mut self, tag: u8, n: u64) -> &mut Self {
        for i in 0..n {
            let data = [&[tag][..], &i.to_be_bytes()].concat();
            let new = stored_hashes(self.size, &data, &*self).unwrap();
            self.stored.extend(new);
            self.size += 1;
        }
        self
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn vkey(&self) -> String {
        self.key.verifier_key(ED25519).unwrap()
    }

    pub fn known(&self) -> KnownLog {
        KnownLog::from_vkey(&self.vkey()).unwrap()
    }

    /// The signed checkpoint of the log as it is.
    pub fn checkpoint(&self) -> Vec<u8> {
        let root = tree_hash(self.size, self).unwrap();
        self.key.sign_checkpoint(self.size, root.0).unwrap()
    }

    /// An `add-checkpoint` request from `old` to the log as it is.
    pub fn request(&self, old: u64) -> AddCheckpoint {
        let proof = if old == 0 || old == self.size {
            vec![]
        } else {
            prove_tree(self.size, old, self).unwrap()
        };
        AddCheckpoint {
            old_size: old,
            proof: proof.into_iter().map(|h| h.0).collect(),
            note: self.checkpoint(),
        }
    }

    /// The policy of a log cosigned by `witness` alone.
    pub fn policy(&self, witness: &Witness) -> LogPolicy {
        LogPolicy {
            origin: self.key.name().to_owned(),
            log_key: self.key.verifying_key().unwrap(),
            witnesses: vec![witness.witness_key().unwrap()],
            quorum: 1,
            max_age_s: 600,
            issued_at: 1,
        }
    }
}

/// The configuration of the witness [`WITNESS`] keeping its state in `dir`.
pub fn config(dir: &Path, logs: Vec<KnownLog>) -> WitnessConfig {
    WitnessConfig {
        name: WITNESS.into(),
        seed: [42; 32].into(),
        state_dir: dir.to_path_buf(),
        logs,
    }
}

/// A witness served on 127.0.0.1:0.
pub struct Served {
    pub witness: Witness,
    pub running: Running,
    http: reqwest::Client,
}

/// An answer: status, `Content-Type`, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Served {
    pub async fn start(config: WitnessConfig) -> Self {
        let witness = Witness::open(config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = pli_witness::spawn(listener, witness.clone()).unwrap();
        Self {
            witness,
            running,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the server and lets go of the state folder.
    pub async fn stop(self) {
        drop(self.witness);
        self.running.stop().await.unwrap();
    }

    pub async fn post(&self, body: Vec<u8>) -> Answer {
        let response = self
            .http
            .post(format!("{}/add-checkpoint", self.running.url()))
            .body(body)
            .send()
            .await
            .unwrap();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Answer {
            status: response.status().as_u16(),
            content_type,
            body: response.text().await.unwrap(),
        }
    }

    pub async fn add(&self, request: &AddCheckpoint) -> Answer {
        self.post(request.to_body()).await
    }

    /// Sends `request`, insists on 200, and verifies the cosignature as a client does.
    pub async fn cosign(&self, log: &Log, request: &AddCheckpoint) -> VerifiedCheckpoint {
        let answer = self.add(request).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        verified(log, &self.witness, &request.note, &answer.body)
    }
}

/// The checkpoint `note` with the witness's answer added, verified against the policy
/// naming the witness.
pub fn verified(log: &Log, witness: &Witness, note: &[u8], lines: &str) -> VerifiedCheckpoint {
    assert!(
        lines.starts_with("— ") && lines.ends_with('\n'),
        "signature lines: {lines:?}"
    );
    let cosigned = add_signature_lines(note, lines.as_bytes()).unwrap();
    verify_checkpoint(&log.policy(witness), &cosigned, now()).unwrap()
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
