//! The key directory's transparency log, as this session follows it: the policy signed by
//! the pinned root, a checkpoint the log's key signed and the policy's quorum of
//! witnesses cosigned (recently), the entries since the last checkpoint this session
//! verified, checked to be exactly the ones the new checkpoint signs, and replayed into a
//! [`pli_log::Directory`]. Every key the session encrypts to must be the one the
//! directory holds as the organisation's latest, unsuspended generation.

use pli_api::messages::{LogRange, MAX_LOG_ENTRIES};
use pli_crypto::statement::LogPolicy;
use pli_log::{Directory, Entry};

use super::*;

/// The directory replayed from the log, shared by a session's clones.
#[derive(Clone, Default)]
pub(crate) struct SharedLog(Arc<Mutex<Option<Directory>>>);

impl SharedLog {
    fn get(&self) -> Option<Directory> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, directory: Directory) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(directory);
    }
}

fn inconsistent(why: impl Into<String>) -> ClientError {
    ClientError::LogInconsistent(why.into())
}

impl Session {
    /// Brings the session's view of the directory up to the relay's latest checkpoint,
    /// verifying everything on the way. On any failure the view stays as it was.
    pub async fn sync_log(&self) -> Result<(), ClientError> {
        let state = self.client.fetch(&ep::LogState {}).await?;
        let policy_wire = state
            .policy
            .ok_or_else(|| inconsistent("the relay serves no log policy"))?;
        let policy_signed = Signed::<LogPolicy>::from_wire(&policy_wire)?;
        let policy = policy_signed
            .verify(&self.trust.0)
            .map_err(|e| inconsistent(format!("the log policy is not the root's: {e}")))?;
        let note = state
            .checkpoint
            .ok_or_else(|| inconsistent("the relay serves no checkpoint"))?;
        let checkpoint = pli_log::verify_checkpoint(&policy, note.as_bytes(), now_ms() / 1000)
            .map_err(|e| inconsistent(e.to_string()))?;
        let mut directory = match self.log.get() {
            Some(known) if known.is_for(&self.trust) => known,
            _ => Directory::new(&self.trust),
        };
        if checkpoint.size < directory.size() {
            return Err(inconsistent(format!(
                "the log has {} entries, but {} were verified before: it was rolled back",
                checkpoint.size,
                directory.size()
            )));
        }
        while directory.size() < checkpoint.size {
            let start = directory.size();
            let end = checkpoint.size.min(start.saturating_add(MAX_LOG_ENTRIES));
            let page = self
                .client
                .fetch(&ep::LogEntries {
                    query: LogRange { start, end },
                })
                .await?;
            if page.entries.is_empty() {
                return Err(inconsistent(
                    "the relay serves fewer entries than its checkpoint counts",
                ));
            }
            for leaf in page
                .entries
                .iter()
                .take(usize::try_from(end - start).unwrap_or(usize::MAX))
            {
                let entry = Entry::from_leaf(&leaf.0).map_err(|e| inconsistent(e.to_string()))?;
                directory.apply(&entry);
            }
        }
        if directory.root_hash() != checkpoint.hash {
            return Err(inconsistent(
                "the entries served are not the ones the checkpoint signs (a forked log)",
            ));
        }
        if directory.policy() != Some(policy_signed.sha256()) {
            return Err(inconsistent("the policy served is not the log's latest"));
        }
        self.log.set(directory);
        Ok(())
    }

    /// The directory as last verified (after [`Session::sync_log`]).
    pub fn directory_log(&self) -> Option<Directory> {
        self.log.get()
    }

    /// Checks a key the relay serves against the log: the organisation's latest
    /// generation, not suspended.
    pub(super) fn check_logged_key(&self, key: &pli_api::SignedObject) -> Result<(), ClientError> {
        let directory = self
            .log
            .get()
            .ok_or_else(|| inconsistent("the key directory's log was not verified yet"))?;
        let signed = Signed::<OrgKeyCertificate>::from_wire(key)?;
        directory
            .check_org_key(&signed)
            .map_err(ClientError::KeyNotLatest)
    }
}
