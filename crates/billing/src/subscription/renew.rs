//! The renewal job: at a period's end a subscription moves to its next period (on the plan a
//! downgrade scheduled, or the free plan after a cancellation), paying the price from bought
//! credits and granting the plan's included credits. A trial that cannot be paid ends on the
//! free plan; a renewal that cannot be paid leaves the plan overdue (the free plan's
//! entitlements apply) and is tried again each run, for seven days, then ends.
//!
//! Each subscription is renewed under its row lock and only while its period has ended, and the
//! payment carries a key made of the subscription and the period: several replicas running the
//! job at once renew each subscription once.

use ops_db::{AnyConnection, Db, Row, now_ms};
use ops_types::{CreditBucket, Interval, OwnerKind};

use super::{Sub, allowance, discount, event, lock, save};
use crate::invoice::{self, Issue};
use crate::ledger::{self, Debit, Meta};
use crate::{BillingError, period, plans};

const DAY_MS: i64 = 86_400_000;
/// How long an unpaid renewal is retried before the plan ends.
pub const GRACE_MS: i64 = 7 * DAY_MS;

/// Moves the subscription to the free plan from `now` (an `ended` event, by `by` if a person
/// asked for it).
pub(super) async fn to_free(
    conn: &mut AnyConnection,
    s: &mut Sub,
    now: i64,
    detail: Option<&str>,
    by: Option<(&str, Option<&str>)>,
) -> Result<(), BillingError> {
    let free = plans::load(conn, plans::FREE).await?;
    let from = s.plan_code.clone();
    s.plan_code = free.code.clone();
    s.interval = Interval::Month;
    s.status = "active".into();
    s.anchor_at = now;
    s.period_start = now;
    s.period_end = period::add_months(now, 1);
    s.trial_end = None;
    s.past_due_since = None;
    s.cancel_at_period_end = false;
    s.next_plan = None;
    s.next_interval = None;
    save(conn, s).await?;
    let codes = (Some(from.as_str()), Some(plans::FREE));
    event(conn, &s.id, "ended", codes, 0, detail, by).await?;
    let span = (s.period_start, s.period_end);
    allowance(conn, s.owner(), &free, free.included_credits, span, &s.id).await
}

/// What renewing `s` at `now` charges: the plan (the one a downgrade scheduled, or the free
/// plan after a cancellation), its interval, the new period and the price after any coupon.
pub(crate) struct Due {
    pub code: String,
    pub anchor: i64,
    pub plan: ops_types::Plan,
    pub interval: Interval,
    pub start: i64,
    pub end: i64,
    pub list_price: i64,
    pub price: i64,
    pub coupon: Option<super::Discount>,
}

pub(crate) async fn due(conn: &mut AnyConnection, s: &Sub, now: i64) -> Result<Due, BillingError> {
    let (code, mut interval) = if s.cancel_at_period_end {
        (plans::FREE.to_string(), Interval::Month)
    } else {
        (
            s.next_plan.clone().unwrap_or_else(|| s.plan_code.clone()),
            s.next_interval.unwrap_or(s.interval),
        )
    };
    let plan = plans::load(conn, &code).await?;
    let price = match plans::price(&plan, interval) {
        Some(p) => p,
        None => {
            // No longer sold at this interval: monthly.
            interval = Interval::Month;
            plan.price_monthly
        }
    };
    // A new interval counts its periods from where the old one ended (counted from the old
    // anchor, a yearly period could start where a monthly one already did).
    let anchor = if interval == s.interval {
        s.anchor_at
    } else {
        s.period_end
    };
    let (start, end) = period::containing(anchor, interval.months(), now);
    let list_price = price;
    let coupon = discount(conn, s)
        .await?
        .filter(|d| d.applies(&plan.code, start));
    let price = coupon
        .as_ref()
        .map_or(price, |d| price - d.off_over(price, (start, end)));
    Ok(Due {
        code,
        anchor,
        plan,
        interval,
        start,
        end,
        list_price,
        price,
        coupon,
    })
}

/// A renewal the account's bought credits do not cover: how much is missing, for the card.
#[derive(Debug, Clone)]
pub struct Shortfall {
    pub owner: (OwnerKind, String),
    pub subscription: String,
    pub period_start: i64,
    pub amount: i64,
    pub currency: String,
    pub plan: String,
}

/// The renewals due now (or overdue) that bought credits do not cover; read only.
pub async fn shortfalls(db: &Db) -> Result<Vec<Shortfall>, BillingError> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT owner_kind, owner_id FROM subscriptions \
         WHERE period_end <= $1 AND status IN ('active', 'trialing', 'past_due') \
         ORDER BY period_end LIMIT 500",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut conn = db.pool().acquire().await?;
    let mut out = Vec::new();
    for r in &rows {
        let kind = if r.try_get::<String, _>("owner_kind")? == "org" {
            OwnerKind::Org
        } else {
            OwnerKind::User
        };
        let owner: String = r.try_get("owner_id")?;
        let Some(s) = super::select(&mut conn, kind, &owner).await? else {
            continue;
        };
        let d = due(&mut conn, &s, now).await?;
        let have = super::change::available(&mut conn, &s).await?;
        if d.price > have {
            out.push(Shortfall {
                owner: (kind, owner),
                subscription: s.id.clone(),
                period_start: d.start,
                amount: d.price - have,
                currency: d.plan.currency.clone(),
                plan: d.plan.name.clone(),
            });
        }
    }
    Ok(out)
}

