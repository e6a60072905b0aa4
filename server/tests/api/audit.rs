//! The audit log API: filters, paging, figures, exports and the hash-chain check (HTTP and CLI).

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{backends, error_of, spawn_app};

#[tokio::test]
async fn filters_paging_stats_and_exports() {
    for backend in backends() {
        // -- Setup: sign-ins by two roles, a key with a formula-looking name.
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let dev = app.signed_in(Role::Developer).await;
        let key_name = "=HYPERLINK(\"http://evil\",\"x\")";
        let res = app
            .post_json(&dev, "/api/v1/api-keys", &json!({ "name": key_name }))
            .await;
        assert_eq!(res.status(), 201);

        // -- Filters
        let all: Value = app.get_json(&admin, "/api/v1/audit/logs").await;
        let total = all["events"].as_array().unwrap().len();
        assert!(total >= 5, "{all}");
        let seqs: Vec<i64> = all["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] > w[1]),
            "newest first: {seqs:?}"
        );

        let logins: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=auth.")
            .await;
        let logins = logins["events"].as_array().unwrap();
        assert!(!logins.is_empty());
        assert!(
            logins
                .iter()
                .all(|e| e["action"].as_str().unwrap().starts_with("auth."))
        );

        let by_dev: Value = app
            .get_json(&admin, "/api/v1/audit/logs?actor=developer-")
            .await;
        let by_dev = by_dev["events"].as_array().unwrap();
        assert!(by_dev.iter().any(|e| e["action"] == "api_key.create"));
        assert!(
            by_dev
                .iter()
                .all(|e| e["actor_email"].as_str().unwrap().starts_with("developer-"))
        );

        let by_target: Value = app
            .get_json(&admin, "/api/v1/audit/logs?target=hyperlink")
            .await;
        assert_eq!(
            by_target["events"][0]["target_label"], key_name,
            "names, not only ids"
        );

        let future: Value = app
            .get_json(&admin, "/api/v1/audit/logs?from=4102444800000")
            .await;
        assert_eq!(future["events"], json!([]));
        let res = app.get(&admin, "/api/v1/audit/logs?from=5&to=4").await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "to");

        // -- Paging: two pages of two, disjoint and in order.
        let p1: Value = app.get_json(&admin, "/api/v1/audit/logs?limit=2").await;
        let before = p1["next_before"].as_i64().unwrap();
        let p2: Value = app
            .get_json(
                &admin,
                &format!("/api/v1/audit/logs?limit=2&before={before}"),
            )
            .await;
        assert_eq!(p2["events"][0]["seq"].as_i64().unwrap(), before - 1);

        // -- Figures
        let stats: Value = app.get_json(&admin, "/api/v1/audit/stats").await;
        assert_eq!(stats["total"].as_u64().unwrap() as usize, total);
        assert!(
            stats["by_action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["key"] == "auth.login")
        );
        assert_eq!(stats["by_day"].as_array().unwrap().len(), 1, "{stats}");
        let actions: Value = app.get_json(&admin, "/api/v1/audit/actions").await;
        assert!(
            actions
                .as_array()
                .unwrap()
                .contains(&json!("api_key.create"))
        );

        // -- Exports honour the filters; CSV defuses formulas.
        let res = app
            .get(&admin, "/api/v1/audit/export?format=csv&target=hyperlink")
            .await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let csv = res.text().await.unwrap();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("seq,at,action"));
        let row = lines.next().unwrap();
        assert!(row.contains("'=HYPERLINK"), "formula defused: {row}");
        assert_eq!(lines.next(), None, "only the filtered row");

        let res = app.get(&admin, "/api/v1/audit/export?format=jsonl").await;
        let body = res.text().await.unwrap();
        let rows: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), total);
        let res = app.get(&admin, "/api/v1/audit/export?format=xml").await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "format");

        // -- Nobody below audit_read sees any of it.
        let res = app.get(&dev, "/api/v1/audit/export").await;
        assert_eq!(res.status(), 403);
    }
}

#[tokio::test]
async fn tampering_is_reported_by_the_endpoint_and_the_cli() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let _ = app.signed_in(Role::Viewer).await;
        let cli = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_ops-center"))
                .args(args)
                .env("OPS_DATABASE_URL", &app.db_url)
                .env("OPS_DATA_DIR", std::env::temp_dir())
                .output()
                .unwrap()
        };

        let ok: Value = app.get_json(&admin, "/api/v1/audit/verify").await;
        assert_eq!(ok["intact"], true, "{ok}");
        assert!(ok["checked"].as_u64().unwrap() >= 3);
        let out = cli(&["audit", "verify"]);
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));

        // Someone with database access rewrites history.
        sqlx::query("UPDATE audit_events SET ip = '10.6.6.6' WHERE seq = 2")
            .execute(app.db.pool())
            .await
            .unwrap();
        let bad: Value = app.get_json(&admin, "/api/v1/audit/verify").await;
        assert_eq!(bad["intact"], false);
        assert_eq!(bad["broken_at_seq"], 2, "{bad}");
        assert_eq!(bad["checked"], 1);
        let out = cli(&["audit", "verify"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("broken at seq 2"), "{err}");
    }
}
