//! Pli as an OpenID Connect relying party of ProConnect (`openidconnect`): discovery,
//! the authorization request (state, nonce and PKCE), the code exchange, the identity
//! token's and the signed userinfo's verification, and the logout URL.
//!
//! What this module decides is only *who ProConnect vouches for*; which Pli account that
//! is, and whether its organisation accepts the establishment, is `routes::proconnect`'s.
//! Nothing here ever touches a key: a ProConnect sign-in unlocks nothing by itself.

use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim};
use openidconnect::{
    AdditionalClaims, AuthType, AuthenticationContextClass, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, TokenResponse as _,
    UserInfoClaims,
};
use pli_api::messages::{ProConnectFailure, Siret};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::OidcConfig;

/// How long the provider's discovered metadata (endpoints and keys) is kept before it is
/// read again: a key rotation at ProConnect is picked up within this.
const METADATA_FOR: Duration = Duration::from_secs(3600);
/// The largest answer read from the provider.
const MAX_ANSWER: usize = 1 << 20;
/// How long a request to the provider may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// ProConnect's claims beyond the standard ones (its userinfo carries them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProConnectClaims {
    /// Family name (ProConnect's own claim; `family_name` is not sent).
    #[serde(default)]
    pub usual_name: Option<String>,
    /// The establishment's SIRET.
    #[serde(default)]
    pub siret: Option<String>,
    /// The agent's id at their identity provider.
    #[serde(default)]
    pub uid: Option<String>,
    /// Which identity provider of the federation vouched.
    #[serde(default)]
    pub idp_id: Option<String>,
}

impl AdditionalClaims for ProConnectClaims {}

/// A sign-in begun: where to send the browser, and what its return must match.
#[derive(Debug)]
pub struct Begun {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    /// The `state` sent (43 characters).
    pub state: String,
    /// The `nonce` sent (43 characters).
    pub nonce: String,
    /// The PKCE verifier whose challenge was sent.
    pub verifier: String,
}

/// Who ProConnect vouched for, every signature checked.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The stable subject identifier.
    pub sub: String,
    /// The (professional) address.
    pub email: String,
    /// First names.
    pub given_name: String,
    /// Family name.
    pub usual_name: String,
    /// The establishment.
    pub siret: Siret,
    /// The identity provider that vouched.
    pub idp_id: String,
    /// The authentication level reached.
    pub acr: String,
    /// The identity token, kept (sealed) for the logout's `id_token_hint`.
    pub id_token: String,
}

/// The relying party.
#[derive(Debug)]
pub struct ProConnect {
    config: OidcConfig,
    redirect: RedirectUrl,
    post_logout: String,
    http: reqwest::Client,
    metadata: Mutex<Option<(Instant, ProviderMetadataWithLogout)>>,
}

/// An HTTP failure talking to the provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

