//! Usage over REST: recorded once per event id, charged to the ledger, refused (402/429,
//! naming the limit) when the plan says no, also under parallel requests; the reports; an
//! organisation's usage is its members' to log and its owners' to manage.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, backends, error_of, fund, spawn_app, status_of};

const USD: i64 = MICROS;

#[tokio::test]
async fn usage_is_recorded_once_and_refused_by_the_plan() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let uid = app.user_id(&email).await;

        let ev = json!({"event_id": "e1", "service": "chat", "quantity": 1200, "cost": 300_000, "model": "gpt-x"});
        let (status, rec) = status_of(app.post_json(&me, "/api/v1/usage/log", &ev).await).await;
        assert_eq!((status, rec["cost"].as_i64()), (201, Some(300_000)));
        let (status, again) = status_of(app.post_json(&me, "/api/v1/usage/log", &ev).await).await;
        assert_eq!((status, again["id"].clone()), (200, rec["id"].clone()));
        let mut other = ev.clone();
        other["cost"] = json!(1);
        let err = error_of(app.post_json(&me, "/api/v1/usage/log", &other).await).await;
        assert_eq!(err["field"], "event_id");
        let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(
            b["granted"],
            USD - 300_000,
            "charged once to the included credits"
        );
        for (field, bad) in [
            ("cost", json!(-1)),
            ("cost", json!(i64::MAX)),
            ("quantity", json!(-5)),
            ("event_id", json!("")),
        ] {
            let mut body = ev.clone();
            body[field] = bad;
            body["event_id"] = if field == "event_id" {
                json!("")
            } else {
                json!("bad")
            };
            let err = error_of(app.post_json(&me, "/api/v1/usage/log", &body).await).await;
            assert_eq!(err["field"], field);
        }

        // Not in the plan: 402 naming it.
        let img = json!({"event_id": "i1", "service": "images"});
        let (status, err) = status_of(app.post_json(&me, "/api/v1/usage/log", &img).await).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (402, Some("plan_required"))
        );
        let unknown = app
            .post_json(
                &me,
                "/api/v1/usage/log",
                &json!({"event_id": "x", "service": "teleport"}),
            )
            .await;
        assert_eq!(unknown.status(), 404);
        // Over the included credits, the free plan stops (bought credits are not touched).
        fund(&app, &admin, &uid, 5 * USD).await;
        let dear = json!({"event_id": "e2", "service": "chat", "cost": 2 * USD});
        let (status, err) = status_of(app.post_json(&me, "/api/v1/usage/log", &dear).await).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (402, Some("insufficient_credits"))
        );
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("included credits")
        );

        // The request allowance: parallel requests never get past it.
        let mut free: Value = app
            .get_json(&admin, "/api/v1/subscriptions/plans/free")
            .await;
        free["request_limit"] = json!(10);
        assert_eq!(
            app.put_json(&admin, "/api/v1/subscriptions/plans/free", &free)
                .await
                .status(),
            200
        );
        let calls = (0..20).map(|i| {
            let (app, me) = (&app, &me);
            async move {
                let body = json!({"event_id": format!("p{i}"), "service": "embeddings"});
                app.post_json(me, "/api/v1/usage/log", &body)
                    .await
                    .status()
                    .as_u16()
            }
        });
        let mut codes = futures::future::join_all(calls).await;
        codes.sort();
        assert_eq!(codes.iter().filter(|c| **c == 201).count(), 9, "{codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == 429).count(), 11);
        let (status, err) = status_of(
            app.post_json(
                &me,
                "/api/v1/usage/log",
                &json!({"event_id": "z", "service": "chat"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (429, Some("quota_exceeded"))
        );
        let limit = &err["error"]["limit"];
        assert_eq!(
            (
                limit["name"].as_str(),
                limit["used"].as_i64(),
                limit["limit"].as_i64()
            ),
            (Some("requests"), Some(10), Some(10))
        );
        assert!(limit["resets_at"].as_i64().unwrap() > ops_db::now_ms());

        let cur: Value = app.get_json(&me, "/api/v1/usage/current").await;
        assert!(cur["resets_in_days"].as_i64().unwrap() >= 27);
        let chat = cur["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == "chat")
            .unwrap();
        assert_eq!(
            (
                chat["requests"].as_i64(),
                chat["quantity"].as_i64(),
                chat["cost"].as_i64()
            ),
            (Some(1), Some(1200), Some(300_000))
        );
        let limits: Value = app.get_json(&me, "/api/v1/usage/limits").await;
        let requests = limits
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == "requests")
            .unwrap();
        assert_eq!(requests["used"], 10);
        assert!(
            requests["projected_at"].as_i64().is_some(),
            "at this pace the limit is reached now"
        );
        let days: Value = app.get_json(&me, "/api/v1/usage/history?days=7").await;
        assert_eq!(days.as_array().unwrap().len(), 7);
        assert_eq!(days[6]["requests"], 10);
        assert_eq!(
            app.get(&me, "/api/v1/usage/history?days=0").await.status(),
            422
        );
        let csv = app.get_text(&me, "/api/v1/usage/export").await;
        assert!(csv.starts_with("time,event_id,service,model,quantity,cost_usd\n"));
        assert!(csv.contains(",e1,chat,gpt-x,1200,0.300000"), "{csv}");

        // An organisation's subscription is its owners' to change and its members' to use.
        let org: Value = app
            .post_json(&me, "/api/v1/org", &json!({"name": "Usage Team"}))
            .await
            .json()
            .await
            .unwrap();
        let org_id = org["id"].as_str().unwrap();
        let ev = json!({"event_id": "o1", "service": "chat", "org_id": org_id});
        assert_eq!(
            app.post_json(&me, "/api/v1/usage/log", &ev).await.status(),
            201
        );
        let org_sub: Value = app
            .get_json(
                &me,
                &format!("/api/v1/subscriptions/current?org_id={org_id}"),
            )
            .await;
        assert_eq!(
            (
                org_sub["owner_kind"].as_str(),
                org_sub["plan"]["code"].as_str()
            ),
            (Some("org"), Some("free"))
        );
        let stranger = app.signed_in(Role::Developer).await;
        let res = app.post_json(&stranger, "/api/v1/usage/log", &ev).await;
        assert_eq!(res.status(), 404, "the organisation is not revealed");
        let res = app
            .post_json(
                &stranger,
                "/api/v1/subscriptions/change",
                &json!({"plan": "starter", "org_id": org_id}),
            )
            .await;
        assert_eq!(res.status(), 404);
        let viewer = app.signed_in(Role::Viewer).await;
        let res = app
            .post_json(
                &viewer,
                "/api/v1/subscriptions/change",
                &json!({"plan": "starter"}),
            )
            .await;
        assert_eq!(res.status(), 403, "viewers read but do not change");
    }
}
