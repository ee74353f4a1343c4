//! The payloads of administration: organisations, members (invite, certify, grant,
//! remove, reset), key generations and audit logs, with the verified key generations the
//! worker answers.

use pli_api::messages::AuditQuery;
use pli_api::{OrgId, OrgKind, Role, UserId};
use serde::{Deserialize, Serialize};

/// No arguments: the log's policy in force and the one the relay is configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogPolicies;

/// The log's policy in force, as verified, and what the relay proposes now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPoliciesView {
    /// The policy in force (root-signed, the log's latest).
    pub current: super::LogPolicyView,
    /// The policy the relay's configuration describes.
    pub proposed: super::LogPolicyView,
    /// Whether the witnesses, quorum or maximum age differ: a new policy is to be signed.
    pub differs: bool,
}

/// No arguments: sign with the root the policy the relay proposes, and have it logged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignLogPolicy;

/// A new organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateOrg {
    /// Court or Département (the platform's own organisation is made at set-up only).
    pub kind: OrgKind,
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
}

/// A new member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invite {
    /// Their organisation.
    pub org: OrgId,
    /// Address.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// A service account (a program's, enrolled with `pli service enrol`), not a person.
    #[serde(default)]
    pub service: bool,
}

/// An organisation whose members to list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MembersOf {
    /// The organisation.
    pub org: OrgId,
}

/// A member to certify.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certify {
    /// Their organisation.
    pub org: OrgId,
    /// The member.
    pub user: UserId,
    /// Whether the page showed them as a service account (« logiciel »): the worker
    /// refuses to sign if the relay now says otherwise.
    pub service: bool,
}

/// A member to grant the organisation keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// Their organisation.
    pub org: OrgId,
    /// The member.
    pub user: UserId,
}

/// A member to remove.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Remove {
    /// Their organisation.
    pub org: OrgId,
    /// The member.
    pub user: UserId,
}

/// A member to issue a new set-up link to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reset {
    /// Their organisation.
    pub org: OrgId,
    /// The member.
    pub user: UserId,
    /// They lost their authenticator app too: accepting the link clears their
    /// two-factor authentication (otherwise it asks a current code of it).
    #[serde(default)]
    pub clear_second_factor: bool,
}

/// No arguments: rotate my organisation's key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rotate;

/// No arguments: « Passer aux clés post-quantiques » for my organisation (its members'
/// new keys certified, then a post-quantum generation once every one has one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveToPostQuantum;

/// A member's certificate to renew (same keys, two more years): an organisation admin
/// renews their members', the platform admin the organisations' admins'.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenewCertificate {
    /// Their organisation.
    pub org: OrgId,
    /// The member.
    pub user: UserId,
}

/// An organisation admin's post-quantum key to certify (the platform admin, with the root).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertifyKeyUpgrade {
    /// Their organisation.
    pub org: OrgId,
    /// The admin.
    pub user: UserId,
}

/// No arguments: every organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListOrgs;

/// An organisation's retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetRetention {
    /// The organisation.
    pub org: OrgId,
    /// Days (1 to 3650).
    pub retention_days: u64,
}

/// Whether an organisation's members must use two-factor authentication.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetSecondFactor {
    /// The organisation.
    pub org: OrgId,
    /// The policy.
    pub second_factor: pli_api::SecondFactor,
}

/// An organisation's SIRET numbers and ProConnect rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetProConnect {
    /// The organisation.
    pub org: OrgId,
    /// The numbers and the rule.
    pub policy: pli_api::messages::ProConnectPolicy,
}

/// An invitation to withdraw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WithdrawInvitation {
    /// The organisation.
    pub org: OrgId,
    /// The invited account.
    pub user: UserId,
}

/// A key generation to suspend.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuspendKey {
    /// The organisation.
    pub org: OrgId,
    /// The generation.
    pub generation: u32,
}

/// An organisation whose key generations to list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyHistory {
    /// The organisation.
    pub org: OrgId,
}

/// One key generation as the worker verified it (`pli_client::protocol::verify_generation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGeneration {
    /// The generation.
    pub generation: u32,
    /// New uploads to it are refused.
    pub suspended: bool,
    /// What verified up to the root; `None` if its certificates do not verify.
    pub verified: Option<VerifiedKey>,
}

/// A key generation's verified facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedKey {
    /// Fingerprint of the organisation key.
    pub fingerprint: String,
    /// The certified name of the admin who issued it.
    pub issuer: String,
    /// When it was issued (ms since the Unix epoch).
    pub issued_at: u64,
    /// Whether it is post-quantum (MLKEM768-X25519) rather than X25519.
    pub post_quantum: bool,
}

/// Whose audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditSource {
    /// An organisation's (its admin): verification and export too.
    Org(OrgId),
    /// The platform's (the platform admin).
    Platform,
}

/// No arguments: the certified names of everyone in the key directory's log, by id
/// (people as « name (organisation) »), for an audit log's ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DirectoryNames;

/// A page of an audit log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Audit {
    /// Whose.
    pub source: AuditSource,
    /// Which entries.
    pub query: AuditQuery,
}

/// An organisation whose audit chain to verify.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyAudit {
    /// The organisation.
    pub org: OrgId,
}
