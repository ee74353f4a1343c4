//! Pli as an OpenID Connect relying party of ProConnect (`openidconnect`): discovery,
//! the authorization request (state, nonce and PKCE), the code exchange, the identity
//! token's and the signed userinfo's verification, and the logout URL.
//!
//! What this module decides is only *who ProConnect vouches for*; which Pli account that
//! is, and whether its organisation accepts the establishment, is `routes::proconnect`'s.
//! Nothing here ever touches a key: a ProConnect sign-in unlocks nothing by itself.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenVerifier,
    CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthenticationContextClass, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, TokenResponse as _,
    UserInfoClaims,
};
use pli_api::messages::{ProConnectFailure, Siret};
use serde::{Deserialize, Serialize};

use crate::config::OidcConfig;

/// How long the provider's discovered metadata (endpoints and keys) is kept before it is
/// read again: a key rotation at ProConnect is picked up within this.
const METADATA_FOR: Duration = Duration::from_secs(3600);
/// The largest answer read from the provider.
const MAX_ANSWER: usize = 1 << 20;
/// How long a request to the provider may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// A token signed with an unknown key has the keys read again, if they are older than this.
const REDISCOVER_AFTER: Duration = Duration::from_secs(60);
/// How long a failed discovery is believed before ProConnect is asked again.
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// What the last discovery gave.
#[derive(Debug)]
enum Discovered {
    /// Nothing asked yet.
    Nothing,
    /// The metadata, and when it was read.
    Found(Instant, Box<ProviderMetadataWithLogout>),
    /// When it last failed.
    Failed(Instant),
}

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

/// A sign-in begun: where to send the browser, and what its return must match (no
/// `Debug`: it holds the nonce and the PKCE verifier).
#[allow(missing_debug_implementations, reason = "holds secrets")]
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

/// Who ProConnect vouched for, every signature checked (no `Debug`: it holds the
/// identity token).
#[allow(missing_debug_implementations, reason = "holds the identity token")]
#[derive(Clone)]
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
    metadata: Mutex<Discovered>,
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

/// `verifier`, RS256 only, as the signed userinfo's (`openidconnect`'s default there),
/// whatever else the provider's discovery lists: an HMAC algorithm would make the client
/// secret a signing key. Pli's client at ProConnect is registered with RS256.
fn rs256(verifier: CoreIdTokenVerifier<'_>) -> CoreIdTokenVerifier<'_> {
    verifier.set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
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
            metadata: Mutex::new(Discovered::Nothing),
        })
    }

    /// The provider's metadata (endpoints, keys), discovered again after
    /// [`METADATA_FOR`], or at once if `fresh` and what is kept is older than
    /// [`REDISCOVER_AFTER`] (a token signed with a key it does not hold: ProConnect may have
    /// rotated its keys). A failed discovery is remembered for [`RETRY_AFTER`], so that
    /// while ProConnect is unreachable each sign-in fails at once instead of waiting. The
    /// lock is never held across a request to the provider.
    async fn metadata(&self, fresh: bool) -> Result<ProviderMetadataWithLogout, ProConnectFailure> {
        {
            let cached = self
                .metadata
                .lock()
                .map_err(|_| ProConnectFailure::Unavailable)?;
            match &*cached {
                Discovered::Found(at, metadata)
                    if at.elapsed() < METADATA_FOR
                        && !(fresh && at.elapsed() > REDISCOVER_AFTER) =>
                {
                    return Ok((**metadata).clone());
                }
                Discovered::Failed(at) if at.elapsed() < RETRY_AFTER => {
                    return Err(ProConnectFailure::Unavailable);
                }
                _ => {}
            }
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|_| ProConnectFailure::Unavailable)?;
        let http = |request| call(self.http.clone(), request);
        let found = ProviderMetadataWithLogout::discover_async(issuer, &http).await;
        let mut cached = self
            .metadata
            .lock()
            .map_err(|_| ProConnectFailure::Unavailable)?;
        match found {
            Ok(metadata) => {
                *cached = Discovered::Found(Instant::now(), Box::new(metadata.clone()));
                Ok(metadata)
            }
            Err(error) => {
                tracing::warn!(%error, "ProConnect discovery failed");
                *cached = Discovered::Failed(Instant::now());
                Err(ProConnectFailure::Unavailable)
            }
        }
    }

    async fn client(
        &self,
        fresh: bool,
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
        let metadata = self.metadata(fresh).await?;
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
        let (client, _) = self.client(false).await?;
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
        // The level asked for is the first; the others are accepted too (a stronger one
        // ProConnect reached anyway).
        if let Some(level) = self.config.acr_values.first() {
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
        let (client, _) = self.client(false).await?;
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
        let nonce = Nonce::new(nonce.to_owned());
        let mut checked = id_token
            .claims(&rs256(client.id_token_verifier()), &nonce)
            .cloned();
        let mut client = client;
        if let Err(ClaimsVerificationError::SignatureVerification(_)) = checked {
            // Perhaps a key ProConnect rotated in since the keys were read: read them
            // again (once, and not more than once a minute) and check again.
            (client, _) = self.client(true).await?;
            checked = id_token
                .claims(&rs256(client.id_token_verifier()), &nonce)
                .cloned();
        }
        let claims = checked.map_err(|e| match e {
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
        let metadata = self.metadata(false).await.ok()?;
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
