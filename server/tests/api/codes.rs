//! Redemption codes and coupons over REST: batches checked and shown once, each code redeemed
//! within its uses (also in parallel), once per account and batch; withdrawn and unknown codes
//! refused; a coupon's percentage off plan changes and renewals.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, backends, error_of, fund, spawn_app, status_of, travel, without_trial,
};

const USD: i64 = MICROS;

#[tokio::test]
async fn credit_codes_are_shown_once_redeemed_once_and_never_past_their_uses() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let gift = json!({"kind": "credit", "name": "Launch gift", "amount": 5 * USD, "bucket": "granted",
            "credit_days": 30, "count": 3});
        let res = app
            .post_json(&me, "/api/v1/credits/coupons/create", &gift)
            .await;
        assert_eq!(res.status(), 403, "only billing administrators make codes");
        for (field, patch) in [
            ("amount", json!({"amount": 0})),
            ("count", json!({"count": 0})),
            ("count", json!({"count": 10_001})),
            ("credit_days", json!({"credit_days": 0})),
            ("name", json!({"name": " "})),
            ("code", json!({"code": "ab"})),
            ("valid_until", json!({"valid_until": 1})),
            ("percent_off", json!({"kind": "coupon", "percent_off": 0})),
            (
                "plans",
                json!({"kind": "coupon", "percent_off": 10, "plans": ["free"]}),
            ),
        ] {
            let mut body = gift.clone();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let err = error_of(
                app.post_json(&admin, "/api/v1/credits/coupons/create", &body)
                    .await,
            )
            .await;
            assert_eq!(err["field"], field, "{patch}: {err}");
        }
        let (status, made) = status_of(
            app.post_json(&admin, "/api/v1/credits/coupons/create", &gift)
                .await,
        )
        .await;
        assert_eq!(status, 201);
        let codes: Vec<String> = made["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(codes.len(), 3);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 19 && c.chars().filter(|x| *x == '-').count() == 3),
            "{codes:?}"
        );
        let batch_id = made["batch"]["id"].as_str().unwrap().to_string();
        let list: Value = app.get_json(&admin, "/api/v1/credits/coupons").await;
        assert_eq!(
            (list[0]["codes"].as_i64(), list[0]["redemptions"].as_i64()),
            (Some(3), Some(0))
        );
        assert!(!list.to_string().contains(&codes[0]), "codes are not kept");

        let typed = codes[0].replace('-', "").to_lowercase();
        let (status, check) = status_of(
            app.get(&me, &format!("/api/v1/credits/coupons/validate/{typed}"))
                .await,
        )
        .await;
        assert_eq!((status, check["amount"].as_i64()), (200, Some(5 * USD)));
        assert_eq!(
            app.get(&me, "/api/v1/credits/coupons/validate/NOPE-NOPE")
                .await
                .status(),
            404
        );
        let (status, got) = status_of(
            app.post_json(
                &me,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": typed}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 201);
        assert!(got["until"].as_i64().unwrap() > ops_db::now_ms() + 29 * 86_400_000);
        let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(b["granted"], 5 * USD);
        let res = app
            .post_json(
                &me,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": codes[1]}),
            )
            .await;
        assert_eq!(res.status(), 409, "one code of a batch per account");
        let other = app.signed_in(Role::Developer).await;
        let err = error_of(
            app.post_json(
                &other,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": codes[0]}),
            )
            .await,
        )
        .await;
        assert!(
            err["message"].as_str().unwrap().contains("used up"),
            "{err}"
        );
        assert_eq!(
            app.post_json(
                &other,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": ""})
            )
            .await
            .status(),
            422
        );

        // One code good for five: ten people at once, five get it.
        let shared = json!({"kind": "credit", "name": "Meetup", "amount": USD, "uses_per_code": 5});
        let made: Value = app
            .post_json(&admin, "/api/v1/credits/coupons/create", &shared)
            .await
            .json()
            .await
            .unwrap();
        let code = made["codes"][0].as_str().unwrap().to_string();
        let mut people = Vec::new();
        for _ in 0..10 {
            people.push(app.signed_in(Role::Developer).await);
        }
        let tries = people.iter().map(|c| {
            let (app, code) = (&app, &code);
            async move {
                app.post_json(c, "/api/v1/credits/coupons/redeem", &json!({"code": code}))
                    .await
                    .status()
                    .as_u16()
            }
        });
        let mut got = futures::future::join_all(tries).await;
        got.sort();
        assert_eq!(got, [201, 201, 201, 201, 201, 422, 422, 422, 422, 422]);

        let (status, b) = status_of(
            app.delete(&admin, &format!("/api/v1/credits/coupons/{batch_id}"))
                .await,
        )
        .await;
        assert_eq!((status, b["revoked"].as_bool()), (200, Some(true)));
        assert_eq!(
            app.delete(&admin, &format!("/api/v1/credits/coupons/{batch_id}"))
                .await
                .status(),
            409
        );
        let err = error_of(
            app.post_json(
                &other,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": codes[2]}),
            )
            .await,
        )
        .await;
        assert!(
            err["message"].as_str().unwrap().contains("withdrawn"),
            "{err}"
        );
        let csv = app
            .get_text(&admin, &format!("/api/v1/credits/coupons/{batch_id}/codes"))
            .await;
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "code_ends_with,uses,redeemed_by");
        assert_eq!(lines.len(), 4);
        assert!(
            csv.contains(&format!(
                "{},1,{email}",
                &typed[typed.len() - 4..].to_uppercase()
            )),
            "{csv}"
        );
        let audit: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=codes.redeem")
            .await;
        assert_eq!(audit["events"].as_array().unwrap().len(), 6);
    }
}

