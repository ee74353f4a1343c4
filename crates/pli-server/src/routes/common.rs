//! Conversions and checks shared by the handlers.

use pli_api::ErrorCode;
use pli_api::messages::{Kdf, Me, NewCredentials};
use pli_api::{Base64, Role, SecondFactor, SignedObject, UserId};
use pli_crypto::password::{KdfParams, Secrets};
use pli_crypto::sign::{Signed, VerifyingKey};

use crate::app::AppState;
use crate::audit::to_hex;
use crate::auth::secrets;
use crate::error::ApiError;
use crate::store::directory::{Org, SignedBlob, UserCertRow};
use crate::store::users::{Credentials, User};

/// Lowercase, trimmed, plausible address.
pub(crate) fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if plausible {
        Ok(email)
    } else {
        Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "not an e-mail address",
        ))
    }
}

/// A name of 1 to 200 bytes without control characters, trimmed.
pub(crate) fn check_name(name: &str, what: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > pli_crypto::cert::MAX_NAME_LEN
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            format!("the {what} must be 1 to 200 characters"),
        ));
    }
    Ok(name.to_owned())
}

/// Exactly 32 bytes.
pub(crate) fn key32(value: &Base64, what: &str) -> Result<[u8; 32], ApiError> {
    value.0.as_slice().try_into().map_err(|_| {
        ApiError::bad_request(
            ErrorCode::BadRequest,
            format!("the {what} must be 32 bytes"),
        )
    })
}

/// The parameters of new credentials: refused if weaker than clients accept, or if they
/// stretch the password alone — every new password is mixed with an account key, so
/// that what the relay stores cannot be attacked by guessing passwords.
pub(crate) fn new_kdf(kdf: &Kdf) -> Result<KdfParams, ApiError> {
    let params = KdfParams::from_wire(kdf)
        .map_err(|e| ApiError::bad_request(ErrorCode::BadRequest, e.to_string()))?;
    if params.secrets != Secrets::PasswordAndAccountKey {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "new credentials must mix an account key into the password (version 2)",
        ));
    }
    Ok(params)
}

/// What the relay stores for a new password (hashing the auth key off the async runtime).
pub(crate) async fn credentials(
    state: &AppState,
    new: &NewCredentials,
    signing_key: [u8; 32],
    encryption_key: Vec<u8>,
) -> Result<Credentials, ApiError> {
    let kdf = new_kdf(&new.kdf)?;
    let auth_key = key32(&new.auth_key, "auth key")?;
    if new.key_bundle.0.is_empty() || new.key_bundle.0.len() > 4096 {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            "the key bundle must be 1 to 4096 bytes",
        ));
    }
    let auth_hash = password_work(state, move || secrets::hash_auth_key(&auth_key)).await?;
    Ok(Credentials {
        kdf,
        auth_hash,
        key_bundle: new.key_bundle.0.clone(),
        signing_key,
        encryption_key,
    })
}

/// Runs an Argon2id hash off the async runtime if one of the relay's hashing slots is
/// free; otherwise fails at once with `busy` (503, retry in a second) rather than queueing
/// more hashes, and their memory, than the machine can hold. The slot goes with the work,
/// so a client that hangs up does not free it before the hash ends.
pub(crate) async fn password_work<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let slot = state
        .password_hashes
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy)?;
    blocking(move || {
        let result = work();
        drop(slot);
        result
    })
    .await
}

/// Runs CPU-heavy work (Argon2id) off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
}

/// A signed object from the wire.
pub(crate) fn signed<T>(wire: &SignedObject) -> Result<Signed<T>, ApiError> {
    Signed::from_wire(wire)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))
}

/// A signed object as stored.
pub(crate) fn blob_of<T>(signed: &Signed<T>) -> SignedBlob {
    SignedBlob {
        data: signed.data().to_vec(),
        signature: signed.signature().to_vec(),
    }
}

/// The stored form of a signed blob as a typed signed object.
pub(crate) fn signed_of<T>(blob: &SignedBlob) -> Result<Signed<T>, ApiError> {
    Signed::from_wire(&blob.to_wire()).map_err(ApiError::internal)
}

/// The caller's own current certificate: what their admin actions are verified against
/// (what they certify or publish must be issued by them). 409 if their keys are not
/// certified.
pub(crate) async fn own_certificate(
    state: &AppState,
    user: &UserId,
) -> Result<UserCertRow, ApiError> {
    state
        .store
        .current_user_certificate(user)
        .await?
        .ok_or_else(|| ApiError::conflict(ErrorCode::WrongState, "your own keys are not certified"))
}

