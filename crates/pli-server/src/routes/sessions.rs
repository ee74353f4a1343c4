//! A person's own sessions: listing them (to recognise a device one no longer uses, or
//! one that is not one's own) and ending one. Ending this very session is a logout.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use pli_api::endpoints as ep;
use pli_api::messages::SessionInfo;
use sha2::{Digest as _, Sha256};

use super::{Found, Json};
use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::now_ms;

/// The name a session is listed and ended by: derived from its token's hash, so that
/// the list reveals neither (the hash is what finds a session from its token).
fn public_id(token_hash: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"pli/v1/session-id\0")
        .chain_update(token_hash.as_bytes())
        .finalize();
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A coarse summary of the User-Agent, as a person recognises their device: the browser
/// family and the operating system, `pli` for the command line, empty otherwise. The
/// header itself is never stored.
pub(crate) fn device(headers: &HeaderMap) -> String {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if agent.starts_with("pli") {
        return "pli".to_owned();
    }
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(mark, _)| agent.contains(mark))
    .map(|(_, name)| *name);
    let system = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| agent.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => String::new(),
    }
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    let sessions = state.store.user_sessions(&auth.user.id, now_ms()).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionInfo {
                id: public_id(&s.token_hash),
                current: s.token_hash == auth.session.token_hash,
                device: s.device,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
            })
            .collect(),
    ))
}

/// Ends one of the caller's sessions; an id that names none of them (another person's
/// session, one already ended, a made-up one) is `not_found`, all alike.
pub(super) async fn end(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Found(ep::EndSession { id }): Found<ep::EndSession>,
) -> Result<StatusCode, ApiError> {
    let sessions = state.store.user_sessions(&auth.user.id, now_ms()).await?;
    let session = sessions
        .iter()
        .find(|s| public_id(&s.token_hash) == id)
        .ok_or(ApiError::NotFound)?;
    let mut tx = state.store.begin().await?;
    if !tx
        .delete_user_session(&auth.user.id, &session.token_hash)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    fn device_of(agent: &str) -> String {
        let mut headers = HeaderMap::new();
        headers.insert(header::USER_AGENT, HeaderValue::from_str(agent).unwrap());
        super::device(&headers)
    }

    #[test]
    fn a_device_is_named_by_browser_and_system_only() {
        assert_eq!(
            device_of(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
            ),
            "Chrome · Linux"
        );
        assert_eq!(
            device_of(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
            ),
            "Edge · Windows"
        );
        assert_eq!(
            device_of(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:131.0) Gecko/20100101 Firefox/131.0"
            ),
            "Firefox · macOS"
        );
        assert_eq!(
            device_of(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
            ),
            "Safari · iOS"
        );
        assert_eq!(device_of("pli/0.1.0"), "pli");
        assert_eq!(device_of("curl/8.5.0"), "");
        assert_eq!(super::device(&HeaderMap::new()), "");
    }

    #[test]
    fn a_session_id_reveals_neither_token_nor_hash() {
        let id = super::public_id("ab".repeat(32).as_str());
        assert_eq!(id.len(), 24);
        assert!(!"ab".repeat(32).contains(&id));
    }
}
