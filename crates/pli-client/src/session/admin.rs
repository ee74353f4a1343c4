//! What the administration and mailbox pages read and change, each call through its
//! typed endpoint; and the directory, fetched once and verified entry by entry.

use pli_api::endpoints as ep;
use pli_api::messages::{
    AuditEntry, AuditQuery, ChainVerification, DirectoryKey, DirectoryOrg, ExchangeDetail,
    ExchangePage, ExchangeQuery, OrgSummary, Retention, TotpCode, TotpSetupResponse,
};
use pli_api::{ExchangeId, OrgId, UserId};

use super::Session;
use crate::ClientError;
use crate::protocol::{self, VerifiedGeneration};

/// One organisation of the directory, with its current key verified to the root, or why
/// it does not verify (no key, a certificate that does not check out, a rollback).
#[derive(Debug)]
pub struct DirectoryEntry {
    /// The directory's entry as the relay served it.
    pub org: DirectoryOrg,
    /// Its verified key, or why it cannot be used.
    pub key: Result<protocol::VerifiedOrgKey, ClientError>,
}

impl Session {
    /// Every organisation (platform admin).
    pub async fn list_orgs(&self) -> Result<Vec<OrgSummary>, ClientError> {
        self.client.fetch(&ep::ListOrgs {}).await
    }

    /// Sets how long an organisation's exchanges are kept.
    pub async fn set_retention(&self, org: &OrgId, retention_days: u64) -> Result<(), ClientError> {
        self.client
            .submit(
                &ep::SetRetention { org: *org },
                &Retention { retention_days },
            )
            .await
    }

    /// Withdraws an invitation not used yet.
    pub async fn withdraw_invitation(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        self.client
            .act(&ep::WithdrawInvitation {
                org: *org,
                user: *user,
            })
            .await
    }

    /// Suspends a key generation: new uploads to it are refused.
    pub async fn suspend_key(&self, org: &OrgId, generation: u32) -> Result<(), ClientError> {
        self.client
            .act(&ep::SuspendKey {
                org: *org,
                generation,
            })
            .await
    }

    /// An organisation's key generations (for its members).
    pub async fn org_keys(&self, org: &OrgId) -> Result<Vec<DirectoryKey>, ClientError> {
        self.client.fetch(&ep::OrgKeys { org: *org }).await
    }

    /// A page of an organisation's audit log.
    pub async fn org_audit(
        &self,
        org: &OrgId,
        query: AuditQuery,
    ) -> Result<Vec<AuditEntry>, ClientError> {
        self.client.fetch(&ep::OrgAudit { org: *org, query }).await
    }

    /// A page of the platform's audit log.
    pub async fn platform_audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>, ClientError> {
        self.client.fetch(&ep::PlatformAudit { query }).await
    }

    /// The relay's check of an organisation's audit chain.
    pub async fn verify_audit(&self, org: &OrgId) -> Result<ChainVerification, ClientError> {
        self.client.fetch(&ep::VerifyAudit { org: *org }).await
    }

    /// An exchange as the relay describes it (nothing verified: see [`Session::open`]).
    pub async fn exchange(&self, id: &ExchangeId) -> Result<ExchangeDetail, ClientError> {
        self.client.fetch(&ep::Exchange { id: *id }).await
    }

    /// The directory as the relay serves it (nothing verified: see
    /// [`Session::verified_directory`]).
    pub async fn directory(&self) -> Result<Vec<DirectoryOrg>, ClientError> {
        self.client.fetch(&ep::Directory {}).await
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

    /// A page of my organisation's inbox.
    pub async fn inbox_page(&self, query: ExchangeQuery) -> Result<ExchangePage, ClientError> {
        self.client.fetch(&ep::Inbox { query }).await
    }

    /// A page of my organisation's outbox.
    pub async fn outbox_page(&self, query: ExchangeQuery) -> Result<ExchangePage, ClientError> {
        self.client.fetch(&ep::Outbox { query }).await
    }

    /// Starts TOTP enrolment: the secret to give an authenticator.
    pub async fn totp_setup(&self) -> Result<TotpSetupResponse, ClientError> {
        self.client.fetch(&ep::TotpSetup {}).await
    }

    /// Turns TOTP on with a first code (then [`Session::refresh_keys`] re-reads the
    /// account).
    pub async fn totp_confirm(&self, code: &str) -> Result<(), ClientError> {
        self.client
            .submit(
                &ep::TotpConfirm {},
                &TotpCode {
                    code: code.to_owned(),
                },
            )
            .await
    }

    /// The directory, fetched once, every organisation's current key verified to the
    /// root and not older than any generation this session saw (as
    /// [`Session::recipient_key`] does for one).
    pub async fn verified_directory(&self) -> Result<Vec<DirectoryEntry>, ClientError> {
        let orgs = self.directory().await?;
        Ok(orgs
            .into_iter()
            .map(|org| {
                let key = self.verify_directory_entry(&org);
                DirectoryEntry { org, key }
            })
            .collect())
    }
}
