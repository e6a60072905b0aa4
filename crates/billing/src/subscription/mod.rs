//! Subscriptions: one per account (a user or an organisation), made on first use on the plan
//! its owner is on. Changes lock the row first, so two at once run one after the other; money
//! moves through the ledger in the same transaction (prices are paid from bought credits).

pub mod admin;
mod change;
mod proration;
mod renew;

pub(crate) use change::apply;
pub use change::{Expect, cancel, change, preview, reactivate};
pub use renew::{Shortfall, renew_due, shortfalls};

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AnyRow, Db, Row, new_id, now_ms};
use ops_types::{
    CreditBucket, Interval, OwnerKind, Permission, Plan, Subscription, SubscriptionEvent,
    SubscriptionQuery,
};

use crate::ledger::{self, Credit, Meta};
use crate::{BillingError, access, account, period, plans};

/// Spent before administrators' gifts (10) and bought credits (20).
const ALLOWANCE_PRIORITY: i32 = 5;

/// A subscription row.
#[derive(Debug, Clone)]
pub(crate) struct Sub {
    pub id: String,
    pub kind: OwnerKind,
    pub owner_id: String,
    pub plan_code: String,
    pub interval: Interval,
    pub status: String,
    pub anchor_at: i64,
    pub period_start: i64,
    pub period_end: i64,
    pub trial_end: Option<i64>,
    pub trial_used: bool,
    pub cancel_at_period_end: bool,
    pub cancel_reason: Option<String>,
    pub next_plan: Option<String>,
    pub next_interval: Option<Interval>,
    pub past_due_since: Option<i64>,
    pub coupon_batch_id: Option<String>,
    pub coupon_until: Option<i64>,
}

const COLUMNS: &str = "id, owner_kind, owner_id, plan_code, billing_interval, status, anchor_at, \
    period_start, period_end, trial_end, trial_used, cancel_at_period_end, cancel_reason, \
    next_plan_code, next_interval, past_due_since, coupon_batch_id, coupon_until";

fn sub_of(r: &AnyRow) -> Result<Sub, sqlx::Error> {
    let interval: String = r.try_get("billing_interval")?;
    let next: Option<String> = r.try_get("next_interval")?;
    Ok(Sub {
        id: r.try_get("id")?,
        kind: if r.try_get::<String, _>("owner_kind")? == "org" {
            OwnerKind::Org
        } else {
            OwnerKind::User
        },
        owner_id: r.try_get("owner_id")?,
        plan_code: r.try_get("plan_code")?,
        interval: Interval::parse(&interval).unwrap_or_default(),
        status: r.try_get("status")?,
        anchor_at: r.try_get("anchor_at")?,
        period_start: r.try_get("period_start")?,
        period_end: r.try_get("period_end")?,
        trial_end: r.try_get("trial_end")?,
        trial_used: r.try_get::<i64, _>("trial_used")? != 0,
        cancel_at_period_end: r.try_get::<i64, _>("cancel_at_period_end")? != 0,
        cancel_reason: r.try_get("cancel_reason")?,
        next_plan: r.try_get("next_plan_code")?,
        next_interval: next.as_deref().and_then(Interval::parse),
        past_due_since: r.try_get("past_due_since")?,
        coupon_batch_id: r.try_get("coupon_batch_id")?,
        coupon_until: r.try_get("coupon_until")?,
    })
}

/// A coupon in force on a subscription: a percentage off the prices of some plans (all when
/// none are named), until an instant or for good.
#[derive(Debug, Clone)]
pub(crate) struct Discount {
    pub name: String,
    pub percent: i64,
    pub until: Option<i64>,
    pub plans: Vec<String>,
}

impl Discount {
    pub fn applies(&self, plan: &str, at: i64) -> bool {
        self.until.is_none_or(|u| at < u)
            && (self.plans.is_empty() || self.plans.iter().any(|p| p == plan))
    }

    /// What it takes off `amount`.
    pub fn off(&self, amount: i64) -> i64 {
        period::prorate(amount, self.percent, 100)
    }

