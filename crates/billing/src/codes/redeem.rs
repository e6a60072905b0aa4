//! Redeeming a code: checked under the code's row lock (within its uses, once per account and
//! batch), then credits into the account or a coupon on its subscription; audited.

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AuditRecord, Db, Row, new_id, now_ms, record_audit};
use ops_types::{CodeBatch, CodeCheck, CodeKind, OwnerKind, Permission, Redeem, date_of_ms};

use super::{DAY_MS, hash, hint, load_batch, normalise};
use crate::ledger::{self, Credit, Meta};
use crate::{BillingError, period, subscription};

/// The code's row and batch, if it can still be redeemed.
async fn usable(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<(String, i64, CodeBatch), BillingError> {
    let row = sqlx::query("SELECT id, batch_id, uses FROM redemption_codes WHERE code_hash = $1")
        .bind(hash(code))
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(BillingError::NotFound("code"))?;
    let (id, batch_id, uses): (String, String, i64) = (
        row.try_get("id")?,
        row.try_get("batch_id")?,
        row.try_get("uses")?,
    );
    let b = load_batch(conn, &batch_id).await?;
    if b.revoked {
        return Err(BillingError::invalid("code", "this code was withdrawn"));
    }
    if let Some(until) = b.valid_until
        && until <= now_ms()
    {
        return Err(BillingError::invalid(
            "code",
            format!("this code expired on {}", date_of_ms(until)),
        ));
    }
    if uses >= i64::from(b.uses_per_code) {
        return Err(BillingError::invalid("code", "this code has been used up"));
    }
    Ok((id, uses, b))
}

fn check_of(b: &CodeBatch, until: Option<i64>) -> CodeCheck {
    CodeCheck {
        kind: b.kind,
        name: b.name.clone(),
        amount: b.amount,
        percent_off: b.percent_off,
        months: b.months,
        plans: b.plans.clone(),
        until,
    }
}

/// `GET /api/v1/credits/coupons/validate/{code}`: what the code gives, if it can be redeemed.
pub async fn check(db: &Db, ctx: &AuthCtx, code: &str) -> Result<CodeCheck, BillingError> {
    ctx.require(Permission::AccountRead)?;
    let mut conn = db.pool().acquire().await?;
    let (_, _, b) = usable(&mut conn, code).await?;
    Ok(check_of(&b, None))
}

/// `POST /api/v1/credits/coupons/redeem`.
pub async fn redeem(db: &Db, ctx: &AuthCtx, input: &Redeem) -> Result<CodeCheck, BillingError> {
    if normalise(&input.code).is_empty() {
        return Err(BillingError::invalid("code", "enter a code"));
    }
    let (kind, owner) = subscription::owner_of(db, ctx, input.org_id.as_deref(), true).await?;
    let mut tx = db.begin().await?;
    // A write first: the code's row is locked (and SQLite's write lock taken) before reading.
    sqlx::query("UPDATE redemption_codes SET uses = uses WHERE code_hash = $1")
        .bind(hash(&input.code))
        .execute(&mut *tx)
        .await?;
    let (code_id, _, b) = usable(&mut tx, &input.code).await?;
    let again = sqlx::query(
        "SELECT id FROM code_redemptions WHERE batch_id = $1 AND owner_kind = $2 AND owner_id = $3",
    )
    .bind(&b.id)
    .bind(kind.as_str())
    .bind(&owner)
    .fetch_optional(&mut *tx)
    .await?;
    if again.is_some() {
        return Err(BillingError::Conflict(
            "this account has redeemed a code of this batch already".into(),
        ));
    }
    sqlx::query("UPDATE redemption_codes SET uses = uses + 1 WHERE id = $1")
        .bind(&code_id)
        .execute(&mut *tx)
        .await?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO code_redemptions (id, code_id, batch_id, owner_kind, owner_id, user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(&code_id)
    .bind(&b.id)
    .bind(kind.as_str())
    .bind(&owner)
    .bind(&ctx.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let until = match b.kind {
        CodeKind::Credit => {
            let expires = b.credit_days.map(|d| now + i64::from(d) * DAY_MS);
            let reason = format!("code: {}", b.name);
            ledger::credit(
                &mut tx,
                (kind, &owner),
                Credit {
                    kind: "redeem",
                    bucket: b.bucket,
                    amount: b.amount,
                    priority: None,
                    expires_at: expires,
                    meta: Meta {
                        reason: Some(&reason),
                        reference: Some(&b.id),
                        actor_id: Some(&ctx.user_id),
                        idempotency_key: None,
                    },
                },
            )
            .await?;
            expires
        }
        CodeKind::Coupon => apply_coupon(&mut tx, (kind, &owner), &b, now, ctx).await?,
    };
    let detail = format!(
        "{} code …{} batch={}",
        b.kind.as_str(),
        hint(&input.code),
        b.name
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&owner),
            org_id: (kind == OwnerKind::Org).then_some(owner.as_str()),
            detail: Some(&detail),
            ..ctx.audit("codes.redeem")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(check_of(&b, until))
}

/// Puts the coupon on the owner's subscription; refused while another is in force.
async fn apply_coupon(
    tx: &mut ops_db::Tx,
    owner: (OwnerKind, &str),
    b: &CodeBatch,
    now: i64,
    ctx: &AuthCtx,
) -> Result<Option<i64>, BillingError> {
    let s = subscription::lock(tx, owner.0, owner.1).await?;
    if let Some(d) = subscription::discount(tx, &s).await?
        && d.until.is_none_or(|u| u > now)
    {
        return Err(BillingError::Conflict(format!(
            "the coupon {} is in force already",
            d.name
        )));
    }
    let until = b.months.map(|m| period::add_months(now, i64::from(m)));
    sqlx::query("UPDATE subscriptions SET coupon_batch_id = $2, coupon_until = $3 WHERE id = $1")
        .bind(&s.id)
        .bind(&b.id)
        .bind(until)
        .execute(&mut **tx)
        .await?;
    let code = Some(s.plan_code.as_str());
    let detail = format!("{}: {}% off", b.name, b.percent_off);
    let by = Some((ctx.user_id.as_str(), None));
    subscription::event(
        tx,
        &s.id,
        "coupon_applied",
        (code, code),
        0,
        Some(&detail),
        by,
    )
    .await?;
    Ok(until)
}
