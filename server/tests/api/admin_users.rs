//! User administration: list filters/sort/paging, detail, create, update, suspend, delete,
//! bulk actions, export, roles, figures, and the rules that keep an administrator around.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, backends, error_of, spawn_app};

#[tokio::test]
async fn list_filters_sorts_pages_and_exports() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        for i in 0..7 {
            let body = json!({"email": format!("bulk{i}@corp.test"), "display_name": format!("Bulk {i}"),
                "role": if i % 2 == 0 { "viewer" } else { "developer" }, "password": "an initial password"});
            let res = app.post_json(&admin, "/api/v1/admin/users", &body).await;
            assert_eq!(res.status(), 201, "{i}");
        }
        let res = app
            .post_json(&admin, "/api/v1/admin/users", &json!({"email": "BULK0@corp.test", "role": "viewer", "password": "an initial password"}))
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "email", "duplicate email");

        let page: Value = app
            .get_json(
                &admin,
                "/api/v1/admin/users?q=corp.test&per_page=3&sort=email&dir=asc",
            )
            .await;
        assert_eq!(page["total"], 7);
        let emails: Vec<&str> = page["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        assert_eq!(
            emails,
            ["bulk0@corp.test", "bulk1@corp.test", "bulk2@corp.test"]
        );
        let p3: Value = app
            .get_json(
                &admin,
                "/api/v1/admin/users?q=corp.test&per_page=3&page=3&sort=email&dir=asc",
            )
            .await;
        assert_eq!(p3["users"].as_array().unwrap().len(), 1);
        let devs: Value = app
            .get_json(&admin, "/api/v1/admin/users?q=corp&role=developer")
            .await;
        assert_eq!(devs["total"], 3);
        let never: Value = app
            .get_json(&admin, "/api/v1/admin/users?never_signed_in=true")
            .await;
        assert_eq!(never["total"], 7, "the admin signed in; the seven did not");
        let by_name: Value = app.get_json(&admin, "/api/v1/admin/users?q=BULK%206").await;
        assert_eq!(
            by_name["total"], 1,
            "matches display names, case-insensitively"
        );
        for (query, field) in [
            ("sort=password", "sort"),
            ("per_page=500", "per_page"),
            ("status=gone", "status"),
            ("role=king", "role"),
            ("page=0", "page"),
        ] {
            let res = app
                .get(&admin, &format!("/api/v1/admin/users?{query}"))
                .await;
            assert_eq!(res.status(), 422, "{query}");
            assert_eq!(error_of(res).await["field"], field, "{query}");
        }

        let csv = app
            .get_text(&admin, "/api/v1/admin/users/export?role=developer&q=corp")
            .await;
        assert_eq!(csv.lines().count(), 4, "{csv}");
        assert!(csv.starts_with("id,email,display_name,role,tier,status"));

        let roles: Value = app
            .get_json(&admin, "/api/v1/admin/users/roles/available")
            .await;
        assert_eq!(roles[0]["role"], "admin");
        assert_eq!(roles[0]["rank"], 0);
        let stats: Value = app
            .get_json(&admin, "/api/v1/admin/users/analytics/summary")
            .await;
        assert_eq!(stats["total"], 8);
        assert_eq!(stats["never_signed_in"], 7);
        assert_eq!(stats["signups_by_day"][0]["count"], 8);

        let moderator = app.signed_in(Role::Moderator).await;
        assert_eq!(
            app.get(&moderator, "/api/v1/admin/users").await.status(),
            200
        );
        let res = app.post_json(&moderator, "/api/v1/admin/users", &json!({"email": "x@corp.test", "role": "viewer", "password": "an initial password"})).await;
        assert_eq!(res.status(), 403);
    }
}

