//! Impersonation: administrators only, never of an administrator, with a reason, time-boxed,
//! attributed to both people, audited at start and end, ending by itself.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, backends, error_of, spawn_app};

#[tokio::test]
async fn act_as_a_user_and_come_back() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin_email = app.user(Role::Admin).await;
        let admin = app.sign_in(&admin_email, PASSWORD).await;
        let dev_email = app.user(Role::Developer).await;
        let dev_id = app.user_id(&dev_email).await;
        let other_admin = app.user_id(&app.user(Role::Admin).await).await;
        let start = |id: &str, body: Value| {
            let (app, admin, path) = (
                &app,
                &admin,
                format!("/api/v1/admin/users/{id}/impersonate/start"),
            );
            async move { app.post_json(admin, &path, &body).await }
        };

        // -- Refusals
        let res = start(&other_admin, json!({"reason": "help"})).await;
        assert_eq!(res.status(), 403, "never another admin");
        let res = start(&dev_id, json!({"reason": ""})).await;
        assert_eq!(error_of(res).await["field"], "reason");
        let res = start(&dev_id, json!({"reason": "help", "minutes": 600})).await;
        assert_eq!(error_of(res).await["field"], "minutes");
        let moderator = app.signed_in(Role::Moderator).await;
        let res = app
            .post_json(
                &moderator,
                &format!("/api/v1/admin/users/{dev_id}/impersonate/start"),
                &json!({"reason": "help"}),
            )
            .await;
        assert_eq!(res.status(), 403);
        let key: Value = app
            .post_json(&admin, "/api/v1/api-keys", &json!({"name": "k"}))
            .await
            .json()
            .await
            .unwrap();
        let res = reqwest::Client::new()
            .post(app.url(&format!("/api/v1/admin/users/{dev_id}/impersonate/start")))
            .bearer_auth(key["secret"].as_str().unwrap())
            .json(&json!({"reason": "help"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409, "browser sessions only");

        // -- Start: the console is the user's, with the banner data.
        let res = start(&dev_id, json!({"reason": "ticket 42", "minutes": 15})).await;
        assert_eq!(res.status(), 200);
        let me: Value = app.get_json(&admin, "/api/v1/auth/me").await;
        assert_eq!(me["email"], dev_email.as_str());
        assert_eq!(me["role"], "developer");
        assert_eq!(me["impersonation"]["admin_email"], admin_email.as_str());
        assert_eq!(me["impersonation"]["reason"], "ticket 42");
        assert_eq!(
            app.get(&admin, "/api/v1/admin/users").await.status(),
            403,
            "with the user's rights"
        );

        // Actions are the user's, attributed to both; credentials stay out of reach.
        let res = admin
            .put(app.url("/api/v1/auth/profile"))
            .json(&json!({"display_name": "Dev", "locale": "en", "timezone": "UTC"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = app
            .post_json(&admin, "/api/v1/api-keys", &json!({"name": "sneaky"}))
            .await;
        assert_eq!(res.status(), 409);
        let res = app
            .post_json(
                &admin,
                "/api/v1/auth/change-password",
                &json!({"current_password": "x", "new_password": "a brand new passphrase"}),
            )
            .await;
        assert_eq!(res.status(), 409);

        // -- Stop
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{dev_id}/impersonate/stop"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 204);
        let me: Value = app.get_json(&admin, "/api/v1/auth/me").await;
        assert_eq!(
            (me["email"].as_str(), &me["impersonation"]),
            (Some(admin_email.as_str()), &Value::Null)
        );
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{dev_id}/impersonate/stop"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 409);

        let log: Value = app
            .get_json(&admin, &format!("/api/v1/audit/logs?target={dev_id}"))
            .await;
        let events = log["events"].as_array().unwrap();
        let by_action = |a: &str| {
            events
                .iter()
                .find(|e| e["action"] == a)
                .unwrap_or_else(|| panic!("{a}: {log}"))
                .clone()
        };
        let update = by_action("user.profile_update");
        assert_eq!(update["actor_id"], dev_id.as_str());
        assert_eq!(
            update["impersonator_email"],
            admin_email.as_str(),
            "both people named"
        );
        assert!(
            by_action("impersonation.start")["detail"]
                .as_str()
                .unwrap()
                .contains("ticket 42")
        );
        assert_eq!(
            by_action("impersonation.end")["actor_email"],
            admin_email.as_str()
        );
    }
}

#[tokio::test]
async fn it_ends_by_itself() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin_email = app.user(Role::Admin).await;
        let admin = app.sign_in(&admin_email, PASSWORD).await;
        let dev_id = app.user_id(&app.user(Role::Viewer).await).await;
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{dev_id}/impersonate/start"),
                &json!({"reason": "check", "minutes": 1}),
            )
            .await;
        assert_eq!(res.status(), 200);
        // Move the end into the past, as if the minute had gone by.
        let (id, data): (String, String) =
            sqlx::query_as("SELECT id, data FROM sessions WHERE data LIKE '%imp_state%'")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        // Edited as text: the record holds an i128 that a JSON round trip would not keep.
        let at = data.find("\"until\":").unwrap() + "\"until\":".len();
        let end = at + data[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
        let data = format!("{}1{}", &data[..at], &data[end..]);
        sqlx::query("UPDATE sessions SET data = $1 WHERE id = $2")
            .bind(data)
            .bind(&id)
            .execute(app.db.pool())
            .await
            .unwrap();
        let me: Value = app.get_json(&admin, "/api/v1/auth/me").await;
        assert_eq!(me["email"], admin_email.as_str(), "back to the admin: {me}");
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=impersonation.end")
            .await;
        assert!(
            log["events"][0]["detail"]
                .as_str()
                .unwrap()
                .starts_with("expired")
        );
    }
}
