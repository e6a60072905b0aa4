//! The credits ledger over REST: grants and deductions by administrators, idempotency keys,
//! never overdrawing (also under many parallel requests), expiry, who may see which account,
//! bad amounts, and the ledger check.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, backends, error_of, spawn_app};

const USD: i64 = MICROS;

async fn post_keyed(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = client.post(app.url(path)).json(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

async fn balance(app: &TestApp, client: &reqwest::Client, query: &str) -> (i64, i64) {
    let b: Value = app
        .get_json(client, &format!("/api/v1/credits/balance{query}"))
        .await;
    assert_eq!(
        b["total"].as_i64(),
        Some(b["paid"].as_i64().unwrap() + b["granted"].as_i64().unwrap())
    );
    (b["paid"].as_i64().unwrap(), b["granted"].as_i64().unwrap())
}

#[tokio::test]
async fn grants_and_deductions_move_money_once_and_never_overdraw() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin_email = app.user(Role::Admin).await;
        let admin = app.sign_in(&admin_email, PASSWORD).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let uid = app.user_id(&email).await;
        assert_eq!(
            balance(&app, &me, "").await,
            (0, 0),
            "an account starts empty"
        );

        let later = ops_db::now_ms() + 86_400_000;
        let gift = json!({"user_id": uid, "amount": 10 * USD, "bucket": "granted",
            "reason": "welcome", "expires_at": later});
        let res = post_keyed(&app, &admin, "/api/v1/credits/allocate", Some("k1"), &gift).await;
        assert_eq!(res.status(), 201);
        let first: Value = res.json().await.unwrap();
        assert_eq!(
            (
                first["granted_delta"].as_i64(),
                first["expires_at"].as_i64()
            ),
            (Some(10 * USD), Some(later))
        );
        let res = post_keyed(&app, &admin, "/api/v1/credits/allocate", Some("k1"), &gift).await;
        assert_eq!(res.status(), 200, "a retry moves nothing");
        let again: Value = res.json().await.unwrap();
        assert_eq!(
            (again["id"].clone(), again["replayed"].clone()),
            (first["id"].clone(), json!(true))
        );
        let mut other = gift.clone();
        other["amount"] = json!(11 * USD);
        let res = post_keyed(&app, &admin, "/api/v1/credits/allocate", Some("k1"), &other).await;
        assert_eq!(
            error_of(res).await["field"],
            "idempotency_key",
            "same key, other request"
        );
        let paid =
            json!({"user_id": uid, "amount": 5 * USD, "bucket": "paid", "reason": "bank transfer"});
        assert_eq!(
            post_keyed(&app, &admin, "/api/v1/credits/allocate", None, &paid)
                .await
                .status(),
            201
        );
        assert_eq!(balance(&app, &me, "").await, (5 * USD, 10 * USD));

        // Granted credits are spent before paid ones.
        let take = json!({"user_id": uid, "amount": 12 * USD, "reason": "manual correction"});
        let res = post_keyed(&app, &admin, "/api/v1/credits/deduct", Some("d1"), &take).await;
        assert_eq!(res.status(), 201);
        let entry: Value = res.json().await.unwrap();
        assert_eq!(
            (
                entry["granted_delta"].as_i64(),
                entry["paid_delta"].as_i64()
            ),
            (Some(-10 * USD), Some(-2 * USD))
        );
        assert_eq!(balance(&app, &me, "").await, (3 * USD, 0));
        let too_much = json!({"user_id": uid, "amount": 4 * USD, "reason": "more"});
        let res = post_keyed(&app, &admin, "/api/v1/credits/deduct", None, &too_much).await;
        assert_eq!(res.status(), 402);
        let err = error_of(res).await;
        assert_eq!(err["code"], "insufficient_credits");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("3000000 available"),
            "{err}"
        );
        assert_eq!(balance(&app, &me, "").await, (3 * USD, 0), "nothing moved");

        // Bad input changes nothing.
        let bad = [
            (
                json!({"user_id": uid, "amount": 0, "reason": "x"}),
                "amount",
            ),
            (
                json!({"user_id": uid, "amount": -5, "reason": "x"}),
                "amount",
            ),
            (
                json!({"user_id": uid, "amount": i64::MAX, "reason": "x"}),
                "amount",
            ),
            (
                json!({"user_id": uid, "amount": USD, "reason": " "}),
                "reason",
            ),
            (
                json!({"user_id": uid, "org_id": "o", "amount": USD, "reason": "x"}),
                "user_id",
            ),
            (json!({"amount": USD, "reason": "x"}), "user_id"),
            (
                json!({"user_id": uid, "amount": USD, "reason": "x", "expires_at": 1}),
                "expires_at",
            ),
            (
                json!({"user_id": uid, "amount": USD, "reason": "x", "priority": -1}),
                "priority",
            ),
        ];
        for (body, field) in bad {
            let res = post_keyed(&app, &admin, "/api/v1/credits/allocate", None, &body).await;
            assert_eq!(res.status(), 422, "{body}");
            assert_eq!(error_of(res).await["field"], field, "{body}");
        }
        let res = post_keyed(
            &app,
            &admin,
            "/api/v1/credits/allocate",
            None,
            &json!({"user_id": uid, "amount": 1.5, "reason": "x"}),
        )
        .await;
        assert!(
            res.status().is_client_error(),
            "a fractional micro-unit: {}",
            res.status()
        );
        let res = post_keyed(
            &app,
            &admin,
            "/api/v1/credits/allocate",
            None,
            &json!({"user_id": "nobody", "amount": USD, "reason": "x"}),
        )
        .await;
        assert_eq!(res.status(), 404);
        assert_eq!(balance(&app, &me, "").await, (3 * USD, 0), "nothing moved");

        // The history, newest first; only administrators see other people's accounts.
        let page: Value = app
            .get_json(&me, "/api/v1/credits/transactions?limit=2")
            .await;
        let kinds: Vec<&str> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["deduct", "grant"]);
        assert_eq!(page["entries"][0]["actor_email"], admin_email.as_str());
        let older: Value = app
            .get_json(
                &me,
                &format!(
                    "/api/v1/credits/transactions?before={}",
                    page["next_before"]
                ),
            )
            .await;
        assert_eq!(older["entries"].as_array().unwrap().len(), 1);
        assert_eq!(older["entries"][0]["reason"], "welcome");
        assert_eq!(
            balance(&app, &admin, &format!("?user_id={uid}")).await,
            (3 * USD, 0)
        );
        let snoop = app
            .get(
                &me,
                &format!(
                    "/api/v1/credits/balance?user_id={}",
                    app.user_id(&admin_email).await
                ),
            )
            .await;
        assert_eq!(snoop.status(), 403);

        // The check agrees, and the audit log names the moves.
        let check: Value = app
            .post_json(&admin, "/api/v1/admin/credits/check", &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["problems"], json!([]), "{check}");
        assert_eq!(check["liability"][0]["paid"].as_i64(), Some(3 * USD));
        let accounts: Value = app.get_json(&admin, "/api/v1/admin/credits/accounts").await;
        assert_eq!(accounts[0]["name"], email.as_str());
        assert_eq!(
            (
                accounts[0]["paid"].as_i64(),
                accounts[0]["entries"].as_i64()
            ),
            (Some(3 * USD), Some(3))
        );
        assert_eq!(
            app.get(&me, "/api/v1/admin/credits/accounts")
                .await
                .status(),
            403
        );
        let log = app
            .get_text(&admin, "/api/v1/audit/export?format=jsonl&action=credits.")
            .await;
        assert_eq!(
            log.lines().count(),
            3,
            "two grants and one deduction, no replay: {log}"
        );
    }
}

