//! Requests and responses of the relay's HTTP API (JSON).
//!
//! Binary values travel as [`Base64`]; times as milliseconds since the Unix epoch; ids as
//! lowercase hyphenated UUIDs. Every request type refuses unknown fields.

use serde::{Deserialize, Serialize};

use crate::{
    AccountStatus, Base64, ErrorCode, ExchangeId, ExchangeState, InvitationKind, OrgId, OrgKind,
    Role, SignedObject, UserId,
};

/// An error body: `{"error": {"code": "…", "message": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable machine code and an English explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine code (a word this version does not know reads as [`ErrorCode::Unknown`]).
    #[serde(deserialize_with = "code_from_wire")]
    pub code: ErrorCode,
    /// Explanation for people (the web app shows its own French text per code).
    pub message: String,
}

fn code_from_wire<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<ErrorCode, D::Error> {
    let word = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    Ok(ErrorCode::from_wire(&word))
}

/// Argon2id parameters for the password scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    /// Memory, KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// 16-byte salt.
    pub salt: Base64,
}

/// What a new password or new account sends: never the password itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCredentials {
    /// Parameters and salt the client used.
    pub kdf: Kdf,
    /// The auth key derived from the password (32 bytes).
    pub auth_key: Base64,
    /// The key bundle sealed with the bundle key.
    pub key_bundle: Base64,
}

/// A person's public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeys {
    /// Ed25519 (32 bytes).
    pub signing_key: Base64,
    /// X25519 (32 bytes).
    pub encryption_key: Base64,
}

/// `POST /api/auth/prelogin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreloginRequest {
    /// The address typed.
    pub email: String,
}

/// The KDF parameters to derive the auth key with (fake but stable for unknown addresses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreloginResponse {
    /// Parameters and salt.
    pub kdf: Kdf,
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Address.
    pub email: String,
    /// Auth key (32 bytes).
    pub auth_key: Base64,
    /// TOTP code, if the account has TOTP.
    #[serde(default)]
    pub totp: Option<String>,
    /// Return the session token in the body (command-line clients); browsers use the
    /// cookie only.
    #[serde(default)]
    pub bearer: bool,
}

/// A logged-in account, as `/api/me` and login describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// Account id.
    pub user_id: UserId,
    /// Address.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Pending (keys not certified yet) or active.
    pub status: AccountStatus,
    /// Organisation.
    pub org_id: OrgId,
    /// Organisation name.
    pub org_name: String,
    /// What the organisation is.
    pub org_kind: OrgKind,
    /// Whether TOTP is on.
    pub totp_enabled: bool,
    /// The sealed key bundle, to open with the bundle key.
    pub key_bundle: Base64,
    /// KDF parameters (to derive the bundle key again, e.g. after a reload).
    pub kdf: Kdf,
    /// The platform root public key (Ed25519), if the platform is set up.
    pub root_key: Option<Base64>,
}

/// Login's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The account.
    pub me: Me,
    /// The session token, if `bearer` was asked for.
    pub token: Option<String>,
}

/// `POST /api/auth/reauth`: prove the password again before a sensitive operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReauthRequest {
    /// Auth key.
    pub auth_key: Base64,
    /// TOTP code if the account has TOTP.
    #[serde(default)]
    pub totp: Option<String>,
}

/// TOTP enrolment: the secret to put in an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetupResponse {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://` URI.
    pub uri: String,
}

/// `POST /api/me/totp/confirm` and similar: one TOTP code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// Six digits.
    pub code: String,
}

/// `POST /api/setup/lookup` and `/api/invitations/lookup`: the token from the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token from the link's fragment.
    pub token: String,
}

/// What an invitation is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    /// What the link is for.
    pub kind: InvitationKind,
    /// The account the invitation creates or resets.
    pub user_id: UserId,
    /// Address.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Organisation, if any.
    pub org_id: Option<OrgId>,
    /// Its name.
    pub org_name: Option<String>,
    /// Expiry.
    pub expires_at: u64,
}

/// `POST /api/setup`: the platform admin's account, the platform root key and the
/// platform organisation, all made in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time token.
    pub token: String,
    /// Admin's address.
    pub email: String,
    /// Admin's name.
    pub display_name: String,
    /// Password-derived values.
    pub credentials: NewCredentials,
    /// The platform root's Ed25519 public key.
    pub root_key: Base64,
    /// The platform organisation's certificate (OrgCertificate, signed by the root).
    pub org_certificate: SignedObject,
    /// The admin's certificate (UserCertificate, signed by the root).
    pub user_certificate: SignedObject,
}

/// `POST /api/invitations/accept`: an invitee's account (or a reset account's new keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The token.
    pub token: String,
    /// Password-derived values.
    pub credentials: NewCredentials,
    /// The new public keys (to be certified by an admin).
    pub keys: PublicKeys,
}

/// `POST /api/me/password`: same keys, new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// Password-derived values.
    pub credentials: NewCredentials,
}

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
    /// Current public keys (to certify pending members after comparing fingerprints).
    pub keys: PublicKeys,
    /// Key generations this member holds a grant for.
    pub granted_generations: Vec<u32>,
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

/// An organisation in the key directory: everything a client needs to verify its
/// current key up to the pinned root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryOrg {
    /// Id.
    pub org_id: OrgId,
    /// Kind.
    pub kind: OrgKind,
    /// Name (as certified).
    pub name: String,
    /// OrgCertificate (root).
    pub certificate: SignedObject,
    /// The current key generation, if any.
    pub key: Option<DirectoryKey>,
}

/// One key generation with the certificate of the admin who issued it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryKey {
    /// Generation.
    pub generation: u32,
    /// OrgKeyCertificate.
    pub certificate: SignedObject,
    /// The issuing admin's UserCertificate (root-signed).
    pub issuer_certificate: SignedObject,
    /// New uploads to this generation are refused.
    pub suspended: bool,
}

