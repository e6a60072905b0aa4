//! Notifications delivered by preference: in the console's inbox, by e-mail through a real
//! SMTP sink, and to a webhook receiver; marking read.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::routing::post;
use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, backends, spawn_app};
use crate::mail::configure;
use crate::smtp::Sink;

type Deliveries = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver on 127.0.0.1 that keeps the headers and body of every POST it gets.
async fn receiver() -> (String, Deliveries) {
    let got: Deliveries = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// Checks a delivery's Standard Webhooks signature against `secret` and returns its JSON body.
fn verified(secret: &str, headers: &HeaderMap, body: &str) -> Value {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use hmac::{Hmac, Mac};
    let h = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_string();
    let (id, ts) = (h("webhook-id"), h("webhook-timestamp"));
    let age = ops_db::now_ms() / 1000 - ts.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a fresh timestamp");
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let want = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    assert_eq!(
        h("webhook-signature"),
        want,
        "signed with the user's secret"
    );
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["id"], id.as_str());
    v
}

#[tokio::test]
async fn security_and_account_events_reach_the_chosen_channels() {
    for backend in backends() {
        let Some(sink) = Sink::start().await else {
            panic!("the SMTP sink (python3 -m aiosmtpd) is needed");
        };
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        configure(&app, &admin, &sink).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;

        // Defaults: security notices in the inbox and by e-mail.
        let body = json!({"current_password": PASSWORD, "new_password": "another long passphrase"});
        assert_eq!(
            app.post_json(&me, "/api/v1/auth/change-password", &body)
                .await
                .status(),
            200
        );
        let inbox: Value = app.get_json(&me, "/api/v1/notifications").await;
        assert_eq!(inbox["unread"], 1);
        assert_eq!(inbox["items"][0]["title"], "Your password was changed");
        assert_eq!(inbox["items"][0]["kind"], "security");
        let mail = sink.wait_for(&email).await;
        assert!(mail.contains("Your password was changed"), "{mail}");

        // Account notices go to the inbox only, unless chosen otherwise.
        let (hook, got) = receiver().await;
        let prefs = json!({"webhook_url": hook, "prefs": [
            {"kind": "account", "email": false, "in_app": false, "webhook": true}]});
        let res = me
            .put(app.url("/api/v1/auth/notifications"))
            .json(&prefs)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let saved: Value = res.json().await.unwrap();
        let secret = saved["new_webhook_secret"].as_str().unwrap().to_string();
        let res = app
            .post_json(&me, "/api/v1/api-keys", &json!({"name": "ci"}))
            .await;
        assert_eq!(res.status(), 201);
        let mut delivered = Vec::new();
        for _ in 0..100 {
            delivered = got.lock().unwrap().clone();
            if !delivered.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(delivered.len(), 1, "one webhook delivery");
        let (headers, body) = &delivered[0];
        let delivered = verified(&secret, headers, body);
        assert_eq!(delivered["kind"], "account");
        assert_eq!(delivered["title"], "New API key \"ci\"");
        let inbox: Value = app.get_json(&me, "/api/v1/notifications").await;
        assert_eq!(
            inbox["items"].as_array().unwrap().len(),
            1,
            "not in the inbox: in-app is off"
        );

        // Reading.
        let id = inbox["items"][0]["id"].as_str().unwrap();
        let res = app
            .post_json(&me, &format!("/api/v1/notifications/{id}/read"), &json!({}))
            .await;
        assert_eq!(res.status(), 204);
        let inbox: Value = app.get_json(&me, "/api/v1/notifications").await;
        assert_eq!(
            (
                inbox["unread"].as_i64(),
                inbox["items"][0]["read"].as_bool()
            ),
            (Some(0), Some(true))
        );
        let other = app.signed_in(Role::Viewer).await;
        let res = app
            .post_json(
                &other,
                &format!("/api/v1/notifications/{id}/read"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 404, "not theirs");
        let res = app
            .post_json(&me, "/api/v1/notifications/read-all", &json!({}))
            .await;
        assert_eq!(res.status(), 204);
    }
}

#[tokio::test]
async fn a_sign_in_from_a_new_kind_of_device_is_told() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let email = app.user(Role::Viewer).await;
        let from = |ua: &str| {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .user_agent(ua)
                .build()
                .unwrap();
            let (app, email) = (&app, email.clone());
            async move {
                let body = json!({"email": email, "password": PASSWORD});
                assert_eq!(
                    app.post_json(&client, "/api/v1/auth/login", &body)
                        .await
                        .status(),
                    200
                );
                app.get_json::<Value>(&client, "/api/v1/notifications")
                    .await
            }
        };
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
        assert_eq!(
            from(firefox).await["items"],
            json!([]),
            "the first device is not news"
        );
        assert_eq!(
            from(firefox).await["items"],
            json!([]),
            "nor is the same one again"
        );
        let inbox = from(chrome).await;
        assert_eq!(
            inbox["items"][0]["title"], "New sign-in from Chrome on Windows",
            "{inbox}"
        );
        assert_eq!(inbox["items"][0]["kind"], "security");
        assert_eq!(from(chrome).await["items"].as_array().unwrap().len(), 1);
    }
}
