//! Two-factor sign-in: enrolment, the second step of sign-in (TOTP and recovery codes, each
//! once), turning it off, the per-role requirement and the administrator's reset.

use ops_auth::mfa::totp;
use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, backends, error_of, spawn_app};

/// The code for `offset` steps from now.
pub(crate) fn code_for(secret: &str, offset: i64) -> String {
    let seed = totp::base32_decode(secret).unwrap();
    let step = ops_db::now_ms() / 1000 / totp::STEP_SECS + offset;
    format!("{:06}", totp::code(&seed, step))
}

async fn login(app: &TestApp, email: &str) -> (reqwest::Client, u16) {
    let c = app.browser();
    let res = app
        .post_json(
            &c,
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    let status = res.status().as_u16();
    (c, status)
}

#[tokio::test]
async fn enrol_sign_in_with_codes_and_turn_off() {
    for backend in backends() {
        // -- Enrol
        let app = spawn_app(backend).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let setup: Value = app
            .post_json(&me, "/api/v1/auth/mfa/totp/setup", &Value::Null)
            .await
            .json()
            .await
            .unwrap();
        let secret = setup["secret"].as_str().unwrap().to_string();
        assert!(setup["qr_svg"].as_str().unwrap().starts_with("<?xml"));
        assert!(setup["otpauth_uri"].as_str().unwrap().contains(&secret));
        let sealed: String = sqlx::query_scalar("SELECT secret_sealed FROM mfa_totp")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert!(
            sealed.starts_with("v1:") && !sealed.contains(&secret),
            "sealed at rest"
        );

        let res = app
            .post_json(
                &me,
                "/api/v1/auth/mfa/totp/enable",
                &json!({"code": "000000"}),
            )
            .await;
        assert_eq!(error_of(res).await["field"], "code");
        // Kept: the clock may reach the next 30 s step before it is tried again below.
        let enable_code = code_for(&secret, 0);
        let res = app
            .post_json(
                &me,
                "/api/v1/auth/mfa/totp/enable",
                &json!({"code": enable_code}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let codes: Value = res.json().await.unwrap();
        let codes: Vec<String> = codes["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().into())
            .collect();
        assert_eq!(codes.len(), 10);
        let status: Value = app.get_json(&me, "/api/v1/auth/mfa").await;
        assert_eq!(
            (
                status["totp_enabled"].as_bool(),
                status["recovery_codes_left"].as_i64()
            ),
            (Some(true), Some(10))
        );
        let res = app
            .post_json(&me, "/api/v1/auth/mfa/totp/setup", &Value::Null)
            .await;
        assert_eq!(res.status(), 409, "no second enrolment while on");

        // -- Sign-in needs the second step; the password alone signs nobody in.
        let (c, status) = login(&app, &email).await;
        assert_eq!(status, 202);
        assert_eq!(app.get(&c, "/api/v1/auth/me").await.status(), 401);
        let res = app
            .post_json(&c, "/api/v1/auth/mfa/verify", &json!({"code": "123456"}))
            .await;
        assert_eq!(res.status(), 422);
        let res = app
            .post_json(&c, "/api/v1/auth/mfa/verify", &json!({"code": enable_code}))
            .await;
        assert_eq!(res.status(), 422, "the code used to enable is spent");
        let res = app
            .post_json(
                &c,
                "/api/v1/auth/mfa/verify",
                &json!({"code": code_for(&secret, 1)}),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get(&c, "/api/v1/auth/me").await.status(), 200);
        let no_pending = app
            .post_json(
                &app.browser(),
                "/api/v1/auth/mfa/verify",
                &json!({"code": code_for(&secret, 1)}),
            )
            .await;
        assert_eq!(no_pending.status(), 422, "no password step, no sign-in");

        // -- A recovery code works once.
        let (c, _) = login(&app, &email).await;
        let res = app
            .post_json(
                &c,
                "/api/v1/auth/mfa/verify",
                &json!({"code": codes[0].to_uppercase()}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let (c, _) = login(&app, &email).await;
        let res = app
            .post_json(&c, "/api/v1/auth/mfa/verify", &json!({"code": codes[0]}))
            .await;
        assert_eq!(res.status(), 422);

        // -- Turn off: needs a code.
        let res = app
            .post_json(
                &me,
                "/api/v1/auth/mfa/totp/disable",
                &json!({"code": "nope"}),
            )
            .await;
        assert_eq!(res.status(), 422);
        let res = app
            .post_json(
                &me,
                "/api/v1/auth/mfa/totp/disable",
                &json!({"code": codes[1]}),
            )
            .await;
        assert_eq!(res.status(), 204);
        let (_, status) = login(&app, &email).await;
        assert_eq!(status, 200, "password alone again");

        let admin = app.signed_in(Role::Admin).await;
        let log: Value = app.get_json(&admin, "/api/v1/audit/logs?action=mfa.").await;
        let actions: Vec<&str> = log["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["mfa.disable", "mfa.enable"]);
        let logins: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=auth.login")
            .await;
        let details: Vec<&str> = logins["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["detail"].as_str())
            .collect();
        assert!(
            details.contains(&"method=password+totp")
                && details.contains(&"method=password+recovery_code"),
            "{details:?}"
        );
    }
}

#[tokio::test]
async fn roles_can_require_it_and_admins_reset_a_lost_device() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let dev = app.sign_in(&email, PASSWORD).await;
        assert_eq!(app.get(&dev, "/api/v1/system/metrics").await.status(), 200);

        let res = admin
            .put(app.url("/api/v1/admin/mfa-policy"))
            .json(&json!({"required_roles": ["developer"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = app.get(&dev, "/api/v1/system/metrics").await;
        assert_eq!(res.status(), 403);
        assert_eq!(error_of(res).await["code"], "mfa_required");
        let status: Value = app.get_json(&dev, "/api/v1/auth/mfa").await;
        assert_eq!(status["required"], true, "own account pages stay open");
        let page = app.get(&dev, "/").await;
        assert_eq!(page.status(), 303);
        assert_eq!(page.headers()["location"], "/account/security");

        // Enrol, and the console opens again; turning it off is refused.
        let setup: Value = app
            .post_json(&dev, "/api/v1/auth/mfa/totp/setup", &Value::Null)
            .await
            .json()
            .await
            .unwrap();
        let secret = setup["secret"].as_str().unwrap().to_string();
        let res = app
            .post_json(
                &dev,
                "/api/v1/auth/mfa/totp/enable",
                &json!({"code": code_for(&secret, 0)}),
            )
            .await;
        let codes: Value = res.json().await.unwrap();
        assert_eq!(app.get(&dev, "/api/v1/system/metrics").await.status(), 200);
        let res = app
            .post_json(
                &dev,
                "/api/v1/auth/mfa/totp/disable",
                &json!({"code": codes["codes"][0]}),
            )
            .await;
        assert_eq!(res.status(), 409);

        // Lost device: the admin resets it; the user is signed out and enrols again.
        let id: String = app.user_id(&email).await;
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{id}/mfa/reset"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get(&dev, "/api/v1/auth/me").await.status(), 401);
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{id}/mfa/reset"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 409, "nothing left to reset");
        let (_, status) = login(&app, &email).await;
        assert_eq!(status, 200);
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=mfa.admin_reset")
            .await;
        assert_eq!(log["events"][0]["target_label"], email.as_str());
        let res = app
            .post_json(
                &dev,
                &format!("/api/v1/admin/users/{id}/mfa/reset"),
                &Value::Null,
            )
            .await;
        assert_eq!(res.status(), 401);
    }
}
