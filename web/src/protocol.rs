//! What the page and the worker say to each other.
//!
//! The page posts JavaScript objects `{ id, kind, data?, files? }`: kind `request` with
//! `data` a JSON [`Request`] (one variant per operation, each with its own response type
//! through [`Call`]) and `files` an array of `File`s; kind `ack` (`data` `{"bytes": n}`)
//! after writing a chunk of download `id`; kind `cancel` to abort the send or resume
//! `id`, which then answers `err` with the code `cancelled` after asking the relay to
//! delete the upload it had begun; kind `stop_download` to make download `id` end with an
//! error at its next chunk (the page could not write the file, or the person cancelled).
//! `ack`, `cancel` and `stop_download` are answered by nothing.
//!
//! The worker answers with objects `{ id, kind, data?, bytes? }`: `progress` (JSON
//! [`ProgressReport`]), `chunk` (an `ArrayBuffer` of a file being saved, transferred,
//! acknowledged by the page so that at most [`WINDOW`] bytes are in flight), then exactly
//! one `ok` (the JSON of the request's [`Call::Response`]) or `err` (JSON
//! [`WorkerError`]).

use pli_api::messages::{
    AuditEntry, AuditQuery, ChainVerification, ExchangeDetail, ExchangePage, ExchangeQuery,
    InvitationInfo, InviteResponse, Me, Members, OrgSummary, Removed, TotpSetupResponse,
};
use pli_api::{Category, ErrorCode, ExchangeId, OrgId, OrgKind, Role, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Bytes of decrypted file in flight between the worker and the page at most.
pub const WINDOW: u64 = 8 * 1024 * 1024;

/// A failure, with a stable code the interface translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerError {
    /// The relay's error code, or one the worker or the page raised itself.
    pub code: ErrorCode,
    /// Details in English (for the console and bug reports).
    pub detail: String,
}

impl WorkerError {
    /// A local error.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

impl From<pli_client::ClientError> for WorkerError {
    fn from(error: pli_client::ClientError) -> Self {
        Self {
            code: error.code(),
            detail: error.to_string(),
        }
    }
}

/// Which long step a [`ProgressReport`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading and encrypting the files.
    Encrypt,
    /// Uploading the parts.
    Upload,
    /// Downloading, decrypting and verifying a file.
    Download,
    /// Not a step: the sealed plan of a send, handed out once the exchange exists.
    Plan,
}

/// Where a long step stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReport {
    /// The step.
    pub phase: Phase,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
    /// Milliseconds spent on this step so far (see `pli_client::Progress`); the page
    /// shows it to `cargo xtask bench web` as the progress bar's `data-busy-ms`.
    #[serde(default)]
    pub busy_ms: u64,
    /// Phase `plan`: the sealed plan of the send (base64), to keep until it ends and to
    /// resume it with after a reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

/// An interrupted send, as the worker read its sealed plan (op `pending`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The exchange being uploaded.
    pub exchange_id: pli_api::ExchangeId,
    /// Its recipient.
    pub recipient: pli_api::OrgId,
    /// Its subject.
    pub subject: String,
    /// Its files, to pick again.
    pub files: Vec<PendingFile>,
}

/// A file of an interrupted send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// An organisation one can send to, as verified by the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Id.
    pub org_id: pli_api::OrgId,
    /// Certified name.
    pub name: String,
    /// Court or Département.
    pub kind: OrgKind,
    /// Key generation.
    pub generation: Option<u32>,
    /// Key fingerprint, to compare out of band.
    pub fingerprint: Option<String>,
    /// Why it cannot be used, if it cannot (no key, suspended, or a key that does not
    /// verify).
    pub problem: Option<ErrorCode>,
}

