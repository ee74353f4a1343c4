//! Operations: liveness, readiness, metrics, and the OpenAPI document generated from the
//! route table.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Json, ROUTES};
use crate::app::AppState;
use crate::auth::Policy;

pub(super) async fn healthz() -> &'static str {
    "ok"
}

pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.store.ping().await.is_ok();
    let blobs = state.blobs.check().await.is_ok();
    let status = if database && blobs {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut response = (
        status,
        Json(serde_json::json!({ "database": database, "blob_store": blobs })),
    )
        .into_response();
    if status != StatusCode::OK {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

pub(super) async fn openapi() -> Json<serde_json::Value> {
    Json(document())
}

/// The OpenAPI 3.1 document: every route of [`ROUTES`] with its summary, path
/// parameters, security and the error body.
pub(crate) fn document() -> serde_json::Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let parameters: Vec<serde_json::Value> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| serde_json::json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let security = match route.policy {
            Policy::Public => serde_json::json!([]),
            Policy::Operator => serde_json::json!([{ "bearer": [] }]),
            _ => serde_json::json!([{ "session": [] }, { "bearer": [] }]),
        };
        let operation = serde_json::json!({
            "summary": route.summary,
            "description": format!("Policy: {:?}.", route.policy),
            "parameters": parameters,
            "security": security,
            "responses": {
                "200": { "description": "Success." },
                "default": {
                    "description": "An error with a stable machine code.",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            }
        });
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| serde_json::json!({}));
        if let Some(map) = entry.as_object_mut() {
            map.insert(route.method.to_lowercase(), operation);
        }
    }
    serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": "Pli relay", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE },
                "bearer": { "type": "http", "scheme": "bearer" }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string", "enum": pli_api::ErrorCode::relay_codes().map(pli_api::ErrorCode::as_str).collect::<Vec<_>>() },
                        "message": { "type": "string" }
                    } } }
                }
            }
        }
    })
}
