//! Accounts: set-up, invitations, login, the password scheme's values, two-factor.

use serde::{Deserialize, Serialize};

use crate::{AccountStatus, Base64, InvitationKind, OrgId, OrgKind, Role, SignedObject, UserId};

/// Argon2id parameters for the password scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    /// Which secrets are stretched: 1, the password alone (accounts created before the
    /// account key); 2, the password and the account key.
    #[serde(default = "password_only")]
    pub version: u8,
    /// Memory, KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// 16-byte salt.
    pub salt: Base64,
}

fn password_only() -> u8 {
    1
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
    /// MLKEM768-X25519 (1,216 bytes), or X25519 (32 bytes) for keys made before.
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
    /// Whether this account must have TOTP on before anything but its own settings: every
    /// admin, and members of an organisation that requires it.
    #[serde(default)]
    pub totp_required: bool,
    /// A service account (a program's, enrolled with `pli service enrol`).
    #[serde(default)]
    pub service: bool,
    /// The sealed key bundle, to open with the bundle key.
    pub key_bundle: Base64,
    /// KDF parameters (to derive the bundle key again, e.g. after a reload).
    pub kdf: Kdf,
    /// The platform root public key (Ed25519), if the platform is set up.
    pub root_key: Option<Base64>,
    /// The last checkpoint of the key directory's log this person verified
    /// (SeenCheckpoint, signed by them), if any.
    #[serde(default)]
    pub seen_checkpoint: Option<SignedObject>,
    /// The person's request to move to a post-quantum encryption key (KeyUpgrade, signed
    /// by them), once made; certified when their certificate holds its key.
    #[serde(default)]
    pub key_upgrade: Option<SignedObject>,
    /// The encryption identities they made after their key bundle was sealed
    /// (LaterIdentities, sealed under a key only the bundle gives).
    #[serde(default)]
    pub later_identities: Option<Base64>,
}

/// `PUT /api/me/key-upgrade`: a person's move to a post-quantum encryption key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyUpgradeRequest {
    /// KeyUpgrade, signed with the signing key of the person's current certificate.
    pub upgrade: SignedObject,
    /// LaterIdentities holding the new identity, sealed.
    pub later_identities: Base64,
}

impl Me {
    /// Whether two-factor authentication must be turned on before anything but the
    /// account's own settings (admins always; members when their organisation requires
    /// it).
    pub fn must_enrol(&self) -> bool {
        (self.totp_required || self.role != Role::Member) && !self.totp_enabled
    }
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

/// One of my open sessions, as « Mon compte » lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Names the session to end it (derived from it; not its token, nor the token's
    /// hash).
    pub id: String,
    /// What it was opened from: a browser family and operating system ("Chrome ·
    /// Linux"), "pli" for the command line, or empty if unknown.
    pub device: String,
    /// When it was opened (ms since the Unix epoch).
    pub created_at: u64,
    /// Its last request.
    pub last_seen_at: u64,
    /// This is the session asking.
    pub current: bool,
}

/// A WebAuthn ceremony begun by the relay: the options to hand to
/// `navigator.credentials` (`publicKey`, in the WebAuthn JSON form that
/// `PublicKeyCredential.parse…OptionsFromJSON` reads) and the id that finishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyCeremony {
    /// Finishes this ceremony, once (a few minutes).
    pub ceremony: String,
    /// `PublicKeyCredentialCreationOptionsJSON` or `…RequestOptionsJSON`, as JSON text.
    pub options: String,
}

/// `POST /api/me/passkeys`: a new passkey, and what it unlocks sealed under its PRF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegistration {
    /// From [`PasskeyCeremony`].
    pub ceremony: String,
    /// The authenticator's answer (`PublicKeyCredential.toJSON()` without its client
    /// extension results: the PRF output never leaves the browser), as JSON text.
    pub credential: String,
    /// `pli_crypto::passkey::PasskeyUnlock`, sealed for this credential.
    pub sealed_unlock: Base64,
}

/// `POST /api/auth/passkey/begin`: whose passkeys to ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginBegin {
    /// E-mail address (an unknown one gets a ceremony no passkey can finish).
    pub email: String,
}

/// `POST /api/auth/passkey`: logs in with a passkey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginRequest {
    /// From [`PasskeyCeremony`].
    pub ceremony: String,
    /// The authenticator's assertion (`toJSON()` without client extension results), as
    /// JSON text.
    pub credential: String,
    /// Also return the session token in the body (non-browser clients).
    #[serde(default)]
    pub bearer: bool,
}

/// A passkey login's answer: the session, and what that passkey unlocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyLoginResponse {
    /// As a password login answers.
    pub login: LoginResponse,
    /// The credential that signed (base64url, as the authenticator names it).
    pub credential_id: String,
    /// What it unlocks, sealed under its PRF output.
    pub sealed_unlock: Base64,
}

/// One of my passkeys, as « Mon compte » lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    /// Names it to remove it.
    pub id: String,
    /// Where it was added ("Chrome · Linux").
    pub device: String,
    /// When (ms since the Unix epoch).
    pub created_at: u64,
    /// Its last login, if any.
    pub last_used_at: Option<u64>,
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
    /// Accepting it asks a current code of the account's two-factor authentication: a
    /// reset of an account that has it on, which the reset keeps.
    #[serde(default)]
    pub totp_required: bool,
    /// The link enrols a service account (`pli service enrol`), not a person.
    #[serde(default)]
    pub service: bool,
    /// The organisation requires ProConnect of its people: the link is accepted only in a
    /// browser that has just signed in with ProConnect as this address.
    #[serde(default)]
    pub proconnect_required: bool,
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
    /// The transparency log's policy (LogPolicy, signed by the root): the relay's
    /// proposal, signed.
    pub log_policy: SignedObject,
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
    /// A current code of the account's two-factor authentication, which a reset keeps
    /// (unless the admin said it was lost too): asked, as at login, of a reset account
    /// that has it on.
    #[serde(default)]
    pub totp: Option<String>,
}

/// `POST /api/me/password`: same keys, new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// Password-derived values.
    pub credentials: NewCredentials,
}
