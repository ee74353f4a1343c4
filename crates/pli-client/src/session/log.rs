//! The key directory's transparency log, as this session follows it: the policy signed by
//! the pinned root, a checkpoint the log's key signed and the policy's quorum of
//! witnesses cosigned (recently), the entries since the last checkpoint verified, checked
//! to be exactly the ones the new checkpoint signs, and replayed into a
//! [`pli_log::Directory`]. Every key the session encrypts to must be the one the
//! directory holds as the organisation's latest, unsuspended generation.
//!
//! What was verified is remembered in two places, so that a relay cannot show an older
//! or forked log unnoticed: on this device ([`KnownLog`], which the caller keeps between
//! sessions: sealed in the browser's storage, in the CLI's state), and on the relay, as a
//! [`SeenCheckpoint`] the person signs (so another device of theirs, or this one after
//! its storage was cleared, still finds it). A log shorter than either, or whose entries
//! do not lead to the checkpoint signed, is refused; a relay that drops its copy is
//! caught by any device that remembers the relay had it.

use pli_api::messages::{LogRange, MAX_LOG_ENTRIES};
use pli_crypto::statement::{LogPolicy, SeenCheckpoint};
use pli_log::Directory;
use serde::{Deserialize, Serialize};

use super::*;

/// What a device verified of the directory's log: the directory replayed, and the size
/// of the checkpoint the relay confirmed it holds for the person (signed by them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownLog {
    /// The directory replayed from the log.
    pub directory: Directory,
    /// The size of the person's checkpoint the relay acknowledged holding.
    pub confirmed: u64,
    /// The person's signing key that checkpoint was signed with: after their keys are
    /// reset, the relay cannot serve it any more (it no longer verifies), so it is not
    /// asked for.
    pub confirmed_for: [u8; 32],
}

/// The log as this session verified it, and the checkpoint it last had the relay
/// record, shared by the session's clones.
#[derive(Clone, Default)]
pub(crate) struct SharedLog(Arc<Mutex<(Option<KnownLog>, Option<SeenCheckpoint>)>>);

impl SharedLog {
    /// Starting from what the device knew before.
    pub(crate) fn seeded(known: Option<&KnownLog>) -> Self {
        Self(Arc::new(Mutex::new((known.cloned(), None))))
    }

    fn get(&self) -> Option<KnownLog> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone()
    }

    /// What `read` finds in the log known now, without copying it.
    fn with<T>(&self, read: impl FnOnce(&KnownLog) -> T) -> Option<T> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .as_ref()
            .map(read)
    }

    fn recorded(&self) -> Option<SeenCheckpoint> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .clone()
    }

    fn set(&self, known: KnownLog, recorded: Option<SeenCheckpoint>) {
        let mut shared = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        shared.0 = Some(known);
        if recorded.is_some() {
            shared.1 = recorded;
        }
    }
}

fn inconsistent(why: impl Into<String>) -> ClientError {
    ClientError::LogInconsistent(why.into())
}

fn policy_refused(why: impl Into<String>) -> ClientError {
    ClientError::LogPolicyRefused(why.into())
}

/// The log's policy in force and the one the relay is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChange {
    /// The policy in force: root-signed, the log's latest.
    pub current: LogPolicy,
    /// What the relay proposes (not signed yet; dated now).
    pub proposed: LogPolicy,
}

impl PolicyChange {
    /// Whether the relay's witnesses, quorum or maximum age differ from the policy in
    /// force (a new policy is to be signed).
    pub fn differs(&self) -> bool {
        let (a, b) = (&self.current, &self.proposed);
        a.witnesses != b.witnesses || a.quorum != b.quorum || a.max_age_s != b.max_age_s
    }
}