#[tokio::test]
async fn update_suspend_delete_and_the_last_admin_rule() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin_email = app.user(Role::Admin).await;
        let admin = app.sign_in(&admin_email, PASSWORD).await;
        let admin_id = app.user_id(&admin_email).await;
        let email = app.user(Role::Developer).await;
        let dev = app.sign_in(&email, PASSWORD).await;
        let id = app.user_id(&email).await;
        let res = app
            .post_json(&dev, "/api/v1/api-keys", &json!({"name": "ci"}))
            .await;
        let key: Value = res.json().await.unwrap();
        let secret = key["secret"].as_str().unwrap().to_string();

        // Detail
        let d: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users/{id}"))
            .await;
        assert_eq!(
            (d["active_sessions"].as_i64(), d["active_api_keys"].as_i64()),
            (Some(1), Some(1))
        );

        // Update: role change applies and is audited.
        let res = admin
            .put(app.url(&format!("/api/v1/admin/users/{id}")))
            .json(&json!({"role": "analyst", "display_name": "Dana"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let me: Value = app.get_json(&dev, "/api/v1/auth/me").await;
        assert_eq!(me["role"], "analyst");

        // Suspend: signed out, key refused, sign-in refused; activate brings sign-in back.
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{id}/suspend"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get(&dev, "/api/v1/auth/me").await.status(), 401);
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &secret).await.status(),
            401
        );
        let res = app
            .post_json(
                &app.browser(),
                "/api/v1/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 401);
        app.post_json(
            &admin,
            &format!("/api/v1/admin/users/{id}/activate"),
            &Value::Null,
        )
        .await;
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &secret).await.status(),
            200
        );

        // The last administrator: not suspended, demoted or deleted — not by themself either.
        let path = format!("/api/v1/admin/users/{admin_id}");
        let res = admin
            .put(app.url(&path))
            .json(&json!({"role": "viewer"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        let res = app
            .post_json(&admin, &format!("{path}/suspend"), &Value::Null)
            .await;
        assert_eq!(res.status(), 409);
        assert_eq!(app.delete(&admin, &path).await.status(), 409);
        // A second admin cannot remove the first while the first is the only other... both exist:
        let second_email = app.user(Role::Admin).await;
        let second = app.sign_in(&second_email, PASSWORD).await;
        let second_id = app.user_id(&second_email).await;
        let res = second
            .put(app.url(&path))
            .json(&json!({"role": "viewer"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "two admins: one may be demoted");
        let res = app
            .delete(&admin, &format!("/api/v1/admin/users/{second_id}"))
            .await;
        assert_eq!(res.status(), 403, "the demoted admin lost users_manage");
        let res = app
            .post_json(
                &second,
                &format!("/api/v1/admin/users/{second_id}/suspend"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 409, "not oneself");

        // Delete: says what went and what stayed; the audit trail keeps the name.
        let res = app
            .delete(&second, &format!("/api/v1/admin/users/{id}"))
            .await;
        assert_eq!(res.status(), 200);
        let gone: Value = res.json().await.unwrap();
        assert_eq!(
            (
                gone["sessions_ended"].as_i64(),
                gone["api_keys_deleted"].as_i64()
            ),
            (Some(0), Some(1))
        );
        assert!(gone["audit_events_kept"].as_i64().unwrap() >= 4);
        assert_eq!(
            app.get(&second, &format!("/api/v1/admin/users/{id}"))
                .await
                .status(),
            404
        );
        let log: Value = app
            .get_json(&second, &format!("/api/v1/audit/logs?target={id}"))
            .await;
        let actions: Vec<&str> = log["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in [
            "user.delete",
            "user.activate",
            "user.suspend",
            "user.update",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        assert_eq!(log["events"][0]["target_label"], email.as_str());
    }
}

#[tokio::test]
async fn bulk_actions_report_each_user() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin_email = app.user(Role::Admin).await;
        let admin = app.sign_in(&admin_email, PASSWORD).await;
        let admin_id = app.user_id(&admin_email).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let e = app.user(Role::Viewer).await;
            ids.push(app.user_id(&e).await);
        }
        let mut with_me = ids.clone();
        with_me.push(admin_id.clone());
        with_me.push("00000000-0000-7000-8000-000000000000".into());
        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/assign-roles",
                &json!({"ids": with_me, "role": "developer"}),
            )
            .await;
        let out: Vec<Value> = res.json().await.unwrap();
        assert_eq!(out.iter().filter(|o| o["ok"] == true).count(), 3);
        assert!(
            out[3]["message"].as_str().unwrap().contains("own role"),
            "{:?}",
            out[3]
        );
        assert!(out[4]["message"].as_str().unwrap().contains("not found"));
        let devs: Value = app
            .get_json(&admin, "/api/v1/admin/users?role=developer")
            .await;
        assert_eq!(devs["total"], 3);

        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/assign-roles",
                &json!({"ids": ids}),
            )
            .await;
        assert_eq!(error_of(res).await["field"], "role");
        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/suspend",
                &json!({"ids": []}),
            )
            .await;
        assert_eq!(error_of(res).await["field"], "ids");

        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/suspend",
                &json!({"ids": ids[..2]}),
            )
            .await;
        let out: Vec<Value> = res.json().await.unwrap();
        assert!(out.iter().all(|o| o["ok"] == true));
        let suspended: Value = app
            .get_json(&admin, "/api/v1/admin/users?status=suspended")
            .await;
        assert_eq!(suspended["total"], 2);
        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/users/bulk/delete",
                &json!({"ids": ids}),
            )
            .await;
        let out: Vec<Value> = res.json().await.unwrap();
        assert!(out.iter().all(|o| o["ok"] == true));
        let all: Value = app.get_json(&admin, "/api/v1/admin/users").await;
        assert_eq!(all["total"], 1);
    }
}

