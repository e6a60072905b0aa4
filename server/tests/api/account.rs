//! The caller's own account: profile, password change, password policy, notifications.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, backends, error_of, spawn_app};

#[tokio::test]
async fn profile_reads_updates_and_refuses_bad_fields() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let viewer = app.signed_in(Role::Viewer).await;
        let p: Value = app.get_json(&viewer, "/api/v1/auth/profile").await;
        assert_eq!(
            (p["locale"].as_str(), p["timezone"].as_str()),
            (Some("en"), Some("UTC"))
        );
        assert_eq!(p["has_password"], true);
        assert_eq!(p["avatar_url"], Value::Null);

        let put = |body: Value| {
            let (app, viewer) = (&app, &viewer);
            async move {
                viewer
                    .put(app.url("/api/v1/auth/profile"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let good = json!({"display_name": " Vera ", "bio": "Ops", "locale": "pt-BR", "timezone": "America/Sao_Paulo"});
        let res = put(good.clone()).await;
        assert_eq!(res.status(), 200);
        let p: Value = res.json().await.unwrap();
        assert_eq!(
            (p["display_name"].as_str(), p["locale"].as_str()),
            (Some("Vera"), Some("pt-BR"))
        );

        for (body, field) in [
            (
                json!({"display_name": "x".repeat(101), "locale": "en", "timezone": "UTC"}),
                "display_name",
            ),
            (
                json!({"display_name": "V", "bio": "b".repeat(501), "locale": "en", "timezone": "UTC"}),
                "bio",
            ),
            (
                json!({"display_name": "V", "locale": "english", "timezone": "UTC"}),
                "locale",
            ),
            (
                json!({"display_name": "V", "locale": "en", "timezone": "../../etc"}),
                "timezone",
            ),
            (json!({"display_name": "V", "locale": "en"}), "timezone"),
        ] {
            let res = put(body).await;
            assert_eq!(res.status(), 422, "{field}");
            assert_eq!(error_of(res).await["field"], field);
        }
        let after: Value = app.get_json(&viewer, "/api/v1/auth/profile").await;
        assert_eq!(
            after["timezone"], "America/Sao_Paulo",
            "refused input changed nothing"
        );

        let admin = app.signed_in(Role::Admin).await;
        let log: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=user.profile_update")
            .await;
        assert_eq!(log["events"].as_array().unwrap().len(), 1);
        assert_eq!(
            log["events"][0]["detail"],
            "changed=display_name,bio,locale,timezone"
        );
    }
}

#[tokio::test]
async fn changing_the_password_checks_it_and_ends_other_sessions() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let other = app.sign_in(&email, PASSWORD).await;
        let change = |current: &str, new: &str| {
            let body = json!({"current_password": current, "new_password": new});
            let (app, me) = (&app, &me);
            async move {
                app.post_json(me, "/api/v1/auth/change-password", &body)
                    .await
            }
        };

        let res = change("not it at all", "a brand new passphrase").await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "current_password");
        let res = change(PASSWORD, PASSWORD).await;
        assert_eq!(error_of(res).await["field"], "new_password", "no reuse");
        let res = change(PASSWORD, "Password123!").await;
        let err = error_of(res).await;
        assert_eq!(err["field"], "new_password");
        assert!(err["message"].as_str().unwrap().contains("common"), "{err}");
        let res = change(PASSWORD, "short").await;
        assert_eq!(error_of(res).await["field"], "new_password");
        assert_eq!(
            app.get(&other, "/api/v1/auth/me").await.status(),
            200,
            "nothing changed yet"
        );

        let res = change(PASSWORD, "a brand new passphrase").await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["revoked"], 1);
        assert_eq!(app.get(&other, "/api/v1/auth/me").await.status(), 401);
        assert_eq!(
            app.get(&me, "/api/v1/auth/me").await.status(),
            200,
            "this one stays"
        );

        let old = app
            .post_json(
                &app.browser(),
                "/api/v1/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(old.status(), 401);
        app.sign_in(&email, "a brand new passphrase").await;
        let p: Value = app.get_json(&me, "/api/v1/auth/profile").await;
        assert!(p["password_changed_at"].is_i64());

        let policy: Value = app
            .get_json(&app.browser(), "/api/v1/auth/password-policy")
            .await;
        assert_eq!(policy["min_length"], 10);
        assert_eq!(policy["rules"].as_array().unwrap().len(), 3);
    }
}

