//! The route walk: every REST operation in the OpenAPI document (which is generated from the
//! route table) and every server function, called anonymously and as each role. Each must
//! answer 401 when signed out, 403 when the role lacks the declared permission, and neither
//! when the role holds it.

use std::collections::BTreeSet;

use ops_types::{Permission, Role};
use reqwest::{Client, Method};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, backends, spawn_app};

/// What an operation requires.
#[derive(Debug, Clone)]
enum Need {
    Public,
    SignedIn,
    Permission(Permission),
}

fn need_of(op: &Value) -> Need {
    let Some(reqs) = op.get("security").and_then(Value::as_array) else {
        return Need::Public;
    };
    let scopes: BTreeSet<String> = reqs
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|m| m.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    assert!(
        scopes.len() <= 1,
        "one permission per operation: {scopes:?}"
    );
    match scopes.into_iter().next() {
        None => Need::SignedIn,
        Some(s) => Need::Permission(
            Permission::parse(&s).unwrap_or_else(|| panic!("unknown permission {s}")),
        ),
    }
}

/// The path with every `{param}` replaced by a well-formed id that matches nothing.
fn with_ids(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        out.push_str("00000000-0000-7000-8000-000000000000");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A minimal valid body for a request schema: required strings "walk", integers 1.
fn sample_body(doc: &Value, op: &Value) -> Option<Value> {
    let schema = op.pointer("/requestBody/content/application~1json/schema")?;
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(&r.replace("#/", "/").replace("~", "~0"))
            .unwrap()
            .clone(),
        None => schema.clone(),
    };
    let mut body = Map::new();
    for field in schema["required"].as_array().cloned().unwrap_or_default() {
        let name = field.as_str().unwrap();
        let value = match schema["properties"][name]["type"].as_str() {
            Some("integer") | Some("number") => json!(1),
            Some("boolean") => json!(false),
            _ => json!("walk"),
        };
        body.insert(name.to_string(), value);
    }
    Some(Value::Object(body))
}

fn check(status: u16, need: &Need, role: Option<Role>, what: &str) {
    match (need, role) {
        (Need::Public, _) => assert!(status < 500, "{what}: {status}"),
        (_, None) => assert_eq!(status, 401, "{what} signed out"),
        (Need::SignedIn, Some(_)) => assert!(
            status != 401 && status != 403 && status < 500,
            "{what}: {status}"
        ),
        (Need::Permission(p), Some(r)) if r.has(*p) => {
            assert!(
                status != 401 && status != 403 && status < 500,
                "{what} (holds {p}): {status}"
            )
        }
        (Need::Permission(p), Some(_)) => assert_eq!(status, 403, "{what} (lacks {p})"),
    }
}

async fn clients(app: &TestApp) -> Vec<(Option<Role>, Client)> {
    let mut out = vec![(None, app.browser())];
    for role in Role::ALL {
        out.push((Some(role), app.signed_in(role).await));
    }
    out
}

#[tokio::test]
async fn every_rest_route_enforces_its_permission_for_every_role() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let doc: Value = app
            .browser()
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let clients = clients(&app).await;
        let mut walked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let need = need_of(op);
                let url = app.url(&with_ids(path));
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                if path.ends_with("/auth/logout") {
                    continue; // walked last: it ends the session
                }
                for (role, client) in &clients {
                    let mut req = client.request(method.clone(), &url);
                    if let Some(body) = sample_body(&doc, op) {
                        req = req.json(&body);
                    }
                    let res = req.send().await.unwrap();
                    check(
                        res.status().as_u16(),
                        &need,
                        *role,
                        &format!("{backend:?} {method} {path} as {role:?}"),
                    );
                    walked += 1;
                }
            }
        }
        for (role, client) in &clients {
            let res = client
                .post(app.url("/api/v1/auth/logout"))
                .send()
                .await
                .unwrap();
            check(
                res.status().as_u16(),
                &Need::SignedIn,
                *role,
                "POST /api/v1/auth/logout",
            );
        }
        assert!(walked >= 12 * 6, "walked {walked} requests");
    }
}

/// A valid form body for each server function.
fn server_fn_body(path: &str) -> &'static str {
    match path {
        "/api/ui/login" => "email=nobody%40example.com&password=wrong-password",
        "/api/ui/setup_state" => "token=x",
        "/api/ui/create_admin" => {
            "token=x&email=a%40b.c&display_name=A&password=long+enough+pw&confirm=long+enough+pw"
        }
        "/api/ui/create_api_key" => "name=walk",
        "/api/ui/revoke_api_key" => "id=00000000-0000-7000-8000-000000000000",
        "/api/ui/audit_events" | "/api/ui/audit_figures" => "query[limit]=10",
        _ => "",
    }
}

#[tokio::test]
async fn every_server_function_is_listed_and_enforces_its_permission() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    let listed: BTreeSet<String> = ops_app::server::SERVER_FNS
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(
        registered, listed,
        "SERVER_FNS must list every server function"
    );

    let app = spawn_app(ops_db::Backend::Sqlite).await;
    let clients = clients(&app).await;
    for (path, perm) in ops_app::server::SERVER_FNS {
        if *path == "/api/ui/logout" {
            continue;
        }
        let need = match perm {
            None => Need::Public,
            Some("") => Need::SignedIn,
            Some(p) => Need::Permission(Permission::parse(p).unwrap()),
        };
        for (role, client) in &clients {
            let res = client
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(server_fn_body(path))
                .send()
                .await
                .unwrap();
            check(
                res.status().as_u16(),
                &need,
                *role,
                &format!("server fn {path} as {role:?}"),
            );
        }
    }
}