/// A user certificate with its issuer's, for verification to the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateChain {
    /// UserCertificate.
    pub certificate: SignedObject,
    /// The issuer's UserCertificate, unless the root issued it.
    pub issuer: Option<SignedObject>,
}

/// `POST /api/exchanges` (with an `Idempotency-Key` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateExchange {
    /// The receiving organisation.
    pub recipient_org_id: OrgId,
    /// Its key generation the objects are encrypted to.
    pub recipient_generation: u32,
    /// The sender organisation's key generation the objects are also encrypted to.
    #[serde(default)]
    pub sender_generation: Option<u32>,
    /// Urgent?
    #[serde(default)]
    pub urgent: bool,
    /// Ciphertext sizes: the manifest's first, then each file's.
    pub sizes: Vec<u64>,
    /// The exchange this answers.
    #[serde(default)]
    pub in_reply_to: Option<ExchangeId>,
}

/// The exchange created (or found again by its Idempotency-Key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeCreated {
    /// Id, to put in the envelope.
    pub exchange_id: ExchangeId,
    /// Creation time, to put in the envelope.
    pub created_at: u64,
    /// Expiry, to put in the envelope.
    pub expires_at: u64,
    /// Bytes per part (all parts full but each object's last).
    pub part_size: u64,
    /// Upload progress.
    pub objects: Vec<ObjectProgress>,
}

/// One object's upload progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectProgress {
    /// 0 for the manifest.
    pub idx: u32,
    /// Declared size.
    pub size: u64,
    /// Number of parts.
    pub part_count: u32,
    /// Parts stored (the next to send is this one).
    pub parts_stored: u32,
}

/// `POST /api/exchanges/{id}/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteExchange {
    /// The envelope, signed by the sender.
    pub envelope: SignedObject,
}

/// An exchange as listed and described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeSummary {
    /// Id.
    pub exchange_id: ExchangeId,
    /// Sending organisation.
    pub sender_org_id: OrgId,
    /// Sender.
    pub sender_user_id: UserId,
    /// Receiving organisation.
    pub recipient_org_id: OrgId,
    /// Where it stands.
    pub state: ExchangeState,
    /// Urgent?
    pub urgent: bool,
    /// Number of files (objects minus the manifest).
    pub file_count: u32,
    /// Ciphertext bytes.
    pub total_size: u64,
    /// Creation time.
    pub created_at: u64,
    /// Delivery time.
    pub delivered_at: Option<u64>,
    /// Expiry.
    pub expires_at: u64,
    /// First read receipt's time.
    pub first_read_at: Option<u64>,
    /// The exchange this answers.
    pub in_reply_to: Option<ExchangeId>,
}

/// A page of exchanges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangePage {
    /// Urgent first, newest first.
    pub exchanges: Vec<ExchangeSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// An exchange with what a party needs to verify and open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeDetail {
    /// The listing fields.
    pub summary: ExchangeSummary,
    /// The signed envelope (once delivered).
    pub envelope: Option<SignedObject>,
    /// The sender's certificate chain (to verify the envelope).
    pub sender: Option<CertificateChain>,
    /// Read receipts, each with its reader's certificate chain.
    pub receipts: Vec<ReceiptEntry>,
}

/// One read receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptEntry {
    /// The reader.
    pub user_id: UserId,
    /// The signed receipt.
    pub receipt: SignedObject,
    /// The reader's certificate chain.
    pub reader: Option<CertificateChain>,
}

/// `POST /api/exchanges/{id}/receipts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostReceipt {
    /// The signed receipt.
    pub receipt: SignedObject,
}

/// Grants the caller holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyGrants {
    /// Every grant.
    pub grants: Vec<crate::WireKeyGrant>,
}

/// The platform root key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootKey {
    /// Ed25519 public key, if the platform is set up.
    pub root_key: Option<Base64>,
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

/// The query of the inbox and outbox: `?cursor=&limit=&urgent=&unread=&counterpart=`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeQuery {
    /// Where the previous page ended ([`ExchangePage::next_cursor`]).
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only urgent (or only not urgent) exchanges.
    #[serde(default)]
    pub urgent: Option<bool>,
    /// Only unread (or only read) exchanges.
    #[serde(default)]
    pub unread: Option<bool>,
    /// Only exchanges with this organisation.
    #[serde(default)]
    pub counterpart: Option<OrgId>,
}

/// The query of an audit log: `?after=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries after this position.
    #[serde(default)]
    pub after: Option<u64>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One entry of a hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// `audit:<organisation id>` or `audit:platform`.
    pub chain: String,
    /// Position, from 1.
    pub seq: u64,
    /// When (ms since the Unix epoch).
    pub at: u64,
    /// Who (a user id), if a person.
    pub actor: Option<String>,
    /// What (`exchange.delivered`, `member.removed`, `login.failed`, …).
    pub action: String,
    /// On what kind of object.
    pub object_type: String,
    /// Which object.
    pub object_id: String,
    /// Small JSON with ids and sizes only.
    pub detail: String,
    /// The previous entry's hash (lowercase hex).
    pub prev_hash: String,
    /// This entry's hash (lowercase hex).
    pub hash: String,
}

/// The relay's check of an audit log's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainVerification {
    /// Whether every entry links to the previous and hashes to its stored hash.
    pub valid: bool,
    /// How many entries were checked.
    pub entries: u64,
    /// The first entry that does not check out, if any.
    pub first_bad_seq: Option<u64>,
    /// The hash of the last entry (lowercase hex: the head to compare out of band).
    pub head: String,
}
