//! The AI gateway against a faithful upstream stub: providers and models from the console,
//! requests with platform API keys (whole and streamed), fallback past failing deployments,
//! errors in OpenAI's envelope, plan and balance refusals, and every request settled into the
//! ledger and the request log.

use std::time::Duration;

use ops_types::Role;
use reqwest::Client;
use serde_json::{Value, json};

use ops_db::Backend;

use crate::helpers::{PASSWORD, TestApp, backends, spawn_app_with, status_of};
use crate::llm_stub::{self, KEY, Stub};

/// Providers `ok`, `fail`, `nousage` and `claude` (Anthropic's API), and models: `m-basic` ($1/M in, $2/M out; a failing
/// deployment first, then `ok`), `m-quiet` (no usage reported), `m-premium` (a group the free
/// plan lacks), `m-embed`, `m-claude` (served natively by Anthropic's API).
pub(crate) async fn catalogue(app: &TestApp, admin: &Client, stub: &Stub) {
    let mut ids = std::collections::HashMap::new();
    for mode in ["ok", "fail", "nousage", "long"] {
        let body = json!({"name": mode, "kind": "openai_compatible", "base_url": stub.url(mode), "api_key": KEY});
        let (status, p) =
            status_of(app.post_json(admin, "/api/v1/llm/providers", &body).await).await;
        assert_eq!(status, 201, "{p}");
        assert_eq!(p["key_hint"], "••••6789");
        assert!(!p.to_string().contains(KEY), "the key never comes back");
        ids.insert(mode, p["id"].as_str().unwrap().to_string());
    }
    let body = json!({"name": "claude", "kind": "anthropic", "base_url": format!("{}/ok", stub.base), "api_key": KEY});
    let (status, p) = status_of(app.post_json(admin, "/api/v1/llm/providers", &body).await).await;
    assert_eq!(status, 201, "{p}");
    ids.insert("claude", p["id"].as_str().unwrap().to_string());
    let dep = |mode: &str, priority: i32| json!({"provider_id": ids[mode], "upstream_model": "up-small", "priority": priority});
    for (name, group, kind, deps) in [
        (
            "m-basic",
            "basic",
            "chat",
            vec![dep("fail", 0), dep("ok", 1)],
        ),
        ("m-quiet", "basic", "chat", vec![dep("nousage", 0)]),
        ("m-premium", "premium", "chat", vec![dep("ok", 0)]),
        ("m-embed", "basic", "embeddings", vec![dep("ok", 0)]),
        ("m-claude", "basic", "chat", vec![dep("claude", 0)]),
        ("m-long", "basic", "chat", vec![dep("long", 0)]),
    ] {
        let body = json!({"name": name, "model_group": group, "kind": kind, "input_price": 1_000_000,
            "output_price": 2_000_000, "max_output_tokens": 100, "deployments": deps, "aliases": [format!("{name}-alias")]});
        let (status, m) = status_of(
            app.post_json(admin, "/api/v1/llm/admin/models", &body)
                .await,
        )
        .await;
        assert_eq!(status, 201, "{m}");
    }
}

/// A fresh app (flushing every 50 ms) with the test catalogue: the app, an administrator, a
/// developer and the developer's platform API key.
pub(crate) async fn gateway_app(
    backend: Backend,
    stub: &Stub,
) -> (TestApp, Client, Client, String) {
    let app = spawn_app_with(backend, |s| s.gateway_flush_ms = 50).await;
    let admin = app.signed_in(Role::Admin).await;
    catalogue(&app, &admin, stub).await;
    let (me, key) = developer_key(&app).await;
    (app, admin, me, key)
}

/// A developer's platform API key (on the free plan: basic models, $1 of included credits).
pub(crate) async fn developer_key(app: &TestApp) -> (Client, String) {
    let email = app.user(Role::Developer).await;
    let me = app.sign_in(&email, PASSWORD).await;
    let key: Value = app
        .post_json(&me, "/api/v1/api-keys", &json!({"name": "sdk"}))
        .await
        .json()
        .await
        .unwrap();
    (me, key["secret"].as_str().unwrap().to_string())
}

pub(crate) async fn call(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::Response {
    Client::new()
        .post(app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub(crate) fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "max_tokens": 50,
        "messages": [{"role": "user", "content": "Say hello"}]})
}

/// Waits until the flusher has written `n` requests.
pub(crate) async fn logged(app: &TestApp, n: i64) {
    for _ in 0..100 {
        let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM llm_requests")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        if have >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} requests were not logged");
}