#[tokio::test]
async fn activity_timeline_merges_what_they_did_and_what_was_done_to_them() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let dev = app.sign_in(&email, PASSWORD).await;
        let id = app.user_id(&email).await;
        app.post_json(&dev, "/api/v1/api-keys", &json!({"name": "ci"}))
            .await;
        app.post_json(
            &admin,
            &format!("/api/v1/admin/users/{id}/suspend"),
            &Value::Null,
        )
        .await;
        let other = app.signed_in(Role::Viewer).await;
        drop(other);

        let page: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users/{id}/activity"))
            .await;
        let actions: Vec<&str> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "user.suspend",
                "api_key.create",
                "auth.login",
                "user.create"
            ],
            "only theirs, newest first"
        );
        let p1: Value = app
            .get_json(
                &admin,
                &format!("/api/v1/admin/users/{id}/activity?limit=2"),
            )
            .await;
        let before = p1["next_before"].as_i64().unwrap();
        let p2: Value = app
            .get_json(
                &admin,
                &format!("/api/v1/admin/users/{id}/activity?limit=2&before={before}"),
            )
            .await;
        assert_eq!(p2["events"][0]["action"], "auth.login");
        let res = app
            .get(
                &admin,
                "/api/v1/admin/users/00000000-0000-7000-8000-000000000000/activity",
            )
            .await;
        assert_eq!(res.status(), 404);
    }
}

#[tokio::test]
async fn administrators_see_and_revoke_a_users_keys_and_effective_role() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Analyst).await;
        let dev = app.sign_in(&email, PASSWORD).await;
        let id = app.user_id(&email).await;
        let key: Value = app
            .post_json(&dev, "/api/v1/api-keys", &json!({"name": "etl"}))
            .await
            .json()
            .await
            .unwrap();
        let secret = key["secret"].as_str().unwrap().to_string();
        let key_id = key["key"]["id"].as_str().unwrap().to_string();

        let keys: Vec<Value> = app
            .get_json(&admin, &format!("/api/v1/admin/users/{id}/api-keys"))
            .await;
        assert_eq!(keys.len(), 1);
        assert!(
            !serde_json::to_string(&keys)
                .unwrap()
                .contains(&secret[21..]),
            "no secret"
        );
        let moderator = app.signed_in(Role::Moderator).await;
        let path = format!("/api/v1/admin/users/{id}/api-keys/{key_id}");
        assert_eq!(app.delete(&moderator, &path).await.status(), 403);
        assert_eq!(
            app.delete(
                &admin,
                &format!(
                    "/api/v1/admin/users/{}/api-keys/{key_id}",
                    app.user_id(&app.user(Role::Viewer).await).await
                )
            )
            .await
            .status(),
            404,
            "key of another user"
        );
        assert_eq!(app.delete(&admin, &path).await.status(), 204);
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &secret).await.status(),
            401
        );
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=api_key.admin_revoke")
            .await;
        assert_eq!(log["events"][0]["target_label"], "etl");

        let role: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users/{id}/roles"))
            .await;
        assert_eq!(role["role"], "analyst");
        assert!(
            role["permissions"]
                .as_array()
                .unwrap()
                .contains(&json!("audit_read"))
        );
    }
}