/// An opened exchange, as the interface shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    /// The relay's description.
    pub summary: pli_api::messages::ExchangeSummary,
    /// Verified sender's name.
    pub sender_name: String,
    /// Verified sender's organisation id.
    pub sender_org_id: pli_api::OrgId,
    /// Sender's signing key fingerprint.
    pub sender_fingerprint: String,
    /// Category.
    pub category: Category,
    /// Subject.
    pub subject: String,
    /// Message.
    pub message: String,
    /// Case reference.
    pub case_reference: String,
    /// The files.
    pub files: Vec<OpenedFile>,
    /// Verified read receipts.
    pub receipts: Vec<ReadBy>,
}

/// One file of an opened exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedFile {
    /// Name as sent (sanitised before saving).
    pub name: String,
    /// Plaintext size.
    pub size: u64,
    /// Media type.
    pub media_type: String,
}

/// Who read an exchange, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadBy {
    /// The reader's certified name.
    pub name: String,
    /// Their organisation.
    pub org_id: pli_api::OrgId,
    /// When (ms since the Unix epoch), as they signed it.
    pub read_at: u64,
}

/// Fingerprints to compare out of band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprints {
    /// My signing key.
    pub signing: String,
    /// My encryption key.
    pub encryption: String,
    /// The platform root.
    pub root: String,
}

/// A request whose answer is a `Response`: the page writes `bridge::call(Members { org })`
/// and gets a [`Members`](pli_api::messages::Members) back.
pub trait Call: Into<Request> {
    /// What the worker answers.
    type Response: Serialize + DeserializeOwned;
}

