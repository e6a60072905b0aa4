//! Anthropic's Messages API on the gateway: `/v1/messages` served natively by an Anthropic
//! provider or translated to an OpenAI one, OpenAI's chat served by an Anthropic provider,
//! whole and streamed, with usage metered either way and errors in Anthropic's shape.

use reqwest::Client;
use serde_json::{Value, json};

use crate::gateway::{call, chat, gateway_app, logged};
use crate::helpers::{TestApp, backends, status_of};
use crate::llm_stub;

fn message(model: &str, stream: bool) -> Value {
    json!({"model": model, "max_tokens": 50, "stream": stream, "system": "Be brief.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}]})
}

/// The `event:` names of an Anthropic stream.
fn events(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .map(str::to_string)
        .collect()
}

async fn messages(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    Client::new()
        .post(app.url("/v1/messages"))
        .header("x-api-key", key)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn messages_and_chat_cross_between_the_two_apis() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, _, _, key) = gateway_app(backend, &stub).await;

        // -- /v1/messages, natively (Anthropic provider) and translated (OpenAI provider).
        for model in ["m-claude", "m-basic"] {
            let res = messages(&app, &key, &message(model, false)).await;
            assert_eq!(res.status(), 200, "{model}");
            assert_eq!(
                res.headers()["x-ops-cost"],
                "20",
                "{model}: 10 in × $1/M + 5 out × $2/M"
            );
            let m: Value = res.json().await.unwrap();
            assert_eq!(m["type"], "message");
            assert_eq!(m["content"][0]["text"], "Hello world", "{model}");
            assert_eq!(m["usage"]["input_tokens"], 10);
            assert_eq!(m["stop_reason"], "end_turn");
        }

        // -- OpenAI's chat on the Anthropic provider.
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-claude", false)).await;
        assert_eq!(res.status(), 200);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["object"], "chat.completion");
        assert_eq!(c["choices"][0]["message"]["content"], "Hello world");
        assert_eq!(c["usage"]["total_tokens"], 15);

        // -- Streams, each way.
        let expected = [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ];
        let text = messages(&app, &key, &message("m-basic", true))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            events(&text),
            expected,
            "OpenAI chunks become Anthropic events: {text}"
        );
        let text = messages(&app, &key, &message("m-claude", true))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            events(&text).contains(&"ping".to_string()),
            "passed through as sent"
        );
        let mut body = chat("m-claude", true);
        body["stream_options"] = json!({"include_usage": true});
        let text = call(&app, "/v1/chat/completions", &key, &body)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            text.contains("\"content\":\"Hel\"") && text.contains("\"completion_tokens\":5"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("data: [DONE]"));

        // -- Errors in Anthropic's shape.
        let (status, err) = status_of(messages(&app, &key, &message("nope", false)).await).await;
        assert_eq!((status, err["type"].clone()), (404, json!("error")));
        assert_eq!(err["error"]["type"], "not_found_error");
        let mut body = message("m-basic", false);
        body.as_object_mut().unwrap().remove("max_tokens");
        let (status, err) = status_of(messages(&app, &key, &body).await).await;
        assert_eq!(
            (status, err["error"]["type"].clone()),
            (400, json!("invalid_request_error"))
        );
        let (status, err) =
            status_of(messages(&app, "opc_bad", &message("m-basic", false)).await).await;
        assert_eq!(
            (status, err["error"]["type"].clone()),
            (401, json!("authentication_error"))
        );
        let (status, _) = status_of(
            call(
                &app,
                "/v1/embeddings",
                &key,
                &json!({"model": "m-claude", "input": "x"}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "a chat model does not embed");

        // -- Every streamed answer was metered from the usage it carried.
        logged(&app, 7).await;
        let costs: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT endpoint, counted, cost FROM llm_requests WHERE status = 200 ORDER BY at",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(costs.len(), 6, "{costs:?}");
        assert!(
            costs
                .iter()
                .all(|(_, counted, cost)| *counted == 0 && *cost == 20),
            "{costs:?}"
        );
    }
}

#[tokio::test]
async fn the_official_python_sdks_work_unchanged() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, _, me, key) = gateway_app(backend, &stub).await;
        let limited: Value = app
            .post_json(
                &me,
                "/api/v1/api-keys",
                &json!({"name": "slow", "limits": {"rpm_limit": 1}}),
            )
            .await
            .json()
            .await
            .unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/check.py");
        let args = [
            script.to_string(),
            app.base.clone(),
            key,
            limited["secret"].as_str().unwrap().to_string(),
        ];
        // The server runs on this test's runtime: wait for Python off it.
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("python3").args(args).output()
        })
        .await
        .unwrap()
        .expect("python3 with the openai and anthropic SDKs (make setup-test)");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("all SDK checks passed"));
    }
}
