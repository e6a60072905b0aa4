//! Entitlements: what an account may use now and how much of each allowance is left. An overdue
//! subscription gets the free plan's entitlements; a suspended one gets none. The same rules
//! answer `check-access` and refuse usage (402 or 429, naming the limit, the amount used and
//! when it resets).

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, Db, Row, now_ms};
use ops_types::{Access, AccessCheck, ErrorCode, Limit, Plan, SERVICES, SubscriptionQuery};

use crate::subscription::{self, Sub};
use crate::{BillingError, plans};

const MINUTE_MS: i64 = 60_000;

/// The plan whose entitlements apply to `s` now.
pub(crate) async fn effective(
    conn: &mut AnyConnection,
    s: &Sub,
    plan: &Plan,
) -> Result<Plan, BillingError> {
    Ok(match s.status.as_str() {
        "past_due" => plans::load(conn, plans::FREE).await?,
        "suspended" => Plan {
            services: Vec::new(),
            ..plans::load(conn, plans::FREE).await?
        },
        _ => plan.clone(),
    })
}

/// Requests and cost so far this period, and requests in the last minute.
async fn counts(
    conn: &mut AnyConnection,
    s: &Sub,
    now: i64,
) -> Result<(i64, i64, i64), BillingError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, \
         CAST(COALESCE(SUM(cost), 0) AS BIGINT) AS cost FROM usage_counters \
         WHERE owner_kind = $1 AND owner_id = $2 AND period_start = $3",
    )
    .bind(s.kind.as_str())
    .bind(&s.owner_id)
    .bind(s.period_start)
    .fetch_one(&mut *conn)
    .await?;
    let minute: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM usage_events WHERE owner_kind = $1 AND owner_id = $2 AND created_at > $3",
    )
    .bind(s.kind.as_str())
    .bind(&s.owner_id)
    .bind(now - MINUTE_MS)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    Ok((row.try_get("requests")?, row.try_get("cost")?, minute))
}

/// At the pace since `start`, when `used` reaches `limit` (if before `end`).
fn projection(used: i64, limit: Option<i64>, (start, end): (i64, i64), now: i64) -> Option<i64> {
    let limit = limit?;
    let spent = now - start;
    if used <= 0 || spent <= 0 {
        return None;
    }
    if used >= limit {
        return Some(now);
    }
    let at = now + (i128::from(limit - used) * i128::from(spent) / i128::from(used)) as i64;
    (at < end).then_some(at)
}

fn limits(s: &Sub, p: &Plan, (requests, cost, minute): (i64, i64, i64), now: i64) -> Vec<Limit> {
    let span = (s.period_start, s.period_end);
    vec![
        Limit {
            name: "requests".into(),
            used: requests,
            limit: p.request_limit,
            resets_at: s.period_end,
            projected_at: projection(requests, p.request_limit, span, now),
        },
        Limit {
            name: "included_credits".into(),
            used: cost.min(p.included_credits),
            limit: Some(p.included_credits),
            resets_at: s.period_end,
            projected_at: projection(cost, Some(p.included_credits), span, now),
        },
        Limit {
            name: "rate".into(),
            used: minute,
            limit: p.rate_limit_rpm.map(i64::from),
            resets_at: now + MINUTE_MS,
            projected_at: None,
        },
    ]
}

/// The entitlements in force for `s` on `plan`.
pub(crate) async fn of(
    conn: &mut AnyConnection,
    s: &Sub,
    plan: &Plan,
) -> Result<Access, BillingError> {
    let p = effective(conn, s, plan).await?;
    let now = now_ms();
    let used = counts(conn, s, now).await?;
    Ok(Access {
        plan: p.code.clone(),
        services: p.services.clone(),
        features: p.features.clone(),
        model_groups: p.model_groups.clone(),
        limits: limits(s, &p, used, now),
        resets_at: s.period_end,
    })
}

/// Whether one more request for `service` may go ahead: `Err(Refused)` naming the limit.
/// The caller holds the subscription's lock when it is about to record the request.
pub(crate) async fn enforce(
    conn: &mut AnyConnection,
    s: &Sub,
    service: &str,
) -> Result<Plan, BillingError> {
    if !SERVICES.iter().any(|(k, _)| *k == service) {
        return Err(BillingError::NotFound("service"));
    }
    let plan = plans::load(conn, &s.plan_code).await?;
    let p = effective(conn, s, &plan).await?;
    let refuse = |code, message: String, limit: Option<Limit>| BillingError::Refused {
        code,
        message,
        retry_after: limit
            .as_ref()
            .map(|l: &Limit| ((l.resets_at - now_ms()).max(0) as u64).div_ceil(1000)),
        limit,
    };
    if s.status == "suspended" {
        return Err(refuse(
            ErrorCode::PlanRequired,
            "this subscription is suspended".into(),
            None,
        ));
    }
    if !p.services.iter().any(|x| x == service) {
        let why = if s.status == "past_due" {
            format!(
                "payment is overdue, so the free plan applies and it does not include `{service}`"
            )
        } else {
            format!(
                "the {} plan does not include `{service}`; upgrade to use it",
                p.name
            )
        };
        return Err(refuse(ErrorCode::PlanRequired, why, None));
    }
    let now = now_ms();
    for l in limits(s, &p, counts(conn, s, now).await?, now) {
        let Some(max) = l.limit else { continue };
        if l.name == "included_credits" || l.used < max {
            continue;
        }
        let (code, what) = if l.name == "rate" {
            (ErrorCode::RateLimited, format!("{max} requests a minute"))
        } else {
            (
                ErrorCode::QuotaExceeded,
                format!("{max} requests this period"),
            )
        };
        let message = format!(
            "the {} plan allows {what}; {} used; resets at {}",
            p.name,
            l.used,
            ops_types::date_of_ms(l.resets_at)
        );
        return Err(refuse(code, message, Some(l)));
    }
    Ok(p)
}

/// `POST /api/v1/subscriptions/check-access/{service}`: 200 either way, saying why not.
pub async fn check(
    db: &Db,
    ctx: &AuthCtx,
    service: &str,
    q: &SubscriptionQuery,
) -> Result<AccessCheck, BillingError> {
    let (kind, owner) = subscription::owner_of(db, ctx, q.org_id.as_deref(), false).await?;
    let s = subscription::of_owner(db, kind, &owner).await?;
    let mut conn = db.pool().acquire().await?;
    match enforce(&mut conn, &s, service).await {
        Ok(p) => Ok(AccessCheck {
            service: service.to_string(),
            allowed: true,
            plan: p.code,
            reason: None,
            limit: None,
        }),
        Err(BillingError::Refused { message, limit, .. }) => Ok(AccessCheck {
            service: service.to_string(),
            allowed: false,
            plan: {
                let plan = plans::load(&mut conn, &s.plan_code).await?;
                effective(&mut conn, &s, &plan).await?.code
            },
            reason: Some(message),
            limit,
        }),
        Err(e) => Err(e),
    }
}
