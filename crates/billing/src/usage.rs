//! Usage: metered requests recorded once each (by the caller's event id), checked against the
//! plan and charged to the ledger in one transaction, counted per period and service; and the
//! reports over them.

use ops_auth::{AuthCtx, orgs};
use ops_db::{AnyConnection, AnyRow, Db, Row, new_id, now_ms};
use ops_types::{
    CreditBucket, ErrorCode, MAX_AMOUNT, Overage, OwnerKind, Permission, ServiceUsage,
    UsageCurrent, UsageDay, UsageLog, UsageQuery, UsageRecord, date_of_ms, format_amount,
};

use crate::ledger::{self, Debit, Meta};
use crate::subscription::{self, Sub};
use crate::{BillingError, access};

const DAY_MS: i64 = 86_400_000;

/// Whose usage: one's own, an organisation one belongs to, or (with `billing_manage`)
/// another user's.
async fn owner_of(
    db: &Db,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    user_id: Option<&str>,
) -> Result<(OwnerKind, String), BillingError> {
    ctx.require(Permission::AccountRead)?;
    if let Some(user) = user_id.filter(|u| !u.is_empty() && *u != ctx.user_id) {
        ctx.require(Permission::BillingManage)?;
        return crate::account::target(db, Some(user), None).await;
    }
    match org_id.filter(|o| !o.is_empty()) {
        None => Ok((OwnerKind::User, ctx.user_id.clone())),
        Some(org) => {
            let a = orgs::access(db, ctx, org).await?;
            if a.role.is_none() && !a.platform {
                return Err(
                    ops_auth::AuthError::Refused("not a member of this organisation").into(),
                );
            }
            Ok((OwnerKind::Org, a.org.id))
        }
    }
}

fn record_of(r: &AnyRow) -> Result<UsageRecord, sqlx::Error> {
    Ok(UsageRecord {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        service: r.try_get("service")?,
        model: r.try_get("model")?,
        quantity: r.try_get("quantity")?,
        cost: r.try_get("cost")?,
        created_at: r.try_get("created_at")?,
        replayed: false,
    })
}

const RECORD_COLUMNS: &str = "id, event_id, service, model, quantity, cost, created_at";

fn validate(input: &UsageLog) -> Result<(i64, i64), BillingError> {
    let bad = |f: &'static str, m: &str| BillingError::invalid(f, m);
    let id = &input.event_id;
    if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
        return Err(bad("event_id", "1 to 128 printable characters"));
    }
    let quantity = input.quantity.unwrap_or(1);
    if !(0..=1_000_000_000_000).contains(&quantity) {
        return Err(bad("quantity", "from 0 to 10^12"));
    }
    let cost = input.cost.unwrap_or(0);
    if !(0..=MAX_AMOUNT).contains(&cost) {
        return Err(bad("cost", &format!("from 0 to {MAX_AMOUNT} micro-units")));
    }
    if input
        .model
        .as_ref()
        .is_some_and(|m| m.chars().count() > 200)
    {
        return Err(bad("model", "at most 200 characters"));
    }
    Ok((quantity, cost))
}

async fn charge(
    conn: &mut AnyConnection,
    s: &Sub,
    overage: Overage,
    cost: i64,
    input: &UsageLog,
) -> Result<(), BillingError> {
    let key = format!("usage:{}", input.event_id);
    let reason = match &input.model {
        Some(m) => format!("{} ({m})", input.service),
        None => input.service.clone(),
    };
    let debit = Debit {
        kind: "spend",
        amount: cost,
        only: (overage == Overage::Block).then_some(CreditBucket::Granted),
        meta: Meta {
            reason: Some(&reason),
            reference: Some(&input.event_id),
            idempotency_key: Some(&key),
            ..Meta::default()
        },
    };
    match ledger::debit(conn, s.owner(), debit).await {
        Ok(_) => Ok(()),
        Err(BillingError::Insufficient { needed, available }) => {
            let message = if overage == Overage::Block {
                format!(
                    "the plan's included credits are used up ({} left, {} needed); they reset on {}, or upgrade",
                    format_amount(available, "USD"),
                    format_amount(needed, "USD"),
                    date_of_ms(s.period_end)
                )
            } else {
                format!(
                    "not enough credits: {} needed, {} available; buy credits",
                    format_amount(needed, "USD"),
                    format_amount(available, "USD")
                )
            };
            Err(BillingError::Refused {
                code: ErrorCode::InsufficientCredits,
                message,
                limit: None,
                retry_after: None,
            })
        }
        Err(e) => Err(e),
    }
}

