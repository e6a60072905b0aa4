//! Plans, subscriptions and entitlements over REST: the plan editor and its checks; trials,
//! prorated upgrades paid from bought credits, scheduled downgrades and cancellations,
//! reactivation; renewals (paid once under concurrent runs, overdue when unpaid); usage
//! recorded once per event id and refused (402/429, naming the limit) when the plan says no,
//! also under parallel requests.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, backends, error_of, fund, spawn_app, status_of, subscribed,
};

const USD: i64 = MICROS;
const DAY: i64 = 86_400_000;

async fn post_keyed(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    key: &str,
    body: &Value,
) -> (u16, Value) {
    status_of(
        client
            .post(app.url(path))
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn paid_balance(app: &TestApp, client: &reqwest::Client) -> i64 {
    let b: Value = app.get_json(client, "/api/v1/credits/balance").await;
    b["paid"].as_i64().unwrap()
}

/// Moves the user's current period so that `elapsed` of it has passed and `left` remains.
async fn travel(app: &TestApp, uid: &str, elapsed: i64, left: i64) {
    let now = ops_db::now_ms();
    sqlx::query(
        "UPDATE subscriptions SET period_start = $2, anchor_at = $2, period_end = $3 \
         WHERE owner_kind = 'user' AND owner_id = $1",
    )
    .bind(uid)
    .bind(now - elapsed)
    .bind(now + left)
    .execute(app.db.pool())
    .await
    .unwrap();
}

async fn event_kinds(app: &TestApp, client: &reqwest::Client) -> Vec<String> {
    let h: Value = app.get_json(client, "/api/v1/subscriptions/history").await;
    h.as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_plan_editor_checks_what_it_saves() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let user = app.signed_in(Role::Developer).await;
        let plans: Value = app.get_json(&user, "/api/v1/subscriptions/plans").await;
        let codes: Vec<&str> = plans
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            ["free", "starter", "professional", "enterprise"],
            "seeded defaults"
        );
        assert_eq!(plans[1]["price_monthly"], 19 * USD);
        assert_eq!(plans[1]["trial_days"], 14);

        let team = json!({"code": "team", "name": "Team", "description": "", "position": 5,
            "currency": "USD", "price_monthly": 99 * USD, "price_yearly": 990 * USD, "trial_days": 0,
            "included_credits": 50 * USD, "request_limit": null, "rate_limit_rpm": 600,
            "overage": "credits", "services": ["chat", "images"], "features": ["byok"],
            "model_groups": ["standard"], "public": false});
        let res = app
            .post_json(&user, "/api/v1/subscriptions/plans", &team)
            .await;
        assert_eq!(res.status(), 403, "only billing administrators edit plans");
        for (field, bad) in [
            ("code", json!("Bad Code")),
            ("price_monthly", json!(-1)),
            ("price_yearly", json!(i64::MAX)),
            ("services", json!(["teleport"])),
            ("currency", json!("dollars")),
            ("trial_days", json!(400)),
            ("rate_limit_rpm", json!(0)),
            ("name", json!("")),
        ] {
            let mut body = team.clone();
            body[field] = bad;
            let err = error_of(
                app.post_json(&admin, "/api/v1/subscriptions/plans", &body)
                    .await,
            )
            .await;
            assert_eq!(err["field"], field, "{field}: {err}");
        }
        let (status, made) = status_of(
            app.post_json(&admin, "/api/v1/subscriptions/plans", &team)
                .await,
        )
        .await;
        assert_eq!((status, made["code"].as_str()), (201, Some("team")));
        let again = app
            .post_json(&admin, "/api/v1/subscriptions/plans", &team)
            .await;
        assert_eq!(again.status(), 409, "codes are unique");
        let listed: Value = app.get_json(&user, "/api/v1/subscriptions/plans").await;
        assert!(
            !listed
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "team"),
            "a hidden plan is not offered"
        );
        let res = app
            .post_json(
                &user,
                "/api/v1/subscriptions/change",
                &json!({"plan": "team"}),
            )
            .await;
        assert_eq!(error_of(res).await["field"], "plan", "nor can it be chosen");

        let mut shown = team.clone();
        shown["public"] = json!(true);
        shown["price_monthly"] = json!(89 * USD);
        let (status, saved) = status_of(
            app.put_json(&admin, "/api/v1/subscriptions/plans/team", &shown)
                .await,
        )
        .await;
        assert_eq!(
            (status, saved["price_monthly"].as_i64()),
            (200, Some(89 * USD))
        );
        let mut priced_free = saved.clone();
        priced_free["price_monthly"] = json!(USD);
        let res = app
            .put_json(&admin, "/api/v1/subscriptions/plans/free", &priced_free)
            .await;
        assert_eq!(res.status(), 422, "the free plan stays free");
        assert_eq!(
            app.delete(&admin, "/api/v1/subscriptions/plans/free")
                .await
                .status(),
            409
        );
        assert_eq!(
            app.delete(&admin, "/api/v1/subscriptions/plans/nope")
                .await
                .status(),
            404
        );

        // A plan someone is on cannot be deleted; an unused one can.
        let cur: Value = app.get_json(&user, "/api/v1/subscriptions/current").await;
        assert_eq!(cur["plan"]["code"], "free");
        let all: Value = app.get_json(&admin, "/api/v1/subscriptions/plans").await;
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .find(|p| p["code"] == "free")
                .unwrap()["subscribers"]
                .as_i64()
                .unwrap()
                >= 1
        );
        assert_eq!(
            app.delete(&admin, "/api/v1/subscriptions/plans/team")
                .await
                .status(),
            204
        );
        let audit: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=plans.update")
            .await;
        let detail = audit["events"][0]["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            detail.contains("price_monthly=99000000->89000000"),
            "{audit}"
        );
    }
}

