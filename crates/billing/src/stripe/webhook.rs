//! `POST /api/v1/webhooks/stripe`. Fails closed: without a signing secret, without a
//! `Stripe-Signature` header, with a signature that does not match or a timestamp more than five
//! minutes off, nothing is processed (400). Each event is recorded once by its id, so a replay
//! does nothing; events carry Stripe's creation time, and one older than the newest already
//! applied to the same object is recorded as stale and not applied (deliveries arrive out of
//! order). Money moves with keys made of the Stripe object, so two event types for one payment
//! credit it once.
//!
//! Acted on: `checkout.session.completed` and `checkout.session.async_payment_succeeded` for a
//! paid session we made (metadata `purpose` = `credits` or `subscription`, with `owner_kind`,
//! `owner_id` and `credits` in micro-units): see [`checkout::fulfil`]. Other types are recorded
//! as ignored.

use hmac::{Hmac, Mac};
use ops_db::{AnyConnection, Db, now_ms};
use ops_secrets::MasterKey;
use ops_types::WebhookAck;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::checkout::{self, Paid};
use crate::{BillingError, stripe};

/// How far a signature's timestamp may be from now, in seconds (Stripe's own default).
pub const TOLERANCE_SECS: i64 = 300;

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: this cannot fail.
    let mut m = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(payload);
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Stripe-Signature` header Stripe sends for `payload` at `timestamp` (unix seconds).
/// For tests and local tools that play Stripe's part.
pub fn signature_header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, payload)))
}

/// Checks a `Stripe-Signature` header: `t=` within the tolerance of `now` (unix seconds) and
/// one of its `v1=` signatures made with `secret`.
pub fn verify(header: &str, payload: &[u8], secret: &str, now: i64) -> Result<(), String> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else {
        return Err("the Stripe-Signature header has no timestamp".into());
    };
    if sigs.is_empty() {
        return Err("the Stripe-Signature header has no v1 signature".into());
    }
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(format!(
            "the signature's timestamp is {} s away from now (at most {TOLERANCE_SECS})",
            (now - t).abs()
        ));
    }
    let want = hex(&mac(secret, t, payload));
    if sigs
        .iter()
        .any(|s| bool::from(s.as_bytes().ct_eq(want.as_bytes())))
    {
        Ok(())
    } else {
        Err("no signature matches: check the webhook signing secret".into())
    }
}

fn rejected(m: impl Into<String>) -> BillingError {
    BillingError::Rejected(m.into())
}

/// The event's id, type, creation time and object.
fn parse(payload: &[u8]) -> Result<(String, String, i64, Value), BillingError> {
    let v: Value = serde_json::from_slice(payload)
        .map_err(|e| rejected(format!("not a Stripe event: {e}")))?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let id = text("id")
        .filter(|i| i.starts_with("evt_"))
        .ok_or_else(|| rejected("not a Stripe event: no evt_ id"))?;
    let kind = text("type").ok_or_else(|| rejected("not a Stripe event: no type"))?;
    let created = v
        .get("created")
        .and_then(Value::as_i64)
        .ok_or_else(|| rejected("not a Stripe event: no created"))?;
    let object = v
        .pointer("/data/object")
        .cloned()
        .ok_or_else(|| rejected("not a Stripe event: no data.object"))?;
    Ok((id, kind, created, object))
}

/// Receives one delivery.
pub async fn receive(
    db: &Db,
    key: &MasterKey,
    signature: Option<&str>,
    payload: &[u8],
) -> Result<WebhookAck, BillingError> {
    let secret = stripe::webhook_secret(db, key).await?.ok_or_else(|| {
        rejected("Stripe webhooks are not set up on this server (no signing secret): nothing was processed")
    })?;
    let signature = signature.ok_or_else(|| rejected("the Stripe-Signature header is missing"))?;
    verify(signature, payload, &secret, now_ms() / 1000).map_err(rejected)?;
    let (id, kind, created, object) = parse(payload)?;
    let object_id = object.get("id").and_then(Value::as_str).map(str::to_string);
    let mut tx = db.begin().await?;
    let fresh = sqlx::query(
        "INSERT INTO stripe_events (id, type, object_id, created, status, received_at) \
         VALUES ($1, $2, $3, $4, 'received', $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(&kind)
    .bind(&object_id)
    .bind(created)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if fresh == 0 {
        tx.commit().await?;
        return Ok(WebhookAck {
            id,
            status: "duplicate".into(),
        });
    }
    let status = match &object_id {
        Some(obj) if !newest(&mut tx, obj, created).await? => "stale",
        _ => apply(&mut tx, &kind, &object).await?,
    };
    sqlx::query("UPDATE stripe_events SET status = $2 WHERE id = $1")
        .bind(&id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(WebhookAck {
        id,
        status: status.into(),
    })
}

/// Whether an event created at `created` is the newest for `object` (and records it if so).
/// The object's row is written first: deliveries for one object are handled one at a time.
async fn newest(
    conn: &mut AnyConnection,
    object: &str,
    created: i64,
) -> Result<bool, BillingError> {
    sqlx::query(
        "INSERT INTO stripe_objects (object_id, last_event_created) VALUES ($1, -1) ON CONFLICT (object_id) DO NOTHING",
    )
    .bind(object)
    .execute(&mut *conn)
    .await?;
    let moved = sqlx::query(
        "UPDATE stripe_objects SET last_event_created = $2 WHERE object_id = $1 AND last_event_created <= $2",
    )
    .bind(object)
    .bind(created)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Acts on one event; returns `processed` or `ignored`.
async fn apply(
    conn: &mut AnyConnection,
    kind: &str,
    object: &Value,
) -> Result<&'static str, BillingError> {
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            session_paid(conn, object).await
        }
        _ => Ok("ignored"),
    }
}

/// A completed Checkout session: fulfilled when paid (see [`checkout::fulfil`]).
async fn session_paid(
    conn: &mut AnyConnection,
    session: &Value,
) -> Result<&'static str, BillingError> {
    if session.get("payment_status").and_then(Value::as_str) != Some("paid") {
        return Ok("ignored");
    }
    let text = |k: &str| session.get(k).and_then(Value::as_str).map(str::to_string);
    let metadata = session
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let paid = Paid {
        id: text("id").ok_or_else(|| rejected("the session has no id"))?,
        payment_intent: text("payment_intent"),
        amount_total: session
            .get("amount_total")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        currency: text("currency").unwrap_or_else(|| "usd".into()),
        metadata,
    };
    checkout::fulfil(conn, &paid).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_with_their_timestamp() {
        let body = br#"{"id":"evt_1"}"#;
        let header = signature_header("whsec_test", 1_000, body);
        assert_eq!(verify(&header, body, "whsec_test", 1_100), Ok(()));
        assert!(
            verify(&header, body, "whsec_other", 1_100).is_err(),
            "wrong secret"
        );
        assert!(
            verify(&header, b"{}", "whsec_test", 1_100).is_err(),
            "changed body"
        );
        assert!(
            verify(&header, body, "whsec_test", 1_000 + TOLERANCE_SECS + 1).is_err(),
            "too old"
        );
        assert!(
            verify("v1=abc", body, "whsec_test", 1_000).is_err(),
            "no timestamp"
        );
        assert!(
            verify("t=1000", body, "whsec_test", 1_000).is_err(),
            "no signature"
        );
        let two = format!(
            "t=1000,v1=00ff,{}",
            header.split(',').nth(1).unwrap_or_default()
        );
        assert_eq!(
            verify(&two, body, "whsec_test", 1_000),
            Ok(()),
            "any v1 may match (secret rolling)"
        );
    }
}
