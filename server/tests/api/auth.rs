//! Setup, login, logout, sessions and API keys over HTTP.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, backends, error_of, spawn_app, spawn_app_with};

#[tokio::test]
async fn setup_login_session_logout() {
    for backend in backends() {
        // -- Setup
        let app = spawn_app(backend).await;
        let token = app
            .setup_token
            .clone()
            .expect("fresh install prints a setup token");
        let browser = app.browser();

        // -- Exec: the wrong token changes nothing
        let res = app.post_json(&browser, "/api/v1/setup/admin", &json!({"token": "0000", "email": "root@example.com", "display_name": "Root", "password": PASSWORD})).await;
        assert_eq!(res.status(), 403, "{backend:?}");
        assert_eq!(error_of(res).await["code"], "setup_token_invalid");
        let status: Value = app.get_json(&browser, "/api/v1/setup").await;
        assert_eq!(status["needs_admin"], true);

        // -- Exec: the right token creates the admin and signs in
        let res = app.post_json(&browser, "/api/v1/setup/admin", &json!({"token": token, "email": "Root@Example.com", "display_name": "Root", "password": PASSWORD})).await;
        assert_eq!(res.status(), 200);
        let me: Value = app.get_json(&browser, "/api/v1/auth/me").await;
        assert_eq!(
            (me["email"].as_str(), me["role"].as_str()),
            (Some("root@example.com"), Some("admin"))
        );
        let session: Value = app.get_json(&browser, "/api/v1/auth/session").await;
        assert_eq!(session["method"], "session");
        assert!(
            session["absolute_expires_at"].as_i64().unwrap()
                > session["created_at"].as_i64().unwrap()
        );

        // -- Check: the token is spent
        let again = app.post_json(&browser, "/api/v1/setup/admin", &json!({"token": token, "email": "x@example.com", "display_name": "X", "password": PASSWORD})).await;
        assert_eq!(again.status(), 403);

        // -- A session revoked server-side stops working on its next request
        let other = app.browser();
        let res = app
            .post_json(
                &other,
                "/api/v1/auth/login",
                &json!({"email": "root@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 200);
        sqlx::query("DELETE FROM sessions WHERE id <> (SELECT id FROM sessions ORDER BY created_at LIMIT 1)")
            .execute(app.db.pool())
            .await
            .unwrap();
        assert_eq!(
            app.get(&other, "/api/v1/auth/me").await.status(),
            401,
            "revoked"
        );
        assert_eq!(
            app.get(&browser, "/api/v1/auth/me").await.status(),
            200,
            "others unaffected"
        );

        // -- Logout ends the session server-side
        assert_eq!(
            browser
                .post(app.url("/api/v1/auth/logout"))
                .send()
                .await
                .unwrap()
                .status(),
            204
        );
        let res = app.get(&browser, "/api/v1/auth/me").await;
        assert_eq!(res.status(), 401);
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
}

#[tokio::test]
async fn login_cookie_rotation_and_rate_limit() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let email = app.user(Role::Developer).await;
        let client = app.browser();

        // A pre-existing anonymous session id must not survive sign-in (no fixation).
        let res = app
            .post_json(
                &client,
                "/api/v1/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
        let first_id = cookie.split(';').next().unwrap().to_string();
        let res = app
            .post_json(
                &client,
                "/api/v1/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        let second_id = res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert_ne!(first_id, second_id, "session id rotates at login");
        // the old id is dead
        let stale = reqwest::Client::new()
            .get(app.url("/api/v1/auth/me"))
            .header("cookie", &first_id)
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 401);

        // Wrong password: 401 with a clear code; then 429 with Retry-After.
        let other = app.browser();
        for _ in 0..3 {
            let res = app
                .post_json(
                    &other,
                    "/api/v1/auth/login",
                    &json!({"email": email, "password": "wrong password!"}),
                )
                .await;
            assert_eq!(res.status(), 401);
            assert_eq!(error_of(res).await["code"], "invalid_credentials");
        }
        let res = app
            .post_json(
                &other,
                "/api/v1/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 429);
        assert!(
            res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                > 0
        );
    }
}

#[tokio::test]
async fn api_keys_authenticate_and_revoke() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dev = app.signed_in(Role::Developer).await;

        let res = app
            .post_json(&dev, "/api/v1/api-keys", &json!({"name": "ci"}))
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let secret = created["secret"].as_str().unwrap().to_string();
        let id = created["key"]["id"].as_str().unwrap().to_string();

        let listed: Value = app.get_json(&dev, "/api/v1/api-keys").await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert!(
            !listed.to_string().contains(&secret[21..]),
            "the list never holds the secret"
        );

        let bearer = reqwest::Client::new();
        let me = app.get_with_key("/api/v1/auth/me", &secret).await;
        assert_eq!(me.status(), 200);
        let session: Value = app
            .get_with_key("/api/v1/auth/session", &secret)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(session["method"], "api_key");

        // A key-authenticated request may come from anywhere (no cookie, no CSRF).
        let res = bearer
            .post(app.url("/api/v1/api-keys"))
            .bearer_auth(&secret)
            .header("origin", "https://elsewhere.example")
            .json(&json!({"name": "made by key"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);

        assert_eq!(
            app.delete(&dev, &format!("/api/v1/api-keys/{id}"))
                .await
                .status(),
            204
        );
        let res = app.get_with_key("/api/v1/auth/me", &secret).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            app.delete(&dev, &format!("/api/v1/api-keys/{id}"))
                .await
                .status(),
            404
        );

        // Audit rows exist for each change.
        let admin = app.signed_in(Role::Admin).await;
        let audit: Value = app.get_json(&admin, "/api/v1/audit/logs").await;
        let actions: Vec<&str> = audit["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for a in [
            "api_key.create",
            "api_key.revoke",
            "auth.login",
            "user.create",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        assert!(
            !audit.to_string().contains(&secret[21..]),
            "no secret in audit rows"
        );
    }
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = spawn_app_with(ops_db::Backend::Sqlite, |s| {
        s.public_url = "https://ops.example.com".into()
    })
    .await;
    let email = app.user(Role::Viewer).await;
    let res = app
        .post_json(
            &app.browser(),
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );

    // the public origin is accepted for cookie-authenticated changes; another is not
    let client = app.signed_in(Role::Developer).await;
    let ok = app
        .post_json_from(
            &client,
            "/api/v1/api-keys",
            "https://ops.example.com",
            &json!({"name": "from the public origin"}),
        )
        .await;
    assert_eq!(ok.status(), 201);
    let foreign = app
        .post_json_from(
            &client,
            "/api/v1/api-keys",
            "https://ops.example.com.evil.test",
            &json!({"name": "csrf"}),
        )
        .await;
    assert_eq!(foreign.status(), 403);
}
