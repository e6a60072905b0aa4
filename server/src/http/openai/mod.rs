//! The OpenAI-compatible surface (`/v1/*`, also under the original's `/api/v1/llm/*`). It has
//! its own lean stack: API keys only (no session or CSRF layers, which these clients never
//! use), errors in OpenAI's envelope, and streams passed through without compression. The
//! model endpoints are answered before the router ([`crate::http::front`]); their routes here
//! give the route table, the OpenAPI walk and the method checks.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ops_gateway::upstream::Endpoint;
use ops_gateway::{Gateway, proxy};
use serde_json::json;

use crate::state::AppState;

/// The model endpoints, under `/v1/` and `/api/v1/llm/`.
const ENDPOINTS: [(&str, Endpoint); 4] = [
    ("chat/completions", Endpoint::Chat),
    ("completions", Endpoint::Completions),
    ("embeddings", Endpoint::Embeddings),
    ("messages", Endpoint::Messages),
];
const PREFIXES: [&str; 2] = ["/v1/", "/api/v1/llm/"];

/// The model endpoint at `path`, if it is one.
pub fn endpoint(path: &str) -> Option<Endpoint> {
    let rest = PREFIXES.iter().find_map(|p| path.strip_prefix(p))?;
    ENDPOINTS.iter().find(|(p, _)| *p == rest).map(|(_, e)| *e)
}

/// Reads the body up to the gateway's limit; past it, 413 in OpenAI's envelope.
pub async fn serve(gw: &Gateway, endpoint: Endpoint, headers: &HeaderMap, body: Body) -> Response {
    match axum::body::to_bytes(body, proxy::MAX_BODY).await {
        Ok(bytes) => proxy::handle(gw, endpoint, headers, bytes).await,
        Err(_) => proxy::render(
            &ops_gateway::GatewayError::TooLarge(proxy::MAX_BODY),
            endpoint,
        ),
    }
}

/// The models the key's account may use, in OpenAI's list shape.
pub async fn models(State(gw): State<Gateway>, headers: HeaderMap) -> Response {
    let caller = match gw.keys.resolve(&gw.db, &headers).await {
        Ok(c) => c,
        Err(e) => return e.openai(),
    };
    match ops_gateway::models::offers(&gw, &caller.owner).await {
        Ok(offers) => {
            let data: Vec<_> = offers
                .iter()
                .map(|m| json!({"id": m.name, "object": "model", "created": 0, "owned_by": m.model_group}))
                .collect();
            axum::Json(json!({"object": "list", "data": data})).into_response()
        }
        Err(_) => ops_gateway::GatewayError::Internal("model list".into()).openai(),
    }
}

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for prefix in PREFIXES {
        for (path, endpoint) in ENDPOINTS {
            let handler = move |State(gw): State<Gateway>, headers: HeaderMap, body: Body| async move {
                serve(&gw, endpoint, &headers, body).await
            };
            r = r.route(&format!("{prefix}{path}"), post(handler));
        }
    }
    r.route("/v1/models", get(models))
        .layer(axum::extract::DefaultBodyLimit::disable())
        // A panic answers 500 instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_endpoints_are_found_under_both_prefixes() {
        assert_eq!(endpoint("/v1/chat/completions"), Some(Endpoint::Chat));
        assert_eq!(endpoint("/api/v1/llm/messages"), Some(Endpoint::Messages));
        assert_eq!(endpoint("/v1/completions"), Some(Endpoint::Completions));
        assert_eq!(
            endpoint("/api/v1/llm/embeddings"),
            Some(Endpoint::Embeddings)
        );
        for other in [
            "/v1/models",
            "/v1/chat",
            "/v2/chat/completions",
            "/v1/chat/completions/",
        ] {
            assert_eq!(endpoint(other), None, "{other}");
        }
    }
}
