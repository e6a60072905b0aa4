//! Invoices over REST: issued with each charge under the configured seller and tax, numbered
//! in sequence, readable only by their account, downloadable as a PDF whose text says what it
//! should; refunds as credit notes that never exceed the invoice; the cycle and summary.

use ops_types::{MICROS, Role};
use serde_json::{Value, json};

use crate::helpers::{backends, error_of, spawn_app, subscribed};

const USD: i64 = MICROS;

#[tokio::test]
async fn invoices_are_numbered_taxed_downloadable_and_refunded_by_credit_notes() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let good = json!({"seller_name": "Example GmbH", "seller_address": "Main street 1\n10115 Berlin",
            "tax_id": "DE123456789", "tax_name": "VAT", "tax_rate_bp": 2000, "invoice_prefix": "ex"});
        for (field, bad) in [
            ("tax_rate_bp", json!(6000)),
            ("invoice_prefix", json!("a b")),
            ("seller_name", json!("")),
        ] {
            let mut body = good.clone();
            body[field] = bad;
            let err = error_of(
                app.put_json(&admin, "/api/v1/admin/settings/billing", &body)
                    .await,
            )
            .await;
            assert_eq!(err["field"], field);
        }
        let mut unnamed = good.clone();
        unnamed["tax_name"] = json!("");
        let err = error_of(
            app.put_json(&admin, "/api/v1/admin/settings/billing", &unnamed)
                .await,
        )
        .await;
        assert_eq!(err["field"], "tax_name");
        let saved: Value = app
            .put_json(&admin, "/api/v1/admin/settings/billing", &good)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(saved["invoice_prefix"], "EX");

        let (email, me, _) = subscribed(&app, &admin, "starter", 100 * USD).await;
        let list: Value = app.get_json(&me, "/api/v1/billing/invoices").await;
        let year = ops_types::date_of_ms(ops_db::now_ms())[..4].to_string();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["number"], format!("EX-{year}-000001"));
        assert_eq!(
            (list[0]["total"].as_i64(), list[0]["status"].as_str()),
            (Some(19 * USD), Some("paid"))
        );
        let id = list[0]["id"].as_str().unwrap().to_string();
        let inv: Value = app
            .get_json(&me, &format!("/api/v1/billing/invoices/{id}"))
            .await;
        assert_eq!(inv["tax"], 3_166_666, "20 % included in 19.00");
        assert_eq!(
            inv["subtotal"].as_i64().unwrap() + inv["tax"].as_i64().unwrap(),
            19 * USD
        );
        assert!(inv["bill_to"].as_str().unwrap().contains(&email));
        assert!(
            inv["seller"]
                .as_str()
                .unwrap()
                .contains("Tax ID: DE123456789")
        );
        let (_, other, _) = subscribed(&app, &admin, "starter", 100 * USD).await;
        let theirs: Value = app.get_json(&other, "/api/v1/billing/invoices").await;
        assert_eq!(
            theirs[0]["number"],
            format!("EX-{year}-000002"),
            "numbers run in sequence"
        );
        assert_eq!(
            app.get(&other, &format!("/api/v1/billing/invoices/{id}"))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.get(&admin, &format!("/api/v1/billing/invoices/{id}"))
                .await
                .status(),
            200
        );

        let res = app
            .get(&me, &format!("/api/v1/billing/invoices/{id}/download"))
            .await;
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let pdf = res.bytes().await.unwrap();
        let text: String = pdf.iter().map(|&b| b as char).collect();
        assert!(text.starts_with("%PDF-1.4"));
        for want in [
            format!("(EX-{year}-000001) Tj"),
            "(Example GmbH) Tj".into(),
            "(VAT 20.00 % \\(included\\)) Tj".into(),
            "($19.00) Tj".into(),
        ] {
            assert!(text.contains(&want), "{want}");
        }
        assert_eq!(
            app.get(&other, &format!("/api/v1/billing/invoices/{id}/download"))
                .await
                .status(),
            404
        );

        let cycle: Value = app.get_json(&me, "/api/v1/billing/cycle").await;
        assert_eq!(
            (cycle["plan"].as_str(), cycle["next_charge"].as_i64()),
            (Some("starter"), Some(19 * USD))
        );
        assert!(cycle["days_left"].as_i64().unwrap() >= 28);
        let sum: Value = app.get_json(&me, "/api/v1/billing/summary").await;
        assert_eq!(
            (
                sum["invoices"].as_i64(),
                sum["invoiced_this_year"].as_i64(),
                sum["paid_credits"].as_i64()
            ),
            (Some(1), Some(19 * USD), Some(81 * USD))
        );

        let refund = format!("/api/v1/admin/subscriptions/{email}/refund");
        assert_eq!(
            app.post_json(&me, &refund, &json!({"invoice_id": id, "reason": "x"}))
                .await
                .status(),
            403
        );
        let (status, note) = {
            let res = app
                .post_json(
                    &admin,
                    &refund,
                    &json!({"invoice_id": id, "amount": 5 * USD, "reason": "goodwill"}),
                )
                .await;
            (res.status(), res.json::<Value>().await.unwrap())
        };
        assert_eq!(
            (status.as_u16(), note["number"].as_str()),
            (201, Some(format!("EXCN-{year}-000001").as_str()))
        );
        let err = error_of(
            app.post_json(
                &admin,
                &refund,
                &json!({"invoice_id": id, "amount": 15 * USD, "reason": "too much"}),
            )
            .await,
        )
        .await;
        assert_eq!(err["field"], "amount", "no more than the invoice has left");
        let res = app
            .post_json(
                &admin,
                &refund,
                &json!({"invoice_id": id, "reason": "the rest"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = app
            .post_json(
                &admin,
                &refund,
                &json!({"invoice_id": id, "reason": "again"}),
            )
            .await;
        assert_eq!(res.status(), 422, "nothing left to credit");
        let theirs_id = theirs[0]["id"].as_str().unwrap();
        let res = app
            .post_json(
                &admin,
                &refund,
                &json!({"invoice_id": theirs_id, "reason": "wrong account"}),
            )
            .await;
        assert_eq!(res.status(), 404);
        let sum: Value = app.get_json(&me, "/api/v1/billing/summary").await;
        assert_eq!(
            (
                sum["invoiced_this_year"].as_i64(),
                sum["paid_credits"].as_i64()
            ),
            (Some(0), Some(100 * USD))
        );
        let inv: Value = app
            .get_json(&me, &format!("/api/v1/billing/invoices/{id}"))
            .await;
        assert_eq!(inv["credit_notes"].as_array().unwrap().len(), 2);
        let pdf = app
            .get(&me, &format!("/api/v1/billing/invoices/{id}/download"))
            .await
            .bytes()
            .await
            .unwrap();
        let text: String = pdf.iter().map(|&b| b as char).collect();
        assert!(
            text.contains(&format!("(Credit note EXCN-{year}-000001")),
            "credit notes are on the PDF"
        );
        let audit: Value = app
            .get_json(&admin, "/api/v1/audit/logs?action=invoices.refund")
            .await;
        assert_eq!(audit["events"].as_array().unwrap().len(), 2);
        let check: Value = app
            .post_json(&admin, "/api/v1/admin/credits/check", &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["problems"], json!([]));
    }
}
