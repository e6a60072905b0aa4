//! Sessions as devices: list with the current one marked, end one, end all others, and an
//! administrator doing the same for a user. An ended session fails on its next request.

use ops_types::Role;
use serde_json::Value;

use crate::helpers::{PASSWORD, backends, spawn_app};

async fn status(app: &crate::helpers::TestApp, c: &reqwest::Client) -> u16 {
    app.get(c, "/api/v1/auth/me").await.status().as_u16()
}

#[tokio::test]
async fn owners_list_and_end_their_sessions() {
    for backend in backends() {
        // -- Setup: one user signed in on three browsers.
        let app = spawn_app(backend).await;
        let email = app.user(Role::Developer).await;
        let a = app.sign_in(&email, PASSWORD).await;
        let b = app.sign_in(&email, PASSWORD).await;
        let c = app.sign_in(&email, PASSWORD).await;

        // -- List
        let res = app.get(&a, "/api/v1/sessions").await;
        let body = res.text().await.unwrap();
        let list: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(list.len(), 3, "{body}");
        assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
        let cookie_ids: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
        assert!(
            cookie_ids.iter().all(|id| !body.contains(id.as_str())),
            "cookie values never leave the server"
        );
        assert!(list[0]["device"].is_string() && list[0]["last_seen_at"].is_i64());

        // -- End one: B is out on its next request, A is not.
        let b_id = {
            let mine: Vec<Value> = app.get_json(&b, "/api/v1/sessions").await;
            mine.iter().find(|s| s["current"] == true).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let res = app.delete(&a, &format!("/api/v1/sessions/{b_id}")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(status(&app, &b).await, 401);
        assert_eq!(status(&app, &a).await, 200);
        let res = app.delete(&a, &format!("/api/v1/sessions/{b_id}")).await;
        assert_eq!(res.status(), 404, "already ended");

        // -- Everywhere else: C is out, A stays.
        let res = app
            .post_json(&a, "/api/v1/sessions/revoke-others", &Value::Null)
            .await;
        let ended: Value = res.json().await.unwrap();
        assert_eq!(ended["revoked"], 1);
        assert_eq!(status(&app, &c).await, 401);
        assert_eq!(status(&app, &a).await, 200);

        // -- Someone else's session id is not found for me.
        let other = app.signed_in(Role::Viewer).await;
        let res = app
            .delete(&other, &format!("/api/v1/sessions/{b_id}"))
            .await;
        assert_eq!(res.status(), 404);

        // -- Audited
        let admin = app.signed_in(Role::Admin).await;
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=session.")
            .await;
        let actions: Vec<&str> = log["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["session.revoke_others", "session.revoke"]);
    }
}

#[tokio::test]
async fn administrators_end_a_users_sessions() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Analyst).await;
        let a = app.sign_in(&email, PASSWORD).await;
        let b = app.sign_in(&email, PASSWORD).await;
        let id: String = app.user_id(&email).await;
        let path = format!("/api/v1/admin/users/{id}/sessions");

        let list: Vec<Value> = app.get_json(&admin, &path).await;
        assert_eq!(list.len(), 2);
        assert!(
            list.iter().all(|s| s["current"] == false),
            "not the admin's own"
        );

        // A moderator may look but not end.
        let moderator = app.signed_in(Role::Moderator).await;
        assert_eq!(app.get(&moderator, &path).await.status(), 200);
        assert_eq!(app.delete(&moderator, &path).await.status(), 403);
        assert_eq!(status(&app, &a).await, 200);

        let one = list[0]["id"].as_str().unwrap();
        let res = app.delete(&admin, &format!("{path}/{one}")).await;
        assert_eq!(res.status(), 200);
        let res = app.delete(&admin, &path).await;
        let ended: Value = res.json().await.unwrap();
        assert_eq!(ended["revoked"], 1);
        assert_eq!(status(&app, &a).await, 401);
        assert_eq!(status(&app, &b).await, 401);

        let res = app
            .get(
                &admin,
                "/api/v1/admin/users/00000000-0000-7000-8000-000000000000/sessions",
            )
            .await;
        assert_eq!(res.status(), 404);
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=session.admin_revoke")
            .await;
        assert_eq!(log["events"].as_array().unwrap().len(), 2);
        assert_eq!(log["events"][0]["target_label"], email.as_str());
    }
}
