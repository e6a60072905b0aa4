//! `/api/v1/billing/cycle` and `/summary`: the billing period and money at a glance.

use ops_auth::AuthCtx;
use ops_db::{Db, Row, now_ms};
use ops_types::{BillingCycle, BillingSummary, SubscriptionQuery, civil_from_days, day_of_date};

use crate::{BillingError, query, subscription};

const DAY_MS: i64 = 86_400_000;

/// `GET /api/v1/billing/cycle`.
pub async fn cycle(
    db: &Db,
    ctx: &AuthCtx,
    q: &SubscriptionQuery,
) -> Result<BillingCycle, BillingError> {
    let s = subscription::current(db, ctx, q).await?;
    let left = (s.period_end - now_ms()).max(0);
    Ok(BillingCycle {
        plan: s.plan.code,
        interval: s.interval,
        status: s.status,
        period_start: s.period_start,
        period_end: s.period_end,
        days_left: (left + DAY_MS - 1) / DAY_MS,
        next_charge: s.next_charge,
        currency: s.plan.currency,
    })
}

/// `GET /api/v1/billing/summary`.
pub async fn summary(
    db: &Db,
    ctx: &AuthCtx,
    q: &SubscriptionQuery,
) -> Result<BillingSummary, BillingError> {
    let s = subscription::current(db, ctx, q).await?;
    let balance = query::balance_of(db, s.owner_kind, &s.owner_id).await?;
    let used: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) AS n FROM usage_counters \
         WHERE owner_kind = $1 AND owner_id = $2 AND period_start = $3",
    )
    .bind(s.owner_kind.as_str())
    .bind(&s.owner_id)
    .bind(s.period_start)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    let (year, _, _) = civil_from_days(now_ms().div_euclid(DAY_MS));
    let since = day_of_date(&format!("{year:04}-01-01")).unwrap_or(0) * DAY_MS;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(i.total - (SELECT COALESCE(SUM(c.amount), 0) \
         FROM credit_notes c WHERE c.invoice_id = i.id)), 0) AS BIGINT) AS total \
         FROM invoices i WHERE i.owner_kind = $1 AND i.owner_id = $2 AND i.issued_at >= $3 AND i.status <> 'void'",
    )
    .bind(s.owner_kind.as_str())
    .bind(&s.owner_id)
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    Ok(BillingSummary {
        currency: balance.currency,
        paid_credits: balance.paid,
        granted_credits: balance.granted,
        usage_this_period: used,
        invoiced_this_year: row.try_get("total")?,
        invoices: row.try_get("n")?,
        next_charge: s.next_charge,
        next_charge_at: s.period_end,
    })
}
