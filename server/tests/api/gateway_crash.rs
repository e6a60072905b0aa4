//! A `kill -9` of the real binary during streamed load through the gateway, with flushing
//! effectively off: after a restart every request that was settled (every stream the client
//! read to its end) is in the request log and charged, and balance, ledger and log agree.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::credits_crash::{ops, serve, serve_with, sign_in};
use crate::helpers::backends;
use crate::llm_stub::{self, KEY};

#[tokio::test]
async fn a_kill_during_streamed_load_loses_no_settled_request() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let url = ops_db::testing::fresh_url(backend).await.unwrap();
        let dir = std::env::temp_dir().join(format!("ops-gw-crash-{}", ops_db::new_id()));
        let email = "gw-crash@example.com";
        let made = ops(&url, &dir)
            .args([
                "admin",
                "create",
                "--email",
                email,
                "--password",
                crate::helpers::PASSWORD,
            ])
            .status()
            .unwrap();
        assert!(made.success());
        // -- Setup: no plan limits in the way, nothing flushed before the kill.
        let db = ops_db::Db::connect(&url, 2).await.unwrap();
        sqlx::query(
            "UPDATE plans SET rate_limit_rpm = NULL, request_limit = NULL WHERE code = 'free'",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let slow_flush = |c: &mut std::process::Command| {
            c.env("OPS_GATEWAY_FLUSH_MS", "60000");
        };
        let mut server = serve_with(&url, &dir, port, slow_flush).await;
        let (admin, _) = sign_in(&base, email).await;
        let provider: Value = admin
            .post(format!("{base}/api/v1/llm/providers"))
            .json(&json!({"name": "ok", "kind": "openai_compatible", "base_url": stub.url("ok"), "api_key": KEY}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let model = json!({"name": "m", "model_group": "basic", "input_price": 1_000_000, "output_price": 2_000_000,
            "max_output_tokens": 100, "deployments": [{"provider_id": provider["id"], "upstream_model": "up-small"}]});
        let res = admin
            .post(format!("{base}/api/v1/llm/admin/models"))
            .json(&model)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let key: Value = admin
            .post(format!("{base}/api/v1/api-keys"))
            .json(&json!({"name": "load"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let key = key["secret"].as_str().unwrap().to_string();

        // -- Exec: 150 streams in flight; the server dies once 30 have been read to the end.
        let done = Arc::new(AtomicI64::new(0));
        let body = json!({"model": "m", "stream": true, "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]});
        let load: Vec<_> = (0..150)
            .map(|_| {
                let (url, key, body, done) = (
                    format!("{base}/v1/chat/completions"),
                    key.clone(),
                    body.clone(),
                    done.clone(),
                );
                tokio::spawn(async move {
                    let res = reqwest::Client::new()
                        .post(url)
                        .bearer_auth(key)
                        .json(&body)
                        .send()
                        .await
                        .ok()?;
                    let text = res.text().await.ok()?;
                    if text.contains("[DONE]") {
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(())
                })
            })
            .collect();
        for _ in 0..1000 {
            if done.load(Ordering::SeqCst) >= 30 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        futures::future::join_all(load).await;
        let finished = done.load(Ordering::SeqCst);
        let logged_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM llm_requests")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(logged_before, 0, "nothing was flushed before the kill");

        // -- Check: the restart recovers every settled request from the journal.
        let mut server = serve(&url, &dir, port).await;
        let (n, cost): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(cost), 0) AS BIGINT) FROM llm_requests WHERE status = 200",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        eprintln!("gateway crash test on {backend:?}: {finished} streams finished, {n} recovered");
        assert!(n >= finished && finished >= 30, "{n} ≥ {finished}");
        assert!(n < 150, "the kill came mid-load");
        let spent: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(-SUM(paid_delta + granted_delta), 0) AS BIGINT) FROM ledger_entries WHERE kind = 'spend'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(
            spent, cost,
            "the ledger charged exactly what the log explains"
        );
        let checked = ops(&url, &dir).args(["billing", "check"]).status().unwrap();
        assert!(checked.success(), "balances agree with their entries");
        server.kill().unwrap();
        server.wait().unwrap();
    }
}
