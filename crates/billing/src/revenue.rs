//! Revenue analytics for billing administrators: MRR and ARR from the paying subscriptions,
//! ARPU, revenue by plan, the last twelve months (collected net of credit notes, new and
//! churned: a paid plan ended, not a trial that lapsed), and what the
//! accounts' credits amount to.

use ops_auth::AuthCtx;
use ops_db::{Db, Row, now_ms};
use ops_types::{MonthRevenue, Permission, PlanRevenue, RevenueOverview, civil_from_days};

use crate::subscription::admin::MRR;
use crate::{BillingError, period};

const DAY_MS: i64 = 86_400_000;

/// The first instant of the month `back` months before the current one (UTC), and its label.
fn month_start(now: i64, back: i64) -> (i64, String) {
    let (y, m, _) = civil_from_days(now.div_euclid(DAY_MS));
    let first = ops_types::day_of_date(&format!("{y:04}-{m:02}-01")).unwrap_or(0) * DAY_MS;
    let start = period::add_months(first, -back);
    let (y, m, _) = civil_from_days(start.div_euclid(DAY_MS));
    (start, format!("{y:04}-{m:02}"))
}

/// `GET /api/v1/admin/subscriptions/analytics/overview`.
pub async fn overview(db: &Db, ctx: &AuthCtx) -> Result<RevenueOverview, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let pool = db.pool();
    let rows = sqlx::query(&format!(
        "SELECT p.code, p.name, p.position, COUNT(s.id) AS subscribers, \
         CAST(COALESCE(SUM(CASE WHEN s.status = 'active' AND (p.price_monthly > 0 OR p.price_yearly > 0) THEN 1 ELSE 0 END), 0) AS BIGINT) AS paying, \
         CAST(COALESCE(SUM({MRR}), 0) AS BIGINT) AS mrr \
         FROM plans p LEFT JOIN subscriptions s ON s.plan_code = p.code \
         GROUP BY p.code, p.name, p.position ORDER BY p.position, p.code"
    ))
    .fetch_all(pool)
    .await?;
    let by_plan = rows
        .iter()
        .map(|r| {
            Ok(PlanRevenue {
                plan: r.try_get("code")?,
                name: r.try_get("name")?,
                subscribers: r.try_get("subscribers")?,
                paying: r.try_get("paying")?,
                mrr: r.try_get("mrr")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let counts = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'trialing' THEN 1 ELSE 0 END), 0) AS BIGINT) AS trialing, \
         CAST(COALESCE(SUM(CASE WHEN status = 'past_due' THEN 1 ELSE 0 END), 0) AS BIGINT) AS past_due, \
         CAST(COALESCE(SUM(cancel_at_period_end), 0) AS BIGINT) AS cancelling FROM subscriptions",
    )
    .fetch_one(pool)
    .await?;
    let owed = sqlx::query(
        "SELECT CAST(COALESCE(SUM(paid), 0) AS BIGINT) AS paid, \
         CAST(COALESCE(SUM(granted), 0) AS BIGINT) AS granted FROM billing_accounts",
    )
    .fetch_one(pool)
    .await?;
    let mrr: i64 = by_plan.iter().map(|p| p.mrr).sum();
    let paying: i64 = by_plan.iter().map(|p| p.paying).sum();
    let now = now_ms();
    let mut months = Vec::with_capacity(12);
    for back in (0..12).rev() {
        let (start, label) = month_start(now, back);
        let (end, _) = month_start(now, back - 1);
        let revenue: i64 = sqlx::query(
            "SELECT CAST(COALESCE((SELECT -SUM(e.paid_delta) FROM ledger_entries e \
             WHERE e.created_at >= $1 AND e.created_at < $2 AND e.kind = 'subscription'), 0) \
             - COALESCE((SELECT SUM(c.amount) FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id \
             WHERE i.kind = 'subscription' AND c.created_at >= $1 AND c.created_at < $2), 0) AS BIGINT) AS n",
        )
        .bind(start)
        .bind(end)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
        let moves = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN e.kind IN ('upgrade', 'trial_started', 'assigned') \
             AND (e.from_plan IS NULL OR e.from_plan IN (SELECT code FROM plans WHERE price_monthly = 0 AND price_yearly = 0)) \
             AND e.to_plan IN (SELECT code FROM plans WHERE price_monthly > 0 OR price_yearly > 0) THEN 1 ELSE 0 END), 0) AS BIGINT) AS new, \
             CAST(COALESCE(SUM(CASE WHEN e.kind = 'ended' AND e.from_plan IN (SELECT code FROM plans WHERE price_monthly > 0 OR price_yearly > 0) \
             AND (e.detail IS NULL OR e.detail NOT LIKE 'the trial ended%') THEN 1 ELSE 0 END), 0) AS BIGINT) AS churned \
             FROM subscription_events e WHERE e.created_at >= $1 AND e.created_at < $2",
        )
        .bind(start)
        .bind(end)
        .fetch_one(pool)
        .await?;
        months.push(MonthRevenue {
            month: label,
            revenue,
            new: moves.try_get("new")?,
            churned: moves.try_get("churned")?,
        });
    }
    Ok(RevenueOverview {
        currency: "USD".into(),
        mrr,
        arr: mrr.saturating_mul(12),
        arpu: if paying > 0 { mrr / paying } else { 0 },
        paying,
        trialing: counts.try_get("trialing")?,
        past_due: counts.try_get("past_due")?,
        cancelling: counts.try_get("cancelling")?,
        liability_paid: owed.try_get("paid")?,
        liability_granted: owed.try_get("granted")?,
        by_plan,
        months,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_from_the_current_one() {
        let now = ops_types::day_of_date("2026-03-15").unwrap() * DAY_MS + 5;
        assert_eq!(month_start(now, 0).1, "2026-03");
        assert_eq!(month_start(now, 3).1, "2025-12");
        assert_eq!(month_start(now, -1).1, "2026-04");
        assert_eq!(
            month_start(now, 0).0,
            ops_types::day_of_date("2026-03-01").unwrap() * DAY_MS
        );
    }
}
