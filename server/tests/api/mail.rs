//! Outgoing mail through a real SMTP sink: the console's SMTP settings (password sealed,
//! masked), the test message, and password reset by e-mailed single-use link.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, backends, error_of, spawn_app};
use crate::smtp::Sink;

pub(crate) async fn configure(
    app: &TestApp,
    admin: &reqwest::Client,
    sink: &Sink,
) -> reqwest::Response {
    admin
        .put(app.url("/api/v1/admin/settings/smtp"))
        .json(&json!({"host": "127.0.0.1", "port": sink.port, "security": "none", "username": null,
                      "password": "smtp-secret-value-1234", "from_address": "ops@example.com", "from_name": "Ops"}))
        .send()
        .await
        .unwrap()
}

/// The reset token in a (possibly quoted-printable) message.
fn token_in(message: &str) -> String {
    token_after(message, "token=")
}

/// The 64-hex-digit token following `marker` in a (possibly quoted-printable) message.
pub(crate) fn token_after(message: &str, marker: &str) -> String {
    let plain = message
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = plain.find(marker).expect("a link with a token") + marker.len();
    plain[at..at + 64].to_string()
}

#[tokio::test]
async fn smtp_settings_are_sealed_masked_and_tested() {
    for backend in backends() {
        let Some(sink) = Sink::start().await else {
            return;
        };
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let moderator = app.signed_in(Role::Moderator).await;
        assert_eq!(
            app.get(&moderator, "/api/v1/admin/settings/smtp")
                .await
                .status(),
            403
        );
        let s: Value = app.get_json(&admin, "/api/v1/admin/settings/smtp").await;
        assert_eq!(s["configured"], false);
        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/settings/smtp/test",
                &json!({"to": "a@b.io"}),
            )
            .await;
        assert_eq!(res.status(), 503, "not set up");

        for (patch, field) in [
            (json!({"host": "bad host"}), "host"),
            (json!({"security": "ssl3"}), "security"),
            (json!({"from_address": "nope"}), "from_address"),
        ] {
            let mut body = json!({"host": "127.0.0.1", "port": sink.port, "security": "none", "from_address": "ops@example.com"});
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let res = admin
                .put(app.url("/api/v1/admin/settings/smtp"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(error_of(res).await["field"], field);
        }
        let res = configure(&app, &admin, &sink).await;
        assert_eq!(res.status(), 200);
        let s: Value = res.json().await.unwrap();
        assert_eq!(
            (s["configured"].as_bool(), s["password_hint"].as_str()),
            (Some(true), Some("••••1234"))
        );
        let stored: String =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'mail.smtp'")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        assert!(
            !stored.contains("smtp-secret-value"),
            "sealed at rest: {stored}"
        );
        let log = app
            .get_text(&admin, "/api/v1/audit/logs?action=settings.update")
            .await;
        assert!(!log.contains("smtp-secret-value"));

        // Saving without a password keeps the stored one.
        let res = admin
            .put(app.url("/api/v1/admin/settings/smtp"))
            .json(&json!({"host": "127.0.0.1", "port": sink.port, "security": "none", "from_address": "ops@example.com"}))
            .send()
            .await
            .unwrap();
        let s: Value = res.json().await.unwrap();
        assert_eq!(s["password_hint"], "••••1234");

        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/settings/smtp/test",
                &json!({"to": "check@example.org"}),
            )
            .await;
        assert_eq!(res.status(), 204);
        let msg = sink.wait_for("check@example.org").await;
        assert!(msg.contains("Ops-Center test message"), "{msg}");
    }
}

