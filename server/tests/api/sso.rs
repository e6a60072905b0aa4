//! Single sign-on against a stub provider ([`crate::idp`]): first-login provisioning with
//! group → role mapping, linking by verified e-mail or from the account page, GitHub, logout at
//! the provider, and every way a callback can be wrong (state, replay, tampered or foreign
//! token, nonce, audience, expiry, `iss`), none of which creates or signs in anyone.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, backends, spawn_app};
use crate::idp::{CLIENT_ID, CLIENT_SECRET, Idp, Spoil};

pub(crate) fn form(idp: &Idp, slug: &str, extra: Value) -> Value {
    let mut f = json!({
        "slug": slug, "name": format!("{slug} SSO"), "kind": "oidc", "issuer": idp.issuer,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scopes": "openid email profile",
        "create_users": true,
    });
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

pub(crate) async fn add_provider(app: &TestApp, admin: &reqwest::Client, body: Value) -> Value {
    let res = app
        .post_json(admin, "/api/v1/admin/sso/providers", &body)
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

pub(crate) fn location(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 303, "a redirect");
    res.headers()["location"].to_str().unwrap().to_string()
}

/// `GET /auth/login/{slug}{query}`: the provider's authorization URL.
pub(crate) async fn start(app: &TestApp, c: &reqwest::Client, slug: &str, query: &str) -> String {
    location(&app.get(c, &format!("/auth/login/{slug}{query}")).await)
}

/// The whole round trip; returns where the callback sent the browser.
pub(crate) async fn sso(
    app: &TestApp,
    idp: &Idp,
    c: &reqwest::Client,
    slug: &str,
    claims: Value,
    spoil: Spoil,
) -> String {
    let auth = start(app, c, slug, "").await;
    let back = idp.approve(&auth, claims, spoil);
    location(&app.get(c, &back).await)
}

/// A new browser signed in through `slug` as `claims` (the callback must land on `/`).
pub(crate) async fn signed_in_via(
    app: &TestApp,
    idp: &Idp,
    slug: &str,
    claims: Value,
) -> reqwest::Client {
    let c = app.browser();
    assert_eq!(sso(app, idp, &c, slug, claims, Spoil::None).await, "/");
    c
}

pub(crate) fn person(sub: &str, email: &str, groups: &[&str]) -> Value {
    json!({"sub": sub, "email": email, "email_verified": true, "name": sub, "groups": groups})
}

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn first_sign_in_creates_the_account_with_the_mapped_role() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let idp = Idp::start().await;
        let admin = app.signed_in(Role::Admin).await;
        let body = form(
            &idp,
            "corp",
            json!({
                "role_claim": "groups", "role_map": [{"value": "admins", "role": "admin"}],
            }),
        );
        let p = add_provider(&app, &admin, body).await;
        let hint = p["client_secret_hint"].as_str().unwrap();
        assert!(!hint.contains(CLIENT_SECRET) && !p.to_string().contains(CLIENT_SECRET));
        let listed = app.get_text(&admin, "/api/v1/admin/sso/providers").await;
        assert!(!listed.contains(CLIENT_SECRET));
        let buttons: Value = app
            .get_json(&app.browser(), "/api/v1/auth/sso/providers")
            .await;
        assert_eq!(
            buttons,
            json!([{"slug": "corp", "name": "corp SSO", "kind": "oidc"}])
        );

        // First sign-in: an admin account, from the group.
        let alice = signed_in_via(
            &app,
            &idp,
            "corp",
            person("alice", "alice@corp.test", &["admins"]),
        )
        .await;
        let me: Value = app.get_json(&alice, "/api/v1/auth/me").await;
        assert_eq!(
            (me["email"].as_str(), me["role"].as_str()),
            (Some("alice@corp.test"), Some("admin"))
        );
        let bob = signed_in_via(
            &app,
            &idp,
            "corp",
            person("bob", "bob@corp.test", &["users"]),
        )
        .await;
        let me_bob: Value = app.get_json(&bob, "/api/v1/auth/me").await;
        assert_eq!(me_bob["role"], "viewer");

        // Again: the same account, and `next` is honoured only for paths on this site.
        let before = user_count(&app).await;
        let again = app.browser();
        let auth = start(&app, &again, "corp", "?next=/admin/users").await;
        let back = idp.approve(
            &auth,
            person("alice", "alice@corp.test", &["admins"]),
            Spoil::None,
        );
        assert_eq!(location(&app.get(&again, &back).await), "/admin/users");
        let me2: Value = app.get_json(&again, "/api/v1/auth/me").await;
        assert_eq!(me2["id"], me["id"]);
        assert_eq!(user_count(&app).await, before);
        let evil = app.browser();
        let auth = start(&app, &evil, "corp", "?next=//evil.example/x").await;
        let back = idp.approve(&auth, person("alice", "alice@corp.test", &[]), Spoil::None);
        assert_eq!(location(&app.get(&evil, &back).await), "/");

        // Linked identities; the only way to sign in cannot be unlinked.
        let ids: Value = app.get_json(&alice, "/api/v1/auth/identities").await;
        assert_eq!(ids[0]["provider_slug"], "corp");
        let pid = ids[0]["provider_id"].as_str().unwrap();
        let res = app
            .delete(&alice, &format!("/api/v1/auth/identities/{pid}"))
            .await;
        assert_eq!(res.status(), 409);

        // Audited, naming the provider; the secret nowhere in the log.
        let log = app
            .get_text(&admin, "/api/v1/audit/export?format=jsonl")
            .await;
        assert!(
            log.contains("via=sso:corp") && log.contains("sso.link"),
            "{log}"
        );
        assert!(!log.contains(CLIENT_SECRET));
    }
}

