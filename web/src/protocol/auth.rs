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
