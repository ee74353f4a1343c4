//! `api_json`: `serde_json` into the relay's request bodies (as its `Json` extractor
//! reads them) and the responses the clients read from a relay they do not trust.
//!
//! The input's first byte picks the type ([`JSON_TYPES`]); the rest is the JSON text.
//!
//! * A body that deserializes serializes again, and what that gives deserializes to the
//!   same value and serializes to the same text (serializing is a fixed point).
//! * A request body with one more field, unknown to its type, is refused.

use std::fmt::Debug;

use pli_api::SignedObject;
use pli_api::messages::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::property;

/// Lists the types, in order, as `(name, check)`: request bodies first, then responses,
/// then the request bodies added since (at the end, so that no index moves).
macro_rules! json_types {
    (
        requests: $($request:ty),* ;
        responses: $($response:ty),* ;
        later requests: $($later:ty),* $(,)?
    ) => {
        /// The types, by the input's first byte (modulo their number). Seeds name a type
        /// by its index: add new ones at the end. Each type's check says whether the text
        /// deserialized.
        pub const JSON_TYPES: &[(&str, fn(&[u8]) -> bool)] = &[
            $((stringify!($request), round_trip::<$request, true>),)*
            $((stringify!($response), round_trip::<$response, false>),)*
            $((stringify!($later), round_trip::<$later, true>),)*
        ];
    };
}

json_types! {
    // Request bodies, endpoint by endpoint (`pli_api::endpoints`).
    requests:
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
    PostReceipt;
    // Responses, which a client reads from the relay.
    responses:
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
    ErrorBody;
    // Request bodies added after the responses (seeds and corpora name types by index).
    later requests:
    KeyUpgradeRequest,
    ResetRequest,
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

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug, const REQUEST: bool>(
    json: &[u8],
) -> bool {
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
    if REQUEST {
        refuses_unknown_fields::<T>(&value);
    }
    true
}

/// A request body with a field its type does not have is refused (the relay's request
/// types all say `deny_unknown_fields`), at the top level or in a list's first object.
fn refuses_unknown_fields<T: Serialize + DeserializeOwned + Debug>(value: &T) {
    let Ok(mut tree) = serde_json::to_value(value) else {
        return;
    };
    let object = match &mut tree {
        serde_json::Value::Object(object) => Some(object),
        serde_json::Value::Array(items) => items.first_mut().and_then(|item| item.as_object_mut()),
        _ => None,
    };
    let Some(object) = object else {
        return;
    };
    object.insert("pli_fuzz_unknown".to_owned(), serde_json::Value::Null);
    let extended = serde_json::from_value::<T>(tree);
    property(extended.is_err(), || {
        format!("a request body with an unknown field is accepted: {extended:?}")
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_check_bites_on_a_type_that_accepts_them() {
        assert!(round_trip::<TokenRequest, true>(br#"{"token":"abc"}"#));
        assert!(!round_trip::<TokenRequest, true>(
            br#"{"token":"abc","x":1}"#
        ));
        // Responses accept unknown fields (a newer relay may add some): checked as a
        // request, one breaks the property.
        let progress = br#"{"idx":0,"size":1,"part_count":1,"parts_stored":0}"#;
        assert!(round_trip::<ObjectProgress, false>(progress));
        let checked_as_request =
            std::panic::catch_unwind(|| round_trip::<ObjectProgress, true>(progress));
        assert!(checked_as_request.is_err());
    }
}
