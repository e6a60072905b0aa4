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

/// A minimal valid value for a schema: enums take their first value, strings "walk",
/// integers 1, arrays and objects empty.
fn sample_value(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or(Value::Null),
        t => t.clone(),
    };
    match ty.as_str() {
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("object") => json!({}),
        _ => json!("walk"),
    }
}

fn resolve(doc: &Value, schema: &Value) -> Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(&r.replace("#/", "/")).unwrap().clone(),
        None => schema.clone(),
    }
}

/// A minimal valid body for a request schema: its required fields with sample values.
fn sample_body(doc: &Value, op: &Value) -> Option<Value> {
    let schema = resolve(
        doc,
        op.pointer("/requestBody/content/application~1json/schema")?,
    );
    let mut body = Map::new();
    for field in schema["required"].as_array().cloned().unwrap_or_default() {
        let name = field.as_str().unwrap();
        body.insert(
            name.to_string(),
            sample_value(doc, &schema["properties"][name]),
        );
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

/// A valid body (content type, body) for each server function.
fn server_fn_body(path: &str) -> (&'static str, &'static str) {
    let json = match path {
        "/api/ui/save_notifications" => r#"{"input":{"webhook_url":null,"prefs":[]}}"#,
        "/api/ui/list_users" => r#"{"query":{}}"#,
        "/api/ui/credit_balance"
        | "/api/ui/credit_history"
        | "/api/ui/get_subscription"
        | "/api/ui/subscription_history"
        | "/api/ui/reactivate_subscription"
        | "/api/ui/get_usage"
        | "/api/ui/usage_days"
        | "/api/ui/list_invoices"
        | "/api/ui/billing_summary" => r#"{"query":{}}"#,
        "/api/ui/save_billing_settings" => {
            r#"{"input":{"seller_name":"","seller_address":"","tax_id":"","tax_name":"","tax_rate_bp":0,"invoice_prefix":"OC"}}"#
        }
        "/api/ui/save_stripe_settings" => r#"{"input":{"publishable_key":""}}"#,
        "/api/ui/refund_invoice" => {
            r#"{"subscription":"00000000-0000-7000-8000-000000000000","input":{"invoice_id":"x","reason":"walk"}}"#
        }
        "/api/ui/save_plan" => {
            r#"{"plan":{"code":"walk","name":"Walk","description":"","position":9,"currency":"USD","price_monthly":0,"price_yearly":0,"trial_days":0,"included_credits":0,"request_limit":null,"rate_limit_rpm":null,"overage":"block","services":[],"features":[],"model_groups":[],"public":false},"create":false}"#
        }
        "/api/ui/preview_plan_change" => r#"{"input":{"plan":"free"}}"#,
        "/api/ui/change_plan" => r#"{"input":{"plan":"free"},"key":""}"#,
        "/api/ui/cancel_subscription" => r#"{"input":{}}"#,
        "/api/ui/admin_subscriptions" => r#"{"query":{}}"#,
        "/api/ui/create_codes" => r#"{"input":{"kind":"credit","name":"walk","amount":0}}"#,
        "/api/ui/redeem_code" => r#"{"input":{"code":"WALK-WALK"}}"#,
        "/api/ui/save_card" => r#"{"input":{"setup_intent":"seti_walk"}}"#,
        "/api/ui/save_packs" => {
            r#"{"packs":[{"code":"walk","name":"Walk","price":1000000,"credits":1000000}]}"#
        }
        "/api/ui/buy_pack" => r#"{"input":{"pack":"walk"}}"#,
        "/api/ui/save_llm_provider" => {
            r#"{"id":null,"input":{"name":"walk","kind":"openai_compatible","base_url":"http://127.0.0.1:9/v1"}}"#
        }
        "/api/ui/save_llm_model" => {
            r#"{"id":null,"input":{"name":"walk","model_group":"basic","input_price":0,"output_price":0}}"#
        }
        "/api/ui/save_gateway_settings" => {
            r#"{"input":{"byok_fee_percent":0,"log_retention_days":30}}"#
        }
        "/api/ui/llm_usage_report" => r#"{"query":{},"by":"model"}"#,
        "/api/ui/llm_request_log" => r#"{"query":{}}"#,
        "/api/ui/save_key_limits" => {
            r#"{"id":"00000000-0000-7000-8000-000000000000","input":{"rpm_limit":5}}"#
        }
        "/api/ui/save_own_key" => r#"{"org_id":null,"input":{"provider":"acme","api_key":"x"}}"#,
        "/api/ui/checkout_plan" => r#"{"input":{"plan":"free"}}"#,
        "/api/ui/save_auto_topup" => {
            r#"{"input":{"enabled":false,"threshold":0,"amount":0,"monthly_cap":0}}"#
        }
        "/api/ui/grant_credits" => {
            r#"{"input":{"user_id":"nobody","amount":1,"reason":"walk"},"key":""}"#
        }
        "/api/ui/deduct_credits" => {
            r#"{"input":{"user_id":"nobody","amount":1,"reason":"walk"},"key":""}"#
        }
        "/api/ui/create_user" => {
            r#"{"input":{"email":"walk@example.com","role":"viewer","password":"x"}}"#
        }
        "/api/ui/update_user" => r#"{"id":"00000000-0000-7000-8000-000000000000","input":{}}"#,
        "/api/ui/apply_bulk" => r#"{"action":"suspend","input":{"ids":[]}}"#,
        "/api/ui/save_mfa_policy" => r#"{"input":{"required_roles":[]}}"#,
        "/api/ui/save_smtp" => {
            r#"{"input":{"host":"walk.invalid","port":25,"security":"none","from_address":"a@b.io"}}"#
        }
        "/api/ui/plan_import" | "/api/ui/run_import" => r#"{"csv":"email\nwalk@example.com"}"#,
        "/api/ui/save_sso_provider" => {
            r#"{"id":null,"form":{"slug":"walk","name":"Walk","kind":"oidc","issuer":"https://walk.invalid","client_id":"walk"}}"#
        }
        "/api/ui/save_org_settings" => {
            r#"{"id":"00000000-0000-7000-8000-000000000000","settings":{"name":"W","slug":"walk","default_role":"member"}}"#
        }
        "/api/ui/set_member_role" => {
            r#"{"id":"00000000-0000-7000-8000-000000000000","user_id":"00000000-0000-7000-8000-000000000000","role":"member"}"#
        }
        "/api/ui/invite_to_org" => {
            r#"{"id":"00000000-0000-7000-8000-000000000000","email":"walk@example.com","role":null}"#
        }
        _ => "",
    };
    if !json.is_empty() {
        return ("application/json", json);
    }
    let form = match path {
        "/api/ui/login" => "email=nobody%40example.com&password=wrong-password",
        "/api/ui/setup_state" => "token=x",
        "/api/ui/create_admin" => {
            "token=x&email=a%40b.c&display_name=A&password=long+enough+pw&confirm=long+enough+pw"
        }
        "/api/ui/create_api_key" => "name=walk",
        "/api/ui/set_user_suspended" => "id=00000000-0000-7000-8000-000000000000&suspended=true",
        "/api/ui/send_test_mail" => "to=walk%40example.com",
        "/api/ui/request_reset_link" => "email=walk",
        "/api/ui/set_new_password" => "token=x&new_password=y",
        "/api/ui/sign_up" => "email=walk&display_name=W&password=x",
        "/api/ui/confirm_email" => "token=x",
        "/api/ui/save_registration_mode" => "mode=closed",
        "/api/ui/rotate_api_key" => "id=00000000-0000-7000-8000-000000000000&grace_minutes=0",
        "/api/ui/revoke_user_api_key" => {
            "id=00000000-0000-7000-8000-000000000000&key_id=00000000-0000-7000-8000-000000000000"
        }
        "/api/ui/start_impersonation" => {
            "id=00000000-0000-7000-8000-000000000000&reason=walk&minutes=5"
        }
        "/api/ui/login_mfa"
        | "/api/ui/enable_totp"
        | "/api/ui/disable_totp"
        | "/api/ui/new_recovery_codes" => "code=000000",
        "/api/ui/revoke_api_key"
        | "/api/ui/end_session"
        | "/api/ui/get_user_detail"
        | "/api/ui/delete_user"
        | "/api/ui/reset_user_mfa"
        | "/api/ui/resend_invite"
        | "/api/ui/user_sessions"
        | "/api/ui/user_activity"
        | "/api/ui/user_api_keys"
        | "/api/ui/import_status"
        | "/api/ui/end_user_sessions"
        | "/api/ui/join_org"
        | "/api/ui/get_org"
        | "/api/ui/get_org_stats"
        | "/api/ui/remove_org_logo"
        | "/api/ui/org_members"
        | "/api/ui/org_invites"
        | "/api/ui/check_sso_provider"
        | "/api/ui/admin_subscription"
        | "/api/ui/delete_sso_provider" => "id=00000000-0000-7000-8000-000000000000",
        "/api/ui/audit_events" | "/api/ui/audit_figures" => "query[limit]=10",
        "/api/ui/save_profile" => {
            "input[display_name]=A&input[bio]=&input[locale]=en&input[timezone]=UTC"
        }
        "/api/ui/change_password" => "input[current_password]=x&input[new_password]=y",
        "/api/ui/create_org" => "name=Walk",
        "/api/ui/remove_plan" => "code=nope",
        "/api/ui/check_code" => "code=WALK-WALK",
        "/api/ui/default_card" | "/api/ui/remove_card" => "id=pm_walk",
        "/api/ui/remove_llm_provider"
        | "/api/ui/probe_llm_provider"
        | "/api/ui/remove_llm_model" => "id=00000000-0000-7000-8000-000000000000",
        "/api/ui/probe_own_key" | "/api/ui/remove_own_key" => "provider=openai",
        "/api/ui/set_own_key_policy" => "provider=openai&policy=always",
        "/api/ui/get_checkout_outcome" => "id=cs_walk",
        "/api/ui/withdraw_codes" => "id=00000000-0000-7000-8000-000000000000",
        "/api/ui/act_on_subscription" => {
            "id=00000000-0000-7000-8000-000000000000&act=suspend&reason=walk"
        }
        "/api/ui/all_orgs" => "q=",
        "/api/ui/set_org_suspended" => "id=00000000-0000-7000-8000-000000000000&suspended=true",
        "/api/ui/delete_org" => "id=00000000-0000-7000-8000-000000000000&confirm=walk",
        "/api/ui/remove_member" => {
            "id=00000000-0000-7000-8000-000000000000&user_id=00000000-0000-7000-8000-000000000000"
        }
        "/api/ui/resend_org_invite" | "/api/ui/revoke_org_invite" => {
            "id=00000000-0000-7000-8000-000000000000&invite_id=00000000-0000-7000-8000-000000000000"
        }
        "/api/ui/preview_invite" | "/api/ui/accept_invite" => "token=x",
        "/api/ui/sign_up_from_invite" => "token=x&display_name=W&password=x",
        "/api/ui/unlink_identity" => "provider_id=00000000-0000-7000-8000-000000000000",
        "/api/ui/admin_unlink_identity" => {
            "user_id=00000000-0000-7000-8000-000000000000&provider_id=00000000-0000-7000-8000-000000000000"
        }
        _ => "",
    };
    ("application/x-www-form-urlencoded", form)
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
        let need = match perm {
            None => Need::Public,
            Some("") => Need::SignedIn,
            Some(p) => Need::Permission(Permission::parse(p).unwrap()),
        };
        for (role, client) in &clients {
            let (content_type, body) = server_fn_body(path);
            let res = client
                .post(app.url(path))
                .header("content-type", content_type)
                .body(body)
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
