//! Several replicas on one database: each admits requests against its own hold on an
//! account's credits and a key's budget (`llm_holds`), so together they never spend more than
//! either allows.

use serde_json::{Value, json};

use crate::gateway::{call, chat, gateway_app, leave_300, logged};
use crate::helpers::{TestApp, backends};
use crate::llm_stub;

/// `rounds` times, four requests at once on each of two replicas (the app over HTTP, and
/// `other` called directly) with `key`; returns how many were served.
async fn race(app: &TestApp, other: &ops_gateway::Gateway, key: &str, rounds: usize) -> i64 {
    use ops_gateway::upstream::Endpoint;
    let body = chat("m-basic", false);
    let raw = axum::body::Bytes::from(body.to_string());
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {key}").parse().unwrap());
    let mut ok = 0;
    for _ in 0..rounds {
        let here = (0..4).map(|_| async {
            call(app, "/v1/chat/completions", key, &body)
                .await
                .status()
                .as_u16()
        });
        let there = (0..4).map(|_| async {
            ops_gateway::proxy::handle(other, Endpoint::Chat, &headers, raw.clone())
                .await
                .status()
                .as_u16()
        });
        let (a, b) = futures::future::join(
            futures::future::join_all(here),
            futures::future::join_all(there),
        )
        .await;
        for s in a.iter().chain(&b) {
            assert!([200, 402, 429].contains(s), "{a:?} {b:?}");
            ok += i64::from(*s == 200);
        }
    }
    ok
}

/// What the replicas hold, all scopes together.
async fn held(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM llm_holds WHERE replica <> '' AND amount > 0",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// Two replicas on one database (the app, and a second gateway that does not flush during the
/// run) at the edge of one balance, then of one key's budget: each admits only against its own
/// hold, so together they serve no more than the balance or the budget pays for, and every
/// request served is charged in full.
#[tokio::test]
async fn two_replicas_never_spend_more_than_the_balance_or_a_budget() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, admin, me, key) = gateway_app(backend, &stub).await;
        // 300 left: 15 requests at 20 each, whichever replica serves them.
        let uid = leave_300(&app, &admin, &me).await;
        let dir = std::env::temp_dir().join(format!("ops-replica-{}", ops_db::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let other = ops_gateway::Gateway::start(app.db.clone(), app.key.clone(), &dir)
            .await
            .unwrap();
        let ok = race(&app, &other, &key, 10).await;
        assert!(ok <= 15, "{ok} requests served for a balance of 15");
        assert!(ok >= 2, "{ok}");
        other.flush().await.unwrap();
        logged(&app, 80).await;
        let balance: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        let left = balance["granted"].as_i64().unwrap();
        assert_eq!(left, 300 - 20 * ok);
        assert!(held(&app).await <= left, "the holds exceed the balance");

        // -- A key with a budget of 300 a day, and credits to spare.
        let grant = json!({"user_id": uid, "amount": 1_000_000, "reason": "top up"});
        let res = app
            .post_json(&admin, "/api/v1/credits/allocate", &grant)
            .await;
        assert_eq!(res.status(), 201);
        let limited: Value = app
            .post_json(
                &me,
                "/api/v1/api-keys",
                &json!({"name": "budget", "limits": {"budget": 300, "budget_period": "day"}}),
            )
            .await
            .json()
            .await
            .unwrap();
        let limited_key = limited["secret"].as_str().unwrap();
        let ok = race(&app, &other, limited_key, 10).await;
        assert!(ok <= 15, "{ok} requests served for a budget of 15");
        assert!(ok >= 2, "{ok}");
        other.flush().await.unwrap();
        logged(&app, 160).await;
        let prefix = limited["key"]["prefix"]
            .as_str()
            .unwrap()
            .trim_start_matches("opc_");
        let spent: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) FROM llm_requests WHERE key_id = $1",
        )
        .bind(prefix)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(spent, 20 * ok);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
