//! The key directory as this session trusts it: every decision about whether a key or a
//! name the relay serves may be used, made here (by `crate::protocol`'s pure rules) and
//! never by the callers: the recipient's current key, the whole directory verified in
//! one fetch, organisations' certified names, an organisation's key history.

use super::*;
use crate::protocol::VerifiedGeneration;

/// One organisation of the directory, with its current key verified to the root, or why
/// it does not verify (no key, a certificate that does not check out, a rollback).
#[derive(Debug)]
pub struct DirectoryEntry {
    /// The directory's entry as the relay served it.
    pub org: DirectoryOrg,
    /// Its verified key, or why it cannot be used.
    pub key: Result<protocol::VerifiedOrgKey, ClientError>,
    /// The indices of the log's entries about it that the log's replay refused: what
    /// nobody entitled signed (a key published by a removed admin, say) and the relay
    /// logged anyway. None is used; each is a warning that its keys are under attack.
    pub refused_in_log: Vec<u64>,
}

impl Session {
    /// The recipient organisation's current key, verified to the root (and not older
    /// than any generation this session saw).
    pub async fn recipient_key(
        &self,
        org: &OrgId,
    ) -> Result<protocol::VerifiedOrgKey, ClientError> {
        self.sync_log().await?;
        let orgs: Vec<DirectoryOrg> = self.client.fetch(&ep::Directory {}).await?;
        let entry = orgs
            .iter()
            .find(|o| o.org_id == *org)
            .ok_or_else(|| ClientError::verification("unknown recipient"))?;
        self.verify_directory_entry(entry)
    }
    /// Verifies a directory entry to the root, refusing a generation older than one this
    /// session saw, and remembers the generation.
    pub(super) fn verify_directory_entry(
        &self,
        entry: &DirectoryOrg,
    ) -> Result<protocol::VerifiedOrgKey, ClientError> {
        let org = entry.org_id;
        let at_least = self.seen_generations.get(&org);
        let verified = protocol::verify_directory_org(&self.trust, entry, at_least)?;
        if let Some(key) = &entry.key {
            self.check_logged_key(&key.certificate)?;
        }
        self.seen_generations.saw(org, verified.key.generation);
        Ok(verified)
    }
    /// The directory, fetched once, every organisation's current key verified to the
    /// root and not older than any generation this session saw (as
    /// [`Session::recipient_key`] does for one).
    pub async fn verified_directory(&self) -> Result<Vec<DirectoryEntry>, ClientError> {
        self.sync_log().await?;
        let orgs = self.directory().await?;
        Ok(orgs
            .into_iter()
            .map(|org| {
                let key = self.verify_directory_entry(&org);
                let refused_in_log = self.refused_in_log(&org.org_id);
                DirectoryEntry {
                    org,
                    key,
                    refused_in_log,
                }
            })
            .collect())
    }
    /// The organisations' names as the pinned root certified them (an entry that does not
    /// verify is left out).
    pub async fn certified_org_names(&self) -> Result<Vec<(OrgId, String)>, ClientError> {
        Ok(protocol::certified_org_names(
            &self.trust,
            &self.directory().await?,
        ))
    }
    /// `org`'s key generations, each with its verification up to the root.
    pub async fn key_history(
        &self,
        org: &OrgId,
    ) -> Result<Vec<(DirectoryKey, Result<VerifiedGeneration, ClientError>)>, ClientError> {
        let keys = self.org_keys(org).await?;
        Ok(keys
            .into_iter()
            .map(|entry| {
                let verified = protocol::verify_generation(&self.trust, org, &entry);
                (entry, verified)
            })
            .collect())
    }
}
