//! Every endpoint of the relay, described once: method, path template, what it takes and
//! what it gives back, and a one-line summary.
//!
//! The relay's route table is built from these descriptions (`pli-server`'s
//! `routes::ROUTES`, which adds each route's authorisation policy and handler), its OpenAPI
//! document lists them, and `pli-client` calls them through [`Endpoint::path`], so a path
//! is spelled in one place. Each endpoint is a struct holding its path parameters (and its
//! query, where it has one); its [`Endpoint`] impl says the rest, so a client asking for
//! `Members { org }` gets a [`messages::Members`] back and nothing else type-checks.
//!
//! Each struct also deserializes from its path's parameters, which is how the relay's
//! handlers read them: a handler for `Members` receives a `Members { org }`, its id
//! already parsed.
//!
//! Bodies that are not JSON are named by marker types: [`NoBody`], [`Bytes`] (raw
//! octets: a part going up, an object coming down), [`EventStream`] (server-sent events),
//! [`JsonLines`] (the audit export), [`Text`] (plain text, as `/healthz`).

use std::fmt::Write as _;

use crate::messages;
use crate::{ExchangeId, OrgId, SignedObject, UserId};

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// No request body, or a response whose body carries nothing (a status alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoBody;

/// Raw octets (`application/octet-stream`), streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes;

/// Server-sent events (`text/event-stream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventStream;

/// JSON lines (`application/x-ndjson`), one object per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLines;

/// Plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text;

/// A `303 See Other` sending the browser on (to ProConnect, or back to a page): for
/// top-level navigations, never called by a client's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect;

/// One endpoint of the relay.
pub trait Endpoint {
    /// Its method.
    const METHOD: Method;
    /// Its path template: `{name}` stands for the field of the same name.
    const PATH: &'static str;
    /// One line for people (the OpenAPI document shows it).
    const SUMMARY: &'static str;
    /// What the request carries.
    type Request;
    /// What a success carries.
    type Response;

    /// The path with every parameter filled in (and the query, if any).
    fn path(&self) -> String;
}

/// What the relay's route table needs of an endpoint, as plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Description {
    /// Method.
    pub method: Method,
    /// Path template.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
}

impl Description {
    /// The description of `E`.
    pub const fn of<E: Endpoint>() -> Self {
        Self {
            method: E::METHOD,
            path: E::PATH,
            summary: E::SUMMARY,
        }
    }
}

/// A query string's pairs, for endpoints that take one.
pub trait Query {
    /// The pairs that are set, in a fixed order.
    fn pairs(&self) -> Vec<(&'static str, String)>;
}

/// `?name=value&…` for the pairs that are set (nothing if none is), percent-encoded.
fn query_string(query: &impl Query) -> String {
    let mut text = String::new();
    for (index, (name, value)) in query.pairs().into_iter().enumerate() {
        text.push(if index == 0 { '?' } else { '&' });
        text.push_str(name);
        text.push('=');
        for byte in value.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                text.push(char::from(byte));
            } else {
                let _ = write!(text, "%{byte:02X}");
            }
        }
    }
    text
}

impl Query for messages::ExchangeQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("cursor", self.cursor.clone()),
            ("limit", self.limit.map(|v| v.to_string())),
            ("urgent", self.urgent.map(|v| v.to_string())),
            ("unread", self.unread.map(|v| v.to_string())),
            ("counterpart", self.counterpart.map(|v| v.to_string())),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

impl Query for messages::AuditQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("after", self.after.map(|v| v.to_string())),
            ("limit", self.limit.map(|v| v.to_string())),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

impl Query for messages::ProConnectReturn {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("code", self.code.clone()),
            ("state", self.state.clone()),
            ("error", self.error.clone()),
            ("error_description", self.error_description.clone()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

impl Query for messages::LogRange {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("start", self.start.to_string()),
            ("end", self.end.to_string()),
        ]
    }
}