/// `POST /api/v1/usage/log`: checks the plan (service, request and rate limits), charges the
/// cost (from included credits only when the plan stops at its allowance) and records the
/// event, all or nothing. A retry with the same `event_id` answers with the first record.
pub async fn log(db: &Db, ctx: &AuthCtx, input: &UsageLog) -> Result<UsageRecord, BillingError> {
    let (quantity, cost) = validate(input)?;
    let (kind, owner) =
        owner_of(db, ctx, input.org_id.as_deref(), input.user_id.as_deref()).await?;
    let mut tx = db.begin().await?;
    let s = subscription::lock(&mut tx, kind, &owner).await?;
    let seen = sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM usage_events WHERE owner_kind = $1 AND owner_id = $2 AND event_id = $3"
    ))
    .bind(kind.as_str())
    .bind(&owner)
    .bind(&input.event_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = seen {
        let first = record_of(&row)?;
        if first.service != input.service || first.quantity != quantity || first.cost != cost {
            return Err(BillingError::invalid(
                "event_id",
                "this event_id was already recorded for a different request",
            ));
        }
        return Ok(UsageRecord {
            replayed: true,
            ..first
        });
    }
    let plan = access::enforce(&mut tx, &s, &input.service).await?;
    if cost > 0 {
        charge(&mut tx, &s, plan.overage, cost, input).await?;
    }
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO usage_events (id, owner_kind, owner_id, event_id, user_id, service, model, quantity, \
         cost, period_start, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(kind.as_str())
    .bind(&owner)
    .bind(&input.event_id)
    .bind(&ctx.user_id)
    .bind(&input.service)
    .bind(&input.model)
    .bind(quantity)
    .bind(cost)
    .bind(s.period_start)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO usage_counters (owner_kind, owner_id, period_start, service, requests, quantity, cost) \
         VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (owner_kind, owner_id, period_start, service) \
         DO UPDATE SET requests = usage_counters.requests + 1, \
         quantity = usage_counters.quantity + excluded.quantity, cost = usage_counters.cost + excluded.cost",
    )
    .bind(kind.as_str())
    .bind(&owner)
    .bind(s.period_start)
    .bind(&input.service)
    .bind(quantity)
    .bind(cost)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(UsageRecord {
        id,
        event_id: input.event_id.clone(),
        service: input.service.clone(),
        model: input.model.clone(),
        quantity,
        cost,
        created_at: now,
        replayed: false,
    })
}

/// `GET /api/v1/usage/current` (and `/by-service`): this period, by service, with the limits.
pub async fn current(db: &Db, ctx: &AuthCtx, q: &UsageQuery) -> Result<UsageCurrent, BillingError> {
    let (kind, owner) = owner_of(db, ctx, q.org_id.as_deref(), None).await?;
    let s = subscription::of_owner(db, kind, &owner).await?;
    let mut conn = db.pool().acquire().await?;
    let plan = crate::plans::load(&mut conn, &s.plan_code).await?;
    let access = access::of(&mut conn, &s, &plan).await?;
    let rows = sqlx::query(
        "SELECT service, requests, quantity, cost FROM usage_counters \
         WHERE owner_kind = $1 AND owner_id = $2 AND period_start = $3 ORDER BY cost DESC, service",
    )
    .bind(kind.as_str())
    .bind(&owner)
    .bind(s.period_start)
    .fetch_all(&mut *conn)
    .await?;
    let services = rows
        .iter()
        .map(|r| {
            Ok(ServiceUsage {
                service: r.try_get("service")?,
                requests: r.try_get("requests")?,
                quantity: r.try_get("quantity")?,
                cost: r.try_get("cost")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let left = (s.period_end - now_ms()).max(0);
    Ok(UsageCurrent {
        plan: access.plan,
        period_start: s.period_start,
        period_end: s.period_end,
        resets_in_days: (left + DAY_MS - 1) / DAY_MS,
        services,
        limits: access.limits,
    })
}

fn days(q: &UsageQuery) -> Result<i64, BillingError> {
    let d = q.days.unwrap_or(30);
    if !(1..=366).contains(&d) {
        return Err(BillingError::invalid("days", "from 1 to 366"));
    }
    Ok(d)
}

/// The events of the last `days` (newest first), at most `limit`.
async fn events(
    db: &Db,
    ctx: &AuthCtx,
    q: &UsageQuery,
    limit: i64,
) -> Result<Vec<UsageRecord>, BillingError> {
    let (kind, owner) = owner_of(db, ctx, q.org_id.as_deref(), None).await?;
    let since = now_ms() - days(q)? * DAY_MS;
    let service = q.service.as_deref().filter(|s| !s.is_empty());
    let rows = sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM usage_events WHERE owner_kind = $1 AND owner_id = $2 \
         AND created_at >= $3 AND ($4 IS NULL OR service = $4) ORDER BY created_at DESC, id DESC LIMIT $5"
    ))
    .bind(kind.as_str())
    .bind(&owner)
    .bind(since)
    .bind(service)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(record_of).collect::<Result<_, _>>()?)
}

/// `GET /api/v1/usage/history`: requests and cost per day (UTC), oldest first, every day of
/// the range present.
pub async fn history(
    db: &Db,
    ctx: &AuthCtx,
    q: &UsageQuery,
) -> Result<Vec<UsageDay>, BillingError> {
    let (kind, owner) = owner_of(db, ctx, q.org_id.as_deref(), None).await?;
    let n = days(q)?;
    let today = now_ms().div_euclid(DAY_MS);
    let service = q.service.as_deref().filter(|s| !s.is_empty());
    let rows = sqlx::query(
        "SELECT created_at / 86400000 AS d, COUNT(*) AS requests, CAST(SUM(cost) AS BIGINT) AS cost \
         FROM usage_events WHERE owner_kind = $1 AND owner_id = $2 AND created_at >= $3 \
         AND ($4 IS NULL OR service = $4) GROUP BY created_at / 86400000",
    )
    .bind(kind.as_str())
    .bind(&owner)
    .bind((today - n + 1) * DAY_MS)
    .bind(service)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<UsageDay> = (0..n)
        .rev()
        .map(|i| UsageDay {
            day: ops_types::date_of_day(today - i),
            requests: 0,
            cost: 0,
        })
        .collect();
    for r in &rows {
        let d: i64 = r.try_get("d")?;
        if let Some(slot) = out.get_mut((d - (today - n + 1)) as usize) {
            slot.requests = r.try_get("requests")?;
            slot.cost = r.try_get("cost")?;
        }
    }
    Ok(out)
}

/// `GET /api/v1/usage/export`: the events of the range (newest first, at most 100 000).
pub async fn export(
    db: &Db,
    ctx: &AuthCtx,
    q: &UsageQuery,
) -> Result<Vec<UsageRecord>, BillingError> {
    events(db, ctx, q, 100_000).await
}
