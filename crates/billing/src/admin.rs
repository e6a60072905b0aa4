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

/// A credit or a debit, as one of the two administrator moves makes it.
enum Move<'a> {
    In(Credit<'a>),
    Out(Debit<'a>),
}

/// What grants and deductions share: the permission, the reason, the target, one transaction
/// holding the move and its audit entry (none for a replayed retry).
async fn apply<'a>(
    db: &Db,
    ctx: &'a AuthCtx,
    (user_id, org_id): (Option<&str>, Option<&str>),
    why: &'a str,
    action: &str,
    make: impl FnOnce(Meta<'a>) -> Move<'a>,
) -> Result<LedgerEntry, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let why = reason(why)?;
    let (kind, owner) = account::target(db, user_id, org_id).await?;
    let meta = Meta {
        reason: Some(why),
        actor_id: Some(&ctx.user_id),
        ..Meta::default()
    };
    let mut tx = db.begin().await?;
    let entry = match make(meta) {
        Move::In(c) => ledger::credit(&mut tx, (kind, &owner), c).await?,
        Move::Out(d) => ledger::debit(&mut tx, (kind, &owner), d).await?,
    };
    if !entry.replayed {
        audit(&mut tx, ctx, action, (kind, &owner), &entry).await?;
    }
    tx.commit().await?;
    Ok(entry)
}

/// `POST /api/v1/credits/allocate`.
pub async fn grant(
    db: &Db,
    ctx: &AuthCtx,
    input: &CreditGrant,
    idempotency_key: Option<&str>,
) -> Result<LedgerEntry, BillingError> {
    let who = (input.user_id.as_deref(), input.org_id.as_deref());
    apply(db, ctx, who, &input.reason, "credits.grant", |meta| {
        Move::In(Credit {
            kind: "grant",
            bucket: input.bucket,
            amount: input.amount,
            priority: input.priority,
            expires_at: input.expires_at,
            meta: Meta {
                idempotency_key,
                ..meta
            },
        })
    })
    .await
}

/// `POST /api/v1/credits/deduct`.
pub async fn deduct(
    db: &Db,
    ctx: &AuthCtx,
    input: &CreditDeduct,
    idempotency_key: Option<&str>,
) -> Result<LedgerEntry, BillingError> {
    let who = (input.user_id.as_deref(), input.org_id.as_deref());
    apply(db, ctx, who, &input.reason, "credits.deduct", |meta| {
        Move::Out(Debit {
            kind: "deduct",
            amount: input.amount,
            only: None,
            meta: Meta {
                reference: input.reference.as_deref(),
                idempotency_key,
                ..meta
            },
        })
    })
    .await
}