    /// What it takes off `amount` charged for `[start, end)`: only the part of that span it
    /// is in force for (three months of a coupon over a yearly period take a quarter of it).
    pub fn off_over(&self, amount: i64, (start, end): (i64, i64)) -> i64 {
        match self.until {
            Some(u) if u <= start => 0,
            Some(u) if u < end => period::prorate(self.off(amount), u - start, end - start),
            _ => self.off(amount),
        }
    }

    pub fn describe(&self) -> String {
        match self.until {
            Some(u) => format!(
                "{}: {}% off until {}",
                self.name,
                self.percent,
                ops_types::date_of_ms(u)
            ),
            None => format!("{}: {}% off", self.name, self.percent),
        }
    }
}

/// The subscription's coupon, if it has one (in force or not).
pub(crate) async fn discount(
    conn: &mut AnyConnection,
    s: &Sub,
) -> Result<Option<Discount>, BillingError> {
    let Some(id) = &s.coupon_batch_id else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT name, percent_off, plans FROM code_batches WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let plans: String = row.try_get("plans")?;
    Ok(Some(Discount {
        name: row.try_get("name")?,
        percent: row.try_get("percent_off")?,
        until: s.coupon_until,
        plans: serde_json::from_str(&plans).unwrap_or_default(),
    }))
}

impl Sub {
    pub fn owner(&self) -> (OwnerKind, &str) {
        (self.kind, &self.owner_id)
    }

    /// Paying now for a period of a priced plan (not on trial, not overdue).
    pub fn paying(&self) -> bool {
        self.status == "active"
    }
}

/// The account the caller's subscription request is about: their own, or an organisation's
/// they own or manage billing for. `write`: to change it.
pub(crate) async fn owner_of(
    db: &Db,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    write: bool,
) -> Result<(OwnerKind, String), BillingError> {
    let owner = account::readable(db, ctx, None, org_id).await?;
    if write {
        ctx.require(Permission::AccountWrite)?;
    }
    Ok(owner)
}

/// Makes the owner's subscription if it has none: on the user's tier (or free), monthly from
/// now, with the plan's included credits for the first period.
async fn ensure(
    conn: &mut AnyConnection,
    kind: OwnerKind,
    owner: &str,
) -> Result<(), BillingError> {
    let found = sqlx::query("SELECT id FROM subscriptions WHERE owner_kind = $1 AND owner_id = $2")
        .bind(kind.as_str())
        .bind(owner)
        .fetch_optional(&mut *conn)
        .await?;
    if found.is_some() {
        return Ok(());
    }
    let tier: Option<String> = match kind {
        OwnerKind::User => sqlx::query("SELECT tier FROM users WHERE id = $1")
            .bind(owner)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("tier"))
            .transpose()?,
        OwnerKind::Org => None,
    };
    let code = tier.unwrap_or_else(|| plans::FREE.to_string());
    let plan = plans::load(conn, &code).await?;
    let now = now_ms();
    let end = period::add_months(now, 1);
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO subscriptions (id, owner_kind, owner_id, plan_code, billing_interval, status, \
         anchor_at, period_start, period_end, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'month', 'active', $5, $5, $6, $5, $5) \
         ON CONFLICT (owner_kind, owner_id) DO NOTHING",
    )
    .bind(&id)
    .bind(kind.as_str())
    .bind(owner)
    .bind(&plan.code)
    .bind(now)
    .bind(end)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        event(
            conn,
            &id,
            "created",
            (None, Some(&plan.code)),
            0,
            None,
            None,
        )
        .await?;
        allowance(
            conn,
            (kind, owner),
            &plan,
            plan.included_credits,
            (now, end),
            &id,
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn select(
    conn: &mut AnyConnection,
    kind: OwnerKind,
    owner: &str,
) -> Result<Option<Sub>, BillingError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE owner_kind = $1 AND owner_id = $2"
    ))
    .bind(kind.as_str())
    .bind(owner)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(sub_of).transpose()?)
}

