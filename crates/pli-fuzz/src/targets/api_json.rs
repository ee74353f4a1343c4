//! `api_json`: `serde_json` into the relay's request bodies (as its `Json` extractor
//! reads them) and the responses the clients read from a relay they do not trust.
//!
//! The input's first byte picks the type ([`JSON_TYPES`]); the rest is the JSON text.
//!
//! * A body that deserializes serializes again, and what that gives deserializes to the
//!   same value and serializes to the same text (serializing is a fixed point).

use std::fmt::Debug;

use pli_api::SignedObject;
use pli_api::messages::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::property;

/// Lists the types, in order, as `(name, check)`.
macro_rules! json_types {
    ($($ty:ty),* $(,)?) => {
        /// The types, by the input's first byte (modulo their number). Seeds name a type
        /// by its index: add new ones at the end.
        /// Each type's check says whether the text deserialized.
        pub const JSON_TYPES: &[(&str, fn(&[u8]) -> bool)] = &[$((stringify!($ty), round_trip::<$ty>)),*];
    };
}

json_types! {
    // Request bodies, endpoint by endpoint (`pli_api::endpoints`).
    TokenRequest,
    SetupRequest,
    PreloginRequest,
    LoginRequest,
    ReauthRequest,
    SignedObject,
    PasswordChange,
    TotpCode,
    PasskeyRegistration,
    PasskeyLoginBegin,
    PasskeyLoginRequest,
    AcceptRequest,
    CreateOrg,
    InviteRequest,
    CertifyRequest,
    Vec<GrantUpload>,
    Revoke,
    Retention,
    SecondFactorPolicy,
    PublishKey,
    CreateExchange,
    CompleteExchange,
    PostReceipt,
    // Responses, which a client reads from the relay.
    InvitationInfo,
    LoginResponse,
    PreloginResponse,
    Me,
    Vec<SessionInfo>,
    TotpSetupResponse,
    PasskeyCeremony,
    PasskeyInfo,
    Vec<PasskeyInfo>,
    PasskeyLoginResponse,
    MyGrants,
    Vec<OrgSummary>,
    Members,
    InviteResponse,
    Removed,
    Vec<DirectoryKey>,
    Vec<AuditEntry>,
    ChainVerification,
    RootKey,
    Vec<DirectoryOrg>,
    LogProposal,
    LogState,
    LogEntries,
    CertificateChain,
    ExchangeCreated,
    ExchangePage,
    ExchangeDetail,
    ObjectProgress,
    ExchangeSummary,
    ErrorBody,
}

/// The `api_json` target.
pub fn api_json(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let index = usize::from(selector) % JSON_TYPES.len();
    if let Some((_, check)) = JSON_TYPES.get(index) {
        check(json);
    }
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(json: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<T>(json) else {
        return false;
    };
    let written = serde_json::to_vec(&value);
    let Ok(written) = written else {
        property(false, || {
            format!("{value:?} does not serialize: {written:?}")
        });
        return true;
    };
    let again = serde_json::from_slice::<T>(&written);
    property(again.as_ref().ok() == Some(&value), || {
        format!(
            "{value:?} serialized as {} reads back as {again:?}",
            String::from_utf8_lossy(&written)
        )
    });
    let rewritten = again.ok().map(|again| serde_json::to_vec(&again).ok());
    property(rewritten == Some(Some(written)), || {
        format!("{value:?} does not serialize the same twice")
    });
    true
}
