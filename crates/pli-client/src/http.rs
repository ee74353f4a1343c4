//! The HTTP transport: calls to the endpoints `pli_api::endpoints` describes, with the
//! session's bearer token, error bodies turned into [`ClientError::Api`].
//!
//! Paths are never written here: each call names an endpoint, whose description gives the
//! method, the path and the types of what goes and comes back. Four calls cover the JSON
//! endpoints ([`Client::call`], [`Client::fetch`], [`Client::submit`], [`Client::act`],
//! chosen by whether a body goes and whether one comes back); [`Client::request_to`]
//! builds the request for the others (raw parts, streamed objects).

use pli_api::ErrorCode;
use pli_api::endpoints::{self, Endpoint, NoBody};
use pli_api::messages::{Attempts, ErrorBody};
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ClientError;

/// How long the native client keeps an idle connection for its next request: well under
/// the relay's own limit (`header_read_seconds`, 30 s by default), past which the relay
/// closes it. With reqwest's default (90 s), a request sent on a connection idle for
/// about 30 s met the relay closing it: it failed with "error sending request"
/// (connection closed before the answer), and a request that may have been carried out
/// cannot be sent again blindly (the load run saw 2 such failures in 2 minutes). The
/// relay's log then shows nothing: the request never reached it whole.
#[cfg(not(target_arch = "wasm32"))]
pub const IDLE_CONNECTION: std::time::Duration = std::time::Duration::from_secs(20);

/// A connection to one relay.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    /// What this device verified of the key directory's log before (a session made from
    /// this client starts from it: the relay's log must extend it).
    known_log: Option<std::sync::Arc<crate::KnownLog>>,
}

impl Client {
    /// A client for the relay at `base` (`http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        // Natively, the relay lists such sessions as the command line's ("pli"); a
        // browser sends its own User-Agent.
        #[cfg(not(target_arch = "wasm32"))]
        let http = reqwest::Client::builder()
            .user_agent(concat!("pli/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(IDLE_CONNECTION)
            .build()
            .unwrap_or_default();
        #[cfg(target_arch = "wasm32")]
        let http = reqwest::Client::new();
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: None,
            known_log: None,
        }
    }

    /// This client, remembering what this device verified of the directory's log (kept
    /// by the caller between sessions: the browser's sealed storage, the CLI's state).
    pub fn with_known_log(&self, known: crate::KnownLog) -> Self {
        Self {
            known_log: Some(std::sync::Arc::new(known)),
            ..self.clone()
        }
    }

    /// What this device verified of the directory's log before, if the caller said.
    pub fn known_log(&self) -> Option<&crate::KnownLog> {
        self.known_log.as_deref()
    }

    /// The relay's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A copy of this client that authenticates with `token`.
    pub fn with_token(&self, token: Option<String>) -> Self {
        Self {
            token,
            ..self.clone()
        }
    }

