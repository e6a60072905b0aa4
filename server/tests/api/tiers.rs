//! Tiers: the plans listed, bulk and single changes (unknown plans refused), the filter, the
//! figures, the export column and the audit trail.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{backends, error_of, spawn_app};

#[tokio::test]
async fn tiers_filter_bulk_and_single_changes() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let tiers: Value = app.get_json(&admin, "/api/v1/admin/users/tiers").await;
        let codes: Vec<&str> = tiers
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["free", "starter", "professional", "enterprise"]);
        let a = app.user_id(&app.user(Role::Viewer).await).await;
        let b = app.user_id(&app.user(Role::Developer).await).await;
        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/set-tier",
                &json!({"ids": [a, b]}),
            )
            .await;
        assert_eq!(
            (res.status().as_u16(), error_of(res).await["field"].clone()),
            (422, json!("tier"))
        );
        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/set-tier",
                &json!({"ids": [a, b], "tier": "gold"}),
            )
            .await;
        let out: Value = res.json().await.unwrap();
        assert!(
            out.as_array().unwrap().iter().all(|o| o["ok"] == false),
            "{out}"
        );
        let out: Value = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/set-tier",
                &json!({"ids": [a, b], "tier": "professional"}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(
            out.as_array().unwrap().iter().all(|o| o["ok"] == true),
            "{out}"
        );
        let page: Value = app
            .get_json(&admin, "/api/v1/admin/users?tier=professional")
            .await;
        assert_eq!(page["total"], 2);
        let res = admin
            .put(app.url(&format!("/api/v1/admin/users/{a}")))
            .json(&json!({"tier": "enterprise"}))
            .send()
            .await
            .unwrap();
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["tier"], "enterprise");
        let res = admin
            .put(app.url(&format!("/api/v1/admin/users/{a}")))
            .json(&json!({"tier": "nope"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let summary: Value = app
            .get_json(&admin, "/api/v1/admin/users/analytics/summary")
            .await;
        assert!(
            summary["by_tier"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["key"] == "enterprise" && c["count"] == 1),
            "{summary}"
        );
        let csv = app
            .get_text(&admin, "/api/v1/admin/users/export?tier=professional")
            .await;
        assert!(
            csv.lines().next().unwrap().contains(",tier,") && csv.contains(",professional,"),
            "{csv}"
        );
        let log = app
            .get_text(&admin, &format!("/api/v1/admin/users/{b}/activity"))
            .await;
        assert!(log.contains("tier=free->professional"), "{log}");
    }
}
