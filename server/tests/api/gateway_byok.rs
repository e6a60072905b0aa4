//! Bring your own key: a user's provider key is tried before it is kept, used as its policy
//! says (mine first, the platform's first, mine only), charged only the platform fee, flagged
//! and notified when the provider starts refusing it, and never shown again.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ops_types::Role;
use serde_json::{Value, json};

use crate::gateway::{call, chat, developer_key};
use crate::helpers::{TestApp, backends, error_of, spawn_app_with, status_of};
use crate::llm_stub::{self, KEY, Stub, USER_KEY};

async fn last_key(stub: &Stub) -> String {
    stub.last_key.lock().unwrap().clone()
}

async fn set_policy(app: &TestApp, me: &reqwest::Client, policy: &str) {
    let res = app
        .put_json(
            me,
            "/api/v1/byok/keys/openai/policy",
            &json!({"policy": policy}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn own_keys_are_used_as_their_policy_says_and_charged_the_fee() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let app = spawn_app_with(backend, |s| s.gateway_flush_ms = 50).await;
        let admin = app.signed_in(Role::Admin).await;
        // -- Setup: an OpenAI provider (the stub) with the platform's key; a 10% fee.
        let body =
            json!({"name": "oa", "kind": "openai", "base_url": stub.url("ok"), "api_key": KEY});
        let (_, p) = status_of(app.post_json(&admin, "/api/v1/llm/providers", &body).await).await;
        let model = json!({"name": "m-oa", "model_group": "basic", "input_price": 1_000_000, "output_price": 2_000_000,
            "max_output_tokens": 100, "deployments": [{"provider_id": p["id"], "upstream_model": "up-small"}]});
        assert_eq!(
            app.post_json(&admin, "/api/v1/llm/admin/models", &model)
                .await
                .status(),
            201
        );
        let settings = json!({"byok_fee_percent": 10, "log_retention_days": 30});
        assert_eq!(
            app.put_json(&admin, "/api/v1/llm/settings", &settings)
                .await
                .status(),
            200
        );
        let (me, key) = developer_key(&app).await;
        stub.user_key_revoked.store(false, Ordering::SeqCst);

        // -- A key the provider refuses is not kept.
        let bad = json!({"provider": "openai", "api_key": "sk-not-a-real-key"});
        let err = error_of(app.post_json(&me, "/api/v1/byok/keys/add", &bad).await).await;
        assert_eq!(err["field"], "api_key", "{err}");
        let providers: Value = app.get_json(&me, "/api/v1/byok/providers").await;
        assert_eq!(providers["fee_percent"], 10);
        assert!(
            providers["providers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["provider"] == "openai" && p["served"] == true)
        );

        // -- Mine first: served by my key, charged 10% of the list price.
        let mine = json!({"provider": "openai", "api_key": USER_KEY, "policy": "prioritized"});
        let (status, saved) =
            status_of(app.post_json(&me, "/api/v1/byok/keys/add", &mine).await).await;
        assert_eq!(
            (status, saved["key_hint"].clone()),
            (201, json!("••••3210")),
            "{saved}"
        );
        let listed = app.get_text(&me, "/api/v1/byok/keys").await;
        assert!(!listed.contains(USER_KEY) && !saved.to_string().contains(USER_KEY));
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-oa", false)).await;
        assert_eq!(res.headers()["x-ops-credential"], "byok");
        assert_eq!(res.headers()["x-ops-cost"], "2", "10% of 20");
        assert_eq!(last_key(&stub).await, USER_KEY);

        // -- The platform's first.
        set_policy(&app, &me, "fallback").await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-oa", false)).await;
        assert_eq!(res.headers()["x-ops-credential"], "platform");
        assert_eq!(res.headers()["x-ops-cost"], "20");
        assert_eq!(last_key(&stub).await, KEY);

        // -- My key starts failing: the platform's serves, my key is flagged, I am told.
        stub.user_key_revoked.store(true, Ordering::SeqCst);
        set_policy(&app, &me, "prioritized").await;
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-oa", false)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-ops-credential"], "platform");
        assert_eq!(res.headers()["x-ops-attempts"], "2");
        let mut flagged = Value::Null;
        for _ in 0..100 {
            let keys: Value = app.get_json(&me, "/api/v1/byok/keys").await;
            if keys["keys"][0]["status"] == "failing" {
                flagged = keys["keys"][0].clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            flagged["last_error"].as_str().unwrap_or("").contains("401"),
            "{flagged}"
        );
        let inbox = app.get_text(&me, "/api/v1/notifications").await;
        assert!(inbox.contains("key is failing"), "{inbox}");

        // -- Mine only: no platform key to fall back on.
        set_policy(&app, &me, "always").await;
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-oa", false)).await;
        assert_eq!(res.status(), 502);

        // -- Fixed: the test marks it ok again.
        stub.user_key_revoked.store(false, Ordering::SeqCst);
        let (_, t) = status_of(
            app.post_json(&me, "/api/v1/byok/keys/test/openai", &json!({}))
                .await,
        )
        .await;
        assert_eq!(t["ok"], true, "{t}");
        for _ in 0..100 {
            let keys: Value = app.get_json(&me, "/api/v1/byok/keys").await;
            if keys["keys"][0]["status"] == "ok" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-oa", false)).await;
        assert_eq!(res.headers()["x-ops-credential"], "byok");

        // -- What my keys served, at list price and as charged.
        let mut stats = Value::Null;
        for _ in 0..100 {
            stats = app.get_json(&me, "/api/v1/byok/stats").await;
            if stats["stats"][0]["requests"] == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(stats["stats"][0]["list_cost"], 40, "{stats}");
        assert_eq!(stats["stats"][0]["charged"], 4);

        // -- Bad input, then removal.
        let err = error_of(
            app.put_json(
                &me,
                "/api/v1/byok/keys/openai/policy",
                &json!({"policy": "sometimes"}),
            )
            .await,
        )
        .await;
        assert_eq!(err["field"], "policy");
        let err = error_of(
            app.post_json(
                &me,
                "/api/v1/byok/keys/add",
                &json!({"provider": "acme", "api_key": "x"}),
            )
            .await,
        )
        .await;
        assert_eq!(err["field"], "provider");
        assert_eq!(
            app.delete(&me, "/api/v1/byok/keys/openai").await.status(),
            204
        );
        assert_eq!(
            app.delete(&me, "/api/v1/byok/keys/openai").await.status(),
            404
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-oa", false)).await;
        assert_eq!(res.headers()["x-ops-credential"], "platform");
    }
}
