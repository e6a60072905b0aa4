//! Organisations: create and settings, logo, invitations through a real SMTP sink (existing
//! accounts accept, new people sign up from the link when registration allows), the role
//! rules (admins never touch owners, the last owner stays), leaving, the active organisation,
//! keys scoped to one, joining by e-mail domain, and the platform administrator's view.

use ops_auth::users::{UserForCreate, create_from_cli};
use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, backends, error_of, spawn_app};

pub(crate) async fn person(app: &TestApp, email: &str, role: Role) -> reqwest::Client {
    create_from_cli(
        &app.db,
        UserForCreate {
            email: email.into(),
            display_name: email.split('@').next().unwrap().into(),
            password: Some(PASSWORD.into()),
            role,
        },
    )
    .await
    .unwrap();
    app.sign_in(email, PASSWORD).await
}

pub(crate) async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn owner_creates_configures_and_deletes() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let owner = person(&app, "olga@acme.test", Role::Developer).await;
        let org = json_of(
            app.post_json(&owner, "/api/v1/org", &json!({"name": "Acme, Inc."}))
                .await,
            201,
        )
        .await;
        assert_eq!(
            (
                org["slug"].as_str(),
                org["my_role"].as_str(),
                org["active"].as_bool()
            ),
            (Some("acme-inc"), Some("owner"), Some(true))
        );
        let again = json_of(
            app.post_json(&owner, "/api/v1/org", &json!({"name": "Acme Inc"}))
                .await,
            201,
        )
        .await;
        assert_eq!(again["slug"], "acme-inc-2");
        assert_eq!(again["active"], false, "the first stays active");
        let res = app
            .post_json(
                &owner,
                "/api/v1/org",
                &json!({"name": "X", "slug": "acme-inc"}),
            )
            .await;
        assert_eq!(
            (res.status().as_u16(), error_of(res).await["field"].as_str()),
            (422, Some("slug"))
        );
        let res = app
            .post_json(&owner, "/api/v1/org", &json!({"name": " "}))
            .await;
        assert_eq!(res.status(), 422);
        let mine: Value = app.get_json(&owner, "/api/v1/org/my-orgs").await;
        assert_eq!(mine.as_array().unwrap().len(), 2);
        let id = org["id"].as_str().unwrap();

        // Settings; others do not even see it.
        let path = format!("/api/v1/org/{id}/settings");
        let res = app.put_json(&owner, &path, &json!({"name": "Acme", "slug": "acme", "default_role": "billing_admin", "join_domain": "@Acme.test"})).await;
        let o = json_of(res, 200).await;
        assert_eq!(
            (
                o["slug"].as_str(),
                o["default_role"].as_str(),
                o["join_domain"].as_str()
            ),
            (Some("acme"), Some("billing_admin"), Some("acme.test"))
        );
        for (bad, field) in [
            (
                json!({"name": "A", "slug": "Bad Slug", "default_role": "member"}),
                "slug",
            ),
            (
                json!({"name": "A", "slug": "ok", "default_role": "owner"}),
                "default_role",
            ),
            (
                json!({"name": "A", "slug": "ok", "default_role": "member", "join_domain": "nodot"}),
                "join_domain",
            ),
        ] {
            let res = app.put_json(&owner, &path, &bad).await;
            assert_eq!(
                (res.status().as_u16(), error_of(res).await["field"].clone()),
                (422, json!(field))
            );
        }
        let stranger = app.signed_in(Role::Developer).await;
        assert_eq!(
            app.get(&stranger, &format!("/api/v1/org/{id}"))
                .await
                .status(),
            404
        );

        // Logo: checked and re-encoded; served to members.
        let res = owner
            .post(app.url(&format!("/api/v1/org/{id}/logo")))
            .body(png())
            .send()
            .await
            .unwrap();
        let o = json_of(res, 200).await;
        let logo_url = o["logo_url"].as_str().unwrap().to_string();
        let res = app.get(&owner, &logo_url).await;
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/")
        );
        let res = owner
            .post(app.url(&format!("/api/v1/org/{id}/logo")))
            .body("not an image")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);

        // Joining by verified e-mail domain, at the default role.
        let colleague = person(&app, "cid@acme.test", Role::Viewer).await;
        let open: Value = app.get_json(&colleague, "/api/v1/org/joinable").await;
        assert_eq!(open[0]["id"], id);
        let joined = json_of(
            app.post_json(&colleague, &format!("/api/v1/org/{id}/join"), &json!({}))
                .await,
            200,
        )
        .await;
        assert_eq!(joined["my_role"], "billing_admin");
        assert_eq!(
            app.post_json(&colleague, &format!("/api/v1/org/{id}/join"), &json!({}))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.post_json(&stranger, &format!("/api/v1/org/{id}/join"), &json!({}))
                .await
                .status(),
            404
        );
        let stats: Value = app
            .get_json(&owner, &format!("/api/v1/org/{id}/stats"))
            .await;
        assert_eq!(stats["members"], 2);

        // Only owners delete, typing the slug.
        let del = |c: &reqwest::Client, confirm: &str| {
            c.delete(app.url(&format!("/api/v1/org/{id}")))
                .json(&json!({"confirm": confirm}))
                .send()
        };
        assert_eq!(del(&colleague, "acme").await.unwrap().status(), 403);
        assert_eq!(del(&owner, "acme-inc").await.unwrap().status(), 422);
        assert_eq!(del(&owner, "acme").await.unwrap().status(), 204);
        assert_eq!(
            app.get(&owner, &format!("/api/v1/org/{id}")).await.status(),
            404
        );
        let log = app
            .get_text(
                &app.signed_in(Role::Admin).await,
                &format!("/api/v1/audit/logs?org={id}"),
            )
            .await;
        assert!(
            log.contains("org.delete") && log.contains("org.join"),
            "{log}"
        );
    }
}
