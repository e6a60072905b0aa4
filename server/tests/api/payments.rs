//! Card payments against a Stripe test server (localstripe plus Checkout and the portal):
//! without Stripe keys everything that needs a card says so (409) and the rest works; saved
//! cards through SetupIntents (another account's card or intent is not found); credit packs
//! through Checkout, credited once whether the browser or the webhook comes first; a declined
//! card changes nothing; a plan change paid by card; auto top-up stopping at its monthly cap;
//! renewals paid by card; refunds of a card payment going back to the card.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, backends, error_of, paid_balance, spawn_app, status_of};
use crate::stripe_fake::StripeFake;

async fn add_card(
    app: &TestApp,
    fake: &StripeFake,
    client: &reqwest::Client,
    number: &str,
) -> Value {
    let setup: Value = app
        .post_json(
            client,
            "/api/v1/billing/payment-methods/setup-intent",
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        setup["js_url"]
            .as_str()
            .unwrap()
            .ends_with("/js.stripe.com/v3/")
    );
    assert_eq!(fake.confirm_setup(&setup, number).await, 200);
    let res = app
        .post_json(
            client,
            "/api/v1/billing/payment-methods",
            &json!({"setup_intent": setup["setup_intent"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// Buys `pack` on Checkout's page with `number`; the outcome once back (or the page's status).
async fn buy(
    app: &TestApp,
    fake: &StripeFake,
    client: &reqwest::Client,
    pack: &str,
    number: &str,
) -> Result<Value, u16> {
    let res = app
        .post_json(client, "/api/v1/credits/purchase", &json!({"pack": pack}))
        .await;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.unwrap();
    let back = fake.pay(r["url"].as_str().unwrap(), number).await?;
    assert!(back.contains("/account/credits?checkout=cs_"), "{back}");
    let id = r["id"].as_str().unwrap();
    Ok(app
        .get_json(client, &format!("/api/v1/billing/checkout/{id}"))
        .await)
}

async fn invoices(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    app.get_json::<Vec<Value>>(client, "/api/v1/billing/invoices")
        .await
}

#[tokio::test]
async fn cards_and_credit_packs_through_stripe() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let other = app.signed_in(Role::Developer).await;

        // Without Stripe: said plainly, nothing else breaks.
        let pm: Value = app.get_json(&me, "/api/v1/billing/payment-methods").await;
        assert_eq!(pm, json!({"available": false, "methods": []}));
        let packs: Value = app.get_json(&me, "/api/v1/credits/packs").await;
        assert_eq!(packs["available"], false);
        assert_eq!(packs["packs"].as_array().unwrap().len(), 4);
        let (status, body) = status_of(
            app.post_json(&me, "/api/v1/credits/purchase", &json!({"pack": "pack-10"}))
                .await,
        )
        .await;
        assert_eq!(status, 409);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not set up")
        );
        let res = app
            .post_json(
                &me,
                "/api/v1/billing/payment-methods/setup-intent",
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 409);

        let Some(fake) = StripeFake::start().await else {
            return;
        };
        fake.connect(&app, &admin).await;

        // Cards: the first is the default; a second does not take over until asked.
        let first = add_card(&app, &fake, &me, "4242424242424242").await;
        let cards = first["methods"].as_array().unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0]["last4"], "4242");
        assert_eq!(cards[0]["default"], true);
        let visa = cards[0]["id"].as_str().unwrap().to_string();
        let both = add_card(&app, &fake, &me, "4000056655665556").await;
        let cards = both["methods"].as_array().unwrap();
        assert_eq!(cards.len(), 2);
        let second = cards.iter().find(|c| c["last4"] == "5556").unwrap();
        assert_eq!(second["default"], false);
        let second = second["id"].as_str().unwrap().to_string();

        // Bad input and other people's cards.
        let err = error_of(
            app.post_json(
                &me,
                "/api/v1/billing/payment-methods",
                &json!({"setup_intent": "nope"}),
            )
            .await,
        )
        .await;
        assert_eq!(err["field"], "setup_intent");
        let res = app
            .post_json(
                &other,
                &format!("/api/v1/billing/payment-methods/{visa}/set-default"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 404);
        let res = app
            .delete(&other, &format!("/api/v1/billing/payment-methods/{visa}"))
            .await;
        assert_eq!(res.status(), 404);

        let res = app
            .post_json(
                &me,
                &format!("/api/v1/billing/payment-methods/{second}/set-default"),
                &json!({}),
            )
            .await;
        let now: Value = res.json().await.unwrap();
        let default: Vec<&Value> = now["methods"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["default"] == true)
            .collect();
        assert_eq!(default.len(), 1);
        assert_eq!(default[0]["id"], second.as_str());
        // Removing the default makes the other one the default.
        let res = app
            .delete(&me, &format!("/api/v1/billing/payment-methods/{second}"))
            .await;
        let left: Value = res.json().await.unwrap();
        assert_eq!(left["methods"].as_array().unwrap().len(), 1);
        assert_eq!(left["methods"][0]["id"], visa.as_str());
        assert_eq!(left["methods"][0]["default"], true);

        // The portal is Stripe's page for this customer.
        let portal: Value = app
            .post_json(&me, "/api/v1/billing/portal/create", &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert!(portal["url"].as_str().unwrap().starts_with(&fake.base));

        // Packs: the catalogue is checked; a pack is credited once, with one invoice.
        let err = error_of(
            app.put_json(
                &admin,
                "/api/v1/admin/credits/packs",
                &json!({"packs": [{"code": "tiny", "name": "Tiny", "price": 100_000, "credits": 100_000}]}),
            )
            .await,
        )
        .await;
        assert_eq!(err["field"], "price");
        let err = error_of(
            app.post_json(&me, "/api/v1/credits/purchase", &json!({"pack": "nope"}))
                .await,
        )
        .await;
        assert_eq!(err["field"], "pack");

        let out = buy(&app, &fake, &me, "pack-25", "4242424242424242")
            .await
            .unwrap();
        assert_eq!(out["status"], "paid");
        assert_eq!(out["credits"], 26 * MICROS);
        assert_eq!(paid_balance(&app, &me).await, 26 * MICROS);
        // Stripe's webhook arrives a second later: nothing moves again.
        tokio::time::sleep(std::time::Duration::from_millis(1800)).await;
        assert_eq!(paid_balance(&app, &me).await, 26 * MICROS);
        let inv = invoices(&app, &me).await;
        assert_eq!(inv.len(), 1, "{inv:?}");
        assert_eq!(inv[0]["total"], 25 * MICROS);
        // Asked again: the same answer, nothing more.
        let id = out["id"].as_str().unwrap();
        let again: Value = app
            .get_json(&me, &format!("/api/v1/billing/checkout/{id}"))
            .await;
        assert_eq!(again["status"], "paid");
        assert_eq!(paid_balance(&app, &me).await, 26 * MICROS);
        // Not someone else's to look at.
        let res = app
            .get(&other, &format!("/api/v1/billing/checkout/{id}"))
            .await;
        assert_eq!(res.status(), 404);

        // A card that is declined: the page says so, nothing is credited.
        let declined = buy(&app, &fake, &me, "pack-10", "4000000000000341").await;
        assert_eq!(declined.unwrap_err(), 402);
        assert_eq!(paid_balance(&app, &me).await, 26 * MICROS);

        // The invoice refunded goes back to the card, and its credits out of the account.
        let uid = app.user_id(&email).await;
        let sub: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        let res = app
            .post_json(
                &admin,
                &format!(
                    "/api/v1/admin/subscriptions/{}/refund",
                    sub["id"].as_str().unwrap()
                ),
                &json!({"invoice_id": inv[0]["id"], "amount": 5 * MICROS, "reason": "asked for"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        assert_eq!(paid_balance(&app, &me).await, 21 * MICROS);
        let pi = out_payment_intent(&app, &uid).await;
        let refunds = fake.get(&format!("/v1/refunds?payment_intent={pi}")).await;
        assert_eq!(refunds["data"][0]["amount"], 500, "{refunds}");
    }
}

/// The payment intent the user's credits invoice names.
async fn out_payment_intent(app: &TestApp, uid: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT reference FROM invoices WHERE owner_id = $1 AND kind = 'credits'")
        .bind(uid)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("reference")
        .unwrap()
}

#[tokio::test]
async fn plans_top_ups_and_renewals_charge_the_card() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let email = app.user(Role::Developer).await;
        let me = app.sign_in(&email, PASSWORD).await;
        let uid = app.user_id(&email).await;
        let Some(fake) = StripeFake::start().await else {
            return;
        };
        fake.connect(&app, &admin).await;
        crate::helpers::without_trial(&app, &me, &uid).await;

        // Auto top-up needs a card first.
        let rule = json!({"enabled": true, "threshold": 5 * MICROS, "amount": 10 * MICROS, "monthly_cap": 20 * MICROS});
        let (status, _) =
            status_of(app.put_json(&me, "/api/v1/credits/auto-topup", &rule).await).await;
        assert_eq!(status, 409);
        add_card(&app, &fake, &me, "4242424242424242").await;

        // A plan change paid by card: Checkout for the price, the plan in force on return.
        let res = app
            .post_json(
                &me,
                "/api/v1/billing/subscriptions/checkout",
                &json!({"plan": "starter"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let r: Value = res.json().await.unwrap();
        let back = fake
            .pay(r["url"].as_str().unwrap(), "4242424242424242")
            .await
            .unwrap();
        assert!(back.contains("/account/plan?checkout="), "{back}");
        let out: Value = app
            .get_json(
                &me,
                &format!("/api/v1/billing/checkout/{}", r["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(out["status"], "paid");
        assert_eq!(out["plan"], "starter");
        let sub: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(sub["plan"]["code"], "starter");
        assert_eq!(
            paid_balance(&app, &me).await,
            0,
            "the card paid the price exactly"
        );
        // Nothing left to pay by card for the same plan.
        let (status, _) = status_of(
            app.post_json(
                &me,
                "/api/v1/billing/subscriptions/checkout",
                &json!({"plan": "starter"}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 409);

        // Auto top-up: bad rules refused; on, it tops up at once (below the threshold) and then
        // whenever the job finds it low, until the monthly cap.
        for (field, bad) in [
            (
                "amount",
                json!({"enabled": true, "threshold": 0, "amount": 100_000, "monthly_cap": MICROS}),
            ),
            (
                "monthly_cap",
                json!({"enabled": true, "threshold": 0, "amount": 10 * MICROS, "monthly_cap": MICROS}),
            ),
            (
                "threshold",
                json!({"enabled": true, "threshold": -1, "amount": 10 * MICROS, "monthly_cap": 20 * MICROS}),
            ),
        ] {
            let err = error_of(app.put_json(&me, "/api/v1/credits/auto-topup", &bad).await).await;
            assert_eq!(err["field"], field);
        }
        let t: Value = app
            .put_json(&me, "/api/v1/credits/auto-topup", &rule)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(t["enabled"], true);
        assert_eq!(t["used_this_month"], 10 * MICROS);
        assert_eq!(paid_balance(&app, &me).await, 10 * MICROS);
        // Spend 8 of bought credits (after whatever granted credits are spent first).
        for round in 0..2 {
            let b: Value = app.get_json(&me, "/api/v1/credits/balance").await;
            let amount = b["granted"].as_i64().unwrap() + 8 * MICROS;
            let body = json!({"user_id": uid, "amount": amount, "reason": "usage"});
            let res = app.post_json(&admin, "/api/v1/credits/deduct", &body).await;
            assert_eq!(res.status(), 201, "round {round}");
            ops_billing::stripe::charge::run_due(&app.db, &app.key)
                .await
                .unwrap();
        }
        let t: Value = app.get_json(&me, "/api/v1/credits/auto-topup").await;
        assert_eq!(t["used_this_month"], 20 * MICROS, "the cap holds");
        // 10 - 8 + 10 (the second top-up) - 8; the third top-up is refused by the cap.
        assert_eq!(paid_balance(&app, &me).await, 4 * MICROS);

        // Renewal: the period ends, bought credits fall short, the card pays the difference.
        let off = json!({"enabled": false, "threshold": 0, "amount": 0, "monthly_cap": 0});
        app.put_json(&me, "/api/v1/credits/auto-topup", &off).await;
        crate::helpers::travel(&app, &uid, 30 * 86_400_000, -1000).await;
        ops_billing::stripe::charge::run_due(&app.db, &app.key)
            .await
            .unwrap();
        ops_billing::subscription::renew_due(&app.db).await.unwrap();
        let sub: Value = app.get_json(&me, "/api/v1/subscriptions/current").await;
        assert_eq!(sub["status"], "active");
        assert!(sub["period_end"].as_i64().unwrap() > ops_db::now_ms());
        assert_eq!(paid_balance(&app, &me).await, 0);
        // Run again: nothing is charged twice.
        ops_billing::stripe::charge::run_due(&app.db, &app.key)
            .await
            .unwrap();
        use sqlx::Row;
        let charges: Vec<(String, i64)> = sqlx::query(
            "SELECT purpose, amount FROM card_charges WHERE status = 'succeeded' ORDER BY created_at",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("purpose").unwrap(), r.try_get("amount").unwrap()))
        .collect();
        assert_eq!(
            charges,
            vec![
                ("topup".to_string(), 10 * MICROS),
                ("topup".to_string(), 10 * MICROS),
                ("renewal".to_string(), 15 * MICROS)
            ]
        );
    }
}