macro_rules! requests {
    ($($(#[$doc:meta])* $variant:ident($payload:ident) -> $response:ty;)*) => {
        /// Every operation the worker serves.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "op", content = "args", rename_all = "snake_case")]
        pub enum Request {
            $($(#[$doc])* $variant($payload),)*
        }

        $(
            impl From<$payload> for Request {
                fn from(payload: $payload) -> Self {
                    Self::$variant(payload)
                }
            }

            impl Call for $payload {
                type Response = $response;
            }
        )*
    };
}

requests! {
    /// Whether a session cookie is still valid (the account it belongs to).
    Probe(Probe) -> Me;
    /// The account of the worker's session, if one is unlocked.
    Status(Status) -> Option<Me>;
    /// Checks a platform set-up token.
    LookupSetup(LookupSetup) -> InvitationInfo;
    /// Checks an invitation token.
    LookupInvitation(LookupInvitation) -> InvitationInfo;
    /// Sets up the platform.
    Setup(Setup) -> Me;
    /// Accepts an invitation (creates or re-keys the account).
    Accept(Accept) -> Me;
    /// Logs in.
    Login(Login) -> Me;
    /// Unlocks the keys of a session whose cookie is still valid.
    Unlock(Unlock) -> Me;
    /// Logs out.
    Logout(Logout) -> ();
    /// Re-reads the account and the organisation keys.
    Refresh(Refresh) -> Me;
    /// My fingerprints and the root's.
    Fingerprints(MyFingerprints) -> Fingerprints;
    /// The pinned root key (base64).
    RootKey(RootKey) -> String;
    /// Starts TOTP enrolment.
    TotpSetup(TotpSetup) -> TotpSetupResponse;
    /// Turns TOTP on.
    TotpConfirm(TotpConfirm) -> Me;
    /// Proves the password again.
    Reauth(Reauth) -> ();
    /// The organisations one can send to, verified.
    Recipients(Recipients) -> Vec<Recipient>;
    /// The organisations' names, as the pinned root certified them.
    OrgNames(OrgNames) -> Vec<(OrgId, String)>;
    /// Encrypts and uploads an exchange (with files).
    Send(SendExchange) -> ExchangeId;
    /// Reads an interrupted send's sealed plan.
    Pending(ReadPlan) -> Pending;
    /// Resumes an interrupted send (with its files picked again).
    Resume(Resume) -> ExchangeId;
    /// Erases an interrupted send from the relay.
    Abandon(Abandon) -> bool;
    /// Opens an exchange.
    Open(Open) -> Opened;
    /// Acknowledges an opened exchange.
    Acknowledge(Acknowledge) -> ();
    /// Decrypts a file of an opened exchange, sent back in chunks.
    Download(Download) -> ();
    /// Creates an organisation.
    CreateOrg(CreateOrg) -> OrgId;
    /// Invites a member.
    Invite(Invite) -> InviteResponse;
    /// An organisation's members.
    Members(MembersOf) -> Members;
    /// Certifies a member's keys.
    Certify(Certify) -> ();
    /// Grants the organisation keys to a member.
    Grant(Grant) -> ();
    /// Removes a member.
    Remove(Remove) -> Removed;
    /// Issues a new set-up link to a member.
    Reset(Reset) -> InviteResponse;
    /// Publishes a new key generation of my organisation.
    Rotate(Rotate) -> u32;
    /// Every organisation.
    ListOrgs(ListOrgs) -> Vec<OrgSummary>;
    /// Sets how long an organisation's exchanges are kept.
    SetRetention(SetRetention) -> ();
    /// Withdraws an invitation.
    WithdrawInvitation(WithdrawInvitation) -> ();
    /// Suspends a key generation.
    SuspendKey(SuspendKey) -> ();
    /// An organisation's key generations, each verified up to the root.
    KeyHistory(KeyHistory) -> Vec<KeyGeneration>;
    /// A page of an audit log.
    Audit(Audit) -> Vec<AuditEntry>;
    /// The relay's check of an organisation's audit chain.
    VerifyAudit(VerifyAudit) -> ChainVerification;
    /// An exchange as the relay describes it.
    Exchange(ExchangeOf) -> ExchangeDetail;
    /// A page of my organisation's inbox.
    Inbox(Inbox) -> ExchangePage;
    /// A page of my organisation's outbox.
    Outbox(Outbox) -> ExchangePage;
}

impl Request {
    /// Whether the relay answering `unauthenticated` to this request means that the
    /// session ended (logged out elsewhere, timed out, access removed). Requests that
    /// check or open a session do not.
    pub fn ends_session_on_unauthenticated(&self) -> bool {
        match self {
            Self::Probe(_)
            | Self::Status(_)
            | Self::LookupSetup(_)
            | Self::LookupInvitation(_)
            | Self::Setup(_)
            | Self::Accept(_)
            | Self::Login(_)
            | Self::Logout(_) => false,
            Self::Unlock(_)
            | Self::Refresh(_)
            | Self::Fingerprints(_)
            | Self::RootKey(_)
            | Self::TotpSetup(_)
            | Self::TotpConfirm(_)
            | Self::Reauth(_)
            | Self::Recipients(_)
            | Self::OrgNames(_)
            | Self::Send(_)
            | Self::Pending(_)
            | Self::Resume(_)
            | Self::Abandon(_)
            | Self::Open(_)
            | Self::Acknowledge(_)
            | Self::Download(_)
            | Self::CreateOrg(_)
            | Self::Invite(_)
            | Self::Members(_)
            | Self::Certify(_)
            | Self::Grant(_)
            | Self::Remove(_)
            | Self::Reset(_)
            | Self::Rotate(_)
            | Self::ListOrgs(_)
            | Self::SetRetention(_)
            | Self::WithdrawInvitation(_)
            | Self::SuspendKey(_)
            | Self::KeyHistory(_)
            | Self::Audit(_)
            | Self::VerifyAudit(_)
            | Self::Exchange(_)
            | Self::Inbox(_)
            | Self::Outbox(_) => true,
        }
    }
}

/// Debug output without passwords (nor tokens, nor addresses).
macro_rules! secret_debug {
    ($($payload:ident),*) => {
        $(impl std::fmt::Debug for $payload {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($payload)).finish_non_exhaustive()
            }
        })*
    };
}

secret_debug!(Setup, Accept, Login, Unlock, Reauth);

/// No arguments: is a session cookie still valid?
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Probe;

/// No arguments: the worker's session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status;

/// A platform set-up token to check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LookupSetup {
    /// The token from the link.
    pub token: String,
}

/// An invitation token to check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LookupInvitation {
    /// The token from the link.
    pub token: String,
}

