//! Administrators and subscriptions over REST: the list and its filters, one subscription by
//! e-mail, suspend, reactivate and reset usage (audited), and the revenue figures and CSV.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{backends, event_kinds, spawn_app, status_of, subscribed};

const USD: i64 = MICROS;

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
