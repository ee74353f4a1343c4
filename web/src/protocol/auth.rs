//! The payloads of sessions and keys: checking a set-up or invitation link, setting up,
//! accepting, logging in, unlocking, two-factor, proving the password again, and the
//! fingerprints to compare out of band. Those carrying a password have a `Debug` that
//! prints none (`secret_debug!` in the parent module).

use serde::{Deserialize, Serialize};

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

/// What the relay proposes as its key directory log's policy: shown on the set-up page
/// before the platform authority signs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogPolicyPreview;

/// A log policy, as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPolicyView {
    /// The log's origin line.
    pub origin: String,
    /// How many witnesses must cosign.
    pub quorum: u8,
    /// The witnesses: name, and key fingerprint to compare with their operators.
    pub witnesses: Vec<(String, String)>,
    /// How old, in seconds, the newest cosignature may be.
    #[serde(default)]
    pub max_age_s: u32,
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
    /// The platform root's fingerprint, from the link's fragment or typed in from what
    /// the administrator read out (see `pli_client::protocol::RootPin`).
    pub root: String,
    /// A current code of the account's two-factor authentication, which a reset keeps:
    /// asked when the link's lookup or the relay says so.
    #[serde(default)]
    pub totp: Option<String>,
}

/// Credentials.
#[derive(Clone, Serialize, Deserialize)]
pub struct Login {
    /// Address.
    pub email: String,
    /// Password.
    pub password: String,
    /// The account key, typed from the kit when this browser does not keep it yet.
    pub account_key: Option<String>,
    /// TOTP code, if enabled.
    pub totp: Option<String>,
}

/// The password that unlocks a session's keys (the account key is the one this browser
/// keeps, or typed from the kit if it lost it).
#[derive(Clone, Serialize, Deserialize)]
pub struct Unlock {
    /// Password.
    pub password: String,
    /// The account key, if typed.
    pub account_key: Option<String>,
}

/// Logged in (set up, accepted, logged in): the account, and whether the person must be
/// handed their kit de secours now (a new account key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The account.
    pub me: pli_api::messages::Me,
    /// A new account key was made: show the kit before anything else.
    pub kit_due: bool,
}

/// No arguments: the kit de secours.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kit;

/// What the kit de secours holds: all a person needs to open their keys on a new device
/// besides their password, and what to check the platform against.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KitView {
    /// The account key, as typed back (`PLI1-…`).
    pub account_key: String,
    /// The account's address.
    pub email: String,
    /// The person's name.
    pub display_name: String,
    /// Their organisation.
    pub org_name: String,
    /// Where Pli is (the relay's address, as this page was loaded from).
    pub address: String,
    /// The platform root's fingerprint (the eight groups the pages show).
    pub root_fingerprint: String,
}

impl std::fmt::Debug for KitView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KitView")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// No arguments: whether ProConnect is offered, and who this browser signed in as.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProConnectStatus;

/// No arguments: log out (the answer: where to end a ProConnect session, if it began
/// with one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Logout;

/// No arguments: re-read the account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refresh;

/// No arguments: my fingerprints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MyFingerprints;

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

/// Turning two-factor authentication off: the password and a current code, proved afresh
/// just before (a member only).
#[derive(Clone, Serialize, Deserialize)]
pub struct TotpDisable {
    /// Password.
    pub password: String,
    /// A current TOTP code.
    pub totp: String,
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

/// No arguments: where the platform root is (the platform admin's).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootStatus;

/// Where the platform root is, as the platform page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootView {
    /// This browser holds it (can create organisations, certify their admins).
    pub held: bool,
    /// This browser saved it as a root file (or imported it from one).
    pub saved: bool,
    /// The relay still keeps it, sealed in the person's key bundle (an account set up
    /// before the root left the relay).
    pub on_relay: bool,
    /// The root's fingerprint.
    pub fingerprint: String,
}

/// Seal the root as a root file under this passphrase; answers the file's text.
#[derive(Clone, Serialize, Deserialize)]
pub struct ExportRoot {
    /// The file's passphrase (not the password).
    pub passphrase: String,
}

/// Take the root from a root file.
#[derive(Clone, Serialize, Deserialize)]
pub struct ImportRoot {
    /// The file's text.
    pub text: String,
    /// Its passphrase.
    pub passphrase: String,
}

/// Seal the key bundle again without the root (after saving the root file).
#[derive(Clone, Serialize, Deserialize)]
pub struct RootOffRelay {
    /// Password.
    pub password: String,
    /// TOTP code, if enabled.
    pub totp: Option<String>,
}

/// A new password, after proving the current one (and the second factor, if on).
#[derive(Clone, Serialize, Deserialize)]
pub struct ChangePassword {
    /// The current password.
    pub current: String,
    /// TOTP code, if enabled.
    pub totp: Option<String>,
    /// The new password (already checked by the page against the rule).
    pub new: String,
}

/// No arguments: my open sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MySessions;

/// One of my sessions to end.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndSession {
    /// Its id, as listed.
    pub id: String,
}

/// No arguments: start adding a passkey (after a recent password proof).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasskeyBegin;

/// A passkey the page created: its answer, raw id and PRF output (secret: never sent to
/// the relay; the worker seals this session's keys under it).
#[derive(Clone, Serialize, Deserialize)]
pub struct PasskeyAdd {
    /// From the ceremony.
    pub ceremony: String,
    /// `toJSON()` of the new credential, as text.
    pub answer: String,
    /// Its raw id.
    pub credential_id: Vec<u8>,
    /// Its PRF output on Pli's input.
    pub prf: Vec<u8>,
}

/// No arguments: my passkeys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MyPasskeys;

/// One of my passkeys to remove.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemovePasskey {
    /// Its id, as listed.
    pub id: String,
}

/// Start a passkey login for an address.
#[derive(Clone, Serialize, Deserialize)]
pub struct PasskeyLoginBegin {
    /// Address.
    pub email: String,
}

/// Log in with a passkey's assertion, and unlock the keys with its PRF output.
#[derive(Clone, Serialize, Deserialize)]
pub struct PasskeyLogin {
    /// Address (to recall what this browser verified of the log for it).
    pub email: String,
    /// From the ceremony.
    pub ceremony: String,
    /// `toJSON()` of the assertion, as text.
    pub answer: String,
    /// The credential's raw id, as the browser saw it.
    pub credential_id: Vec<u8>,
    /// Its PRF output on Pli's input.
    pub prf: Vec<u8>,
}
