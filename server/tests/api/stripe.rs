//! Stripe settings and webhooks over REST: secrets sealed and shown as hints; webhooks refused
//! (nothing done) without a secret, without or with a bad signature, or with an old timestamp;
//! a paid Checkout session for credits credits them once (replays and a second event type for
//! the same payment do nothing) with an invoice; an older event arriving late is not applied.

use ops_billing::stripe::webhook::signature_header;
use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, backends, error_of, spawn_app};

const SECRET: &str = "whsec_test_0123456789abcdef";

async fn deliver(app: &TestApp, event: &Value, signature: Option<String>) -> (u16, Value) {
    let body = serde_json::to_vec(event).unwrap();
    let mut req = app
        .browser()
        .post(app.url("/api/v1/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = signature {
        req = req.header("stripe-signature", s);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn signed(event: &Value, at: i64) -> Option<String> {
    Some(signature_header(
        SECRET,
        at,
        &serde_json::to_vec(event).unwrap(),
    ))
}

fn now_s() -> i64 {
    ops_db::now_ms() / 1000
}

fn session_event(id: &str, kind: &str, created: i64, owner: &str) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": created,
        "data": {"object": {"id": "cs_test_1", "object": "checkout.session", "payment_status": "paid",
            "amount_total": 2000, "currency": "usd",
            "metadata": {"purpose": "credits", "owner_kind": "user", "owner_id": owner, "credits": "25000000"}}}})
}

#[tokio::test]
async fn stripe_webhooks_fail_closed_and_act_once_in_order() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let uid = app.user_id(&email).await;
        let event = session_event("evt_1", "checkout.session.completed", now_s(), &uid);

        // No signing secret yet: refused, nothing done.
        let (status, body) = deliver(&app, &event, signed(&event, now_s())).await;
        assert_eq!(status, 400);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not set up")
        );
        let s: Value = app.get_json(&admin, "/api/v1/admin/settings/stripe").await;
        assert_eq!(s["configured"], false);

        for (field, bad) in [
            ("secret_key", json!({"secret_key": "pk_live_oops"})),
            ("webhook_secret", json!({"webhook_secret": "nope"})),
            ("publishable_key", json!({"publishable_key": "sk_test_x"})),
        ] {
            let mut body = json!({"publishable_key": "pk_test_abc"});
            for (k, v) in bad.as_object().unwrap() {
                body[k] = v.clone();
            }
            let err = error_of(
                app.put_json(&admin, "/api/v1/admin/settings/stripe", &body)
                    .await,
            )
            .await;
            assert_eq!(err["field"], field);
        }
        let put = json!({"publishable_key": "pk_test_abc", "secret_key": "sk_test_0123456789", "webhook_secret": SECRET});
        let saved: Value = app
            .put_json(&admin, "/api/v1/admin/settings/stripe", &put)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(saved["configured"], true);
        assert!(
            !saved.to_string().contains("sk_test_0123456789")
                && !saved.to_string().contains(SECRET),
            "hints only: {saved}"
        );
        let stored: String =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'billing.stripe'")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        assert!(
            !stored.contains("sk_test_0123456789") && !stored.contains(SECRET),
            "sealed at rest"
        );
        let audit: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=billing.stripe")
            .await;
        assert!(!audit.to_string().contains(SECRET));
        let kept: Value = app
            .put_json(
                &admin,
                "/api/v1/admin/settings/stripe",
                &json!({"publishable_key": "pk_test_abc"}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(kept["configured"], true, "secrets left out are kept");

        // Bad deliveries: nothing done.
        let (status, _) = deliver(&app, &event, None).await;
        assert_eq!(status, 400, "no signature");
        let forged = Some(signature_header(
            "whsec_wrong_secret_000",
            now_s(),
            &serde_json::to_vec(&event).unwrap(),
        ));
        assert_eq!(deliver(&app, &event, forged).await.0, 400, "wrong secret");
        assert_eq!(
            deliver(&app, &event, signed(&event, now_s() - 600)).await.0,
            400,
            "too old"
        );
        let mut tampered = event.clone();
        tampered["data"]["object"]["metadata"]["credits"] = json!("99000000");
        let sig = signed(&event, now_s());
        assert_eq!(
            deliver(&app, &tampered, sig).await.0,
            400,
            "changed after signing"
        );
        let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(b["paid"], 0);

        // The real thing, then its replay, then another event type for the same payment.
        let (status, ack) = deliver(&app, &event, signed(&event, now_s())).await;
        assert_eq!((status, ack["status"].as_str()), (200, Some("processed")));
        let (status, ack) = deliver(&app, &event, signed(&event, now_s())).await;
        assert_eq!((status, ack["status"].as_str()), (200, Some("duplicate")));
        let later = session_event(
            "evt_2",
            "checkout.session.async_payment_succeeded",
            now_s() + 1,
            &uid,
        );
        let (_, ack) = deliver(&app, &later, signed(&later, now_s())).await;
        assert_eq!(ack["status"], "processed");
        let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(b["paid"], 25 * MICROS, "credited once");
        let invoices: Value = app.get_json(&me, "/api/v1/billing/invoices").await;
        assert_eq!(invoices.as_array().unwrap().len(), 1);
        assert_eq!(
            (invoices[0]["kind"].as_str(), invoices[0]["total"].as_i64()),
            (Some("credits"), Some(20 * MICROS))
        );

        // Out of order: an event created before the newest one applied to the object.
        let early = session_event("evt_0", "checkout.session.completed", now_s() - 100, &uid);
        let (_, ack) = deliver(&app, &early, signed(&early, now_s())).await;
        assert_eq!(ack["status"], "stale");
        let other = json!({"id": "evt_3", "type": "customer.created", "created": now_s(), "data": {"object": {"id": "cus_1"}}});
        let (_, ack) = deliver(&app, &other, signed(&other, now_s())).await;
        assert_eq!(ack["status"], "ignored");
        let junk = json!({"hello": "world"});
        assert_eq!(
            deliver(&app, &junk, signed(&junk, now_s())).await.0,
            400,
            "not an event"
        );
        let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(b["paid"], 25 * MICROS);
    }
}
