//! Several replicas on one database: each admits requests against its own hold on an
//! account's credits, its plan's requests and a key's budget (`llm_holds`), so together they
//! never go past what any of them allows. Per-minute limits are shared through Redis.

use std::time::Duration;

use ops_types::Role;
use serde_json::{Value, json};

use crate::gateway::{call, catalogue, chat, developer_key, gateway_app, leave_300, logged};
use crate::gateway_limits::limited_key;
use crate::helpers::{TestApp, backends, spawn_app_with, status_of};
use crate::llm_stub;

/// A replica to send requests to: the app over HTTP, or a gateway called directly.
#[derive(Clone, Copy)]
enum Replica<'a> {
    App(&'a TestApp),
    Direct(&'a ops_gateway::Gateway),
}

impl Replica<'_> {
    async fn chat(self, key: &str) -> u16 {
        use ops_gateway::upstream::Endpoint;
        let body = chat("m-basic", false);
        match self {
            Replica::App(app) => call(app, "/v1/chat/completions", key, &body)
                .await
                .status()
                .as_u16(),
            Replica::Direct(gw) => {
                let mut headers = http::HeaderMap::new();
                headers.insert("authorization", format!("Bearer {key}").parse().unwrap());
                let raw = axum::body::Bytes::from(body.to_string());
                ops_gateway::proxy::handle(gw, Endpoint::Chat, &headers, raw)
                    .await
                    .status()
                    .as_u16()
            }
        }
    }
}

