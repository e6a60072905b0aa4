//! Error envelope, bad input, cross-origin refusals, health and docs.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{backends, error_of, spawn_app};

#[tokio::test]
async fn bad_input_is_a_named_4xx_and_changes_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dev = app.signed_in(Role::Developer).await;

        // malformed JSON
        let res = dev
            .post(app.url("/api/v1/api-keys"))
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let rid = res.headers()["x-request-id"].to_str().unwrap().to_string();
        let err = error_of(res).await;
        assert_eq!(err["code"], "bad_request");
        assert_eq!(
            err["request_id"],
            rid.as_str(),
            "the envelope carries the request id"
        );

        // wrong type names the field
        let res = app
            .post_json(&dev, "/api/v1/api-keys", &json!({"name": 42}))
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "name");

        // missing field names the field
        let res = app.post_json(&dev, "/api/v1/api-keys", &json!({})).await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "name");

        // not JSON at all
        let res = dev
            .post(app.url("/api/v1/api-keys"))
            .body("name=x")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);

        // invalid value: 422 with field, nothing stored
        let res = app
            .post_json(&dev, "/api/v1/api-keys", &json!({"name": "   "}))
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "name");
        let keys: Value = app.get_json(&dev, "/api/v1/api-keys").await;
        assert_eq!(keys, json!([]), "nothing stored after refused input");

        // bad query parameter
        let admin = app.signed_in(Role::Admin).await;
        let res = app.get(&admin, "/api/v1/audit/logs?limit=abc").await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "limit");
        let res = app.get(&admin, "/api/v1/audit/logs?limit=0").await;
        assert_eq!(res.status(), 422);
        assert_eq!(error_of(res).await["field"], "limit");

        // a server function's error keeps its status when the browser accepts compression
        for encoding in ["br", "gzip", "identity"] {
            let res = admin
                .post(app.url("/api/ui/create_org"))
                .header("accept-encoding", encoding)
                .form(&[("name", "")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422, "with accept-encoding: {encoding}");
        }

        // unknown API route: JSON 404
        let res = app.get(&dev, "/api/v1/nothing-here").await;
        assert_eq!(res.status(), 404);
        assert_eq!(error_of(res).await["code"], "not_found");
    }
}

#[tokio::test]
async fn cookie_mutations_from_foreign_origins_are_refused() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dev = app.signed_in(Role::Developer).await;
        let res = app
            .post_json_from(
                &dev,
                "/api/v1/api-keys",
                "https://evil.example",
                &json!({"name": "csrf"}),
            )
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(error_of(res).await["code"], "cross_origin");
        let keys: Value = app.get_json(&dev, "/api/v1/api-keys").await;
        assert_eq!(keys, json!([]));

        // same origin passes
        let res = app
            .post_json_from(
                &dev,
                "/api/v1/api-keys",
                app.base.as_str(),
                &json!({"name": "ok"}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
}

#[tokio::test]
async fn health_openapi_docs_and_pages() {
    let app = spawn_app(ops_db::Backend::Sqlite).await;
    let client = app.browser();
    let health: Value = app.get_json(&client, "/healthz").await;
    assert_eq!(health["status"], "ok");

    let doc: Value = app.get_json(&client, "/api/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/api/v1/system/metrics",
        "/api/v1/stream/metrics",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let docs = app.get_text(&client, "/api/docs").await;
    assert!(
        docs.contains("/swagger/swagger-ui-bundle.js") && !docs.contains("https://"),
        "docs page is offline"
    );

    // pages: signed out → login; login page renders
    let res = app.get(&client, "/account/api-keys").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=/account/api-keys");
    let login = app.get(&client, "/login").await;
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(
        html.contains("Sign in") && html.contains("name=\"password\""),
        "SSR login form"
    );
    assert_eq!(login_headers(&client, &app).await, "nosniff");
}

async fn login_headers(client: &reqwest::Client, app: &crate::helpers::TestApp) -> String {
    let res = app.get(client, "/login").await;
    res.headers()["x-content-type-options"]
        .to_str()
        .unwrap()
        .to_string()
}
