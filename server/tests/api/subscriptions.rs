//! Plans, subscriptions and entitlements over REST: the plan editor and its checks; trials,
//! prorated upgrades paid from bought credits, scheduled downgrades and cancellations,
//! reactivation. Renewals are in `renewals.rs`.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, backends, error_of, event_kinds, fund, paid_balance, spawn_app, status_of,
    travel,
};

const USD: i64 = MICROS;
const DAY: i64 = 86_400_000;

pub(crate) async fn post_keyed(
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
        let (status, err) = post_keyed(
            &app,
            &me,
            "/api/v1/subscriptions/change",
            "u2",
            &json!({"plan": "professional"}),
        )
        .await;
        assert_eq!(
            status, 422,
            "the same key for another change is refused: {err}"
        );
        assert_eq!(err["error"]["field"], "idempotency_key");
        assert_eq!(paid_balance(&app, &me).await, 81 * USD, "nothing moved");

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