#[tokio::test]
async fn trials_upgrades_downgrades_and_cancellations() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let uid = app.user_id(&email).await;

        let cur: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(
            (cur["plan"]["code"].as_str(), cur["status"].as_str()),
            (Some("free"), Some("active"))
        );
        let alias: Value = app.get_json(&me, "/api/v1/subscriptions/my-access").await;
        assert_eq!(alias["id"], cur["id"]);
        let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(b["granted"], USD, "the free plan's included credits");

        // A first paid plan starts with its trial, free of charge.
        let p: Value = app
            .get_json(&me, "/api/v1/subscriptions/preview-change?plan=starter")
            .await;
        assert_eq!(
            (p["kind"].as_str(), p["total"].as_i64()),
            (Some("trial"), Some(0))
        );
        let (status, sub) = post_keyed(
            &app,
            &me,
            "/api/v1/subscriptions/change",
            "t1",
            &json!({"plan": "starter"}),
        )
        .await;
        assert_eq!((status, sub["status"].as_str()), (201, Some("trialing")));
        assert!(sub["trial_end"].as_i64().unwrap() > ops_db::now_ms() + 13 * DAY);
        let me_row: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users/{uid}"))
            .await;
        assert_eq!(
            me_row["user"]["tier"], "starter",
            "the user list follows the plan"
        );
        // Cancelling a trial ends it now; a second trial is not offered.
        let (status, sub) = status_of(
            app.post_json(
                &me,
                "/api/v1/subscriptions/cancel",
                &json!({"reason": "just looking"}),
            )
            .await,
        )
        .await;
        assert_eq!((status, sub["plan"]["code"].as_str()), (200, Some("free")));
        let p: Value = app
            .get_json(&me, "/api/v1/subscriptions/preview-change?plan=starter")
            .await;
        assert_eq!(
            (p["kind"].as_str(), p["total"].as_i64()),
            (Some("upgrade"), Some(19 * USD))
        );

        // Not enough bought credits: 402, and nothing changes.
        let (status, err) = post_keyed(
            &app,
            &me,
            "/api/v1/subscriptions/change",
            "u1",
            &json!({"plan": "starter"}),
        )
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (402, Some("insufficient_credits"))
        );
        let cur: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(cur["plan"]["code"], "free");
        // Bad requests.
        let bad = [
            (json!({"plan": "nope"}), 422),
            (json!({"plan": "free"}), 409),
            (json!({"plan": "starter", "interval": "fortnight"}), 422),
        ];
        for (body, want) in bad {
            let res = app
                .post_json(&me, "/api/v1/subscriptions/change", &body)
                .await;
            assert_eq!(res.status(), want, "{body}");
        }

        fund(&app, &admin, &uid, 100 * USD).await;
        let (status, sub) = post_keyed(
            &app,
            &me,
            "/api/v1/subscriptions/change",
            "u2",
            &json!({"plan": "starter"}),
        )
        .await;
        assert_eq!((status, sub["status"].as_str()), (201, Some("active")));
        let (status, _) = post_keyed(
            &app,
            &me,
            "/api/v1/subscriptions/change",
            "u2",
            &json!({"plan": "starter"}),
        )
        .await;
        assert_eq!(status, 200, "a retry changes nothing");
        assert_eq!(paid_balance(&app, &me).await, 81 * USD, "charged once");

        // Halfway through the month, an upgrade credits half of Starter and charges half of
        // Professional.
        travel(&app, &uid, 15 * DAY, 15 * DAY).await;
        let p: Value = app
            .get_json(
                &me,
                "/api/v1/subscriptions/preview-change?plan=professional",
            )
            .await;
        assert_eq!(p["kind"], "upgrade");
        let lines = p["lines"].as_array().unwrap();
        let (credit, charge) = (
            lines[0]["amount"].as_i64().unwrap(),
            lines[1]["amount"].as_i64().unwrap(),
        );
        assert!((credit + 19 * USD / 2).abs() < USD / 100, "{p}");
        assert!((charge - 49 * USD / 2).abs() < USD / 100, "{p}");
        assert_eq!(p["total"].as_i64().unwrap(), credit + charge);
        let down = app
            .post_json(
                &me,
                "/api/v1/subscriptions/downgrade",
                &json!({"plan": "professional"}),
            )
            .await;
        assert_eq!(down.status(), 422, "/downgrade refuses an upgrade");
        let (status, sub) = post_keyed(
            &app,
            &me,
            "/api/v1/subscriptions/upgrade",
            "u3",
            &json!({"plan": "professional"}),
        )
        .await;
        assert_eq!(
            (status, sub["plan"]["code"].as_str()),
            (201, Some("professional"))
        );
        let paid = paid_balance(&app, &me).await;
        assert!(
            (paid - (81 * USD - (charge + credit))).abs() <= 100,
            "paid the preview's total"
        );

        // A downgrade waits for the period's end; reactivating drops it.
        let (status, sub) = status_of(
            app.post_json(
                &me,
                "/api/v1/subscriptions/change",
                &json!({"plan": "starter"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (
                status,
                sub["plan"]["code"].as_str(),
                sub["next_plan"].as_str()
            ),
            (201, Some("professional"), Some("starter"))
        );
        assert_eq!(
            paid_balance(&app, &me).await,
            paid,
            "nothing to pay for a downgrade"
        );
        let (status, sub) = status_of(
            app.post_json(&me, "/api/v1/subscriptions/reactivate", &json!({}))
                .await,
        )
        .await;
        assert_eq!((status, sub["next_plan"].clone()), (200, Value::Null));
        let again = app
            .post_json(&me, "/api/v1/subscriptions/reactivate", &json!({}))
            .await;
        assert_eq!(again.status(), 409);

        // Cancelled: it runs to the period's end, then the account is on the free plan, once
        // however many replicas run the job.
        let long = json!({"reason": "x".repeat(501)});
        assert_eq!(
            app.post_json(&me, "/api/v1/subscriptions/cancel", &long)
                .await
                .status(),
            422
        );
        let (_, sub) = status_of(
            app.post_json(
                &me,
                "/api/v1/subscriptions/cancel",
                &json!({"reason": "too dear"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (
                sub["cancel_at_period_end"].as_bool(),
                sub["next_charge"].as_i64()
            ),
            (Some(true), Some(0))
        );
        travel(&app, &uid, 30 * DAY, -1000).await;
        let (a, b) = tokio::join!(
            ops_billing::subscription::renew_due(&app.db),
            ops_billing::subscription::renew_due(&app.db)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 1);
        let cur: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(
            (cur["plan"]["code"].as_str(), cur["status"].as_str()),
            (Some("free"), Some("active"))
        );
        assert!(cur["period_end"].as_i64().unwrap() > ops_db::now_ms());
        let kinds = event_kinds(&app, &me).await;
        assert_eq!(
            kinds,
            [
                "ended",
                "cancel_scheduled",
                "reactivated",
                "downgrade_scheduled",
                "upgrade",
                "upgrade",
                "ended",
                "trial_started",
                "created"
            ]
        );
        let check: Value = app
            .post_json(&admin, "/api/v1/admin/credits/check", &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["problems"], json!([]));
    }
}

#[tokio::test]
async fn renewals_are_paid_once_or_leave_the_plan_overdue() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let (_, me, uid) = subscribed(&app, &admin, "starter", 40 * USD).await;
        assert_eq!(paid_balance(&app, &me).await, 21 * USD);

        travel(&app, &uid, 31 * DAY, -1000).await;
        let (a, b) = tokio::join!(
            ops_billing::subscription::renew_due(&app.db),
            ops_billing::subscription::renew_due(&app.db)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 1, "renewed once");
        assert_eq!(paid_balance(&app, &me).await, 2 * USD, "charged once");
        let cur: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(
            (cur["plan"]["code"].as_str(), cur["status"].as_str()),
            (Some("starter"), Some("active"))
        );

        // Next time the credits fall short: overdue, with the free plan's entitlements; the
        // billing pages still answer, and paying later puts it right.
        travel(&app, &uid, 31 * DAY, -1000).await;
        ops_billing::subscription::renew_due(&app.db).await.unwrap();
        let cur: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(
            (cur["status"].as_str(), cur["access"]["plan"].as_str()),
            (Some("past_due"), Some("free"))
        );
        let check: Value = app
            .post_json(&me, "/api/v1/subscriptions/check-access/images", &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["allowed"], false);
        assert!(
            check["reason"].as_str().unwrap().contains("overdue"),
            "{check}"
        );
        let res = app
            .post_json(&me, "/api/v1/subscriptions/reactivate", &json!({}))
            .await;
        assert_eq!(res.status(), 402);
        fund(&app, &admin, &uid, 20 * USD).await;
        let (status, cur) = status_of(
            app.post_json(&me, "/api/v1/subscriptions/reactivate", &json!({}))
                .await,
        )
        .await;
        assert_eq!((status, cur["status"].as_str()), (200, Some("active")));
        assert_eq!(paid_balance(&app, &me).await, 3 * USD);
        let kinds = event_kinds(&app, &me).await;
        assert_eq!(kinds[..3], ["renewed", "payment_failed", "renewed"]);
    }
}

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

#[tokio::test]
async fn administrators_suspend_reactivate_reset_usage_and_see_revenue() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let (email, me, _) = subscribed(&app, &admin, "starter", 100 * USD).await;
        let other = app.signed_in(Role::Developer).await;
        app.get_json::<Value>(&other, "/api/v1/subscriptions/current")
            .await;

        let page: Value = app
            .get_json(&admin, "/api/v1/admin/subscriptions/list?plan=starter")
            .await;
        assert_eq!(page["total"], 1);
        let item = &page["items"][0];
        assert_eq!(
            (item["owner_name"].as_str(), item["mrr"].as_i64()),
            (Some(email.as_str()), Some(19 * USD))
        );
        let part = &email[..email.find('@').unwrap()];
        let found: Value = app
            .get_json(
                &admin,
                &format!("/api/v1/admin/subscriptions/list?q={}", part.to_uppercase()),
            )
            .await;
        assert_eq!(found["total"], 1, "search ignores case");
        let all: Value = app
            .get_json(&admin, "/api/v1/admin/subscriptions/list")
            .await;
        assert!(all["total"].as_i64().unwrap() >= 2);
        assert_eq!(
            app.get(&admin, "/api/v1/admin/subscriptions/list?status=bogus")
                .await
                .status(),
            422
        );
        assert_eq!(
            app.get(&me, "/api/v1/admin/subscriptions/list")
                .await
                .status(),
            403
        );

        let detail: Value = app
            .get_json(&admin, &format!("/api/v1/admin/subscriptions/{email}"))
            .await;
        assert_eq!(detail["subscription"]["plan"]["code"], "starter");
        let id = detail["subscription"]["id"].as_str().unwrap().to_string();
        assert_eq!(detail["history"][0]["kind"], "upgrade");
        assert_eq!(
            app.get(&admin, "/api/v1/admin/subscriptions/nobody@example.com")
                .await
                .status(),
            404
        );

        for i in 0..2 {
            let ev = json!({"event_id": format!("r{i}"), "service": "chat"});
            assert_eq!(
                app.post_json(&me, "/api/v1/usage/log", &ev).await.status(),
                201
            );
        }
        let reset = format!("/api/v1/admin/subscriptions/{id}/reset-usage");
        assert_eq!(
            app.post_json(&admin, &reset, &json!({"reason": ""}))
                .await
                .status(),
            422
        );
        let (status, _) = status_of(
            app.post_json(&admin, &reset, &json!({"reason": "support ticket 12"}))
                .await,
        )
        .await;
        assert_eq!(status, 200);
        let limits: Value = app.get_json(&me, "/api/v1/usage/limits").await;
        assert_eq!(limits[0]["used"], 0, "the period's requests start again");

        let suspend = format!("/api/v1/admin/subscriptions/{id}/suspend");
        let (status, d) = status_of(
            app.post_json(&admin, &suspend, &json!({"reason": "chargeback"}))
                .await,
        )
        .await;
        assert_eq!(
            (status, d["subscription"]["status"].as_str()),
            (200, Some("suspended"))
        );
        assert_eq!(
            app.post_json(&admin, &suspend, &json!({"reason": "again"}))
                .await
                .status(),
            409
        );
        let (status, err) = status_of(
            app.post_json(
                &me,
                "/api/v1/usage/log",
                &json!({"event_id": "s1", "service": "chat"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (402, Some("plan_required"))
        );
        let res = app
            .post_json(
                &me,
                "/api/v1/subscriptions/change",
                &json!({"plan": "professional"}),
            )
            .await;
        assert_eq!(res.status(), 409, "no changes while suspended");
        let page: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(
            page["status"], "suspended",
            "the billing page still answers"
        );
        let resume = format!("/api/v1/admin/subscriptions/{id}/reactivate");
        let (status, d) = status_of(
            app.post_json(&admin, &resume, &json!({"reason": "resolved"}))
                .await,
        )
        .await;
        assert_eq!(
            (status, d["subscription"]["status"].as_str()),
            (200, Some("active"))
        );
        assert_eq!(
            app.post_json(
                &me,
                "/api/v1/usage/log",
                &json!({"event_id": "s2", "service": "chat"})
            )
            .await
            .status(),
            201
        );
        let kinds = event_kinds(&app, &me).await;
        assert_eq!(kinds[..3], ["resumed", "suspended", "usage_reset"]);
        let audit: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=subscriptions.")
            .await;
        assert_eq!(audit["events"].as_array().unwrap().len(), 3);

        let o: Value = app
            .get_json(&admin, "/api/v1/admin/subscriptions/analytics/overview")
            .await;
        assert_eq!(
            (
                o["mrr"].as_i64(),
                o["arr"].as_i64(),
                o["arpu"].as_i64(),
                o["paying"].as_i64()
            ),
            (Some(19 * USD), Some(228 * USD), Some(19 * USD), Some(1))
        );
        assert_eq!(o["liability_paid"], 81 * USD);
        let starter = o["by_plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["plan"] == "starter")
            .unwrap();
        assert_eq!(
            (starter["subscribers"].as_i64(), starter["mrr"].as_i64()),
            (Some(1), Some(19 * USD))
        );
        let months = o["months"].as_array().unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(
            (months[11]["revenue"].as_i64(), months[11]["new"].as_i64()),
            (Some(19 * USD), Some(1))
        );
        let csv = app
            .get_text(&admin, "/api/v1/admin/subscriptions/analytics/export")
            .await;
        assert!(csv.starts_with("month,revenue_usd,new,churned\n"));
        assert!(csv.trim_end().ends_with(",19.000000,1,0"), "{csv}");
    }
}