#[tokio::test]
async fn bad_answers_sign_in_nobody() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let idp = Idp::start().await;
        let admin = app.signed_in(Role::Admin).await;
        add_provider(&app, &admin, form(&idp, "corp", json!({}))).await;
        let before = user_count(&app).await;
        let eve = || person("eve", "eve@corp.test", &[]);
        let now = ops_db::now_ms() / 1000;

        let refused = |to: String, code: &str| {
            assert_eq!(to, format!("/login?sso_error={code}"));
        };
        // Spoiled tokens and claims.
        for (claims, spoil) in [
            (eve(), Spoil::Tampered),
            (eve(), Spoil::OtherKey),
            (
                json!({"sub": "eve", "email": "eve@corp.test", "nonce": "not-the-one"}),
                Spoil::None,
            ),
            (
                json!({"sub": "eve", "email": "eve@corp.test", "aud": "another-client"}),
                Spoil::None,
            ),
            (
                json!({"sub": "eve", "email": "eve@corp.test", "exp": now - 600, "iat": now - 900}),
                Spoil::None,
            ),
            (
                json!({"sub": "eve", "email": "eve@corp.test", "iss": "http://127.0.0.1:1"}),
                Spoil::None,
            ),
        ] {
            let c = app.browser();
            refused(sso(&app, &idp, &c, "corp", claims, spoil).await, "token");
            assert_eq!(app.get(&c, "/api/v1/auth/me").await.status(), 401);
        }
        // A wrong state, a wrong or missing `iss`, an error from the provider.
        let c = app.browser();
        let auth = start(&app, &c, "corp", "").await;
        let back = idp.approve(&auth, eve(), Spoil::None);
        let wrong_state = back.replace("state=", "state=x");
        refused(location(&app.get(&c, &wrong_state).await), "state");
        for (edit, code) in [("iss=http", "iss=https"), ("&iss=", "&x=")] {
            let c = app.browser();
            let auth = start(&app, &c, "corp", "").await;
            let back = idp.approve(&auth, eve(), Spoil::None).replace(edit, code);
            refused(location(&app.get(&c, &back).await), "token");
        }
        let c = app.browser();
        let auth = start(&app, &c, "corp", "").await;
        let state = reqwest::Url::parse(&auth)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .to_string();
        let denied = format!("/auth/callback?error=access_denied&state={state}");
        refused(location(&app.get(&c, &denied).await), "denied");
        // No sign-in under way; a replayed callback; an unknown provider.
        refused(
            location(
                &app.get(&app.browser(), "/auth/callback?code=x&state=y")
                    .await,
            ),
            "expired",
        );
        let c = app.browser();
        let auth = start(&app, &c, "corp", "").await;
        let back = idp.approve(&auth, eve(), Spoil::None);
        assert_eq!(location(&app.get(&c, &back).await), "/");
        refused(location(&app.get(&app.browser(), &back).await), "expired");
        refused(location(&app.get(&c, &back).await), "expired");
        refused(
            location(&app.get(&app.browser(), "/auth/login/nope").await),
            "provider",
        );
        assert_eq!(
            user_count(&app).await,
            before + 1,
            "only the good sign-in made an account"
        );
    }
}