    /// A copy of this client whose every request carries the cookie `name=value`, as a
    /// browser's would: natively, how a caller presents what the relay gave a browser as a
    /// cookie (a ProConnect sign-in's ticket, in the relay's tests).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_cookie(&self, name: &str, value: &str) -> Result<Self, ClientError> {
        let mut headers = reqwest::header::HeaderMap::new();
        let cookie =
            reqwest::header::HeaderValue::from_str(&format!("{name}={value}")).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a cookie value")
            })?;
        headers.insert(reqwest::header::COOKIE, cookie);
        let http = reqwest::Client::builder()
            .user_agent(concat!("pli/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(IDLE_CONNECTION)
            .default_headers(headers)
            .build()?;
        Ok(Self {
            http,
            ..self.clone()
        })
    }

    /// The session token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `endpoint`, authenticated if there is a token, to finish and send
    /// with [`Client::send`] (for the endpoints whose bodies are not JSON).
    pub fn request_to<E: Endpoint>(&self, endpoint: &E) -> RequestBuilder {
        let method = match E::METHOD {
            endpoints::Method::Get => Method::GET,
            endpoints::Method::Post => Method::POST,
            endpoints::Method::Put => Method::PUT,
            endpoints::Method::Delete => Method::DELETE,
        };
        self.request(method, &endpoint.path())
    }

    /// A request to `path`, authenticated if there is a token. Prefer
    /// [`Client::request_to`]: tests use this one to send what no endpoint describes.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends and turns an error status into [`ClientError::Api`].
    pub async fn send(builder: RequestBuilder) -> Result<Response, ClientError> {
        let response = builder.send().await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        Err(ClientError::from_answer(
            status,
            retry_after.as_deref(),
            text,
        ))
    }

    /// Calls an endpoint that takes JSON and answers JSON.
    pub async fn call<E>(&self, endpoint: &E, body: &E::Request) -> Result<E::Response, ClientError>
    where
        E: Endpoint,
        E::Request: Serialize,
        E::Response: DeserializeOwned,
    {
        Ok(Self::send(self.request_to(endpoint).json(body))
            .await?
            .json()
            .await?)
    }

    /// Calls an endpoint that takes no body and answers JSON.
    pub async fn fetch<E>(&self, endpoint: &E) -> Result<E::Response, ClientError>
    where
        E: Endpoint<Request = NoBody>,
        E::Response: DeserializeOwned,
    {
        Ok(Self::send(self.request_to(endpoint)).await?.json().await?)
    }

    /// Calls an endpoint that takes JSON and answers with a status alone.
    pub async fn submit<E>(&self, endpoint: &E, body: &E::Request) -> Result<(), ClientError>
    where
        E: Endpoint<Response = NoBody>,
        E::Request: Serialize,
    {
        Self::send(self.request_to(endpoint).json(body)).await?;
        Ok(())
    }

    /// GET a JSON document at a path written by hand: for tests and tools that send what
    /// no endpoint describes (a malformed or foreign path). Pli's own code calls
    /// endpoints (`cargo xtask tidy` refuses an `/api/` path written in it).
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Ok(Self::send(self.request(Method::GET, path))
            .await?
            .json()
            .await?)
    }

    /// POST JSON to a path written by hand, read JSON (tests and tools, as [`Client::get`]).
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        Ok(Self::send(self.request(Method::POST, path).json(body))
            .await?
            .json()
            .await?)
    }

    /// POST JSON to a path written by hand, ignore the answer's body (tests and tools).
    pub async fn post_empty<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), ClientError> {
        Self::send(self.request(Method::POST, path).json(body)).await?;
        Ok(())
    }

    /// Calls an endpoint that takes no body and answers with a status alone.
    pub async fn act<E>(&self, endpoint: &E) -> Result<(), ClientError>
    where
        E: Endpoint<Request = NoBody, Response = NoBody>,
    {
        Self::send(self.request_to(endpoint)).await?;
        Ok(())
    }
}

impl ClientError {
    /// The error an answer of status `status` (not a success) stands for: the relay's own
    /// error body `text` parsed ([`ClientError::Api`]), or the text itself when it is not
    /// one (a proxy's page: the status tells), with its `Retry-After` header if it had
    /// one. For callers that made the request themselves too (the browser's worker
    /// reading a file's object).
    pub fn from_answer(status: u16, retry_after: Option<&str>, text: String) -> Self {
        // Seconds only: the relay never sends an HTTP date.
        let retry_after_s = retry_after.and_then(|v| v.trim().parse::<u64>().ok());
        let (code, message, attempts) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (body.error.code, body.error.message, body.error.attempts),
            Err(_) => (ErrorCode::Unknown, text, Attempts::default()),
        };
        Self::Api {
            status,
            code,
            message,
            attempts,
            retry_after_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_gives_its_code_and_its_wait_in_seconds_only() {
        let body = r#"{"error":{"code":"busy","message":"every slot is taken"}}"#;
        let error = ClientError::from_answer(503, Some(" 7 "), body.into());
        assert_eq!(error.code(), ErrorCode::Busy);
        assert_eq!(error.retry_after_s(), Some(7));
        // An HTTP date is not the relay's: no wait is read from it.
        let dated =
            ClientError::from_answer(503, Some("Wed, 21 Oct 2026 07:28:00 GMT"), body.into());
        assert_eq!(dated.retry_after_s(), None);
        // A proxy's page: the status tells, the text is kept.
        let proxy = ClientError::from_answer(502, None, "<html>Bad gateway</html>".into());
        assert_eq!(proxy.code(), ErrorCode::Unknown);
        assert!(proxy.to_string().contains("Bad gateway"), "{proxy}");
    }
}
