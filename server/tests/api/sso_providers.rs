//! Single sign-on, continued: GitHub Enterprise with org → role mapping, logout at the
//! provider, and the console's provider settings (validation, secrets kept, discovery check,
//! providers from the config file).

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{backends, error_of, spawn_app, spawn_app_with};
use crate::idp::{CLIENT_ID, CLIENT_SECRET, Idp, Spoil};
use crate::sso::{add_provider, form, location, person, signed_in_via, start};

#[tokio::test]
async fn github_enterprise_and_logout_at_the_provider() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let idp = Idp::start().await;
        let admin = app.signed_in(Role::Admin).await;
        add_provider(&app, &admin, form(&idp, "gh", json!({
            "kind": "github", "issuer": format!("{}/api/v3", idp.issuer), "scopes": "read:user user:email read:org",
            "role_claim": "orgs", "role_map": [{"value": "acme", "role": "developer"}],
        })))
        .await;
        let c = app.browser();
        let auth = start(&app, &c, "gh", "").await;
        assert!(
            auth.starts_with(&format!("{}/login/oauth/authorize?", idp.issuer)),
            "{auth}"
        );
        let claims = json!({
            "gh_user": {"id": 42, "login": "octo", "name": null},
            "gh_emails": [{"email": "spare@gh.test", "primary": false, "verified": true},
                          {"email": "Octo@gh.test", "primary": true, "verified": true}],
            "gh_orgs": [{"login": "acme"}],
        });
        let back = idp.approve(&auth, claims, Spoil::None);
        assert_eq!(location(&app.get(&c, &back).await), "/");
        let me: Value = app.get_json(&c, "/api/v1/auth/me").await;
        assert_eq!(
            (me["email"].as_str(), me["role"].as_str()),
            (Some("octo@gh.test"), Some("developer"))
        );
        assert_eq!(me["display_name"], "octo");

        // Logout from an OIDC session goes on to the provider's end-session endpoint.
        add_provider(&app, &admin, form(&idp, "corp", json!({}))).await;
        let c = signed_in_via(&app, &idp, "corp", person("zed", "zed@corp.test", &[])).await;
        let to = location(&app.get(&c, "/auth/logout").await);
        assert!(
            to.starts_with(&format!(
                "{}/session/end?client_id={CLIENT_ID}&post_logout_redirect_uri=",
                idp.issuer
            )),
            "{to}"
        );
        assert_eq!(app.get(&c, "/api/v1/auth/me").await.status(), 401);
        assert_eq!(location(&app.get(&c, "/auth/logout").await), "/login");
    }
}

#[tokio::test]
async fn console_checks_and_keeps_provider_settings() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let idp = Idp::start().await;
        let admin = app.signed_in(Role::Admin).await;
        for (bad, field) in [
            (json!({"slug": "Bad Slug"}), "slug"),
            (json!({"kind": "saml"}), "kind"),
            (json!({"issuer": "ftp://x"}), "issuer"),
            (
                json!({"allowed_domains": ["not a domain"]}),
                "allowed_domains",
            ),
            (
                json!({"role_map": [{"value": "x", "role": "admin"}]}),
                "role_claim",
            ),
        ] {
            let res = app
                .post_json(
                    &admin,
                    "/api/v1/admin/sso/providers",
                    &form(&idp, "ok", bad),
                )
                .await;
            assert_eq!(res.status(), 422);
            assert_eq!(error_of(res).await["field"], field);
        }
        let p = add_provider(&app, &admin, form(&idp, "corp", json!({}))).await;
        let res = app
            .post_json(
                &admin,
                "/api/v1/admin/sso/providers",
                &form(&idp, "corp", json!({})),
            )
            .await;
        assert_eq!(res.status(), 422, "the slug is taken");
        let id = p["id"].as_str().unwrap();
        let mut change = form(&idp, "corp", json!({"name": "Corporate", "enabled": false}));
        change.as_object_mut().unwrap().remove("client_secret");
        let res = app
            .put_json(
                &admin,
                &format!("/api/v1/admin/sso/providers/{id}"),
                &change,
            )
            .await;
        assert_eq!(res.status(), 200);
        let p2: Value = res.json().await.unwrap();
        assert_eq!(
            (p2["name"].as_str(), p2["client_secret_hint"].clone()),
            (Some("Corporate"), p["client_secret_hint"].clone())
        );
        let buttons: Value = app
            .get_json(&app.browser(), "/api/v1/auth/sso/providers")
            .await;
        assert_eq!(buttons, json!([]), "a disabled provider has no button");
        let check: Value = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/sso/providers/{id}/check"),
                &json!({}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (check["ok"].as_bool(), check["signing_keys"].as_u64()),
            (Some(true), Some(1)),
            "{check}"
        );
        assert_eq!(check["redirect_uri"], format!("{}/auth/callback", app.base));
        assert_eq!(
            app.delete(&admin, &format!("/api/v1/admin/sso/providers/{id}"))
                .await
                .status(),
            204
        );
        assert_eq!(
            app.delete(&admin, &format!("/api/v1/admin/sso/providers/{id}"))
                .await
                .status(),
            404
        );

        // From the config file: listed, read-only in the console, secret sealed in the database.
        let issuer = idp.issuer.clone();
        let app = spawn_app_with(backend, move |s| {
            s.sso_providers = vec![ops_config::SsoProviderConfig {
                slug: "file".into(),
                name: "From file".into(),
                kind: "oidc".into(),
                issuer,
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                create_users: true,
                ..Default::default()
            }];
        })
        .await;
        let admin = app.signed_in(Role::Admin).await;
        let list: Value = app.get_json(&admin, "/api/v1/admin/sso/providers").await;
        assert_eq!(
            (list[0]["slug"].as_str(), list[0]["source"].as_str()),
            (Some("file"), Some("config"))
        );
        let id = list[0]["id"].as_str().unwrap();
        let res = app
            .put_json(
                &admin,
                &format!("/api/v1/admin/sso/providers/{id}"),
                &form(&idp, "file", json!({})),
            )
            .await;
        assert_eq!(res.status(), 409);
        let stored: String = sqlx::query_scalar("SELECT client_secret FROM sso_providers")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert!(!stored.contains(CLIENT_SECRET));
        signed_in_via(&app, &idp, "file", person("f", "f@file.test", &[])).await;
    }
}
