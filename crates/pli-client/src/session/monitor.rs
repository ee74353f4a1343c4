//! What `pli monitor` does for an organisation's security officer: after verifying the
//! log as any session does, list every entry about the organisation since a given index,
//! each with its signer, and every entry the directory's rules refused.

use pli_crypto::sign::Fingerprint;
use pli_log::Entry;
use pli_log::monitor::{Report, about};

use super::*;

/// What changed about an organisation in the log since the last run.
#[derive(Debug, Clone, Default)]
pub struct MonitorReport {
    /// Entries about the organisation, in order.
    pub entries: Vec<Report>,
    /// Entries (about any organisation) the directory's rules refused: a relay slipping
    /// in statements that do not hold, `(index, why)`.
    pub refused: Vec<(u64, String)>,
    /// The log's size checked up to (the next run starts there).
    pub size: u64,
}

impl MonitorReport {
    /// The entries about the organisation none of `admins` signed.
    pub fn unexpected<'a>(&'a self, admins: &'a [Fingerprint]) -> impl Iterator<Item = &'a Report> {
        self.entries
            .iter()
            .filter(move |report| !admins.contains(&report.signer))
    }
}

impl Session {
    /// The log's entries about `org` from index `since` on (verified first, as at login),
    /// and the entries refused since then.
    pub async fn monitor(&self, org: &OrgId, since: u64) -> Result<MonitorReport, ClientError> {
        self.sync_log().await?;
        let verified = self
            .directory_log()
            .ok_or_else(|| ClientError::LogInconsistent("the log was not verified".into()))?;
        let size = verified.size();
        let root = self.trust.fingerprint();
        // The whole log is read and replayed again (a monitor runs from cron: thoroughness
        // over bytes), and must lead to the root just verified: entries read a second
        // time cannot differ from those checked against the checkpoint.
        let mut replay = pli_log::Directory::new(&self.trust);
        let mut report = MonitorReport {
            size,
            ..MonitorReport::default()
        };
        while replay.size() < size {
            for leaf in self.log_page(replay.size(), size).await? {
                let index = replay.size();
                replay.apply_leaf(&leaf.0);
                if index >= since
                    && let Ok(entry) = Entry::from_leaf(&leaf.0)
                    && let Some(found) = about(org, index, &entry, &root)
                {
                    report.entries.push(found);
                }
            }
        }
        if replay.root_hash() != verified.root_hash() {
            return Err(ClientError::LogInconsistent(
                "the entries read again are not the ones verified".into(),
            ));
        }
        report.refused = replay
            .refused()
            .iter()
            .filter(|r| r.index >= since)
            .map(|r| (r.index, r.why.clone()))
            .collect();
        Ok(report)
    }
}