/// `rounds` times, four requests at once on each of two replicas with `key`; returns how many
/// were served.
async fn race(a: Replica<'_>, b: Replica<'_>, key: &str, rounds: usize) -> i64 {
    let mut ok = 0;
    for _ in 0..rounds {
        let here = (0..4).map(|_| a.chat(key));
        let there = (0..4).map(|_| b.chat(key));
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

/// A second replica on the app's database, with its own journal folder.
async fn replica(app: &TestApp) -> (ops_gateway::Gateway, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ops-replica-{}", ops_db::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gw = ops_gateway::Gateway::start(app.db.clone(), app.key.clone(), &dir)
        .await
        .unwrap();
    (gw, dir)
}

/// What the replicas hold on credits and budgets (all scopes but the plans' requests).
async fn held(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM llm_holds WHERE replica <> '' \
         AND amount > 0 AND scope NOT LIKE 'requests:%'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// What the replicas hold of the plans' requests.
async fn held_requests(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM llm_holds WHERE replica <> '' \
         AND amount > 0 AND scope LIKE 'requests:%'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// Two replicas on one database (the app, and a second gateway that does not flush during the
/// run) at the edge of one balance, then of one key's budget, then of the plan's requests per
/// period: each admits only against its own hold, so together they serve no more than the
/// balance or the budget pays for, or the plan allows, and every request served is charged
/// and counted.
#[tokio::test]
async fn two_replicas_never_go_past_the_balance_a_budget_or_the_plans_requests() {
    let stub = llm_stub::start().await;
    for backend in backends() {
        let (app, admin, me, key) = gateway_app(backend, &stub).await;
        // 300 left: 15 requests at 20 each, whichever replica serves them.
        let uid = leave_300(&app, &admin, &me).await;
        let (other, dir) = replica(&app).await;
        let ok = race(Replica::App(&app), Replica::Direct(&other), &key, 10).await;
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
        let ok = race(Replica::App(&app), Replica::Direct(&other), limited_key, 10).await;
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

        // -- The plan allows 15 more requests this period than are counted, and credits spare.
        let counted = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) FROM usage_counters WHERE owner_id = $1",
            )
            .bind(&uid)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
        };
        // The free plan allows 1,000 requests, so the replicas held some of those too: idle,
        // they give them back at their next renewals.
        for _ in 0..2 {
            other.meter.renew(&app.db).await.unwrap();
        }
        for _ in 0..100 {
            if held_requests(&app).await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            held_requests(&app).await,
            0,
            "idle replicas still hold requests"
        );
        let before = counted().await;
        let mut free: Value = app
            .get_json(&admin, "/api/v1/subscriptions/plans/free")
            .await;
        free["request_limit"] = json!(before + 15);
        let res = app
            .put_json(&admin, "/api/v1/subscriptions/plans/free", &free)
            .await;
        assert_eq!(res.status(), 200);
        // Two fresh replicas, which read the plan as it is now.
        let ((a, dir_a), (b, dir_b)) = (replica(&app).await, replica(&app).await);
        let ok = race(Replica::Direct(&a), Replica::Direct(&b), &key, 10).await;
        assert!(ok <= 15, "{ok} requests served for an allowance of 15");
        assert!(ok >= 2, "{ok}");
        a.flush().await.unwrap();
        b.flush().await.unwrap();
        assert_eq!(counted().await, before + ok);
        assert!(
            counted().await + held_requests(&app).await <= before + 15,
            "the request holds exceed what is left"
        );
        for d in [dir, dir_a, dir_b] {
            let _ = std::fs::remove_dir_all(&d);
        }
    }
}

/// Two replicas sharing one Redis, requests sent to each in turn: a key's requests and tokens
/// a minute, and the plan's requests a minute, hold for both together (each replica alone
/// would serve twice as many).
#[tokio::test]
async fn per_minute_limits_hold_across_replicas_through_redis() {
    let stub = llm_stub::start().await;
    let redis = ops_db::testing::redis_url();
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            s.gateway_flush_ms = 50;
            s.redis_url = redis.clone();
        })
        .await;
        let admin = app.signed_in(Role::Admin).await;
        catalogue(&app, &admin, &stub).await;
        let (me, key) = developer_key(&app).await;
        // The plan allows 10 requests a minute (set before either replica reads it).
        let mut free: Value = app
            .get_json(&admin, "/api/v1/subscriptions/plans/free")
            .await;
        free["rate_limit_rpm"] = json!(10);
        let res = app
            .put_json(&admin, "/api/v1/subscriptions/plans/free", &free)
            .await;
        assert_eq!(res.status(), 200);
        let (other, dir) = replica(&app).await;
        other.share_rates(&redis).unwrap();
        let (a, b) = (Replica::App(&app), Replica::Direct(&other));
        // Everything below happens within one minute.
        let into = ops_db::now_ms() % 60_000;
        if into > 40_000 {
            tokio::time::sleep(Duration::from_millis((60_100 - into) as u64)).await;
        }
        let turns = |key: String, n: usize| async move {
            let mut served = Vec::new();
            for i in 0..n {
                let replica = if i % 2 == 0 { a } else { b };
                served.push(replica.chat(&key).await);
                // A settled request's actual tokens replace its worst case in Redis.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            served
        };

        // -- A key allows 4 requests a minute.
        let rpm = limited_key(&app, &me, json!({"rpm_limit": 4})).await;
        let served = turns(rpm.clone(), 8).await;
        assert_eq!(served, [200, 200, 200, 200, 429, 429, 429, 429]);
        let (status, err) =
            status_of(call(&app, "/v1/chat/completions", &rpm, &chat("m-basic", false)).await)
                .await;
        assert_eq!(status, 429);
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains("allows 4 requests a minute"), "{message}");

        // -- A key allows 114 tokens a minute; a request may use 84 and uses 15: three fit.
        let tpm = limited_key(&app, &me, json!({"tpm_limit": 114})).await;
        let served = turns(tpm, 6).await;
        assert_eq!(served, [200, 200, 200, 429, 429, 429]);

        // -- The plan: 7 requests were served this minute, so 3 more of the 10.
        let served = turns(key, 6).await;
        assert_eq!(served, [200, 200, 200, 429, 429, 429]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A forwarding HTTP proxy in front of `upstream` (`host:port`), whatever host a request
/// names: it records each connection's request line and `Proxy-Authorization`.
async fn forwarding_proxy(
    upstream: String,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://ops:s3cret@{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let (log, upstream) = (log.clone(), upstream.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let line = text.lines().next().unwrap_or_default().to_string();
                let auth = text
                    .lines()
                    .find_map(|l| l.strip_prefix("proxy-authorization: "))
                    .unwrap_or("none");
                log.lock().unwrap().push(format!("{line} | {auth}"));
                let mut up = tokio::net::TcpStream::connect(&upstream).await.unwrap();
                up.write_all(&head).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
            });
        }
    });
    (url, seen)
}