#[tokio::test]
async fn existing_accounts_link_by_verified_email_only() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let idp = Idp::start().await;
        let admin = app.signed_in(Role::Admin).await;
        add_provider(
            &app,
            &admin,
            form(
                &idp,
                "corp",
                json!({
                    "create_users": false, "allowed_domains": ["corp.test"],
                }),
            ),
        )
        .await;
        ops_auth::users::create_from_cli(
            &app.db,
            ops_auth::users::UserForCreate {
                email: "dev@corp.test".into(),
                display_name: "Dev".into(),
                password: Some(PASSWORD.into()),
                role: Role::Developer,
            },
        )
        .await
        .unwrap();
        let go = |claims: Value| {
            let (app, idp) = (&app, &idp);
            async move { sso(app, idp, &app.browser(), "corp", claims, Spoil::None).await }
        };
        assert_eq!(
            go(person("new", "new@corp.test", &[])).await,
            "/login?sso_error=no_account"
        );
        assert_eq!(
            go(person("out", "dev@elsewhere.test", &[])).await,
            "/login?sso_error=domain"
        );
        let unverified = json!({"sub": "dev", "email": "dev@corp.test", "email_verified": false});
        assert_eq!(go(unverified).await, "/login?sso_error=unverified");
        let c = signed_in_via(&app, &idp, "corp", person("dev", "dev@corp.test", &[])).await;
        let me: Value = app.get_json(&c, "/api/v1/auth/me").await;
        assert_eq!(
            (me["email"].as_str(), me["role"].as_str()),
            (Some("dev@corp.test"), Some("developer"))
        );

        // Suspended: refused.
        let id = app.user_id("dev@corp.test").await;
        let res = app
            .post_json(
                &admin,
                &format!("/api/v1/admin/users/{id}/suspend"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            go(person("dev", "dev@corp.test", &[])).await,
            "/login?sso_error=suspended"
        );
        // Filtered by provider in the user list.
        let list: Value = app
            .get_json(&admin, "/api/v1/admin/users?provider=corp")
            .await;
        assert_eq!(list["total"], 1, "{list}");
        // The administrator sees the link on the user and can remove it.
        let detail: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users/{id}"))
            .await;
        assert_eq!(detail["identities"][0]["provider_slug"], "corp", "{detail}");
        let pid = detail["identities"][0]["provider_id"].as_str().unwrap();
        let path = format!("/api/v1/admin/users/{id}/identities/{pid}");
        assert_eq!(app.delete(&admin, &path).await.status(), 204);
        assert_eq!(app.delete(&admin, &path).await.status(), 404);
        let detail: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users/{id}"))
            .await;
        assert_eq!(detail["identities"], json!([]));
    }
}

#[tokio::test]
async fn linking_from_the_account_page_and_second_factor() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let idp = Idp::start().await;
        let admin = app.signed_in(Role::Admin).await;
        add_provider(
            &app,
            &admin,
            form(&idp, "corp", json!({"create_users": false})),
        )
        .await;
        let email = app.user(Role::Analyst).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let auth = start(&app, &me, "corp", "?link=1").await;
        let back = idp.approve(
            &auth,
            person("ana-at-idp", "other@idp.test", &[]),
            Spoil::None,
        );
        assert_eq!(
            location(&app.get(&me, &back).await),
            "/account/security?linked=1"
        );
        let ids: Value = app.get_json(&me, "/api/v1/auth/identities").await;
        assert_eq!(ids.as_array().unwrap().len(), 1);
        // Someone else cannot take the same identity.
        let other = app.signed_in(Role::Viewer).await;
        let auth = start(&app, &other, "corp", "?link=1").await;
        let back = idp.approve(
            &auth,
            person("ana-at-idp", "other@idp.test", &[]),
            Spoil::None,
        );
        assert_eq!(
            location(&app.get(&other, &back).await),
            "/account/security?sso_error=taken"
        );
        // Linking needs a signed-in caller.
        assert_eq!(
            app.get(&app.browser(), "/auth/login/corp?link=1")
                .await
                .status(),
            401
        );

        // With two-factor sign-in on, SSO stops at the second step.
        let secret: Value = app
            .post_json(&me, "/api/v1/auth/mfa/totp/setup", &Value::Null)
            .await
            .json()
            .await
            .unwrap();
        let code = crate::mfa::code_for(secret["secret"].as_str().unwrap(), 0);
        let res = app
            .post_json(&me, "/api/v1/auth/mfa/totp/enable", &json!({"code": code}))
            .await;
        assert_eq!(res.status(), 200);
        let c = app.browser();
        let to = sso(
            &app,
            &idp,
            &c,
            "corp",
            person("ana-at-idp", "other@idp.test", &[]),
            Spoil::None,
        )
        .await;
        assert_eq!(to, "/login/mfa?next=/");
        assert_eq!(app.get(&c, "/api/v1/auth/me").await.status(), 401);

        // Unlinking works while a password remains.
        let pid = ids[0]["provider_id"].as_str().unwrap();
        let res = app
            .delete(&me, &format!("/api/v1/auth/identities/{pid}"))
            .await;
        assert_eq!(res.status(), 204);
    }
}
