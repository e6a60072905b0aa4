//! The OpenAI-compatible surface (`/v1/*`, also under the original's `/api/v1/llm/*`). It has
//! its own lean stack: API keys only (no session or CSRF layers, which these clients never
//! use), errors in OpenAI's envelope, and streams passed through without compression.

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

/// Reads the body up to the gateway's limit; past it, 413 in OpenAI's envelope.
async fn serve(gw: &Gateway, endpoint: Endpoint, headers: &HeaderMap, body: Body) -> Response {
    match axum::body::to_bytes(body, proxy::MAX_BODY).await {
        Ok(bytes) => proxy::handle(gw, endpoint, headers, bytes).await,
        Err(_) => proxy::render(
            &ops_gateway::GatewayError::TooLarge(proxy::MAX_BODY),
            endpoint,
        ),
    }
}

pub async fn chat(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    serve(&gw, Endpoint::Chat, &headers, body).await
}

pub async fn completions(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    serve(&gw, Endpoint::Completions, &headers, body).await
}

pub async fn messages(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    serve(&gw, Endpoint::Messages, &headers, body).await
}

pub async fn embeddings(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    serve(&gw, Endpoint::Embeddings, &headers, body).await
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
    for prefix in ["/v1", "/api/v1/llm"] {
        r = r
            .route(&format!("{prefix}/chat/completions"), post(chat))
            .route(&format!("{prefix}/completions"), post(completions))
            .route(&format!("{prefix}/embeddings"), post(embeddings))
            .route(&format!("{prefix}/messages"), post(messages));
    }
    r.route("/v1/models", get(models))
        .layer(axum::extract::DefaultBodyLimit::disable())
        // A panic answers 500 instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
}