#[tokio::test]
async fn the_gateway_routes_streams_and_meters_requests() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, _, me, key) = gateway_app(backend, &stub).await;

        // -- A whole answer: the failing deployment is tried first, then the fallback tier.
        let before = stub.seen();
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-basic", false)).await;
        assert_eq!(stub.seen() - before, 2, "one failed attempt, one served");
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        assert_eq!(h["x-ops-provider"], "ok");
        assert_eq!(h["x-ops-attempts"], "2");
        assert_eq!(h["x-ops-credential"], "platform");
        // 10 input tokens × $1/M + 5 output × $2/M = 20 micro-dollars.
        assert_eq!(h["x-ops-cost"], "20");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], "Hello world");

        // -- Streamed, by alias and under the original's path: chunks pass through as they come.
        let res = call(
            &app,
            "/api/v1/llm/chat/completions",
            &key,
            &chat("m-basic-alias", true),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let text = res.text().await.unwrap();
        assert!(
            text.contains("\"Hel\"") && text.trim_end().ends_with("data: [DONE]"),
            "{text}"
        );

        // -- No usage from the provider: the gateway counts it.
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-quiet", false)).await;
        assert_eq!(res.status(), 200);

        // -- Embeddings.
        let body = json!({"model": "m-embed", "input": "hello"});
        let res = call(&app, "/v1/embeddings", &key, &body).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-ops-cost"], "8");

        // -- Errors in OpenAI's envelope.
        let res = call(
            &app,
            "/v1/chat/completions",
            &key,
            &chat("no-such-model", false),
        )
        .await;
        let (status, err) = status_of(res).await;
        assert_eq!(
            (status, err["error"]["code"].clone()),
            (404, json!("model_not_found"))
        );
        assert_eq!(err["error"]["type"], "invalid_request_error");
        let res = call(
            &app,
            "/v1/chat/completions",
            &key,
            &chat("m-premium", false),
        )
        .await;
        let (status, err) = status_of(res).await;
        assert_eq!(
            (status, err["error"]["type"].clone()),
            (403, json!("permission_error")),
            "{err}"
        );
        let res = Client::new()
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let res = call(
            &app,
            "/v1/chat/completions",
            "opc_nope",
            &chat("m-basic", false),
        )
        .await;
        let (status, err) = status_of(res).await;
        assert_eq!(
            (status, err["error"]["type"].clone()),
            (401, json!("authentication_error"))
        );
        let body = json!({"model": "m-basic", "messages": []});
        let (status, err) = status_of(call(&app, "/v1/chat/completions", &key, &body).await).await;
        assert_eq!(status, 400, "the upstream's own 400 is passed on: {err}");
        assert_eq!(err["error"]["message"], "messages must not be empty");
        let huge = json!({"model": "m-basic", "messages": [{"role": "user", "content": "x".repeat(9 << 20)}]});
        let res = call(&app, "/v1/chat/completions", &key, &huge).await;
        assert_eq!(res.status(), 413);

        // -- /v1/models lists only what the plan opens.
        let res = Client::new()
            .get(app.url("/v1/models"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let list: Value = res.json().await.unwrap();
        let ids: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["m-basic", "m-claude", "m-embed", "m-long", "m-quiet"]);

        // -- Everything is logged; the served requests are charged to the included credits.
        logged(&app, 7).await;
        let rows: Vec<(String, i64, i64, Option<String>, String)> = sqlx::query_as(
            "SELECT model, status, cost, ledger_entry, explain FROM llm_requests ORDER BY at, id",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        let served: i64 = rows.iter().filter(|r| r.1 == 200).map(|r| r.2).sum();
        assert!(
            rows.iter().filter(|r| r.1 == 200).all(|r| r.3.is_some()),
            "{rows:?}"
        );
        // A billed row keeps its prices as numbers; the log explains it with them.
        let log: Value = app.get_json(&me, "/api/v1/llm/requests?limit=200").await;
        assert!(
            log["requests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["explain"]
                    .as_str()
                    .unwrap()
                    .starts_with("10 input tokens")),
            "{log}"
        );
        assert!(
            rows.iter()
                .any(|r| r.1 == 404 && r.4.contains("does not exist"))
        );
        let balance: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(balance["granted"].as_i64().unwrap(), 1_000_000 - served);
        assert!(served >= 20 + 20 + 8, "{served}");
    }
}

/// Takes the developer's included credits down to 300 micro-dollars; returns their user id.
pub(crate) async fn leave_300(app: &TestApp, admin: &Client, me: &Client) -> String {
    app.get_json::<Value>(me, "/api/v1/subscriptions/current")
        .await;
    let uid: String = sqlx::query_scalar("SELECT user_id FROM api_keys")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let take = json!({"user_id": uid, "amount": 1_000_000 - 300, "reason": "leave 300"});
    let res = app.post_json(admin, "/api/v1/credits/deduct", &take).await;
    assert_eq!(res.status(), 201);
    uid
}

#[tokio::test]
async fn parallel_requests_never_spend_more_than_the_balance() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, admin, me, key) = gateway_app(backend, &stub).await;
        // Each request reserves up to 50 output tokens × $2/M = 100 plus its input (a third of
        // its bytes, ~34), so two fit at a time; each costs 20 when settled.
        leave_300(&app, &admin, &me).await;
        let body = chat("m-basic", false);
        let calls = (0..12).map(|_| call(&app, "/v1/chat/completions", &key, &body));
        let statuses: Vec<u16> = futures::future::join_all(calls)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        let ok = statuses.iter().filter(|s| **s == 200).count() as i64;
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 402),
            "{statuses:?}"
        );
        assert!((2..12).contains(&ok), "{statuses:?}");
        logged(&app, 12).await;
        let balance: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        let left = balance["granted"].as_i64().unwrap();
        assert!(left >= 0);
        assert_eq!(left, 300 - 20 * ok, "{statuses:?}");
    }
}