impl Session {
    /// The checkpoint the relay holds as this person's last verified one: what it served
    /// with the account, if that verifies (signed with their own key, for them, of this
    /// log), or the one this session had it record since, whichever is larger.
    fn recorded_checkpoint(&self, origin: &str) -> Option<SeenCheckpoint> {
        let served = self.me.seen_checkpoint.as_ref().and_then(|wire| {
            let seen = Signed::<SeenCheckpoint>::from_wire(wire)
                .ok()?
                .verify(&self.keys.signing.verifying_key())
                .ok()?;
            (seen.user_id == self.me.user_id && seen.origin == origin).then_some(seen)
        });
        match (served, self.log.recorded()) {
            (Some(a), Some(b)) => Some(if a.size >= b.size { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// Brings the session's view of the directory up to the relay's latest checkpoint,
    /// verifying everything on the way. On any failure the view stays as it was.
    ///
    /// The checkpoint is judged by the policy the relay serves, which must be signed by
    /// the root and, once the entries are replayed, be the log's latest policy: from the
    /// entry that changes the witnesses or the quorum on, checkpoints are judged by the
    /// new policy. A policy signed earlier than the one this device verified is refused
    /// (a relay going back to former witnesses).
    pub async fn sync_log(&self) -> Result<(), ClientError> {
        let state = self.client.fetch(&ep::LogState {}).await?;
        let policy_wire = state
            .policy
            .ok_or_else(|| inconsistent("the relay serves no log policy"))?;
        let policy_signed = Signed::<LogPolicy>::from_wire(&policy_wire)?;
        let policy = self.root_signed(&policy_signed)?;
        let known = self.log.get().filter(|k| k.directory.is_for(&self.trust));
        if let Some(view) = known.as_ref().and_then(|k| k.directory.policy_view())
            && policy.issued_at < view.issued_at
        {
            return Err(policy_refused(
                "the relay serves a log policy older than the one this device verified: it went back to former witnesses",
            ));
        }
        let note = state
            .checkpoint
            .ok_or_else(|| inconsistent("the relay serves no checkpoint"))?;
        let checkpoint = pli_log::verify_checkpoint(&policy, note.as_bytes(), now_ms() / 1000)
            .map_err(|e| inconsistent(e.to_string()))?;

        let me = self.keys.signing.verifying_key().fingerprint().0;
        let confirmed = known
            .as_ref()
            .filter(|k| k.confirmed_for == me)
            .map_or(0, |k| k.confirmed);
        // What this device verified before: its size and root, which the log must still
        // hold. A directory kept from before policy changes is replayed from the start.
        let before = known
            .as_ref()
            .map(|k| (k.directory.size(), k.directory.root_hash()));
        let mut directory = known
            .filter(|k| !k.directory.needs_replay())
            .map_or_else(|| Directory::new(&self.trust), |k| k.directory);
        let recorded = self.recorded_checkpoint(&policy.origin);
        let recorded_size = recorded.as_ref().map_or(0, |r| r.size);
        if recorded_size < confirmed {
            return Err(inconsistent(format!(
                "the relay no longer holds the checkpoint of {confirmed} entries you verified: it may be hiding changes to the directory"
            )));
        }
        let floor = before.map_or(0, |(size, _)| size).max(recorded_size);
        if checkpoint.size < floor {
            return Err(inconsistent(format!(
                "the log has {} entries, but {floor} were verified before: it was rolled back",
                checkpoint.size
            )));
        }
        let verified_before = |directory: &Directory| {
            let forked = |seen: Option<(u64, [u8; 32])>| {
                seen.is_some_and(|(size, root)| {
                    size == directory.size() && root != directory.root_hash()
                })
            };
            if forked(recorded.as_ref().map(|r| (r.size, r.root))) || forked(before) {
                Err(inconsistent(
                    "the log is not the one you verified before (a forked log)",
                ))
            } else {
                Ok(())
            }
        };
        verified_before(&directory)?;
        while directory.size() < checkpoint.size {
            for leaf in self.log_page(directory.size(), checkpoint.size).await? {
                directory.apply_leaf(&leaf.0);
                verified_before(&directory)?;
            }
        }
        if directory.root_hash() != checkpoint.hash {
            return Err(inconsistent(
                "the entries served are not the ones the checkpoint signs (a forked log)",
            ));
        }
        if directory.policy() != Some(policy_signed.sha256()) {
            return Err(policy_refused(
                "the log policy served is not the log's latest (a newer one is in the log, or this one was set aside)",
            ));
        }
        let now_recorded = self
            .record_checkpoint(&policy.origin, &directory, recorded_size)
            .await?;
        let confirmed = now_recorded
            .as_ref()
            .map_or(recorded_size, |r| r.size)
            .max(confirmed);
        self.log.set(
            KnownLog {
                directory,
                confirmed,
                confirmed_for: me,
            },
            now_recorded,
        );
        Ok(())
    }

    /// A log policy the relay serves, checked to be signed by the platform root.
    fn root_signed(&self, signed: &Signed<LogPolicy>) -> Result<LogPolicy, ClientError> {
        signed.verify(&self.trust.0).map_err(|e| {
            policy_refused(format!(
                "the log policy served is not signed by the platform root: {e}"
            ))
        })
    }

    /// The log's policy in force, as the relay serves it, signed by the root and the
    /// latest of the log as this session last verified it.
    async fn verified_policy(&self) -> Result<LogPolicy, ClientError> {
        let known = self
            .log
            .get()
            .ok_or_else(|| inconsistent("the key directory's log was not verified yet"))?;
        let wire = self
            .client
            .fetch(&ep::LogState {})
            .await?
            .policy
            .ok_or_else(|| inconsistent("the relay serves no log policy"))?;
        let signed = Signed::<LogPolicy>::from_wire(&wire)?;
        let policy = self.root_signed(&signed)?;
        if known.directory.policy() != Some(signed.sha256()) {
            return Err(policy_refused(
                "the log policy served is not the log's latest",
            ));
        }
        Ok(policy)
    }

    /// The log's policy in force (verified) and the one the relay is configured with
    /// now (its witnesses and quorum): when they differ, the platform authority signs
    /// the new one ([`Session::sign_log_policy`]).
    pub async fn log_policies(&self) -> Result<PolicyChange, ClientError> {
        self.sync_log().await?;
        let current = self.verified_policy().await?;
        let proposal = self.client.fetch(&ep::LogProposal {}).await?;
        let proposed = protocol::log_policy(&proposal, now_ms())?;
        Ok(PolicyChange { current, proposed })
    }

    /// Signs with the root the policy the relay is now configured with, and has the
    /// relay append it to the log: same origin and log key, signed later, a quorum of 1
    /// to its number of witnesses (refused otherwise, before anything is signed). The
    /// log is then verified again, under the new policy. Returns the policy signed.
    pub async fn sign_log_policy(&self) -> Result<LogPolicy, ClientError> {
        let root = self.root()?;
        let change = self.log_policies().await?;
        if !change.differs() {
            return Err(ClientError::LogPolicyInvalid(
                "the relay proposes the policy already in force".into(),
            ));
        }
        let PolicyChange { current, proposed } = change;
        let next = LogPolicy {
            issued_at: now_ms().max(current.issued_at.saturating_add(1)),
            ..proposed
        };
        next.check_succession(&current)
            .map_err(|why| ClientError::LogPolicyInvalid(why.into()))?;
        self.client
            .submit(&ep::SignLogPolicy {}, &Signed::sign(&next, root)?.to_wire())
            .await?;
        self.sync_log().await?;
        Ok(next)
    }

    /// The log's entries from `start` on, one page (at most [`MAX_LOG_ENTRIES`], none past
    /// `size`); an empty page where entries should be is the relay's failure.
    pub(super) async fn log_page(
        &self,
        start: u64,
        size: u64,
    ) -> Result<Vec<pli_api::Base64>, ClientError> {
        let end = size.min(start.saturating_add(MAX_LOG_ENTRIES));
        let mut page = self
            .client
            .fetch(&ep::LogEntries {
                query: LogRange { start, end },
            })
            .await?
            .entries;
        if page.is_empty() && start < end {
            return Err(inconsistent(
                "the relay serves fewer entries than its checkpoint counts",
            ));
        }
        page.truncate(usize::try_from(end - start).unwrap_or(usize::MAX));
        Ok(page)
    }

    /// Has the relay keep, signed by this person, the checkpoint just verified (a
    /// certified person, when it grew); returns it if the relay took it.
    async fn record_checkpoint(
        &self,
        origin: &str,
        directory: &Directory,
        recorded: u64,
    ) -> Result<Option<SeenCheckpoint>, ClientError> {
        if self.me.status != AccountStatus::Active || directory.size() <= recorded {
            return Ok(None);
        }
        let seen = SeenCheckpoint {
            user_id: self.me.user_id,
            origin: origin.to_owned(),
            size: directory.size(),
            root: directory.root_hash(),
            seen_at: now_ms(),
        };
        let signed = Signed::sign(&seen, &self.keys.signing)?;
        match self
            .client
            .submit(&ep::PutSeenCheckpoint {}, &signed.to_wire())
            .await
        {
            Ok(()) => Ok(Some(seen)),
            // Another session of this person recorded a larger one: that is theirs.
            Err(e) if e.status() == Some(409) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What this session verified of the log, to keep for the next session on this
    /// device ([`Client::with_known_log`]).
    pub fn known_log(&self) -> Option<KnownLog> {
        self.log.get()
    }

    /// The certified name of every person and organisation in the directory as last
    /// verified, by id (people as « name (organisation) »): what an audit log shows for
    /// the ids it holds.
    pub fn directory_names(&self) -> Vec<(String, String)> {
        let Some(known) = self.log.get() else {
            return Vec::new();
        };
        let directory = known.directory;
        let mut names: Vec<(String, String)> = directory
            .orgs()
            .map(|(id, org)| (id.to_string(), org.name.clone()))
            .collect();
        for person in directory.people() {
            if person.display_name.is_empty() {
                continue;
            }
            let name = match directory.org(&person.org_id) {
                Some(org) => format!("{} ({})", person.display_name, org.name),
                None => person.display_name.clone(),
            };
            names.push((person.user_id.to_string(), name));
        }
        names
    }

    /// The directory as last verified (after [`Session::sync_log`]).
    pub fn directory_log(&self) -> Option<Directory> {
        self.log.get().map(|k| k.directory)
    }

    /// Checks a key the relay serves against the log: the organisation's latest
    /// generation, not suspended.
    pub(super) fn check_logged_key(&self, key: &pli_api::SignedObject) -> Result<(), ClientError> {
        let signed = Signed::<OrgKeyCertificate>::from_wire(key)?;
        self.log
            .with(|known| known.directory.check_org_key(&signed, now_ms()))
            .ok_or_else(|| inconsistent("the key directory's log was not verified yet"))?
            .map_err(ClientError::KeyNotLatest)
    }

    /// The indices of the log's entries about `org` that its replay refused (none before
    /// the log is verified).
    pub(super) fn refused_in_log(&self, org: &OrgId) -> Vec<u64> {
        self.log
            .with(|known| {
                known
                    .directory
                    .refused_about(org)
                    .map(|r| r.index)
                    .collect()
            })
            .unwrap_or_default()
    }
}
