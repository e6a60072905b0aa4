//! What each API key and each plan change in the gateway: a key's models, requests and tokens
//! per minute and budget per period; a plan's AI price.

use std::time::Duration;

use reqwest::Client;
use serde_json::{Value, json};

use crate::gateway::{call, chat, gateway_app, logged};
use crate::helpers::{TestApp, backends, status_of};
use crate::llm_stub;

/// A fresh key of `me`'s with `limits`.
pub(crate) async fn limited_key(app: &TestApp, me: &Client, limits: Value) -> String {
    let key: Value = app
        .post_json(
            me,
            "/api/v1/api-keys",
            &json!({"name": "limited", "limits": limits}),
        )
        .await
        .json()
        .await
        .unwrap();
    key["secret"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn each_key_keeps_to_its_models_rate_tokens_and_budget() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, admin, me, _) = gateway_app(backend, &stub).await;
        let body = chat("m-basic", false);

        // -- Models.
        let key = limited_key(&app, &me, json!({"allowed_models": ["m-basic"]})).await;
        assert_eq!(
            call(&app, "/v1/chat/completions", &key, &body)
                .await
                .status(),
            200
        );
        let (status, err) =
            status_of(call(&app, "/v1/chat/completions", &key, &chat("m-quiet", false)).await)
                .await;
        assert_eq!(status, 403, "{err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("may not call `m-quiet`")
        );

        // -- Requests a minute.
        let key = limited_key(&app, &me, json!({"rpm_limit": 2})).await;
        for _ in 0..2 {
            assert_eq!(
                call(&app, "/v1/chat/completions", &key, &body)
                    .await
                    .status(),
                200
            );
        }
        let res = call(&app, "/v1/chat/completions", &key, &body).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["type"], "rate_limit_error");

        // -- Tokens a minute: each request may use 84 (34 in, 50 out) and uses 15.
        let key = limited_key(&app, &me, json!({"tpm_limit": 100})).await;
        let statuses = [
            call(&app, "/v1/chat/completions", &key, &body)
                .await
                .status(),
            call(&app, "/v1/chat/completions", &key, &body)
                .await
                .status(),
            call(&app, "/v1/chat/completions", &key, &body)
                .await
                .status(),
        ];
        assert_eq!(statuses.map(|s| s.as_u16()), [200, 200, 429]);

        // -- A budget: 300 a day; each request reserves 134 and costs 20, so 9 fit.
        let key = limited_key(&app, &me, json!({"budget": 300, "budget_period": "day"})).await;
        let mut ok = 0;
        let mut last = Value::Null;
        for _ in 0..12 {
            let res = call(&app, "/v1/chat/completions", &key, &body).await;
            if res.status() == 200 {
                ok += 1;
                res.bytes().await.unwrap();
            } else {
                assert_eq!(res.status(), 429);
                last = res.json().await.unwrap();
            }
        }
        assert_eq!(ok, 9);
        assert_eq!(last["error"]["code"], "quota_exceeded");
        assert!(
            last["error"]["message"]
                .as_str()
                .unwrap()
                .contains("budget"),
            "{last}"
        );
        // The key's page shows the spend and when it resets.
        for _ in 0..100 {
            let keys: Vec<Value> = app.get_json(&me, "/api/v1/api-keys").await;
            let k = keys.iter().find(|k| k["limits"]["budget"] == 300).unwrap();
            if k["spent"] == 180 {
                let (_, tomorrow) = ops_types::budget_window("day", ops_db::now_ms()).unwrap();
                assert_eq!(k["budget_resets_at"], tomorrow);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // -- Limits are checked when set, and only on one's own keys.
        let id: String = sqlx::query_scalar("SELECT id FROM api_keys ORDER BY created_at LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let res = app
            .put_json(
                &me,
                &format!("/api/v1/api-keys/{id}/limits"),
                &json!({"budget": 5}),
            )
            .await;
        assert_eq!(
            crate::helpers::error_of(res).await["field"],
            "budget_period"
        );
        let res = app
            .put_json(
                &me,
                &format!("/api/v1/api-keys/{id}/limits"),
                &json!({"rpm_limit": 0}),
            )
            .await;
        assert_eq!(crate::helpers::error_of(res).await["field"], "rpm_limit");
        let res = app
            .put_json(
                &admin,
                &format!("/api/v1/api-keys/{id}/limits"),
                &json!({"rpm_limit": 5}),
            )
            .await;
        assert_eq!(res.status(), 404, "another user's key");
        let (status, view) = status_of(
            app.put_json(
                &me,
                &format!("/api/v1/api-keys/{id}/limits"),
                &json!({"rpm_limit": 5}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, view["limits"]["rpm_limit"].clone()),
            (200, json!(5))
        );
    }
}

#[tokio::test]
async fn a_plans_ai_price_scales_what_requests_are_charged() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, admin, _, key) = gateway_app(backend, &stub).await;
        let mut plan: Value = app
            .get_json(&admin, "/api/v1/subscriptions/plans/free")
            .await;
        plan["llm_price_percent"] = json!(0);
        let res = app
            .put_json(&admin, "/api/v1/subscriptions/plans/free", &plan)
            .await;
        assert_eq!(
            crate::helpers::error_of(res).await["field"],
            "llm_price_percent"
        );
        plan["llm_price_percent"] = json!(150);
        let res = app
            .put_json(&admin, "/api/v1/subscriptions/plans/free", &plan)
            .await;
        assert_eq!(res.status(), 200);

        // 20 micro-dollars at list price, × 150 %.
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-basic", false)).await;
        assert_eq!(res.headers()["x-ops-cost"], "30");
        logged(&app, 1).await;
        let log: Value = app.get_json(&admin, "/api/v1/llm/requests?scope=all").await;
        let explain = log["requests"][0]["explain"].as_str().unwrap().to_string();
        assert!(
            explain.contains("× 150% (your plan's AI price) = $0.00003"),
            "{explain}"
        );
    }
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, _, me, key) = gateway_app(backend, &stub).await;
        assert_eq!(
            call(&app, "/v1/chat/completions", &key, &chat("m-basic", false))
                .await
                .status(),
            200
        );
        let keys: Vec<Value> = app.get_json(&me, "/api/v1/api-keys").await;
        let id = keys[0]["id"].as_str().unwrap();
        assert_eq!(
            app.delete(&me, &format!("/api/v1/api-keys/{id}"))
                .await
                .status(),
            204
        );
        // Within the gateway's key cache time: the revocation still applies at once.
        let res = call(&app, "/v1/chat/completions", &key, &chat("m-basic", false)).await;
        assert_eq!(res.status(), 401);
    }
}