#[tokio::test]
async fn parallel_spends_never_overdraw_and_one_key_moves_money_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Viewer).await;
        let uid = app.user_id(&email).await;
        let grant =
            json!({"user_id": uid, "amount": 50 * USD, "bucket": "paid", "reason": "float"});
        assert_eq!(
            post_keyed(&app, &admin, "/api/v1/credits/allocate", None, &grant)
                .await
                .status(),
            201
        );

        let spend = json!({"user_id": uid, "amount": USD, "reason": "parallel"});
        let results = futures::future::join_all(
            (0..80).map(|_| post_keyed(&app, &admin, "/api/v1/credits/deduct", None, &spend)),
        )
        .await;
        let ok = results.iter().filter(|r| r.status() == 201).count();
        let refused = results.iter().filter(|r| r.status() == 402).count();
        assert_eq!((ok, refused), (50, 30), "exactly the balance is spent");
        assert_eq!(
            balance(&app, &admin, &format!("?user_id={uid}")).await,
            (0, 0)
        );

        let top_up =
            json!({"user_id": uid, "amount": 10 * USD, "bucket": "paid", "reason": "again"});
        assert_eq!(
            post_keyed(&app, &admin, "/api/v1/credits/allocate", None, &top_up)
                .await
                .status(),
            201
        );
        let results = futures::future::join_all(
            (0..20)
                .map(|_| post_keyed(&app, &admin, "/api/v1/credits/deduct", Some("same"), &spend)),
        )
        .await;
        let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 200),
            "{statuses:?}"
        );
        assert_eq!(
            balance(&app, &admin, &format!("?user_id={uid}")).await,
            (9 * USD, 0)
        );
        let check: Value = app
            .post_json(&admin, "/api/v1/admin/credits/check", &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["problems"], json!([]), "{check}");
        assert_eq!(check["entries"], 1 + 50 + 1 + 1);
    }
}

