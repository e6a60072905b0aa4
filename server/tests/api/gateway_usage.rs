//! The gateway's usage reports (from the daily rollups) and request log: one's own traffic, or
//! everyone's for gateway managers; breakdowns, every day of a trend, CSV, and the log's
//! explanations and pages.

use ops_types::Role;
use serde_json::{Value, json};

use crate::gateway::{call, chat, gateway_app, logged};
use crate::helpers::{backends, error_of};
use crate::llm_stub;

#[tokio::test]
async fn usage_reports_and_the_request_log_explain_the_traffic() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, admin, me, key) = gateway_app(backend, &stub).await;
        for model in ["m-basic", "m-basic", "m-claude", "nope"] {
            call(&app, "/v1/chat/completions", &key, &chat(model, false))
                .await
                .bytes()
                .await
                .unwrap();
        }
        logged(&app, 4).await;

        // -- Mine: totals, every day of the trend, and breakdowns.
        let o: Value = app.get_json(&me, "/api/v1/llm/usage/overview?days=7").await;
        assert_eq!(o["totals"]["requests"], 4, "{o}");
        assert_eq!(o["totals"]["errors"], 1);
        assert_eq!(o["totals"]["cost"], 60);
        assert_eq!(
            o["rows"].as_array().unwrap().len(),
            7,
            "every day, for the chart"
        );
        assert_eq!(o["rows"][6]["requests"], 4, "today is last");
        let m: Value = app.get_json(&me, "/api/v1/llm/usage/by-model").await;
        assert_eq!(
            (m["rows"][0]["key"].clone(), m["rows"][0]["cost"].clone()),
            (json!("m-basic"), json!(40))
        );
        let k: Value = app.get_json(&me, "/api/v1/llm/usage/by-key").await;
        assert_eq!(k["rows"][0]["label"], "sdk");
        let u: Value = app.get_json(&me, "/api/v1/llm/usage/by-user").await;
        assert!(
            u["rows"][0]["label"]
                .as_str()
                .unwrap()
                .starts_with("developer-")
        );
        let csv = app.get_text(&me, "/api/v1/llm/usage/export?days=2").await;
        assert!(csv.starts_with("day,requests,errors"), "{csv}");
        assert_eq!(csv.lines().count(), 3);
        let err = error_of(app.get(&me, "/api/v1/llm/usage/overview?days=0").await).await;
        assert_eq!(err["field"], "days");

        // -- Everyone's: gateway managers only.
        assert_eq!(
            app.get(&me, "/api/v1/llm/usage/by-provider?scope=all")
                .await
                .status(),
            403
        );
        let all: Value = app
            .get_json(&admin, "/api/v1/llm/usage/by-provider?scope=all")
            .await;
        assert_eq!(all["totals"]["requests"], 4);
        let mine_admin: Value = app.get_json(&admin, "/api/v1/llm/usage/overview").await;
        assert_eq!(
            mine_admin["totals"]["requests"], 0,
            "an admin's own traffic is separate"
        );

        // -- The log, newest first, a page at a time, explaining each request.
        let page: Value = app.get_json(&me, "/api/v1/llm/requests?limit=3").await;
        assert_eq!(page["requests"].as_array().unwrap().len(), 3);
        let before = page["next_before"].as_i64().expect("a next page");
        let rest: Value = app
            .get_json(&me, &format!("/api/v1/llm/requests?before={before}"))
            .await;
        assert_eq!(rest["requests"].as_array().unwrap().len(), 1);
        let errors: Value = app.get_json(&me, "/api/v1/llm/requests?status=error").await;
        let refused = &errors["requests"][0];
        assert_eq!(
            (refused["status"].clone(), refused["model"].clone()),
            (json!(404), json!("nope"))
        );
        assert!(
            refused["explain"]
                .as_str()
                .unwrap()
                .contains("does not exist")
        );
        let ok: Value = app
            .get_json(&me, "/api/v1/llm/requests?status=ok&model=m-basic")
            .await;
        let served = &ok["requests"][0];
        assert!(
            served["explain"]
                .as_str()
                .unwrap()
                .contains("10 input tokens × $1/M"),
            "{served}"
        );
        let attempts: Value = serde_json::from_str(served["attempts"].as_str().unwrap()).unwrap();
        assert_eq!(
            attempts.as_array().unwrap().len(),
            2,
            "the failing deployment, then the one that served"
        );
        assert!(served["ledger_entry"].is_string());
        // A lone attempt that served is stored as nothing and rebuilt from the row.
        let claude: Value = app
            .get_json(&me, "/api/v1/llm/requests?model=m-claude")
            .await;
        let one = &claude["requests"][0];
        let attempts: Value = serde_json::from_str(one["attempts"].as_str().unwrap()).unwrap();
        assert_eq!(attempts.as_array().unwrap().len(), 1, "{one}");
        let a = &attempts[0];
        assert_eq!(
            (&a["model"], &a["provider"], &a["status"], &a["credential"]),
            (
                &json!("m-claude"),
                &json!("claude"),
                &json!(200),
                &json!("platform")
            )
        );
        assert_eq!(a["ms"], one["first_byte_ms"]);
        assert!(a["deployment"].as_str().is_some_and(|d| !d.is_empty()));
        let other = app.signed_in(Role::Developer).await;
        let theirs: Value = app.get_json(&other, "/api/v1/llm/requests").await;
        assert!(
            theirs["requests"].as_array().unwrap().is_empty(),
            "nobody else's"
        );

        // -- Everyone's log filtered by one key (found through the key's owner).
        let key_id = served["key_id"].as_str().unwrap().to_string();
        let by_key: Value = app
            .get_json(
                &admin,
                &format!("/api/v1/llm/requests?scope=all&key_id=opc_{key_id}"),
            )
            .await;
        assert_eq!(by_key["requests"].as_array().unwrap().len(), 4, "{by_key}");
        let unknown: Value = app
            .get_json(&admin, "/api/v1/llm/requests?scope=all&key_id=nokey")
            .await;
        assert!(unknown["requests"].as_array().unwrap().is_empty());

        // -- Retention: rows older than the setting (400 days back here) go, the daily rollups stay.
        sqlx::query("UPDATE llm_requests SET at = at - 34560000000 WHERE status >= 400")
            .execute(app.db.pool())
            .await
            .unwrap();
        assert_eq!(ops_gateway::settings::prune(&app.db).await.unwrap(), 1);
        let left: Value = app.get_json(&me, "/api/v1/llm/requests").await;
        assert_eq!(left["requests"].as_array().unwrap().len(), 3);
        let o: Value = app.get_json(&me, "/api/v1/llm/usage/overview?days=7").await;
        assert_eq!(o["totals"]["requests"], 4, "the rollups keep it");
    }
}
