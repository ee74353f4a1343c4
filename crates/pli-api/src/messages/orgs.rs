//! Organisations and their members: creation, invitations, certification, grants, keys, retention.

use serde::{Deserialize, Serialize};

use super::{InvitationInfo, PublicKeys};

use crate::{AccountStatus, Base64, OrgId, OrgKind, Role, SecondFactor, SignedObject, UserId};

/// `POST /api/orgs`: a new organisation, certified in the platform admin's browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// OrgCertificate signed by the root (it carries id, kind, name, code).
    pub certificate: SignedObject,
}

/// An organisation in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    /// Id.
    pub org_id: OrgId,
    /// What the organisation is.
    pub kind: OrgKind,
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
    /// Retention in days.
    pub retention_days: u64,
}

/// `POST /api/orgs/{org}/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// Address.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Member or organisation admin (an org admin invites members; the platform admin
    /// invites an organisation's first admin).
    pub role: Role,
    /// A service account (a member whose keys and secret `pli service enrol` makes on
    /// the integrating machine), not a person.
    #[serde(default)]
    pub service: bool,
}

/// `POST /api/orgs/{org}/members/{user}/reset`: a new account set-up for a member who
/// lost their password. An empty body is the default (an older client sends none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The member lost their authenticator app too: accepting the reset clears their
    /// two-factor authentication (said in the e-mail to them and in the audit log).
    /// Otherwise it is kept, and accepting the reset asks a current code of it.
    #[serde(default)]
    pub clear_second_factor: bool,
}

/// An invitation made: its link (with the token in the fragment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteResponse {
    /// The account id reserved for the invitee.
    pub user_id: UserId,
    /// The one-time link.
    pub link: String,
    /// Expiry.
    pub expires_at: u64,
}

/// A member as their admin sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    /// Account id.
    pub user_id: UserId,
    /// Address.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Pending, active or removed.
    pub status: AccountStatus,
    /// Whether TOTP is on.
    pub totp_enabled: bool,
    /// Whether they have at least one passkey.
    #[serde(default)]
    pub has_passkey: bool,
    /// A service account (a program's), not a person.
    #[serde(default)]
    pub service: bool,
    /// Current public keys (to certify pending members after comparing fingerprints).
    pub keys: PublicKeys,
    /// Key generations this member holds a grant for.
    pub granted_generations: Vec<u32>,
    /// Their request to move to a post-quantum encryption key (KeyUpgrade, signed by
    /// them), while no certificate holds its key yet.
    #[serde(default)]
    pub key_upgrade: Option<SignedObject>,
    /// When their current certificate expires (milliseconds since the Unix epoch), as the
    /// relay reads it: what the admin's page warns about (renewing verifies it).
    #[serde(default)]
    pub certificate_expires_at: Option<u64>,
}

/// `POST /api/orgs/{org}/members/{user}/certify`: the member's certificate, signed by an
/// admin (or the root, for an organisation's admin), and their key grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifyRequest {
    /// UserCertificate.
    pub certificate: SignedObject,
    /// Organisation keys wrapped for the member.
    #[serde(default)]
    pub grants: Vec<GrantUpload>,
}

/// One wrapped organisation key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantUpload {
    /// Key generation.
    pub generation: u32,
    /// The member it is for.
    pub user_id: UserId,
    /// The age file.
    pub wrapped: Base64,
}

/// `POST /api/orgs/{org}/keys`: a new key generation (first key or rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishKey {
    /// OrgKeyCertificate signed by an admin of the organisation.
    pub certificate: SignedObject,
    /// The new key wrapped for every active member.
    pub grants: Vec<GrantUpload>,
}

/// `PUT /api/orgs/{org}/retention`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days (1 to 3650).
    pub retention_days: u64,
}

/// `PUT /api/orgs/{org}/second-factor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorPolicy {
    /// Whether members must use two-factor authentication.
    pub second_factor: SecondFactor,
}

/// An organisation's members and open invitations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    /// Members, removed ones included.
    pub members: Vec<MemberSummary>,
    /// Invitations not used yet.
    pub invitations: Vec<InvitationInfo>,
    /// Key generations of the organisation (newest last).
    pub generations: Vec<u32>,
    /// How long the organisation's exchanges are kept, in days.
    pub retention_days: u64,
    /// Whether members must use two-factor authentication.
    pub second_factor: SecondFactor,
    /// The organisation's SIRET numbers and its ProConnect rule.
    #[serde(default)]
    pub proconnect: super::ProConnectPolicy,
}

/// What removing a member did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// Sessions ended.
    pub sessions_ended: u64,
    /// Key grants deleted.
    pub grants_deleted: u64,
    /// Always true: the member had the organisation key; rotate it.
    pub rotation_recommended: bool,
}
