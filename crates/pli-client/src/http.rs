//! The HTTP transport: JSON requests with the session's bearer token, error bodies turned
//! into [`ClientError::Api`].

use pli_api::ErrorCode;
use pli_api::messages::ErrorBody;
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ClientError;

/// A connection to one relay.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client for the relay at `base` (`http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        }
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

    /// The session token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `path`, authenticated if there is a token.
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
        let text = response.text().await.unwrap_or_default();
        let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (body.error.code, body.error.message),
            // Not the relay's own error body (a proxy's page, say): the status tells.
            Err(_) => (ErrorCode::Unknown, text),
        };
        Err(ClientError::Api {
            status,
            code,
            message,
        })
    }

    /// GET a JSON document.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Ok(Self::send(self.request(Method::GET, path))
            .await?
            .json()
            .await?)
    }

    /// POST JSON, read JSON.
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

    /// POST JSON, ignore the answer's body.
    pub async fn post_empty<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), ClientError> {
        Self::send(self.request(Method::POST, path).json(body)).await?;
        Ok(())
    }
}