async fn call(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let mut response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| HttpError(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(HttpError("the provider's answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    let mut answer = HttpResponse::new(body);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

impl ProConnect {
    /// The relying party for `config`, whose redirect URIs live under `public_url`.
    pub fn new(config: &OidcConfig, public_url: &str) -> anyhow::Result<Self> {
        let redirect = RedirectUrl::new(format!("{public_url}/api/proconnect/callback"))?;
        let http = reqwest::Client::builder()
            // Following a redirect would let the provider's answer send the relay
            // anywhere (server-side request forgery).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .build()?;
        Ok(Self {
            config: config.clone(),
            redirect,
            post_logout: format!("{public_url}/"),
            http,
            metadata: Mutex::new(None),
        })
    }

    /// The provider's metadata, discovered again after [`METADATA_FOR`].
    async fn metadata(&self) -> Result<ProviderMetadataWithLogout, ProConnectFailure> {
        let mut cached = self.metadata.lock().await;
        if let Some((at, metadata)) = cached.as_ref()
            && at.elapsed() < METADATA_FOR
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|_| ProConnectFailure::Unavailable)?;
        let http = |request| call(self.http.clone(), request);
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "ProConnect discovery failed");
                ProConnectFailure::Unavailable
            })?;
        *cached = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    async fn client(
        &self,
    ) -> Result<
        (
            openidconnect::Client<
                openidconnect::EmptyAdditionalClaims,
                openidconnect::core::CoreAuthDisplay,
                CoreGenderClaim,
                openidconnect::core::CoreJweContentEncryptionAlgorithm,
                openidconnect::core::CoreJsonWebKey,
                openidconnect::core::CoreAuthPrompt,
                openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
                openidconnect::core::CoreTokenResponse,
                openidconnect::core::CoreTokenIntrospectionResponse,
                openidconnect::core::CoreRevocableToken,
                openidconnect::core::CoreRevocationErrorResponse,
                openidconnect::EndpointSet,
                openidconnect::EndpointNotSet,
                openidconnect::EndpointNotSet,
                openidconnect::EndpointNotSet,
                openidconnect::EndpointMaybeSet,
                openidconnect::EndpointMaybeSet,
            >,
            ProviderMetadataWithLogout,
        ),
        ProConnectFailure,
    > {
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.0.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
        // ProConnect takes the client's secret in the token request's body.
        .set_auth_type(AuthType::RequestBody);
        Ok((client, metadata))
    }

    /// Begins a sign-in: a fresh state, nonce and PKCE verifier (each 32 random bytes),
    /// the scopes and the level asked for.
    pub async fn begin(&self) -> Result<Begun, ProConnectFailure> {
        let (client, _) = self.client().await?;
        let random = || {
            crate::auth::secrets::new_token()
                .map(|(token, _)| token)
                .map_err(|_| ProConnectFailure::Unavailable)
        };
        let (state, nonce) = (random()?, random()?);
        let verifier = PkceCodeVerifier::new(random()?);
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        let (sent_state, sent_nonce) = (state.clone(), nonce.clone());
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(sent_state),
            move || Nonce::new(sent_nonce),
        );
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        for level in &self.config.acr_values {
            request =
                request.add_auth_context_value(AuthenticationContextClass::new(level.clone()));
        }
        let (url, _, _) = request.set_pkce_challenge(challenge).url();
        Ok(Begun {
            url: url.to_string(),
            state,
            nonce,
            verifier: verifier.into_secret(),
        })
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier), verifies the
    /// identity token (signature, issuer, audience, expiry, and `nonce`), checks the level,
    /// and reads the signed userinfo of the same subject.
    pub async fn finish(
        &self,
        code: String,
        nonce: &str,
        verifier: String,
    ) -> Result<Identity, ProConnectFailure> {
        let (client, _) = self.client().await?;
        let http = |request| call(self.http.clone(), request);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|_| ProConnectFailure::Unavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(refusal) => {
                    tracing::info!(error = %refusal.error(), "ProConnect refused the code");
                    ProConnectFailure::CodeRefused
                }
                other => {
                    tracing::warn!(error = %other, "ProConnect's token endpoint failed");
                    ProConnectFailure::Unavailable
                }
            })?;
        let id_token = token.id_token().ok_or(ProConnectFailure::TokenInvalid)?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(|e| match e {
                ClaimsVerificationError::InvalidNonce(_) => ProConnectFailure::NonceMismatch,
                other => {
                    tracing::info!(error = %other, "ProConnect's identity token refused");
                    ProConnectFailure::TokenInvalid
                }
            })?;
        let acr = claims
            .auth_context_ref()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        if !self.config.acr_values.contains(&acr) {
            return Err(ProConnectFailure::AcrInsufficient);
        }
        let sub = claims.subject().clone();
        let info: UserInfoClaims<ProConnectClaims, CoreGenderClaim> = client
            .user_info(token.access_token().clone(), Some(sub.clone()))
            .map_err(|_| ProConnectFailure::Unavailable)?
            // ProConnect signs its userinfo; an unsigned one is not ProConnect's.
            .require_signed_response(true)
            .request_async(&http)
            .await
            .map_err(|e| {
                tracing::info!(error = %e, "ProConnect's userinfo refused");
                ProConnectFailure::TokenInvalid
            })?;
        let extra = info.additional_claims();
        let given_name = info
            .given_name()
            .and_then(|names| names.get(None))
            .map(|name| name.as_str().to_owned());
        let (Some(email), Some(given_name), Some(usual_name), Some(siret)) = (
            info.email().map(|e| e.as_str().trim().to_lowercase()),
            given_name,
            extra.usual_name.clone(),
            extra.siret.as_deref(),
        ) else {
            return Err(ProConnectFailure::TokenInvalid);
        };
        let siret = Siret::parse(siret).map_err(|_| ProConnectFailure::SiretRefused)?;
        Ok(Identity {
            sub: sub.as_str().to_owned(),
            email,
            given_name,
            usual_name,
            siret,
            idp_id: extra.idp_id.clone().unwrap_or_default(),
            acr,
            id_token: id_token.to_string(),
        })
    }

    /// Where the browser goes to end its ProConnect session (RP-initiated logout), coming
    /// back to Pli's front page; none if the provider has no end-session endpoint.
    pub async fn logout_url(&self, id_token: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let state = crate::auth::secrets::new_token().ok()?.0;
        let mut url = endpoint.url().clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("state", &state)
            .append_pair("post_logout_redirect_uri", &self.post_logout);
        Some(url.to_string())
    }
}
