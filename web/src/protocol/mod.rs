//! What the page and the worker say to each other.
//!
//! The page posts JavaScript objects `{ id, kind, data?, files?, port? }`: kind `request`
//! with `data` a JSON [`Request`] (one variant per operation, each with its own response
//! type through [`Call`]), `files` an array of `File`s and, for a download, `port` the
//! service worker's `MessagePort` (transferred: the worker then streams the decrypted
//! chunks there, as `web/static/sw.js` describes, instead of to the page); kind `ack` (`data` `{"bytes": n}`)
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
//!
//! This module holds the envelope of the conversation: [`Request`] and [`Call`], the
//! errors and progress reports, and the download window. The payloads and the views the
//! worker answers with live by area, all re-exported here so that a page names them as
//! `crate::protocol::X`: `auth` (sessions, keys, two-factor), `send` (recipients,
//! sending, resuming), `receive` (lists, opening, downloading) and `admin`
//! (organisations, members, keys, audit).

use pli_api::messages::{
    AuditEntry, ChainVerification, ExchangeDetail, InvitationInfo, InviteResponse, Me, Members,
    OrgSummary, PasskeyCeremony, PasskeyInfo, ProConnectInfo, Removed, SessionInfo,
    TotpSetupResponse,
};
use pli_api::{ErrorCode, ExchangeId, OrgId};
pub use pli_client::protocol::{Listed, ListedExchange, ListedPage, ListedPreview};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod admin;
mod auth;
mod receive;
mod send;

pub use admin::{
    Audit, AuditSource, Certify, CertifyKeyUpgrade, CreateOrg, DirectoryNames, Grant, Invite,
    KeyGeneration, KeyHistory, ListOrgs, LogPolicies, LogPoliciesView, MembersOf,
    MoveToPostQuantum, Remove, RenewCertificate, Reset, Rotate, SetProConnect, SetRetention,
    SetSecondFactor, SignLogPolicy, SuspendKey, VerifiedKey, VerifyAudit, WithdrawInvitation,
};
pub use auth::{
    Accept, ChangePassword, EndSession, ExportRoot, Fingerprints, ImportRoot, Kit, KitView,
    LogPolicyPreview, LogPolicyView, Login, Logout, LookupInvitation, LookupSetup, MyFingerprints,
    MyPasskeys, MySessions, PasskeyAdd, PasskeyBegin, PasskeyLogin, PasskeyLoginBegin,
    ProConnectStatus, Probe, Reauth, Refresh, RemovePasskey, RootOffRelay, RootStatus, RootView,
    Setup, SignedIn, Status, TotpConfirm, TotpDisable, TotpSetup, Unlock,
};
pub use receive::{
    Acknowledge, Download, ExchangeOf, Inbox, Open, Opened, OpenedFile, OrgNames, Outbox, ReadBy,
};
pub use send::{
    Abandon, Pending, PendingFile, ReadPlan, Recipient, Recipients, Resume, SendExchange,
};

/// Bytes of decrypted file in flight between the worker and the page at most.
pub const WINDOW: u64 = 8 * 1024 * 1024;

/// A failure, with a stable code the interface translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerError {
    /// The relay's error code, or one the worker or the page raised itself.
    pub code: ErrorCode,
    /// Details in English (for the console and bug reports).
    pub detail: String,
    /// For a login: the real wait, or the attempts left before one.
    #[serde(default)]
    pub attempts: pli_api::messages::Attempts,
}

impl WorkerError {
    /// A local error.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            attempts: pli_api::messages::Attempts::default(),
        }
    }
}