#[tokio::test]
async fn password_reset_by_emailed_link() {
    for backend in backends() {
        let Some(sink) = Sink::start().await else {
            return;
        };
        let app = spawn_app(backend).await;
        let email = app.user(Role::Developer).await;
        let forgot = |to: &str| {
            let (app, body) = (&app, json!({"email": to}));
            async move {
                app.post_json(&app.browser(), "/api/v1/auth/forgot-password", &body)
                    .await
            }
        };
        assert_eq!(forgot(&email).await.status(), 503, "no mail server yet");
        let admin = app.signed_in(Role::Admin).await;
        configure(&app, &admin, &sink).await;
        let session = app.sign_in(&email, PASSWORD).await;

        // Unknown addresses get the same answer and no mail.
        assert_eq!(forgot("nobody@example.com").await.status(), 202);
        assert_eq!(forgot(&email).await.status(), 202);
        let first = token_in(&sink.wait_for(&email).await);
        assert!(
            sink.messages()
                .iter()
                .all(|m| !m.contains("nobody@example.com"))
        );

        // A second request replaces the first link.
        let before = sink.messages().len();
        assert_eq!(forgot(&email).await.status(), 202);
        for _ in 0..100 {
            if sink.messages().len() > before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let second = sink
            .messages()
            .iter()
            .map(|m| token_in(m))
            .find(|t| *t != first)
            .expect("a second link");
        let reset = |token: &str, pw: &str| {
            let (app, body) = (&app, json!({"token": token, "new_password": pw}));
            async move {
                app.post_json(&app.browser(), "/api/v1/auth/reset-password", &body)
                    .await
            }
        };
        assert_eq!(
            error_of(reset(&first, "a fresh long passphrase").await).await["field"],
            "token",
            "replaced"
        );
        assert_eq!(
            error_of(reset(&second, "password123").await).await["field"],
            "new_password"
        );
        let res = reset(&second, PASSWORD).await;
        assert_eq!(res.status(), 422);
        let err = error_of(res).await;
        assert_eq!(
            (err["field"].as_str(), err["message"].as_str()),
            (
                Some("new_password"),
                Some("choose a password different from the current one")
            ),
            "no reuse of the current password"
        );
        assert_eq!(
            reset(&second, "a fresh long passphrase").await.status(),
            204
        );
        assert_eq!(
            app.get(&session, "/api/v1/auth/me").await.status(),
            401,
            "sessions ended"
        );
        app.sign_in(&email, "a fresh long passphrase").await;
        assert_eq!(
            error_of(reset(&second, "another long passphrase").await).await["field"],
            "token",
            "used once"
        );

        assert_eq!(
            forgot(&email).await.status(),
            429,
            "requests are limited like sign-ins"
        );
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=user.password_reset")
            .await;
        assert_eq!(log["events"][0]["target_label"], email.as_str());
        assert!(
            !serde_json::to_string(&log).unwrap().contains(&second),
            "no token in the audit log"
        );
    }
}

#[tokio::test]
async fn expired_links_are_refused() {
    for backend in backends() {
        let Some(sink) = Sink::start().await else {
            return;
        };
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        configure(&app, &admin, &sink).await;
        let email = app.user(Role::Viewer).await;
        app.post_json(
            &app.browser(),
            "/api/v1/auth/forgot-password",
            &json!({"email": email}),
        )
        .await;
        let token = token_in(&sink.wait_for(&email).await);
        sqlx::query("UPDATE user_tokens SET expires_at = 1")
            .execute(app.db.pool())
            .await
            .unwrap();
        let res = app
            .post_json(
                &app.browser(),
                "/api/v1/auth/reset-password",
                &json!({"token": token, "new_password": "a fresh long passphrase"}),
            )
            .await;
        assert_eq!(error_of(res).await["field"], "token");
    }
}

#[tokio::test]
async fn open_registration_with_confirmation_by_email() {
    for backend in backends() {
        let Some(sink) = Sink::start().await else {
            return;
        };
        let app = spawn_app(backend).await;
        let signup = |email: &str| {
            let (app, body) = (
                &app,
                json!({"email": email, "display_name": "Neo", "password": "a sign-up passphrase"}),
            );
            async move {
                app.post_json(&app.browser(), "/api/v1/auth/register", &body)
                    .await
            }
        };
        let mode: Value = app
            .get_json(&app.browser(), "/api/v1/auth/registration")
            .await;
        assert_eq!(mode["mode"], "closed", "closed by default");
        assert_eq!(signup("neo@example.com").await.status(), 403);

        let admin = app.signed_in(Role::Admin).await;
        let open = |mode: &str| {
            let (app, admin, body) = (&app, &admin, json!({"mode": mode}));
            async move {
                admin
                    .put(app.url("/api/v1/admin/settings/registration"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(error_of(open("maybe").await).await["field"], "mode");
        assert_eq!(open("open").await.status(), 200);
        assert_eq!(
            signup("neo@example.com").await.status(),
            503,
            "needs e-mail"
        );
        configure(&app, &admin, &sink).await;
        assert_eq!(signup("neo@example.com").await.status(), 201);
        assert_eq!(
            error_of(signup("NEO@example.com").await).await["field"],
            "email",
            "taken"
        );

        // Not before the address is confirmed.
        let login = json!({"email": "neo@example.com", "password": "a sign-up passphrase"});
        let res = app
            .post_json(&app.browser(), "/api/v1/auth/login", &login)
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(error_of(res).await["code"], "email_unverified");
        let mail = sink.wait_for("neo@example.com").await;
        let token = token_in(&mail);
        let verify = |t: &str| {
            let (app, body) = (&app, json!({"token": t}));
            async move {
                app.post_json(&app.browser(), "/api/v1/auth/verify-email", &body)
                    .await
            }
        };
        assert_eq!(verify(&token).await.status(), 204);
        assert_eq!(
            error_of(verify(&token).await).await["field"],
            "token",
            "once"
        );
        let res = app
            .post_json(&app.browser(), "/api/v1/auth/login", &login)
            .await;
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["role"], "viewer");
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=user.")
            .await;
        let details: Vec<&str> = log["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["detail"].as_str())
            .collect();
        assert!(
            details.iter().any(|d| d.contains("via=registration")),
            "{details:?}"
        );
    }
}

#[tokio::test]
async fn administrators_invite_users_to_choose_their_password() {
    for backend in backends() {
        let Some(sink) = Sink::start().await else {
            return;
        };
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let create = |body: Value| {
            let (app, admin) = (&app, &admin);
            async move { app.post_json(admin, "/api/v1/admin/users", &body).await }
        };
        let res = create(json!({"email": "ivy@example.com", "role": "developer"})).await;
        assert_eq!(
            error_of(res).await["field"],
            "password",
            "a password or an invitation"
        );
        let res =
            create(json!({"email": "ivy@example.com", "role": "developer", "send_invite": true}))
                .await;
        assert_eq!(res.status(), 503, "invitations need e-mail");
        let list: Value = app.get_json(&admin, "/api/v1/admin/users?q=ivy").await;
        assert_eq!(list["total"], 0, "nothing created without the mail");

        configure(&app, &admin, &sink).await;
        let res = create(json!({"email": "ivy@example.com", "display_name": "Ivy", "role": "developer", "send_invite": true})).await;
        assert_eq!(res.status(), 201);
        let id = app.user_id("ivy@example.com").await;
        let first = token_in(&sink.wait_for("ivy@example.com").await);
        // Sent again: the first link stops working.
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{id}/send-onboarding-email"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 204);
        let mut second = String::new();
        for _ in 0..100 {
            if let Some(t) = sink
                .messages()
                .iter()
                .map(|m| token_in(m))
                .find(|t| *t != first)
            {
                second = t;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let set = |token: &str| {
            let (app, body) = (
                &app,
                json!({"token": token, "new_password": "my very own passphrase"}),
            );
            async move {
                app.post_json(&app.browser(), "/api/v1/auth/reset-password", &body)
                    .await
            }
        };
        assert_eq!(error_of(set(&first).await).await["field"], "token");
        assert_eq!(set(&second).await.status(), 204);
        let me = app
            .sign_in("ivy@example.com", "my very own passphrase")
            .await;
        let profile: Value = app.get_json(&me, "/api/v1/auth/profile").await;
        assert_eq!(profile["role"], "developer");
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=user.invite")
            .await;
        assert_eq!(log["events"].as_array().unwrap().len(), 2);
    }
}
