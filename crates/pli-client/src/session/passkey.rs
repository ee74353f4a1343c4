//! Passkeys: adding one to the account (with what it unlocks sealed under its PRF
//! output), listing and removing them, and logging in with one — which unlocks the keys
//! without the password or the account key.
//!
//! The WebAuthn calls themselves (`navigator.credentials`) belong to the page: this code
//! takes their answers. The PRF output never goes to the relay: the answers sent are
//! stripped of their client extension results here, whatever the caller passed.

use pli_api::messages::{
    PasskeyCeremony, PasskeyInfo, PasskeyLoginBegin, PasskeyLoginRequest, PasskeyLoginResponse,
    PasskeyRegistration,
};
use pli_crypto::passkey::{PasskeyKey, PasskeyUnlock};

use super::*;

/// An authenticator's answer as the relay may see it: `clientExtensionResults` (where
/// the PRF output is) removed, and nothing but a JSON object accepted.
fn for_relay(answer: &str) -> Result<String, ClientError> {
    let mut value: serde_json::Value = serde_json::from_str(answer)
        .map_err(|e| ClientError::verification(format!("the passkey's answer: {e}")))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| ClientError::verification("the passkey's answer is not an object"))?;
    object.remove("clientExtensionResults");
    object.remove("getClientExtensionResults");
    Ok(value.to_string())
}

impl Session {
    /// Starts adding a passkey (after a recent password proof): the options for
    /// `navigator.credentials.create`, to which the page adds the PRF extension
    /// evaluated on [`pli_crypto::passkey::prf_input`].
    pub async fn passkey_begin(&self) -> Result<PasskeyCeremony, ClientError> {
        self.client.fetch(&ep::PasskeyRegisterBegin {}).await
    }

    /// Adds the passkey the browser created: `answer` is its `toJSON()`,
    /// `credential_id` its raw id and `prf_output` its PRF output on the Pli input. Seals
    /// this session's keys and account key under that output for the relay to keep.
    pub async fn passkey_add(
        &self,
        ceremony: &str,
        answer: &str,
        credential_id: &[u8],
        prf_output: &[u8],
    ) -> Result<PasskeyInfo, ClientError> {
        let account_key = self
            .account_key
            .clone()
            .ok_or(ClientError::Crypto(pli_crypto::Error::AccountKeyNeeded))?;
        let unlock = PasskeyUnlock {
            bundle: KeyBundle {
                user_id: self.me.user_id,
                keys: self.keys.clone(),
                root: None,
                trusted_root: Some(self.trust.0),
            },
            account_key,
        };
        let key = PasskeyKey::derive(prf_output, credential_id)?;
        let sealed = unlock.seal(&key, credential_id)?;
        self.client
            .call(
                &ep::PasskeyRegister {},
                &PasskeyRegistration {
                    ceremony: ceremony.into(),
                    credential: for_relay(answer)?,
                    sealed_unlock: Base64(sealed),
                },
            )
            .await
    }

    /// My passkeys.
    pub async fn passkeys(&self) -> Result<Vec<PasskeyInfo>, ClientError> {
        self.client.fetch(&ep::MyPasskeys {}).await
    }

    /// Removes one of my passkeys (after a recent password proof).
    pub async fn remove_passkey(&self, id: &str) -> Result<(), ClientError> {
        self.client.act(&ep::RemovePasskey { id: id.into() }).await
    }

    /// Starts a passkey login for `email`: the options for `navigator.credentials.get`.
    pub async fn passkey_login_begin(
        client: &Client,
        email: &str,
    ) -> Result<PasskeyCeremony, ClientError> {
        client
            .call(
                &ep::PasskeyLoginStart {},
                &PasskeyLoginBegin {
                    email: email.into(),
                },
            )
            .await
    }

    /// Logs in with the assertion the browser made (`answer`, its `toJSON()`), and
    /// unlocks the keys with the PRF output that assertion gave: the relay's sealed value
    /// must open under this passkey (`credential_id` as the browser saw it, not as the
    /// relay says) and name this account. The platform root is the one sealed in it.
    pub async fn login_with_passkey(
        client: &Client,
        ceremony: &str,
        answer: &str,
        credential_id: &[u8],
        prf_output: &[u8],
        pinned_root: Option<VerifyingKey>,
    ) -> Result<Self, ClientError> {
        let key = PasskeyKey::derive(prf_output, credential_id)?;
        let request = PasskeyLoginRequest {
            ceremony: ceremony.into(),
            credential: for_relay(answer)?,
            bearer: cfg!(not(target_arch = "wasm32")),
        };
        let response: PasskeyLoginResponse = client.call(&ep::PasskeyLogin {}, &request).await?;
        let me = response.login.me;
        let client = client.with_token(response.login.token.clone());
        let unlock = match PasskeyUnlock::open(
            &response.sealed_unlock.0,
            &key,
            &me.user_id,
            credential_id,
        ) {
            Ok(unlock) => unlock,
            Err(e) => {
                // The session the relay opened unlocks nothing here: end it at once.
                let _ = client.fetch(&ep::Logout {}).await;
                return Err(e.into());
            }
        };
        let kdf = kdf_from_wire(&me.kdf)?;
        Self::unlock(
            client,
            me,
            unlock.bundle,
            pinned_root,
            kdf,
            Some(unlock.account_key),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_relay_never_sees_the_client_extension_results() {
        let answer = r#"{"id":"abc","rawId":"abc","type":"public-key","response":{"clientDataJSON":"x"},"clientExtensionResults":{"prf":{"results":{"first":"U0VDUkVU"}}}}"#;
        let sent = super::for_relay(answer).unwrap();
        assert!(!sent.contains("clientExtensionResults"));
        assert!(!sent.contains("U0VDUkVU"));
        assert!(sent.contains(r#""clientDataJSON":"x""#));
        assert!(super::for_relay("[1]").is_err());
        assert!(super::for_relay("not json").is_err());
    }
}