/// The console's "This server" facts: limits shared through Redis (checked live, or shown
/// down), and provider calls through the configured proxy, which they really take.
#[tokio::test]
async fn the_status_shows_shared_limits_and_the_proxy_that_calls_go_through() {
    let stub = llm_stub::start().await;
    let upstream = stub.base.trim_start_matches("http://").to_string();
    let (proxy_url, seen) = forwarding_proxy(upstream.clone()).await;
    for backend in backends() {
        // Without Redis or a proxy.
        let plain = spawn_app_with(backend, |_| {}).await;
        let admin = plain.signed_in(Role::Admin).await;
        let status: Value = plain.get_json(&admin, "/api/v1/llm/status").await;
        assert_eq!(status["shared_limits"], Value::Null);
        assert_eq!(status["proxy"], Value::Null);
        let down = spawn_app_with(backend, |s| {
            s.redis_url = "redis://:pw@127.0.0.1:1/2".into()
        })
        .await;
        let admin = down.signed_in(Role::Admin).await;
        let status: Value = down.get_json(&admin, "/api/v1/llm/status").await;
        assert_eq!(
            status["shared_limits"], "redis://127.0.0.1:1/2",
            "no password shown"
        );
        assert!(status["redis_error"].as_str().is_some(), "{status}");

        let app = spawn_app_with(backend, |s| {
            s.redis_url = ops_db::testing::redis_url();
            s.provider_proxy = proxy_url.clone();
            s.provider_no_proxy = "example.com".into();
        })
        .await;
        let admin = app.signed_in(Role::Admin).await;
        let status: Value = app.get_json(&admin, "/api/v1/llm/status").await;
        assert!(status["redis_ping_us"].as_u64().is_some(), "{status}");
        assert_eq!(status["redis_error"], Value::Null);
        let shown = status["proxy"].as_str().unwrap();
        assert!(
            proxy_url.ends_with(shown.trim_start_matches("http://")) && !shown.contains("s3cret"),
            "{shown}"
        );
        assert_eq!(status["no_proxy"], json!(["example.com"]));

        // A provider only the proxy can reach (the name resolves nowhere).
        let base = format!(
            "http://provider.test:{}/ok/v1",
            upstream.rsplit(':').next().unwrap()
        );
        let body = json!({"name": "proxied", "kind": "openai_compatible", "base_url": base, "api_key": llm_stub::KEY});
        let (status, p) =
            status_of(app.post_json(&admin, "/api/v1/llm/providers", &body).await).await;
        assert_eq!(status, 201, "{p}");
        let dep = json!({"provider_id": p["id"], "upstream_model": "up-small", "priority": 0});
        let body = json!({"name": "m-proxied", "model_group": "basic", "kind": "chat", "input_price": 1_000_000,
            "output_price": 2_000_000, "max_output_tokens": 100, "deployments": [dep]});
        let (status, m) = status_of(
            app.post_json(&admin, "/api/v1/llm/admin/models", &body)
                .await,
        )
        .await;
        assert_eq!(status, 201, "{m}");
        let before = seen.lock().unwrap().len();
        let (_, key) = developer_key(&app).await;
        let (status, answer) = status_of(
            call(
                &app,
                "/v1/chat/completions",
                &key,
                &chat("m-proxied", false),
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        let lines = seen.lock().unwrap()[before..].to_vec();
        assert_eq!(lines.len(), 1, "{lines:?}");
        // base64 of "ops:s3cret"
        assert_eq!(
            lines[0],
            format!("POST {base}/chat/completions HTTP/1.1 | Basic b3BzOnMzY3JldA==")
        );
    }
}