/// The platform root key, once the platform is set up.
pub(crate) async fn root_key(state: &AppState) -> Result<Option<VerifyingKey>, ApiError> {
    match state.store.setting("root_key").await? {
        None => Ok(None),
        Some(bytes) => {
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| ApiError::internal("stored root key length"))?;
            VerifyingKey::from_bytes(&bytes)
                .map(Some)
                .map_err(ApiError::internal)
        }
    }
}

/// The trust root, or 409 if the platform is not set up.
pub(crate) async fn trust_root(state: &AppState) -> Result<pli_crypto::cert::TrustRoot, ApiError> {
    root_key(state)
        .await?
        .map(pli_crypto::cert::TrustRoot)
        .ok_or_else(|| ApiError::conflict(ErrorCode::WrongState, "the platform is not set up"))
}

/// Hex fingerprint of a signing key.
pub(crate) fn fingerprint_hex(key: &VerifyingKey) -> String {
    to_hex(&key.fingerprint().0)
}

/// The organisation an account belongs to (every account has one).
pub(crate) async fn own_org(state: &AppState, user: &User) -> Result<Org, ApiError> {
    state
        .store
        .org(&user.org_id)
        .await?
        .ok_or_else(|| ApiError::internal("user without organisation"))
}

/// The account as the API describes it.
pub(crate) async fn me(state: &AppState, user: &User) -> Result<Me, ApiError> {
    let org = own_org(state, user).await?;
    let upgrade = state.store.key_upgrade(&user.id).await?;
    Ok(Me {
        user_id: user.id,
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: user.role,
        status: user.status,
        org_id: org.id,
        org_name: org.name,
        org_kind: org.kind,
        totp_enabled: user.totp_enabled,
        totp_required: !user.service
            && (user.role != Role::Member || org.second_factor == SecondFactor::Required),
        service: user.service,
        key_bundle: Base64(user.key_bundle.clone()),
        kdf: user.kdf.to_wire(),
        root_key: root_key(state)
            .await?
            .map(|k| Base64(k.to_bytes().to_vec())),
        seen_checkpoint: state
            .store
            .seen_checkpoint(&user.id)
            .await?
            .map(|blob| blob.to_wire()),
        key_upgrade: upgrade.as_ref().map(|row| row.upgrade.to_wire()),
        later_identities: upgrade.map(|row| Base64(row.later_identities)),
    })
}

/// A short JSON detail for the audit log (ids and numbers only).
pub(crate) fn detail(pairs: &[(&str, String)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// Publishes a checkpoint holding the directory changes just committed (signed, and
/// cosigned by the witnesses that answer within their timeout), so that the person who
/// made them reads them back verified. If it cannot (a witness down, the database busy),
/// the change stands and the next publication carries it.
pub(crate) async fn logged(state: &AppState) -> Result<(), ApiError> {
    let limit = std::time::Duration::from_secs(30);
    match tokio::time::timeout(limit, state.log.publish(&state.store)).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => {
            tracing::warn!(error = %format!("{error:#}"), "no checkpoint published after a directory change");
        }
        Err(_) => tracing::warn!("no checkpoint published within 30 s of a directory change"),
    }
    Ok(())
}

/// A revocation the acting admin signed, for `org` and `subject`: with the key of their
/// current certificate, or with the root's if they are the platform admin (who holds
/// it). What the transparency log will hold, so the relay checks it as clients will.
pub(crate) async fn revocation(
    state: &AppState,
    auth: &crate::auth::Auth,
    wire: Option<&SignedObject>,
    org: &pli_api::OrgId,
    subject: pli_crypto::statement::Revoked,
) -> Result<SignedBlob, ApiError> {
    use pli_crypto::statement::Revocation;
    let wire = wire.ok_or_else(|| {
        ApiError::unprocessable(ErrorCode::BadCertificate, "a signed revocation is required")
    })?;
    let signed = signed::<Revocation>(wire)?;
    let key = if auth.user.role == crate::store::users::Role::PlatformAdmin {
        root_key(state)
            .await?
            .ok_or_else(|| ApiError::internal("no root key"))?
    } else {
        // The organisation admin's current certificate, as the relay stored it (it verified
        // it when it was certified).
        let own = own_certificate(state, &auth.user.id).await?;
        let cert: pli_crypto::cert::UserCertificate =
            pli_crypto::codec::Canonical::from_canonical(&own.certificate.data)
                .map_err(ApiError::internal)?;
        cert.signing_key
    };
    let revocation = signed
        .verify(&key)
        .map_err(|e| ApiError::unprocessable(ErrorCode::BadCertificate, e.to_string()))?;
    if revocation.org_id != *org
        || revocation.subject != subject
        || revocation.issuer != key.fingerprint()
    {
        return Err(ApiError::unprocessable(
            ErrorCode::BadCertificate,
            "the revocation names another organisation, subject or issuer",
        ));
    }
    Ok(blob_of(&signed))
}