/// Defines the endpoints (one doc line each: the summary): for each a struct with its path fields (and `?query`), its
/// [`Endpoint`] impl, and its entry in [`ALL`].
macro_rules! endpoints {
    ($(
        #[doc = $doc:literal]
        $name:ident: $method:ident $path:literal
            { $($field:ident: $ty:ty),* $(,)? } $(? $query:ty)?
            => $request:ty => $response:ty;
    )*) => {
        $(
            #[doc = $doc]
            ///
            /// Deserializes from the path's parameters (the relay extracts it so).
            #[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
            pub struct $name {
                $(
                    #[doc = concat!("`{", stringify!($field), "}`.")]
                    pub $field: $ty,
                )*
                $(
                    /// The query string (the relay reads it apart).
                    #[serde(skip)]
                    pub query: $query,
                )?
            }

            impl Endpoint for $name {
                const METHOD: Method = Method::$method;
                const PATH: &'static str = $path;
                const SUMMARY: &'static str = $doc.trim_ascii();
                type Request = $request;
                type Response = $response;

                fn path(&self) -> String {
                    #[allow(unused_mut, reason = "endpoints without parameters")]
                    let mut path = String::from($path);
                    $(
                        path = path.replace(
                            concat!("{", stringify!($field), "}"),
                            &self.$field.to_string(),
                        );
                    )*
                    $( endpoints!(@query path, self, $query); )?
                    path
                }
            }
        )*

        /// Every endpoint, in the order of the relay's route table.
        pub const ALL: &[Description] = &[$(Description::of::<$name>()),*];
    };
    (@query $path:ident, $self:ident, $query:ty) => {
        $path.push_str(&query_string(&$self.query));
    };
}