/// The platform admin's account.
#[derive(Clone, Serialize, Deserialize)]
pub struct Setup {
    /// The one-time set-up token.
    pub token: String,
    /// Address.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Password.
    pub password: String,
}

/// An accepted invitation.
#[derive(Clone, Serialize, Deserialize)]
pub struct Accept {
    /// The invitation token.
    pub token: String,
    /// The new password.
    pub password: String,
}

/// Credentials.
#[derive(Clone, Serialize, Deserialize)]
pub struct Login {
    /// Address.
    pub email: String,
    /// Password.
    pub password: String,
    /// TOTP code, if enabled.
    pub totp: Option<String>,
    /// The root key pinned at the previous login (base64).
    pub pinned_root: Option<String>,
}

/// The password that unlocks a session's keys.
#[derive(Clone, Serialize, Deserialize)]
pub struct Unlock {
    /// Password.
    pub password: String,
    /// The root key pinned at the previous login (base64).
    pub pinned_root: Option<String>,
}

/// No arguments: log out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Logout;

/// No arguments: re-read the account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refresh;

/// No arguments: my fingerprints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MyFingerprints;

/// No arguments: the pinned root.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootKey;

/// No arguments: start TOTP enrolment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TotpSetup;

/// A first TOTP code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TotpConfirm {
    /// The code.
    pub code: String,
}

/// The password (and TOTP code) again.
#[derive(Clone, Serialize, Deserialize)]
pub struct Reauth {
    /// Password.
    pub password: String,
    /// TOTP code, if enabled.
    pub totp: Option<String>,
}

/// No arguments: the verified recipients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recipients;

/// No arguments: the certified names of the directory's organisations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgNames;

/// A new exchange (its files go alongside the request).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendExchange {
    /// The recipient organisation.
    pub recipient: OrgId,
    /// Category.
    pub category: Category,
    /// Subject.
    pub subject: String,
    /// Message.
    pub message: String,
    /// Case reference.
    pub case_reference: String,
    /// Urgent.
    pub urgent: bool,
    /// The exchange this one answers.
    pub in_reply_to: Option<ExchangeId>,
}

/// A sealed plan (base64) to read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadPlan {
    /// The plan.
    pub plan: String,
}

/// A sealed plan (base64) to resume (its files go alongside the request).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resume {
    /// The plan.
    pub plan: String,
}

/// A sealed plan (base64) to erase from the relay.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Abandon {
    /// The plan.
    pub plan: String,
}

/// An exchange to open.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Open {
    /// Its id.
    pub exchange_id: ExchangeId,
}

/// An opened exchange to acknowledge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Acknowledge {
    /// Its id.
    pub exchange_id: ExchangeId,
}

/// A file of an opened exchange to decrypt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Download {
    /// The exchange.
    pub exchange_id: ExchangeId,
    /// The file's index in its manifest.
    pub index: usize,
}

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
}

/// No arguments: rotate my organisation's key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rotate;

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
}

/// Whose audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditSource {
    /// An organisation's (its admin): verification and export too.
    Org(OrgId),
    /// The platform's (the platform admin).
    Platform,
}

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

/// An exchange to describe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeOf {
    /// Its id.
    pub id: ExchangeId,
}

/// A page of the inbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inbox {
    /// Which exchanges.
    pub query: ExchangeQuery,
}

/// A page of the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outbox {
    /// Which exchanges.
    pub query: ExchangeQuery,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_travels_as_op_and_args() {
        let org = OrgId::from_random([7; 16]);
        let request = Request::from(MembersOf { org });
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["op"], "members");
        let back: Request = serde_json::from_value(json).unwrap();
        assert!(matches!(back, Request::Members(MembersOf { org: o }) if o == org));
        let json = serde_json::to_string(&Request::from(Probe)).unwrap();
        let back: Request = serde_json::from_str(&json).unwrap();
        assert!(!back.ends_session_on_unauthenticated());
    }
}