impl From<pli_client::ClientError> for WorkerError {
    fn from(error: pli_client::ClientError) -> Self {
        Self {
            code: error.code(),
            detail: error.to_string(),
            attempts: error.attempts(),
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
    /// Runs of chunks the worker's pool of sealing helpers sealed since it started (see
    /// `worker/pool.rs`); the page shows it as the progress bar's `data-pooled`, for the
    /// tests and `cargo xtask bench web` to see that the pool sealed.
    #[serde(default)]
    pub pooled: u64,
    /// Hash jobs a helper of that pool did since it started (a run of a send's plaintext
    /// each, added to the file's hash for the manifest, and each file's hash given back);
    /// shown as `data-hashed`, likewise.
    #[serde(default)]
    pub hashed: u64,
    /// Phase `plan`: the sealed plan of the send (base64), to keep until it ends and to
    /// resume it with after a reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
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
    /// What the relay proposes as its log's policy (set-up).
    LogPolicyPreview(LogPolicyPreview) -> LogPolicyView;
    /// Checks an invitation token.
    LookupInvitation(LookupInvitation) -> InvitationInfo;
    /// Whether ProConnect is offered, and who this browser just signed in as with it.
    ProConnectStatus(ProConnectStatus) -> ProConnectInfo;
    /// Sets up the platform.
    Setup(Setup) -> SignedIn;
    /// Accepts an invitation (creates or re-keys the account).
    Accept(Accept) -> SignedIn;
    /// Logs in.
    Login(Login) -> SignedIn;
    /// Unlocks the keys of a session whose cookie is still valid.
    Unlock(Unlock) -> Me;
    /// Logs out.
    Logout(Logout) -> Option<String>;
    /// Re-reads the account and the organisation keys.
    Refresh(Refresh) -> Me;
    /// My fingerprints and the root's.
    Fingerprints(MyFingerprints) -> Fingerprints;
    /// The kit de secours (the account key, the address, the root's fingerprint).
    Kit(Kit) -> KitView;
    /// Starts TOTP enrolment.
    TotpSetup(TotpSetup) -> TotpSetupResponse;
    /// Turns TOTP on.
    TotpConfirm(TotpConfirm) -> Me;
    /// Proves the password and a code again, then turns two-factor authentication off.
    TotpDisable(TotpDisable) -> Me;
    /// Proves the password again.
    Reauth(Reauth) -> ();
    /// Changes my password (the current one proved again).
    ChangePassword(ChangePassword) -> ();
    /// My open sessions.
    MySessions(MySessions) -> Vec<SessionInfo>;
    /// Ends one of my sessions.
    EndSession(EndSession) -> ();
    /// Starts adding a passkey.
    PasskeyBegin(PasskeyBegin) -> PasskeyCeremony;
    /// Adds the passkey the page created, what it unlocks sealed under its PRF output.
    PasskeyAdd(PasskeyAdd) -> PasskeyInfo;
    /// My passkeys.
    MyPasskeys(MyPasskeys) -> Vec<PasskeyInfo>;
    /// Removes one of my passkeys.
    RemovePasskey(RemovePasskey) -> ();
    /// Starts a passkey login.
    PasskeyLoginBegin(PasskeyLoginBegin) -> PasskeyCeremony;
    /// Logs in with a passkey and unlocks the keys with its PRF output.
    PasskeyLogin(PasskeyLogin) -> SignedIn;
    /// Where the platform root is.
    RootStatus(RootStatus) -> RootView;
    /// The platform root sealed as a root file (its text).
    ExportRoot(ExportRoot) -> String;
    /// The platform root taken from a root file.
    ImportRoot(ImportRoot) -> RootView;
    /// The key bundle sealed again without the root.
    RootOffRelay(RootOffRelay) -> RootView;
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
    /// Moves my organisation to post-quantum keys, as far as it can now.
    MoveToPostQuantum(MoveToPostQuantum) -> pli_client::PostQuantumProgress;
    /// Certifies an organisation admin's post-quantum key (platform admin).
    CertifyKeyUpgrade(CertifyKeyUpgrade) -> ();
    /// Renews a member's certificate.
    RenewCertificate(RenewCertificate) -> ();
    /// Every organisation.
    ListOrgs(ListOrgs) -> Vec<OrgSummary>;
    /// The log's policy in force and the one the relay is configured with.
    LogPolicies(LogPolicies) -> LogPoliciesView;
    /// Signs the relay's proposed log policy with the root; answers the new one in force.
    SignLogPolicy(SignLogPolicy) -> LogPolicyView;
    /// Sets how long an organisation's exchanges are kept.
    SetRetention(SetRetention) -> ();
    SetSecondFactor(SetSecondFactor) -> ();
    /// Sets the organisation's SIRET numbers and ProConnect rule.
    SetProConnect(SetProConnect) -> ();
    /// Withdraws an invitation.
    WithdrawInvitation(WithdrawInvitation) -> ();
    /// Suspends a key generation.
    SuspendKey(SuspendKey) -> ();
    /// An organisation's key generations, each verified up to the root.
    KeyHistory(KeyHistory) -> Vec<KeyGeneration>;
    /// A page of an audit log.
    Audit(Audit) -> Vec<AuditEntry>;
    /// The certified names of everyone in the directory, by id.
    DirectoryNames(DirectoryNames) -> Vec<(String, String)>;
    /// The relay's check of an organisation's audit chain.
    VerifyAudit(VerifyAudit) -> ChainVerification;
    /// An exchange as the relay describes it.
    Exchange(ExchangeOf) -> ExchangeDetail;
    /// A page of my organisation's inbox, each row's preview verified and decrypted.
    Inbox(Inbox) -> ListedPage;
    /// A page of my organisation's outbox, each row's preview verified and decrypted.
    Outbox(Outbox) -> ListedPage;
}

impl Request {
    /// Whether this request leads to unlocked keys when it succeeds: a log-in (with a
    /// password or a passkey) or an unlock. The door has the whole interface's module
    /// loaded while one runs (`door.rs`).
    pub fn unlocks_keys(&self) -> bool {
        matches!(
            self,
            Self::Login(_) | Self::Unlock(_) | Self::PasskeyLoginBegin(_) | Self::PasskeyLogin(_)
        )
    }

    /// Whether the relay answering `unauthenticated` to this request means that the
    /// session ended (logged out elsewhere, timed out, access removed). Requests that
    /// check or open a session do not.
    pub fn ends_session_on_unauthenticated(&self) -> bool {
        match self {
            Self::Probe(_)
            | Self::Status(_)
            | Self::LookupSetup(_)
            | Self::LogPolicyPreview(_)
            | Self::LookupInvitation(_)
            | Self::ProConnectStatus(_)
            | Self::Setup(_)
            | Self::Accept(_)
            | Self::Login(_)
            | Self::PasskeyLoginBegin(_)
            | Self::PasskeyLogin(_)
            | Self::Logout(_) => false,
            Self::Unlock(_)
            | Self::Refresh(_)
            | Self::Fingerprints(_)
            | Self::Kit(_)
            | Self::TotpSetup(_)
            | Self::TotpConfirm(_)
            | Self::TotpDisable(_)
            | Self::Reauth(_)
            | Self::ChangePassword(_)
            | Self::MySessions(_)
            | Self::EndSession(_)
            | Self::PasskeyBegin(_)
            | Self::PasskeyAdd(_)
            | Self::MyPasskeys(_)
            | Self::RemovePasskey(_)
            | Self::RootStatus(_)
            | Self::ExportRoot(_)
            | Self::ImportRoot(_)
            | Self::RootOffRelay(_)
            | Self::Recipients(_)
            | Self::OrgNames(_)
            | Self::DirectoryNames(_)
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
            | Self::MoveToPostQuantum(_)
            | Self::CertifyKeyUpgrade(_)
            | Self::RenewCertificate(_)
            | Self::ListOrgs(_)
            | Self::LogPolicies(_)
            | Self::SignLogPolicy(_)
            | Self::SetRetention(_)
            | Self::SetSecondFactor(_)
            | Self::SetProConnect(_)
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

secret_debug!(
    Setup,
    Accept,
    Login,
    Unlock,
    Reauth,
    TotpDisable,
    ExportRoot,
    ImportRoot,
    RootOffRelay,
    ChangePassword,
    PasskeyAdd,
    PasskeyLoginBegin,
    PasskeyLogin
);

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