#[tokio::test]
async fn a_coupon_takes_its_percentage_off_plan_changes_and_renewals() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let uid = app.user_id(&email).await;
        fund(&app, &admin, &uid, 100 * USD).await;
        without_trial(&app, &me, &uid).await;

        let coupon = json!({"kind": "coupon", "name": "Launch", "code": "LAUNCH-20", "percent_off": 20,
            "months": 3, "plans": ["starter", "professional"], "uses_per_code": 100});
        let (status, made) = status_of(
            app.post_json(&admin, "/api/v1/credits/coupons/create", &coupon)
                .await,
        )
        .await;
        assert_eq!(
            (status, made["codes"][0].as_str()),
            (201, Some("LAUNCH-20"))
        );
        assert_eq!(
            app.post_json(&admin, "/api/v1/credits/coupons/create", &coupon)
                .await
                .status(),
            409
        );
        let (status, got) = status_of(
            app.post_json(
                &me,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": "launch20"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, got["kind"].as_str(), got["percent_off"].as_i64()),
            (201, Some("coupon"), Some(20))
        );
        assert!(got["until"].as_i64().unwrap() > ops_db::now_ms() + 88 * 86_400_000);
        let cur: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert!(
            cur["coupon"]
                .as_str()
                .unwrap()
                .starts_with("Launch: 20% off until"),
            "{cur}"
        );

        let p: Value = app
            .get_json(&me, "/api/v1/subscriptions/preview-change?plan=starter")
            .await;
        let lines = p["lines"].as_array().unwrap();
        assert!(
            lines.iter().any(|l| l["amount"] == -3_800_000
                && l["description"].as_str().unwrap().contains("Launch")),
            "{p}"
        );
        assert_eq!(p["total"], 15_200_000);
        let res = app
            .post_json(
                &me,
                "/api/v1/subscriptions/change",
                &json!({"plan": "starter"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let paid = |b: Value| b["paid"].as_i64().unwrap();
        assert_eq!(
            paid(app.get_json(&me, "/api/v1/credits/balance").await),
            84_800_000
        );
        let sub: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(
            sub["next_charge"], 15_200_000,
            "renewals are discounted too"
        );

        let more = json!({"kind": "coupon", "name": "More", "code": "MORE10", "percent_off": 10});
        assert_eq!(
            app.post_json(&admin, "/api/v1/credits/coupons/create", &more)
                .await
                .status(),
            201
        );
        let err = error_of(
            app.post_json(
                &me,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": "MORE10"}),
            )
            .await,
        )
        .await;
        assert!(
            err["message"].as_str().unwrap().contains("in force"),
            "{err}"
        );
        assert_eq!(
            app.post_json(
                &me,
                "/api/v1/credits/coupons/redeem",
                &json!({"code": "LAUNCH-20"})
            )
            .await
            .status(),
            409
        );

        travel(&app, &uid, 31 * 86_400_000, -1000).await;
        assert_eq!(
            ops_billing::subscription::renew_due(&app.db).await.unwrap(),
            1
        );
        assert_eq!(
            paid(app.get_json(&me, "/api/v1/credits/balance").await),
            69_600_000
        );
    }
}