#[tokio::test]
async fn notification_preferences_default_save_and_validate() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let me = app.signed_in(Role::Analyst).await;
        let prefs: Value = app.get_json(&me, "/api/v1/auth/notifications").await;
        let kinds = prefs["prefs"].as_array().unwrap();
        assert_eq!(kinds.len(), 6);
        assert_eq!(
            kinds[0],
            json!({"kind": "security", "email": true, "in_app": true, "webhook": false})
        );

        let put = |body: Value| {
            let (app, me) = (&app, &me);
            async move {
                me.put(app.url("/api/v1/auth/notifications"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let res = put(json!({"webhook_url": null, "prefs": [
            {"kind": "billing", "email": false, "in_app": true, "webhook": true}]}))
        .await;
        assert_eq!(
            error_of(res).await["field"],
            "webhook_url",
            "webhook needs an address"
        );
        let res = put(json!({"webhook_url": "http://example.com/x", "prefs": []})).await;
        assert_eq!(
            error_of(res).await["field"],
            "webhook_url",
            "plain http only for loopback"
        );
        let res = put(json!({"webhook_url": null, "prefs": [{"kind": "gossip", "email": true, "in_app": true, "webhook": false}]})).await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "prefs[0].kind");

        let res = put(
            json!({"webhook_url": "https://hooks.example.com/ops", "prefs": [
            {"kind": "billing", "email": false, "in_app": true, "webhook": true}]}),
        )
        .await;
        assert_eq!(res.status(), 200);
        let first: Value = res.json().await.unwrap();
        let secret = first["new_webhook_secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_"), "{secret}");
        let saved: Value = app.get_json(&me, "/api/v1/auth/notifications").await;
        assert_eq!(saved["webhook_url"], "https://hooks.example.com/ops");
        assert_eq!(saved["new_webhook_secret"], Value::Null, "shown once");
        let hint = saved["webhook_secret_hint"].as_str().unwrap().to_string();
        assert!(hint.starts_with("••••") && secret.ends_with(&hint[hint.len() - 4..]));
        let billing = saved["prefs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == "billing")
            .unwrap()
            .clone();
        assert_eq!(
            billing,
            json!({"kind": "billing", "email": false, "in_app": true, "webhook": true})
        );
        let security = saved["prefs"][0].clone();
        assert_eq!(security["email"], true, "kinds not sent keep theirs");

        // Saving again keeps the secret; a new one replaces it; removing the address drops it.
        let again: Value = put(saved.clone()).await.json().await.unwrap();
        assert_eq!(again["new_webhook_secret"], Value::Null);
        assert_eq!(again["webhook_secret_hint"], hint.as_str());
        let res = app
            .post_json(&me, "/api/v1/auth/notifications/webhook-secret", &json!({}))
            .await;
        assert_eq!(res.status(), 201);
        let rotated: Value = res.json().await.unwrap();
        let new_secret = rotated["secret"].as_str().unwrap();
        assert!(new_secret.starts_with("whsec_") && new_secret != secret);
        let admin = app.signed_in(Role::Admin).await;
        let log = app
            .get_text(&admin, "/api/v1/audit/export?format=jsonl")
            .await;
        assert!(log.contains("user.webhook_secret_rotate"), "{log}");
        assert!(
            !log.contains(new_secret) && !log.contains(&secret[6..]),
            "secrets never audited"
        );
        let off = json!({"webhook_url": null, "prefs": [
            {"kind": "billing", "email": false, "in_app": true, "webhook": false}]});
        let off: Value = put(off).await.json().await.unwrap();
        assert_eq!(off["webhook_secret_hint"], Value::Null);
        let res = app
            .post_json(&me, "/api/v1/auth/notifications/webhook-secret", &json!({}))
            .await;
        assert_eq!(
            error_of(res).await["field"],
            "webhook_url",
            "no address, no secret"
        );
    }
}

/// A JPEG with an EXIF block carrying `marker`, as cameras write them.
fn jpeg_with_exif(marker: &str) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        640,
        480,
        image::Rgb([10, 120, 200]),
    ));
    let mut jpeg = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(marker.as_bytes());
    let len = (payload.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn avatars_are_checked_by_content_resized_and_stripped() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let me = app.signed_in(Role::Viewer).await;
        let upload = |body: Vec<u8>, ct: &'static str| {
            let (app, me) = (&app, &me);
            async move {
                me.post(app.url("/api/v1/auth/profile/avatar"))
                    .header("content-type", ct)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let res = upload(jpeg_with_exif("GPS-SecretCamera-42"), "image/jpeg").await;
        assert_eq!(res.status(), 200);
        let p: Value = res.json().await.unwrap();
        let url = p["avatar_url"].as_str().unwrap().to_string();
        let res = app.get(&me, &url).await;
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let bytes = res.bytes().await.unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (256, 256));
        assert!(
            !bytes.windows(19).any(|w| w == b"GPS-SecretCamera-42"),
            "metadata stripped"
        );
        let other = app.signed_in(Role::Developer).await;
        assert_eq!(app.get(&other, &url).await.status(), 200, "others see it");
        assert_eq!(
            app.browser()
                .get(app.url(&url))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );

        // Refused by content, whatever the header says; too big is 413.
        let res = upload(
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            "image/png",
        )
        .await;
        assert_eq!(error_of(res).await["field"], "avatar");
        let res = upload(b"GIF89a\x01\x00\x01\x00".to_vec(), "image/gif").await;
        assert_eq!(res.status(), 422);
        let res = upload(vec![0xFF; 6 * 1024 * 1024], "image/jpeg").await;
        assert_eq!(res.status(), 413);
        let still: Value = app.get_json(&me, "/api/v1/auth/profile").await;
        assert_eq!(
            still["avatar_url"].as_str(),
            Some(url.as_str()),
            "refusals changed nothing"
        );

        let res = me
            .delete(app.url("/api/v1/auth/profile/avatar"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(app.get(&me, &url).await.status(), 404);
        let p: Value = app.get_json(&me, "/api/v1/auth/profile").await;
        assert_eq!(p["avatar_url"], Value::Null);
    }
}
