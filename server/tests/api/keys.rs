//! API key lifecycle: expiry, and rotation with a grace period for the old secret.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{backends, error_of, spawn_app};

#[tokio::test]
async fn keys_expire_and_rotate_with_a_grace_period() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dev = app.signed_in(Role::Developer).await;
        for days in [0, 4000] {
            let res = app
                .post_json(
                    &dev,
                    "/api/v1/api-keys",
                    &json!({"name": "x", "expires_in_days": days}),
                )
                .await;
            assert_eq!(error_of(res).await["field"], "expires_in_days", "{days}");
        }
        let key: Value = app
            .post_json(
                &dev,
                "/api/v1/api-keys",
                &json!({"name": "ci", "expires_in_days": 30}),
            )
            .await
            .json()
            .await
            .unwrap();
        let lifetime =
            key["key"]["expires_at"].as_i64().unwrap() - key["key"]["created_at"].as_i64().unwrap();
        assert_eq!(lifetime, 30 * 86_400_000);
        let first = key["secret"].as_str().unwrap().to_string();
        let first_id = key["key"]["id"].as_str().unwrap().to_string();
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &first).await.status(),
            200
        );

        // Rotate with an hour of grace: both secrets work; the old one says it was replaced.
        let rotate = |id: &str, grace: i64| {
            let (app, dev, path) = (&app, &dev, format!("/api/v1/api-keys/{id}/rotate"));
            async move {
                app.post_json(dev, &path, &json!({"grace_minutes": grace}))
                    .await
            }
        };
        let res = rotate(&first_id, 60).await;
        assert_eq!(res.status(), 201);
        let second: Value = res.json().await.unwrap();
        let second_secret = second["secret"].as_str().unwrap().to_string();
        let second_id = second["key"]["id"].as_str().unwrap().to_string();
        assert_eq!(second["key"]["name"], "ci");
        let l2 = second["key"]["expires_at"].as_i64().unwrap()
            - second["key"]["created_at"].as_i64().unwrap();
        assert_eq!(l2, lifetime, "same lifetime");
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &first).await.status(),
            200,
            "grace"
        );
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &second_secret)
                .await
                .status(),
            200
        );
        let list: Vec<Value> = app.get_json(&dev, "/api/v1/api-keys").await;
        let old = list.iter().find(|k| k["id"] == first_id.as_str()).unwrap();
        assert_eq!(
            (old["status"].as_str(), old["replaced_by"].as_str()),
            (Some("replaced"), Some(second_id.as_str()))
        );
        assert_eq!(
            rotate(&first_id, 60).await.status(),
            404,
            "a replaced key is not rotated again"
        );
        assert_eq!(rotate(&second_id, 99_999).await.status(), 422);

        // Rotate with no grace: the old secret stops at once.
        let third: Value = rotate(&second_id, 0).await.json().await.unwrap();
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &second_secret)
                .await
                .status(),
            401
        );
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", third["secret"].as_str().unwrap())
                .await
                .status(),
            200
        );

        // An expired key is refused and listed as expired.
        sqlx::query("UPDATE api_keys SET expires_at = 1 WHERE id = $1")
            .bind(&first_id)
            .execute(app.db.pool())
            .await
            .unwrap();
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", &first).await.status(),
            401
        );
        let list: Vec<Value> = app.get_json(&dev, "/api/v1/api-keys").await;
        assert_eq!(
            list.iter().find(|k| k["id"] == first_id.as_str()).unwrap()["status"],
            "expired"
        );

        let other = app.signed_in(Role::Developer).await;
        assert_eq!(
            app.post_json(
                &other,
                &format!(
                    "/api/v1/api-keys/{}/rotate",
                    third["key"]["id"].as_str().unwrap()
                ),
                &json!({"grace_minutes": 0})
            )
            .await
            .status(),
            404
        );
        let admin = app.signed_in(Role::Admin).await;
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=api_key.rotate")
            .await;
        assert_eq!(log["events"].as_array().unwrap().len(), 2);
        assert!(
            !log.to_string().contains(&first[21..]),
            "no secret in the audit log"
        );
    }
}