#[tokio::test]
async fn expired_credits_are_not_spent_and_organisations_have_their_own_account() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let uid = app.user_id(&email).await;
        let soon = ops_db::now_ms() + 1_000;
        let brief =
            json!({"user_id": uid, "amount": 2 * USD, "reason": "trial", "expires_at": soon});
        assert_eq!(
            post_keyed(&app, &admin, "/api/v1/credits/allocate", None, &brief)
                .await
                .status(),
            201
        );
        let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
        assert_eq!(b["next_expiry"], json!({"amount": 2 * USD, "at": soon}));
        tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
        assert_eq!(
            balance(&app, &me, "").await,
            (0, 0),
            "lapsed credits are not counted"
        );
        // The scheduled job writes them off once, however often (or on however many replicas)
        // it runs.
        let (a, b) = futures::future::join(
            ops_billing::ledger::settle_all_expired(&app.db),
            ops_billing::ledger::settle_all_expired(&app.db),
        )
        .await;
        assert_eq!(a.unwrap() + b.unwrap(), 1);
        assert_eq!(
            ops_billing::ledger::settle_all_expired(&app.db)
                .await
                .unwrap(),
            0
        );
        let spend = json!({"user_id": uid, "amount": USD, "reason": "late"});
        assert_eq!(
            post_keyed(&app, &admin, "/api/v1/credits/deduct", None, &spend)
                .await
                .status(),
            402
        );
        let keep = json!({"user_id": uid, "amount": USD, "bucket": "paid", "reason": "kept"});
        assert_eq!(
            post_keyed(&app, &admin, "/api/v1/credits/allocate", None, &keep)
                .await
                .status(),
            201
        );
        let page: Value = app.get_json(&me, "/api/v1/credits/transactions").await;
        let kinds: Vec<&str> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["grant", "expiry", "grant"],
            "the expiry is written off in the ledger"
        );
        assert_eq!(page["entries"][1]["granted_delta"].as_i64(), Some(-2 * USD));

        // An organisation's account: its owner sees it, a plain member does not.
        let org: Value = app
            .post_json(&me, "/api/v1/org", &json!({"name": "Money Team"}))
            .await
            .json()
            .await
            .unwrap();
        let org_id = org["id"].as_str().unwrap();
        let fund =
            json!({"org_id": org_id, "amount": 7 * USD, "bucket": "paid", "reason": "team budget"});
        assert_eq!(
            post_keyed(&app, &admin, "/api/v1/credits/allocate", None, &fund)
                .await
                .status(),
            201
        );
        assert_eq!(
            balance(&app, &me, &format!("?org_id={org_id}")).await,
            (7 * USD, 0)
        );
        assert_eq!(
            balance(&app, &me, "").await,
            (USD, 0),
            "kept apart from the owner's own"
        );
        let stranger = app.signed_in(Role::Developer).await;
        let res = app
            .get(
                &stranger,
                &format!("/api/v1/credits/balance?org_id={org_id}"),
            )
            .await;
        assert_eq!(
            res.status(),
            404,
            "not a member: the organisation is not revealed"
        );
        let check: Value = app
            .post_json(&admin, "/api/v1/admin/credits/check", &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["problems"], json!([]), "{check}");
    }
}