/// The legacy text completions, whole and streamed: answered in their own shape, usage read
/// from the answer (and from the stream's usage chunk, which the gateway asks for), charged.
#[tokio::test]
async fn text_completions_are_served_whole_and_streamed() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, _, _, key) = gateway_app(backend, &stub).await;
        let body = json!({"model": "m-basic", "prompt": "Say hello", "max_tokens": 20});
        let res = call(&app, "/v1/completions", &key, &body).await;
        assert_eq!(res.status(), 200);
        // 4 input tokens × $1/M + 3 output tokens × $2/M, in micro-dollars.
        assert_eq!(res.headers()["x-ops-cost"], "10");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["object"], "text_completion");
        assert_eq!(v["choices"][0]["text"], "Hello world");

        let body =
            json!({"model": "m-basic", "prompt": "Say hello", "max_tokens": 20, "stream": true});
        let res = call(&app, "/api/v1/llm/completions", &key, &body).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let text = res.text().await.unwrap();
        assert!(text.contains(r#""text":"Hello""#), "{text}");
        assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");

        logged(&app, 2).await;
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT endpoint, stream, input_tokens, output_tokens, counted FROM llm_requests ORDER BY stream",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(
            rows,
            vec![
                ("completions".to_string(), 0, 4, 3, 0),
                ("completions".to_string(), 1, 4, 3, 0),
            ]
        );
        // Missing `prompt`: 400 naming it.
        let res = call(&app, "/v1/completions", &key, &json!({"model": "m-basic"})).await;
        assert_eq!(res.status(), 400);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["param"], "prompt");
    }
}

/// A stream with a chunk that is not JSON between good ones: passed through as it came to an
/// OpenAI client, skipped in the translation for an Anthropic one, and billed from the usage
/// the provider still reported.
#[tokio::test]
async fn a_malformed_chunk_breaks_neither_the_stream_nor_its_bill() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, admin, _, key) = gateway_app(backend, &stub).await;
        let body = json!({"name": "garbled", "kind": "openai_compatible", "base_url": stub.url("garbled"), "api_key": KEY});
        let (status, p) =
            status_of(app.post_json(&admin, "/api/v1/llm/providers", &body).await).await;
        assert_eq!(status, 201, "{p}");
        let model = json!({"name": "m-garbled", "model_group": "basic", "input_price": 1_000_000,
            "output_price": 2_000_000, "max_output_tokens": 100,
            "deployments": [{"provider_id": p["id"], "upstream_model": "up-small"}]});
        let (status, m) = status_of(
            app.post_json(&admin, "/api/v1/llm/admin/models", &model)
                .await,
        )
        .await;
        assert_eq!(status, 201, "{m}");

        let res = call(&app, "/v1/chat/completions", &key, &chat("m-garbled", true)).await;
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        assert!(text.contains(r#"data: {"broken": ["#), "{text}");
        assert!(text.contains(r#""content":" world""#), "{text}");
        assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");

        let res = call(&app, "/v1/messages", &key, &chat("m-garbled", true)).await;
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        assert!(!text.contains("broken"), "{text}");
        assert!(text.contains("event: message_stop"), "{text}");

        logged(&app, 2).await;
        let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT status, input_tokens, output_tokens, counted, cost FROM llm_requests WHERE model = 'm-garbled'",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(rows, vec![(200, 10, 5, 0, 20); 2]);
    }
}

#[tokio::test]
async fn a_client_leaving_mid_stream_is_billed_for_what_was_generated() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, _, _, key) = gateway_app(backend, &stub).await;
        let before = stub.cancelled.load(std::sync::atomic::Ordering::SeqCst);

        // -- Read three chunks of a 40-chunk stream, then hang up.
        let mut res = call(&app, "/v1/chat/completions", &key, &chat("m-long", true)).await;
        assert_eq!(res.status(), 200);
        for _ in 0..3 {
            res.chunk().await.unwrap().unwrap();
        }
        drop(res);

        // -- The provider's request is cancelled, and what was generated is billed.
        let mut cancelled = false;
        for _ in 0..60 {
            if stub.cancelled.load(std::sync::atomic::Ordering::SeqCst) > before {
                cancelled = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(cancelled, "the upstream stream was dropped");
        logged(&app, 1).await;
        let (code, output, counted, cost, reserved, explain): (
            Option<String>,
            i64,
            i64,
            i64,
            i64,
            String,
        ) = sqlx::query_as(
            "SELECT error_code, output_tokens, counted, cost, reserved, explain FROM llm_requests",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(code.as_deref(), Some("stream_interrupted"));
        assert_eq!(counted, 1, "no usage came: the gateway counted");
        // 3 to ~10 chunks of "word " (5 characters, ~2 tokens each) were generated.
        assert!((3..=30).contains(&output), "{output}");
        assert!(cost > 0 && cost < reserved, "{cost} of {reserved}");
        assert!(explain.contains("ended early"), "{explain}");
    }
}
