//! A faithful OpenAI-compatible upstream for the gateway tests, in process on 127.0.0.1:0:
//! `POST /v1/chat/completions` (whole, or SSE `chat.completion.chunk`s ending in `[DONE]`, with a
//! usage chunk when `stream_options.include_usage` asks), `/v1/completions` (the same, in text
//! completions), `/v1/embeddings`, `GET /v1/models`, and Anthropic's `POST /v1/messages` (whole or events).
//! Its behaviour is switched per base path: `/ok/v1`, `/fail/v1` (500), `/busy/v1` (429),
//! `/slow/v1` (answers after 3 s), `/long/v1` (a 2-second stream that notes a client leaving), `/nousage/v1` (never reports usage), `/broken/v1` (a stream
//! that stops without `[DONE]`), `/garbled/v1` (a stream with a chunk that is not JSON). It counts the requests it saw and checks the key it was given.

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
/// A user's own key (BYOK), also accepted unless revoked.
pub const USER_KEY: &str = "sk-user-own-key-9876543210";

#[derive(Clone, Default)]
pub struct Stub {
    pub base: String,
    pub seen: Arc<AtomicUsize>,
    /// `long` streams whose client went away before the end.
    pub cancelled: Arc<AtomicUsize>,
    /// Whether [`USER_KEY`] is refused (401) on chat requests.
    pub user_key_revoked: Arc<std::sync::atomic::AtomicBool>,
    /// The key of the last chat request.
    pub last_key: Arc<std::sync::Mutex<String>>,
}

/// Counts a `long` stream as cancelled when it is dropped before its end.
struct Guard {
    done: bool,
    cancelled: Arc<AtomicUsize>,
}

impl Guard {
    fn finish(&mut self) {
        self.done = true;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.done {
            self.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// 40 chunks of "word ", 50 ms apart, no usage.
fn long_stream(cancelled: Arc<AtomicUsize>) -> Response {
    let guard = Guard {
        done: false,
        cancelled,
    };
    let stream = futures::stream::unfold((0, guard), |(i, mut guard)| async move {
        if i == 41 {
            guard.finish();
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let line = if i == 40 {
            "data: [DONE]\n\n".to_string()
        } else {
            let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "up",
                "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": null}]});
            format!("data: {chunk}\n\n")
        };
        Some((
            Ok::<_, std::io::Error>(axum::body::Bytes::from(line)),
            (i + 1, guard),
        ))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
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

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
}

fn authorised(headers: &HeaderMap) -> bool {
    matches!(bearer(headers), KEY | USER_KEY)
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
    let key = bearer(&headers).to_string();
    let revoked = key == USER_KEY && stub.user_key_revoked.load(Ordering::SeqCst);
    if !authorised(&headers) || revoked {
        return refuse(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    if let Ok(mut last) = stub.last_key.lock() {
        *last = key;
    }
    match mode.as_str() {
        "fail" => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "The server had an error"),
        "busy" => return refuse(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached"),
        "slow" => tokio::time::sleep(Duration::from_secs(3)).await,
        _ => {}
    }
    if mode == "long" {
        return long_stream(stub.cancelled.clone());
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
        if mode == "garbled" {
            // A chunk that is not JSON, between good ones.
            lines.insert(1, "data: {\"broken\": [\n\n".into());
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

/// The legacy `/v1/completions`: `text_completion` whole, or SSE chunks of `choices[].text`
/// (with a usage chunk when asked) ending in `[DONE]`.
async fn completions(
    State(stub): State<Stub>,
    Path(mode): Path<String>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    stub.seen.fetch_add(1, Ordering::SeqCst);
    if !authorised(&headers) {
        return refuse(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    if mode == "fail" {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "The server had an error");
    }
    if !body["prompt"].is_string() {
        return refuse(StatusCode::BAD_REQUEST, "prompt must be a string");
    }
    let model = body["model"].as_str().unwrap_or("").to_string();
    let usage = json!({"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7});
    let chunk = |text: &str, finish: Value| {
        json!({"id": "cmpl-1", "object": "text_completion", "created": 1, "model": model,
            "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": null}]})
    };
    if body["stream"] != json!(true) {
        let mut answer = chunk("Hello world", json!("stop"));
        answer["usage"] = usage;
        return axum::Json(answer).into_response();
    }
    let mut lines: Vec<String> = ["Hello", " world"]
        .iter()
        .map(|t| format!("data: {}\n\n", chunk(t, Value::Null)))
        .collect();
    lines.push(format!("data: {}\n\n", chunk("", json!("stop"))));
    if body["stream_options"]["include_usage"] == json!(true) {
        let u = json!({"id": "cmpl-1", "object": "text_completion", "created": 1, "model": model,
            "choices": [], "usage": usage});
        lines.push(format!("data: {u}\n\n"));
    }
    lines.push("data: [DONE]\n\n".into());
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from(lines.concat()))
        .unwrap()
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

/// Anthropic's Messages API: `x-api-key` and `anthropic-version` required; whole answers or
/// the event stream (`message_start`, a text block in three deltas, `message_delta` with the
/// output tokens, `message_stop`).
async fn messages(
    State(stub): State<Stub>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    stub.seen.fetch_add(1, Ordering::SeqCst);
    let key_ok = headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(KEY);
    if !key_ok || !headers.contains_key("anthropic-version") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"}})),
        )
            .into_response();
    }
    if body["max_tokens"].as_i64().is_none() {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"type": "error",
            "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}})),
        )
            .into_response();
    }
    let model = body["model"].clone();
    if body["stream"] == json!(true) {
        let events = [
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                "model": model, "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 1}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "ping"}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " world"}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": 5}}),
            json!({"type": "message_stop"}),
        ];
        let lines: Vec<String> = events
            .iter()
            .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
            .collect();
        let stream = futures::stream::iter(
            lines
                .into_iter()
                .map(|l| Ok::<_, std::io::Error>(axum::body::Bytes::from(l))),
        )
        .then(|item| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            item
        });
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(stream))
            .unwrap();
    }
    axum::Json(json!({"id": "msg_1", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "Hello world"}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 5}}))
    .into_response()
}

async fn models(headers: HeaderMap) -> Response {
    let anthropic = headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(KEY);
    if !authorised(&headers) && !anthropic {
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
        cancelled: Arc::default(),
        user_key_revoked: Arc::default(),
        last_key: Arc::default(),
    };
    let app = Router::new()
        .route("/{mode}/v1/chat/completions", post(chat))
        .route("/{mode}/v1/completions", post(completions))
        .route("/{mode}/v1/embeddings", post(embeddings))
        .route("/{mode}/v1/models", get(models))
        .route("/{mode}/v1/messages", post(messages))
        .with_state(stub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    stub
}
