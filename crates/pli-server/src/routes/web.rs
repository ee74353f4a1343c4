//! The web app's files: `index.html` and the service worker never cached, the
//! content-hashed assets cached for a year; every page with a strict
//! Content-Security-Policy (no inline script, no third party, WebAssembly allowed, no
//! framing).

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

use crate::app::AppState;
use crate::error::ApiError;

/// The policy every page is served with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A relative path inside the web folder, or `None` for anything that tries to leave it.
fn safe_path(uri_path: &str) -> Option<PathBuf> {
    let relative = uri_path.trim_start_matches('/');
    let path = Path::new(if relative.is_empty() {
        "index.html"
    } else {
        relative
    });
    path.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| path.to_path_buf())
}

/// Whether a compressed copy beside `file` (`<file>.br`, `<file>.gz`) is older than the
/// file: the file was changed after `cargo xtask web` wrote its copies (an operator's
/// edit by hand), and the copies would serve the old content. A file that cannot be
/// read has nothing stale about it (ServeDir answers 404 for it).
async fn stale_copies(file: &Path) -> bool {
    let modified = |path: PathBuf| async move {
        tokio::fs::metadata(path)
            .await
            .and_then(|m| m.modified())
            .ok()
    };
    let Some(original) = modified(file.to_path_buf()).await else {
        return false;
    };
    for suffix in ["br", "gz"] {
        let mut copy = file.as_os_str().to_owned();
        copy.push(".");
        copy.push(suffix);
        if modified(PathBuf::from(copy))
            .await
            .is_some_and(|time| time < original)
        {
            return true;
        }
    }
    false
}

/// Serves a file of the web app (the router's fallback for non-API paths).
///
/// tower-http's `ServeDir` does the file work: it picks the variant `cargo xtask web`
/// wrote beside each compressible file (`<file>.br`, then `<file>.gz`, else the file
/// itself) from `Accept-Encoding` with its q-values, sets `Content-Encoding` and
/// `Vary: Accept-Encoding`, answers HEAD, ranges and conditional requests. This handler
/// keeps what is Pli's own: which paths are files of the app (never `/api/…`, never a
/// folder, never outside the web folder, `/` is `index.html`), the Content-Type of the
/// original file (with its charset), the cache policy, and the API's 404. A file whose
/// compressed copies are older than it is served as itself, never from a stale copy (a
/// warning in the log names it).
pub(super) async fn serve(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/") {
        return Err(ApiError::NotFound);
    }
    let Some(root) = state.config.web_dir.clone() else {
        return Err(ApiError::NotFound);
    };
    let relative = safe_path(&path).ok_or(ApiError::NotFound)?;
    let (mut parts, body) = request.into_parts();
    // `/` becomes `/index.html` here, so that ServeDir never looks at a folder.
    parts.uri = format!("/{}", relative.to_string_lossy())
        .parse()
        .map_err(|_| ApiError::NotFound)?;
    let stale = stale_copies(&root.join(&relative)).await;
    if stale {
        tracing::warn!(
            file = %relative.display(),
            "a compressed copy is older than its file: the file is served, run `cargo xtask web` again"
        );
    }
    let files = ServeDir::new(root)
        .append_index_html_on_directories(false)
        .redirect_to_trailing_slash(false);
    let files = if stale {
        files
    } else {
        files.precompressed_br().precompressed_gzip()
    };
    let response = match files.oneshot(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if response.status() == StatusCode::NOT_FOUND {
        return Err(ApiError::NotFound);
    }
    let mut response = response.map(Body::new);
    let status = response.status();
    let headers = response.headers_mut();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(&relative)),
        );
        if stale {
            // What ServeDir says of every file it may send compressed.
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        let immutable = relative.starts_with("assets");
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        );
    }
    Ok(response)
}

/// Security headers on every response of the relay (pages and API alike).
pub(super) async fn security_headers(request: Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    // With COOP, makes the page cross-origin isolated: no other site's resource can load
    // into its process (everything the app loads is same-origin).
    headers.insert(
        "cross-origin-embedder-policy",
        HeaderValue::from_static("require-corp"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // HTTPS only, for two years, subdomains included (browsers ignore it over plain HTTP,
    // so the local development relay is unaffected).
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_web_folder() {
        assert_eq!(safe_path("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            safe_path("/assets/app-1234.wasm"),
            Some(PathBuf::from("assets/app-1234.wasm"))
        );
        assert_eq!(safe_path("/../etc/passwd"), None);
        assert_eq!(safe_path("/assets/../../x"), None);
        assert_eq!(safe_path("//etc/passwd"), Some(PathBuf::from("etc/passwd")));
    }
}