/// The owner's subscription, made if missing, locked for the rest of the transaction. A write
/// comes first (SQLite takes its write lock there: a read first would deadlock two callers
/// upgrading at once), then again once the row surely exists (PostgreSQL locks the row).
pub(crate) async fn lock(
    tx: &mut AnyConnection,
    kind: OwnerKind,
    owner: &str,
) -> Result<Sub, BillingError> {
    let touch = || {
        sqlx::query(
            "UPDATE subscriptions SET updated_at = updated_at WHERE owner_kind = $1 AND owner_id = $2",
        )
        .bind(kind.as_str())
        .bind(owner)
    };
    if touch().execute(&mut *tx).await?.rows_affected() == 0 {
        ensure(tx, kind, owner).await?;
        touch().execute(&mut *tx).await?;
    }
    select(tx, kind, owner)
        .await?
        .ok_or(BillingError::NotFound("subscription"))
}

/// Writes the row back after a change.
pub(crate) async fn save(conn: &mut AnyConnection, s: &Sub) -> Result<(), BillingError> {
    sqlx::query(
        "UPDATE subscriptions SET plan_code = $2, billing_interval = $3, status = $4, anchor_at = $5, \
         period_start = $6, period_end = $7, trial_end = $8, trial_used = $9, \
         cancel_at_period_end = $10, cancel_reason = $11, next_plan_code = $12, next_interval = $13, \
         past_due_since = $14, updated_at = $15 WHERE id = $1",
    )
    .bind(&s.id)
    .bind(&s.plan_code)
    .bind(s.interval.as_str())
    .bind(&s.status)
    .bind(s.anchor_at)
    .bind(s.period_start)
    .bind(s.period_end)
    .bind(s.trial_end)
    .bind(i64::from(s.trial_used))
    .bind(i64::from(s.cancel_at_period_end))
    .bind(&s.cancel_reason)
    .bind(&s.next_plan)
    .bind(s.next_interval.map(Interval::as_str))
    .bind(s.past_due_since)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    if s.kind == OwnerKind::User {
        // The user list shows and filters by plan: keep it in step.
        sqlx::query("UPDATE users SET tier = $2 WHERE id = $1 AND tier <> $2")
            .bind(&s.owner_id)
            .bind(&s.plan_code)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Appends to the subscription's history.
pub(crate) async fn event(
    conn: &mut AnyConnection,
    sub_id: &str,
    kind: &str,
    (from, to): (Option<&str>, Option<&str>),
    amount: i64,
    detail: Option<&str>,
    by: Option<(&str, Option<&str>)>,
) -> Result<(), BillingError> {
    let (actor, key) = by.unzip();
    sqlx::query(
        "INSERT INTO subscription_events (id, subscription_id, kind, from_plan, to_plan, amount, detail, \
         actor_id, request_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(sub_id)
    .bind(kind)
    .bind(from)
    .bind(to)
    .bind(amount)
    .bind(detail)
    .bind(actor)
    .bind(key.flatten())
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Grants a plan's included credits for `(start, end)`, expiring at `end`; once per
/// subscription and period start.
pub(crate) async fn allowance(
    conn: &mut AnyConnection,
    owner: (OwnerKind, &str),
    plan: &Plan,
    amount: i64,
    (start, end): (i64, i64),
    sub_id: &str,
) -> Result<(), BillingError> {
    if amount <= 0 || end <= now_ms() {
        return Ok(());
    }
    let reason = format!("{} plan: included credits", plan.name);
    let key = format!("allowance:{sub_id}:{start}:{amount}");
    ledger::credit(
        conn,
        owner,
        Credit {
            kind: "allowance",
            bucket: CreditBucket::Granted,
            amount,
            priority: Some(ALLOWANCE_PRIORITY),
            expires_at: Some(end),
            meta: Meta {
                reason: Some(&reason),
                reference: Some(sub_id),
                idempotency_key: Some(&key),
                ..Meta::default()
            },
        },
    )
    .await?;
    Ok(())
}

/// The wire form: the plan and the entitlements in force.
pub(crate) async fn view(conn: &mut AnyConnection, s: &Sub) -> Result<Subscription, BillingError> {
    let plan = plans::load(conn, &s.plan_code).await?;
    let coupon = discount(conn, s).await?;
    let next_charge = if s.cancel_at_period_end || s.status == "suspended" {
        0
    } else {
        let next = match &s.next_plan {
            Some(code) => plans::load(conn, code).await?,
            None => plan.clone(),
        };
        let price = plans::price(&next, s.next_interval.unwrap_or(s.interval)).unwrap_or(0);
        match &coupon {
            Some(d) if d.applies(&next.code, s.period_end) => {
                let months = s.next_interval.unwrap_or(s.interval).months();
                let span = (
                    s.period_end,
                    period::add_months(s.period_end, i64::from(months)),
                );
                price - d.off_over(price, span)
            }
            _ => price,
        }
    };
    let now = now_ms();
    let coupon = coupon
        .filter(|d| d.until.is_none_or(|u| u > now))
        .map(|d| d.describe());
    let access = access::of(conn, s, &plan).await?;
    Ok(Subscription {
        id: s.id.clone(),
        owner_kind: s.kind,
        owner_id: s.owner_id.clone(),
        plan,
        interval: s.interval,
        status: s.status.clone(),
        period_start: s.period_start,
        period_end: s.period_end,
        trial_end: s.trial_end,
        cancel_at_period_end: s.cancel_at_period_end,
        cancel_reason: s.cancel_reason.clone(),
        next_plan: s.next_plan.clone(),
        next_interval: s.next_interval,
        next_charge,
        coupon,
        access,
    })
}

/// The owner's subscription, made (under its lock) if missing.
pub(crate) async fn of_owner(db: &Db, kind: OwnerKind, owner: &str) -> Result<Sub, BillingError> {
    let mut conn = db.pool().acquire().await?;
    if let Some(s) = select(&mut conn, kind, owner).await? {
        return Ok(s);
    }
    drop(conn);
    let mut tx = db.begin().await?;
    let s = lock(&mut tx, kind, owner).await?;
    tx.commit().await?;
    Ok(s)
}

/// `GET /api/v1/subscriptions/current` (alias `/my-access`).
pub async fn current(
    db: &Db,
    ctx: &AuthCtx,
    q: &SubscriptionQuery,
) -> Result<Subscription, BillingError> {
    let (kind, owner) = owner_of(db, ctx, q.org_id.as_deref(), false).await?;
    let s = of_owner(db, kind, &owner).await?;
    let mut conn = db.pool().acquire().await?;
    view(&mut conn, &s).await
}

/// `GET /api/v1/subscriptions/history`: newest first.
pub async fn history(
    db: &Db,
    ctx: &AuthCtx,
    q: &SubscriptionQuery,
) -> Result<Vec<SubscriptionEvent>, BillingError> {
    let (kind, owner) = owner_of(db, ctx, q.org_id.as_deref(), false).await?;
    let s = of_owner(db, kind, &owner).await?;
    history_of(db, &s.id).await
}

/// A subscription's history, newest first (200 at most).
pub(crate) async fn history_of(
    db: &Db,
    sub_id: &str,
) -> Result<Vec<SubscriptionEvent>, BillingError> {
    let rows = sqlx::query(
        "SELECT e.kind, e.from_plan, e.to_plan, e.amount, e.detail, u.email AS actor_email, e.created_at \
         FROM subscription_events e LEFT JOIN users u ON u.id = e.actor_id \
         WHERE e.subscription_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT 200",
    )
    .bind(sub_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SubscriptionEvent {
                kind: r.try_get("kind")?,
                from_plan: r.try_get("from_plan")?,
                to_plan: r.try_get("to_plan")?,
                amount: r.try_get("amount")?,
                detail: r.try_get("detail")?,
                actor_email: r.try_get("actor_email")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
