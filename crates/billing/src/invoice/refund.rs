//! Refunds: a credit note against one of a subscription's invoices, numbered in its own sequence
//! and audited. The money goes back the way it came: to the card through a Stripe refund for an
//! invoice paid by card (the credits it bought are taken back, so they must be unspent), else
//! into the account's bought credits.

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Db, Row, new_id, now_ms, record_audit};
use ops_secrets::MasterKey;
use ops_types::{CreditBucket, CreditNote, OwnerKind, Permission, RefundRequest, format_amount};

use super::{load, next_number, settings_on};
use crate::ledger::{self, Credit, Debit, Meta};
use crate::{BillingError, stripe, subscription};

/// `POST /api/v1/admin/subscriptions/{id}/refund`: a credit note against one of the
/// subscription's invoices, the amount back into the account's bought credits.
pub async fn refund(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    sub_id: &str,
    input: &RefundRequest,
) -> Result<CreditNote, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(BillingError::invalid(
            "reason",
            "say why, in 1 to 500 characters",
        ));
    }
    let mut tx = db.begin().await?;
    let sub = subscription::admin::find_locked(&mut tx, sub_id).await?;
    // The invoice's row is written first: refunds of one invoice run one at a time.
    sqlx::query("UPDATE invoices SET status = status WHERE id = $1")
        .bind(&input.invoice_id)
        .execute(&mut *tx)
        .await?;
    let inv = load(&mut tx, &input.invoice_id).await?;
    if inv.owner_kind != sub.kind || inv.owner_id != sub.owner_id {
        return Err(BillingError::NotFound("invoice"));
    }
    let credited: i64 = inv.credit_notes.iter().map(|c| c.amount).sum();
    let left = inv.total - credited;
    let amount = input.amount.unwrap_or(left);
    if amount <= 0 || amount > left {
        return Err(BillingError::invalid(
            "amount",
            format!(
                "from 0.000001 to {} (what the invoice has left to credit)",
                format_amount(left, &inv.currency)
            ),
        ));
    }
    let s = settings_on(&mut tx).await?;
    let number = next_number(&mut tx, "credit_note", &format!("{}CN", s.invoice_prefix)).await?;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO credit_notes (id, number, invoice_id, amount, reason, actor_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&number)
    .bind(&inv.id)
    .bind(amount)
    .bind(reason)
    .bind(&ctx.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let why = format!("credit note {number} on invoice {}", inv.number);
    let meta = Meta {
        reason: Some(&why),
        reference: Some(&inv.id),
        actor_id: Some(&ctx.user_id),
        idempotency_key: None,
    };
    let card: Option<String> = sqlx::query("SELECT reference FROM invoices WHERE id = $1")
        .bind(&inv.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get::<Option<String>, _>("reference")?
        .filter(|r| {
            r.starts_with("pi_") && inv.paid_with.as_deref().is_some_and(|p| p.contains("card"))
        });
    if card.is_some() {
        ledger::debit(
            &mut tx,
            (sub.kind, &sub.owner_id),
            Debit {
                kind: "refund",
                amount,
                only: Some(CreditBucket::Paid),
                meta,
            },
        )
        .await
        .map_err(|e| match e {
            BillingError::Insufficient { available, .. } => BillingError::Conflict(format!(
                "the credits this card payment bought are partly spent: at most {} can go back to the card",
                format_amount(available, &inv.currency)
            )),
            other => other,
        })?;
    } else {
        ledger::credit(
            &mut tx,
            (sub.kind, &sub.owner_id),
            Credit {
                kind: "refund",
                bucket: CreditBucket::Paid,
                amount,
                priority: None,
                expires_at: None,
                meta,
            },
        )
        .await?;
    }
    // Stripe last: if it refuses, nothing above is kept.
    if let Some(pi) = &card {
        let per = stripe::micros_per_minor(&inv.currency);
        if amount % per != 0 {
            return Err(BillingError::invalid(
                "amount",
                "a card refund is in whole cents",
            ));
        }
        let stripe = stripe::connect(db, key).await?;
        stripe
            .api
            .refund(pi, amount / per, &format!("refund:{id}"))
            .await?;
    }
    let code = Some(sub.plan_code.as_str());
    let by = Some((ctx.user_id.as_str(), None));
    let detail = format!("{number}: {reason}");
    subscription::event(
        &mut tx,
        &sub.id,
        "refund",
        (code, code),
        amount,
        Some(&detail),
        by,
    )
    .await?;
    let audit = format!(
        "invoice={} credit_note={number} amount={amount} to={} reason={reason}",
        inv.number,
        if card.is_some() { "card" } else { "credits" }
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&sub.owner_id),
            target_label: Some(&inv.number),
            org_id: (sub.kind == OwnerKind::Org).then_some(sub.owner_id.as_str()),
            detail: Some(&audit),
            ..ctx.audit("invoices.refund")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreditNote {
        id,
        number,
        invoice_id: inv.id,
        amount,
        reason: reason.to_string(),
        created_at: now,
    })
}