/// Renews `s` (locked by the caller) if its period has ended. Returns whether it moved on.
pub(super) async fn renew(
    conn: &mut AnyConnection,
    s: &mut Sub,
    now: i64,
    retry: bool,
) -> Result<bool, BillingError> {
    if s.status == "suspended" || (s.period_end > now && !(retry && s.status == "past_due")) {
        return Ok(false);
    }
    let Due {
        code,
        anchor,
        plan,
        interval,
        start,
        end,
        list_price,
        price,
        coupon,
    } = due(conn, s, now).await?;
    if price > 0 {
        let mut lines = vec![(
            format!(
                "{} plan, billed {}ly, {} to {}",
                plan.name,
                interval.as_str(),
                ops_types::date_of_ms(start),
                ops_types::date_of_ms(end)
            ),
            list_price,
        )];
        if let Some(d) = &coupon {
            lines.push((format!("Coupon {}", d.describe()), price - list_price));
        }
        let reason = format!("{} plan, {}ly", plan.name, interval.as_str());
        let key = format!("renew:{}:{start}", s.id);
        let paid = ledger::debit(
            conn,
            s.owner(),
            Debit {
                kind: "subscription",
                amount: price,
                only: Some(CreditBucket::Paid),
                meta: Meta {
                    reason: Some(&reason),
                    reference: Some(&s.id),
                    idempotency_key: Some(&key),
                    ..Meta::default()
                },
            },
        )
        .await;
        match paid {
            Ok(_) => {}
            Err(BillingError::Insufficient { .. }) => {
                return unpaid(conn, s, now, price).await;
            }
            Err(e) => return Err(e),
        }
        invoice::issue(
            conn,
            Issue {
                owner: s.owner(),
                kind: "subscription",
                currency: &plan.currency,
                lines,
                period: Some((start, end)),
                reference: Some(&s.id),
                paid_with: "from account credits",
            },
        )
        .await?;
    }
    let from = s.plan_code.clone();
    let kind = if s.status == "trialing" {
        "trial_converted"
    } else if s.cancel_at_period_end {
        "ended"
    } else if code != from {
        "downgrade"
    } else {
        "renewed"
    };
    s.plan_code = plan.code.clone();
    s.interval = interval;
    s.anchor_at = anchor;
    s.status = "active".into();
    s.period_start = start;
    s.period_end = end;
    s.trial_end = None;
    s.cancel_at_period_end = false;
    s.next_plan = None;
    s.next_interval = None;
    s.past_due_since = None;
    save(conn, s).await?;
    if price > 0 || kind != "renewed" {
        let codes = (Some(from.as_str()), Some(plan.code.as_str()));
        event(conn, &s.id, kind, codes, price, None, None).await?;
    }
    allowance(
        conn,
        s.owner(),
        &plan,
        plan.included_credits,
        (start, end),
        &s.id,
    )
    .await?;
    Ok(true)
}

/// A renewal that could not be paid.
async fn unpaid(
    conn: &mut AnyConnection,
    s: &mut Sub,
    now: i64,
    price: i64,
) -> Result<bool, BillingError> {
    let code = Some(s.plan_code.as_str());
    if s.status == "trialing" {
        event(
            conn,
            &s.id,
            "payment_failed",
            (code, code),
            price,
            None,
            None,
        )
        .await?;
        to_free(
            conn,
            s,
            now,
            Some("the trial ended and the first period could not be paid"),
            None,
        )
        .await?;
        return Ok(true);
    }
    match s.past_due_since {
        None => {
            s.status = "past_due".into();
            s.past_due_since = Some(now);
            save(conn, s).await?;
            let detail = "not enough bought credits; retried until paid, for 7 days";
            event(
                conn,
                &s.id,
                "payment_failed",
                (code, code),
                price,
                Some(detail),
                None,
            )
            .await?;
            Ok(false)
        }
        Some(since) if now - since >= GRACE_MS => {
            to_free(conn, s, now, Some("unpaid for 7 days"), None).await?;
            Ok(true)
        }
        Some(_) => Ok(false),
    }
}

/// Renews every subscription whose period has ended (a batch of 500 per run, those just due
/// before overdue ones being retried, so that a backlog of overdue plans cannot starve them).
/// One failure is logged and the rest go on. Returns how many moved on.
pub async fn renew_due(db: &Db) -> Result<usize, BillingError> {
    let now = now_ms();
    let due = sqlx::query(
        "SELECT owner_kind, owner_id FROM subscriptions \
         WHERE period_end <= $1 AND status IN ('active', 'trialing', 'past_due') \
         ORDER BY CASE WHEN status = 'past_due' THEN 1 ELSE 0 END, period_end LIMIT 500",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut moved = 0;
    for r in &due {
        let kind = OwnerKind::parse(&r.try_get::<String, _>("owner_kind")?);
        let owner: String = r.try_get("owner_id")?;
        match renew_one(db, kind, &owner).await {
            Ok(true) => moved += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(owner = %owner, error = %e, "renewal failed; retried next run")
            }
        }
    }
    Ok(moved)
}

async fn renew_one(db: &Db, kind: OwnerKind, owner: &str) -> Result<bool, BillingError> {
    let mut tx = db.begin().await?;
    let mut s = lock(&mut tx, kind, owner).await?;
    let moved = renew(&mut tx, &mut s, now_ms(), false).await?;
    tx.commit().await?;
    Ok(moved)
}