endpoints! {
    /// Liveness: the process answers.
    Healthz: Get "/healthz" {} => NoBody => Text;
    /// Readiness: the database and the blob store answer.
    Readyz: Get "/readyz" {} => NoBody => Text;
    /// Prometheus counters.
    Metrics: Get "/metrics" {} => NoBody => Text;
    /// This API's OpenAPI document.
    OpenApi: Get "/api/openapi.json" {} => NoBody => Text;

    /// Checks a one-time platform set-up token.
    SetupLookup: Post "/api/setup/lookup" {} => messages::TokenRequest => messages::InvitationInfo;
    /// Creates the platform admin, root key and platform organisation.
    Setup: Post "/api/setup" {} => messages::SetupRequest => messages::LoginResponse;
    /// KDF parameters for an address (stable fake ones if unknown).
    Prelogin: Post "/api/auth/prelogin" {} => messages::PreloginRequest => messages::PreloginResponse;
    /// Logs in with the auth key (and TOTP code).
    Login: Post "/api/auth/login" {} => messages::LoginRequest => messages::LoginResponse;
    /// Ends this session.
    Logout: Post "/api/auth/logout" {} => NoBody => messages::LoggedOut;
    /// Whether ProConnect is offered, and who this browser just signed in as with it.
    ProConnectInfo: Get "/api/proconnect" {} => NoBody => messages::ProConnectInfo;
    /// Begins a ProConnect sign-in: sends the browser to ProConnect.
    ProConnectStart: Get "/api/proconnect/start" {} => NoBody => Redirect;
    /// ProConnect's return: checks it and sends the browser to the login page.
    ProConnectCallback: Get "/api/proconnect/callback" {} ? messages::ProConnectReturn => NoBody => Redirect;
    /// Proves the password again before a sensitive operation.
    Reauth: Post "/api/auth/reauth" {} => messages::ReauthRequest => NoBody;
    /// The logged-in account.
    GetMe: Get "/api/me" {} => NoBody => messages::Me;
    /// Records the last checkpoint of the log this person verified (signed by them).
    PutSeenCheckpoint: Put "/api/me/checkpoint" {} => SignedObject => NoBody;
    /// Asks to move to a post-quantum encryption key (signed), the new identity sealed.
    PutKeyUpgrade: Put "/api/me/key-upgrade" {} => messages::KeyUpgradeRequest => NoBody;
    /// Changes the password (same keys, bundle sealed again).
    ChangePassword: Post "/api/me/password" {} => messages::PasswordChange => NoBody;
    /// My open sessions.
    MySessions: Get "/api/me/sessions" {} => NoBody => Vec<messages::SessionInfo>;
    /// Ends one of my sessions (another device's, or this one).
    EndSession: Delete "/api/me/sessions/{id}" { id: String } => NoBody => NoBody;
    /// Starts TOTP enrolment.
    TotpSetup: Post "/api/me/totp/setup" {} => NoBody => messages::TotpSetupResponse;
    /// Turns TOTP on with a first code.
    TotpConfirm: Post "/api/me/totp/confirm" {} => messages::TotpCode => NoBody;
    /// Turns two-factor authentication off (members only; a recent password proof, which asks the code).
    TotpDisable: Post "/api/me/totp/disable" {} => NoBody => NoBody;
    /// Starts adding a passkey (a recent password proof first).
    PasskeyRegisterBegin: Post "/api/me/passkeys/begin" {} => NoBody => messages::PasskeyCeremony;
    /// Adds the passkey, with what it unlocks sealed under its PRF output.
    PasskeyRegister: Post "/api/me/passkeys" {} => messages::PasskeyRegistration => messages::PasskeyInfo;
    /// My passkeys.
    MyPasskeys: Get "/api/me/passkeys" {} => NoBody => Vec<messages::PasskeyInfo>;
    /// Removes one of my passkeys (a recent password proof first).
    RemovePasskey: Delete "/api/me/passkeys/{id}" { id: String } => NoBody => NoBody;
    /// Starts a passkey login for an address.
    PasskeyLoginStart: Post "/api/auth/passkey/begin" {} => messages::PasskeyLoginBegin => messages::PasskeyCeremony;
    /// Logs in with a passkey's assertion; answers what that passkey unlocks.
    PasskeyLogin: Post "/api/auth/passkey" {} => messages::PasskeyLoginRequest => messages::PasskeyLoginResponse;
    /// The organisation keys wrapped for me.
    MyGrants: Get "/api/me/grants" {} => NoBody => messages::MyGrants;
    /// Checks an invitation token.
    InvitationLookup: Post "/api/invitations/lookup" {} => messages::TokenRequest => messages::InvitationInfo;
    /// Creates (or re-keys) the invited account.
    AcceptInvitation: Post "/api/invitations/accept" {} => messages::AcceptRequest => messages::LoginResponse;

    /// Every organisation.
    ListOrgs: Get "/api/orgs" {} => NoBody => Vec<messages::OrgSummary>;
    /// Creates an organisation (certificate signed by the root).
    CreateOrg: Post "/api/orgs" {} => messages::CreateOrg => messages::OrgSummary;
    /// An organisation's members and pending invitations.
    Members: Get "/api/orgs/{org}/members" { org: OrgId } => NoBody => messages::Members;
    /// Invites a member (platform admin: the first admin).
    Invite: Post "/api/orgs/{org}/invitations" { org: OrgId } => messages::InviteRequest => messages::InviteResponse;
    /// Withdraws an unused invitation.
    WithdrawInvitation: Delete "/api/orgs/{org}/invitations/{user}" { org: OrgId, user: UserId } => NoBody => NoBody;
    /// Certifies a member's keys and grants them the organisation keys.
    Certify: Post "/api/orgs/{org}/members/{user}/certify" { org: OrgId, user: UserId } => messages::CertifyRequest => NoBody;
    /// Grants organisation keys to a certified member.
    Grant: Post "/api/orgs/{org}/members/{user}/grants" { org: OrgId, user: UserId } => Vec<messages::GrantUpload> => NoBody;
    /// Issues a new account set-up link to a member who lost their password.
    ResetMember: Post "/api/orgs/{org}/members/{user}/reset" { org: OrgId, user: UserId } => messages::ResetRequest => messages::InviteResponse;
    /// Removes a member: sessions ended and key grants deleted at once.
    RemoveMember: Delete "/api/orgs/{org}/members/{user}" { org: OrgId, user: UserId } => messages::Revoke => messages::Removed;
    /// Sets how long exchanges are kept.
    SetRetention: Put "/api/orgs/{org}/retention" { org: OrgId } => messages::Retention => NoBody;
    /// Sets whether the organisation's members must use two-factor authentication.
    SetSecondFactor: Put "/api/orgs/{org}/second-factor" { org: OrgId } => messages::SecondFactorPolicy => NoBody;
    /// Sets the organisation's SIRET numbers and whether its people must use ProConnect.
    SetProConnect: Put "/api/orgs/{org}/proconnect" { org: OrgId } => messages::ProConnectPolicy => NoBody;
    /// Publishes a new key generation (first key or rotation).
    PublishKey: Post "/api/orgs/{org}/keys" { org: OrgId } => messages::PublishKey => NoBody;
    /// Suspends a key generation: new uploads to it are refused.
    SuspendKey: Post "/api/orgs/{org}/keys/{generation}/suspend" { org: OrgId, generation: u32 } => messages::Revoke => NoBody;
    /// An organisation's key generations (for its members).
    OrgKeys: Get "/api/orgs/{org}/keys" { org: OrgId } => NoBody => Vec<messages::DirectoryKey>;
    /// The organisation's audit log (admins: all; members: their own actions).
    OrgAudit: Get "/api/orgs/{org}/audit" { org: OrgId } ? messages::AuditQuery => NoBody => Vec<messages::AuditEntry>;
    /// The whole audit log as JSON lines.
    ExportAudit: Get "/api/orgs/{org}/audit/export" { org: OrgId } => NoBody => JsonLines;
    /// Verifies the audit log's hash chain.
    VerifyAudit: Get "/api/orgs/{org}/audit/verify" { org: OrgId } => NoBody => messages::ChainVerification;
    /// The platform's audit log.
    PlatformAudit: Get "/api/platform/audit" {} ? messages::AuditQuery => NoBody => Vec<messages::AuditEntry>;
    /// Appends a new root-signed policy to the transparency log (new witnesses or quorum).
    SignLogPolicy: Post "/api/platform/log-policy" {} => SignedObject => NoBody;

    /// The platform root public key.
    Root: Get "/api/directory/root" {} => NoBody => messages::RootKey;
    /// Every organisation with its current certified key.
    Directory: Get "/api/directory/orgs" {} => NoBody => Vec<messages::DirectoryOrg>;
    /// What the relay proposes as its transparency log's policy (for set-up).
    LogProposal: Get "/api/log/proposal" {} => NoBody => messages::LogProposal;
    /// The log's policy and latest checkpoint.
    LogState: Get "/api/log/state" {} => NoBody => messages::LogState;
    /// A range of the log's entries.
    LogEntries: Get "/api/log/entries" {} ? messages::LogRange => NoBody => messages::LogEntries;
    /// A signing key's certificate chain.
    Certificate: Get "/api/directory/certificates/{fingerprint}" { fingerprint: String } => NoBody => messages::CertificateChain;

    /// Creates an exchange (Idempotency-Key header).
    CreateExchange: Post "/api/exchanges" {} => messages::CreateExchange => messages::ExchangeCreated;
    /// Exchanges delivered to my organisation, urgent first.
    Inbox: Get "/api/exchanges/inbox" {} ? messages::ExchangeQuery => NoBody => messages::ExchangePage;
    /// Exchanges my organisation sent.
    Outbox: Get "/api/exchanges/outbox" {} ? messages::ExchangeQuery => NoBody => messages::ExchangePage;
    /// An exchange: envelope, sender's certificate, receipts.
    Exchange: Get "/api/exchanges/{id}" { id: ExchangeId } => NoBody => messages::ExchangeDetail;
    /// Cancels an upload not yet completed.
    CancelExchange: Delete "/api/exchanges/{id}" { id: ExchangeId } => NoBody => NoBody;
    /// Which parts are stored (to resume).
    UploadStatus: Get "/api/exchanges/{id}/upload" { id: ExchangeId } => NoBody => messages::ExchangeCreated;
    /// Uploads one part (Content-Digest: sha-256).
    PutPart: Put "/api/exchanges/{id}/objects/{idx}/parts/{part}" { id: ExchangeId, idx: u32, part: u32 } => Bytes => messages::ObjectProgress;
    /// Completes with the signed envelope; delivered in one transaction.
    Complete: Post "/api/exchanges/{id}/complete" { id: ExchangeId } => messages::CompleteExchange => messages::ExchangeSummary;
    /// Downloads a ciphertext object (Range supported).
    Download: Get "/api/exchanges/{id}/objects/{idx}" { id: ExchangeId, idx: u32 } => NoBody => Bytes;
    /// The SHA-256 of each part of a delivered object, as the relay checked them.
    PartHashes: Get "/api/exchanges/{id}/objects/{idx}/parts" { id: ExchangeId, idx: u32 } => NoBody => messages::PartHashes;
    /// Posts a signed read receipt.
    PostReceipt: Post "/api/exchanges/{id}/receipts" { id: ExchangeId } => messages::PostReceipt => NoBody;
    /// Live events of my organisation (server-sent events).
    Events: Get "/api/events" {} => NoBody => EventStream;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_every_parameter_and_nothing_else() {
        let org: OrgId = "0190a5c4-1b2c-7d3e-8f40-5a6b7c8d9e0f".parse().unwrap();
        let user: UserId = "0190a5c4-1b2c-7d3e-8f40-5a6b7c8d9e10".parse().unwrap();
        assert_eq!(
            Certify { org, user }.path(),
            format!("/api/orgs/{org}/members/{user}/certify")
        );
        assert_eq!(GetMe {}.path(), "/api/me");
        assert_eq!(
            SuspendKey { org, generation: 3 }.path(),
            format!("/api/orgs/{org}/keys/3/suspend")
        );
        for description in ALL {
            assert!(description.path.starts_with('/'), "{}", description.path);
            assert!(!description.summary.is_empty(), "{}", description.path);
        }
    }

    #[test]
    fn queries_are_encoded_and_unset_fields_left_out() {
        let query = messages::ExchangeQuery {
            cursor: Some("a b&c".into()),
            limit: Some(50),
            ..Default::default()
        };
        assert_eq!(
            Inbox { query }.path(),
            "/api/exchanges/inbox?cursor=a%20b%26c&limit=50"
        );
        assert_eq!(
            Outbox {
                query: messages::ExchangeQuery::default()
            }
            .path(),
            "/api/exchanges/outbox"
        );
    }

    #[test]
    fn no_two_endpoints_share_a_method_and_path() {
        let mut seen = std::collections::HashSet::new();
        for d in ALL {
            assert!(
                seen.insert((d.method, d.path)),
                "{} {}",
                d.method.as_str(),
                d.path
            );
        }
        assert_eq!(ALL.len(), 69);
    }
}
