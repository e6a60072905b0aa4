//! Renewals over REST and the renewal job: paid once under concurrent runs; overdue when bought
//! credits fall short (the free plan's entitlements, billing pages still answer); reactivation
//! once paid; after the 7 days to pay, the plan ends and reactivating says so.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{
    backends, event_kinds, fund, paid_balance, spawn_app, status_of, subscribed, travel,
};

const USD: i64 = MICROS;
const DAY: i64 = 86_400_000;

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

        // Overdue again, and the 7 days to pay pass: reactivating ends the plan and says so.
        travel(&app, &uid, 31 * DAY, -1000).await;
        ops_billing::subscription::renew_due(&app.db).await.unwrap();
        sqlx::query("UPDATE subscriptions SET past_due_since = $2 WHERE owner_id = $1")
            .bind(&uid)
            .bind(ops_db::now_ms() - 8 * DAY)
            .execute(app.db.pool())
            .await
            .unwrap();
        let (status, body) = status_of(
            app.post_json(&me, "/api/v1/subscriptions/reactivate", &json!({}))
                .await,
        )
        .await;
        assert_eq!(status, 409, "{body}");
        let cur: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(
            (cur["plan"]["code"].as_str(), cur["status"].as_str()),
            (Some("free"), Some("active"))
        );
    }
}
