//! CSV import: the dry run plans each row and changes nothing; the run is a job with progress
//! and a downloadable report; bad files and rows are refused with the reason.

use std::time::Duration;

use ops_types::Role;
use serde_json::Value;

use crate::helpers::{TestApp, backends, error_of, spawn_app};

async fn post_csv(
    app: &TestApp,
    c: &reqwest::Client,
    query: &str,
    body: &str,
) -> reqwest::Response {
    c.post(app.url(&format!("/api/v1/admin/users/bulk/import{query}")))
        .header("content-type", "text/csv")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn dry_run_then_import_with_progress_and_report() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let existing = app.user(Role::Viewer).await;
        let csv = format!(
            "email,display_name,role,password\n\
             new1@corp.test,New One,developer,a long enough secret\n\
             new2@corp.test,=HYPERLINK(\"http://x\"),,\n\
             {existing},Renamed,analyst,\n\
             not-an-email,X,viewer,\n\
             new1@corp.test,Again,viewer,\n\
             boss@corp.test,Boss,admin,\n\
             weak@corp.test,W,viewer,password123\n\
             odd@corp.test,O,emperor,\n"
        );
        let res = post_csv(&app, &admin, "?dry_run=true", &csv).await;
        assert_eq!(res.status(), 200);
        let plan: Value = res.json().await.unwrap();
        let actions: Vec<&str> = plan["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "create", "create", "update", "error", "error", "error", "error", "error"
            ]
        );
        let messages: Vec<String> = plan["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["message"].as_str().unwrap_or("").to_string())
            .collect();
        assert!(messages[4].contains("line 2"), "{messages:?}");
        assert!(messages[5].contains("administrators"));
        assert!(messages[6].contains("common"));
        assert!(messages[7].contains("unknown role"));
        assert_eq!(
            (plan["create"].as_i64(), plan["error"].as_i64()),
            (Some(2), Some(5))
        );
        let all: Value = app
            .get_json(&admin, "/api/v1/admin/users?q=corp.test")
            .await;
        assert_eq!(all["total"], 0, "the dry run changed nothing");

        // -- The run
        let res = post_csv(&app, &admin, "", &csv).await;
        assert_eq!(res.status(), 202);
        let job: Value = res.json().await.unwrap();
        let id = job["id"].as_str().unwrap().to_string();
        assert_eq!(job["total"], 8);
        let events = app
            .get_text(&admin, &format!("/api/v1/stream/imports/{id}"))
            .await;
        assert!(
            events.contains("event: progress") && events.contains("\"status\":\"done\""),
            "{events}"
        );
        let mut done = Value::Null;
        for _ in 0..50 {
            done = app
                .get_json(&admin, &format!("/api/v1/admin/imports/{id}"))
                .await;
            if done["status"] == "done" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(done["report"]["create"], 2, "{done}");
        assert_eq!(done["report"]["update"], 1);
        let users: Value = app
            .get_json(&admin, "/api/v1/admin/users?q=corp.test&sort=email&dir=asc")
            .await;
        assert_eq!(users["total"], 2);
        let renamed: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users?q={existing}"))
            .await;
        assert_eq!(renamed["users"][0]["role"], "analyst");
        let res = app
            .post_json(
                &app.browser(),
                "/api/v1/auth/login",
                &serde_json::json!({"email": "new1@corp.test", "password": "a long enough secret"}),
            )
            .await;
        assert_eq!(res.status(), 200, "imported password works");

        let report = app
            .get_text(&admin, &format!("/api/v1/admin/imports/{id}/report"))
            .await;
        assert!(report.starts_with("line,email,result,message"));
        assert!(report.contains("not-an-email"));
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=user.import")
            .await;
        assert!(
            log["events"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("created=2")
        );
        let export = app
            .get_text(&admin, "/api/v1/admin/users/export?q=new2")
            .await;
        assert!(
            export.contains("'=HYPERLINK"),
            "stored as text, defused on export: {export}"
        );
    }
}

#[tokio::test]
async fn bad_files_are_refused_whole() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        for (csv, why) in [
            ("mail,role\nx@y.z,viewer\n", "unknown column"),
            ("name\nAnn\n", "email"),
            ("email\n", "no rows"),
        ] {
            let res = post_csv(&app, &admin, "?dry_run=true", csv).await;
            assert_eq!(res.status(), 422, "{csv}");
            let e = error_of(res).await;
            assert_eq!(e["field"], "file");
            assert!(e["message"].as_str().unwrap().contains(why), "{e}");
        }
        let mut big = String::from("email\n");
        for i in 0..10_001 {
            big.push_str(&format!("u{i}@x.io\n"));
        }
        let res = post_csv(&app, &admin, "?dry_run=true", &big).await;
        assert_eq!(error_of(res).await["field"], "file", "10,000 rows at most");
        let huge = "email\n".to_string() + &"a".repeat(6 * 1024 * 1024);
        let res = post_csv(&app, &admin, "?dry_run=true", &huge).await;
        assert_eq!(res.status(), 413);
        let dev = app.signed_in(Role::Developer).await;
        let res = post_csv(&app, &dev, "?dry_run=true", "email\na@b.io\n").await;
        assert_eq!(res.status(), 403);
    }
}
