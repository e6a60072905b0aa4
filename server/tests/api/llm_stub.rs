//! A faithful OpenAI-compatible upstream for the gateway tests, in process on 127.0.0.1:0:
//! `POST /v1/chat/completions` (whole, or SSE `chat.completion.chunk`s ending in `[DONE]`, with a
//! usage chunk when `stream_options.include_usage` asks), `/v1/embeddings`, `GET /v1/models`.
//! Its behaviour is switched per base path: `/ok/v1`, `/fail/v1` (500), `/busy/v1` (429),
//! `/slow/v1` (answers after 3 s), `/nousage/v1` (never reports usage), `/broken/v1` (a stream
//! that stops without `[DONE]`). It counts the requests it saw and checks the key it was given.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub const KEY: &str = "sk-upstream-test-0123456789";

#[derive(Clone, Default)]
pub struct Stub {
    pub base: String,
    pub seen: Arc<AtomicUsize>,
}

impl Stub {
    /// The base URL (ending in `/v1`) for behaviour `mode`.
    pub fn url(&self, mode: &str) -> String {
        format!("{}/{mode}/v1", self.base)
    }

    pub fn seen(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {KEY}"))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}})),
    )
        .into_response()
}

async fn chat(
    State(stub): State<Stub>,
    Path(mode): Path<String>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    stub.seen.fetch_add(1, Ordering::SeqCst);
    if !authorised(&headers) {
        return refuse(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    match mode.as_str() {
        "fail" => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "The server had an error"),
        "busy" => return refuse(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached"),
        "slow" => tokio::time::sleep(Duration::from_secs(3)).await,
        _ => {}
    }
    if body["messages"].as_array().is_some_and(|m| m.is_empty()) {
        return refuse(StatusCode::BAD_REQUEST, "messages must not be empty");
    }
    let model = body["model"].as_str().unwrap_or("").to_string();
    let usage = json!({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15});
    let with_usage = mode != "nousage";
    if body["stream"] == json!(true) {
        let include = with_usage && body["stream_options"]["include_usage"] == json!(true);
        let mut lines = Vec::new();
        for (i, piece) in ["Hel", "lo", " world"].iter().enumerate() {
            let chunk = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model,
                "choices": [{"index": 0, "delta": if i == 0 { json!({"role": "assistant", "content": piece}) } else { json!({"content": piece}) }, "finish_reason": null}]});
            lines.push(format!("data: {chunk}\n\n"));
        }
        if mode == "broken" {
            // Stops mid-answer: no finish, no usage, no [DONE].
        } else {
            let stop = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
            lines.push(format!("data: {stop}\n\n"));
            if include {
                let u = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model,
                    "choices": [], "usage": usage});
                lines.push(format!("data: {u}\n\n"));
            }
            lines.push("data: [DONE]\n\n".into());
        }
        let stream = futures::stream::iter(
            lines
                .into_iter()
                .map(|l| Ok::<_, std::io::Error>(axum::body::Bytes::from(l))),
        )
        .then(|item| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            item
        });
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(stream))
            .unwrap();
    }
    let mut answer = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello world"}, "finish_reason": "stop"}]});
    if with_usage {
        answer["usage"] = usage;
    }
    axum::Json(answer).into_response()
}

async fn embeddings(
    State(stub): State<Stub>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    stub.seen.fetch_add(1, Ordering::SeqCst);
    if !authorised(&headers) {
        return refuse(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    axum::Json(json!({"object": "list", "model": body["model"],
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
        "usage": {"prompt_tokens": 8, "total_tokens": 8}}))
    .into_response()
}

async fn models(headers: HeaderMap) -> Response {
    if !authorised(&headers) {
        return refuse(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    axum::Json(json!({"object": "list", "data": [
        {"id": "up-small", "object": "model", "created": 1, "owned_by": "stub"},
        {"id": "up-embed", "object": "model", "created": 1, "owned_by": "stub"}]}))
    .into_response()
}

use futures::StreamExt;

pub async fn start() -> Stub {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stub = Stub {
        base: format!("http://{}", listener.local_addr().unwrap()),
        seen: Arc::default(),
    };
    let app = Router::new()
        .route("/{mode}/v1/chat/completions", post(chat))
        .route("/{mode}/v1/embeddings", post(embeddings))
        .route("/{mode}/v1/models", get(models))
        .with_state(stub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    stub
}
