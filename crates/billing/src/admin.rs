//! Administrators moving money by hand: grant credits (paid or granted, with an expiry and a
//! priority) and deduct them, each with a reason, audited in the same transaction.

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Db, record_audit};
use ops_types::{CreditDeduct, CreditGrant, LedgerEntry, OwnerKind, Permission, format_amount};

use crate::ledger::{self, Credit, Debit, Meta};
use crate::{BillingError, account};

fn reason(r: &str) -> Result<&str, BillingError> {
    let r = r.trim();
    if r.is_empty() || r.chars().count() > 500 {
        return Err(BillingError::invalid(
            "reason",
            "say why, in 1 to 500 characters",
        ));
    }
    Ok(r)
}

async fn audit(
    tx: &mut ops_db::Tx,
    ctx: &AuthCtx,
    action: &str,
    owner: (OwnerKind, &str),
    entry: &LedgerEntry,
) -> Result<(), BillingError> {
    let amount = entry.paid_delta + entry.granted_delta;
    let detail = format!(
        "amount={} balance={} reason={}",
        format_amount(amount, "USD"),
        format_amount(entry.paid_after + entry.granted_after, "USD"),
        entry.reason.as_deref().unwrap_or("")
    );
    record_audit(
        tx,
        AuditRecord {
            target: Some(owner.1),
            org_id: (owner.0 == OwnerKind::Org).then_some(owner.1),
            detail: Some(&detail),
            ..ctx.audit(action)
        },
    )
    .await?;
    Ok(())
}

/// `POST /api/v1/credits/allocate`.
pub async fn grant(
    db: &Db,
    ctx: &AuthCtx,
    input: &CreditGrant,
    idempotency_key: Option<&str>,
) -> Result<LedgerEntry, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let why = reason(&input.reason)?;
    let (kind, owner) =
        account::target(db, input.user_id.as_deref(), input.org_id.as_deref()).await?;
    let mut tx = db.begin().await?;
    let entry = ledger::credit(
        &mut tx,
        (kind, &owner),
        Credit {
            kind: "grant",
            bucket: input.bucket,
            amount: input.amount,
            priority: input.priority,
            expires_at: input.expires_at,
            meta: Meta {
                reason: Some(why),
                actor_id: Some(&ctx.user_id),
                idempotency_key,
                ..Meta::default()
            },
        },
    )
    .await?;
    if !entry.replayed {
        audit(&mut tx, ctx, "credits.grant", (kind, &owner), &entry).await?;
    }
    tx.commit().await?;
    Ok(entry)
}

/// `POST /api/v1/credits/deduct`.
pub async fn deduct(
    db: &Db,
    ctx: &AuthCtx,
    input: &CreditDeduct,
    idempotency_key: Option<&str>,
) -> Result<LedgerEntry, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let why = reason(&input.reason)?;
    let (kind, owner) =
        account::target(db, input.user_id.as_deref(), input.org_id.as_deref()).await?;
    let mut tx = db.begin().await?;
    let entry = ledger::debit(
        &mut tx,
        (kind, &owner),
        Debit {
            kind: "deduct",
            amount: input.amount,
            meta: Meta {
                reason: Some(why),
                reference: input.reference.as_deref(),
                actor_id: Some(&ctx.user_id),
                idempotency_key,
            },
        },
    )
    .await?;
    if !entry.replayed {
        audit(&mut tx, ctx, "credits.deduct", (kind, &owner), &entry).await?;
    }
    tx.commit().await?;
    Ok(entry)
}
