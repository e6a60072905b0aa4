//! The plan catalogue: anyone signed in reads the public plans; administrators with
//! `billing_manage` see every plan with its subscriber count, create, change, hide and delete
//! plans, each change audited.

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AnyRow, AuditRecord, Db, Row, now_ms, record_audit};
use ops_types::{Interval, MAX_AMOUNT, Overage, Permission, Plan, SERVICES};

use crate::BillingError;

/// The plan every account falls back to: never deleted.
pub const FREE: &str = "free";

const COLUMNS: &str = "code, name, description, position, currency, price_monthly, price_yearly, \
    trial_days, included_credits, request_limit, rate_limit_rpm, overage, services, features, \
    model_groups, public, llm_price_percent, \
    (SELECT COUNT(*) FROM subscriptions s WHERE s.plan_code = plans.code) AS subscribers";

fn list_of(r: &AnyRow, col: &str) -> Result<Vec<String>, sqlx::Error> {
    let raw: String = r.try_get(col)?;
    Ok(serde_json::from_str(&raw).unwrap_or_default())
}

fn plan_of(r: &AnyRow) -> Result<Plan, sqlx::Error> {
    let overage: String = r.try_get("overage")?;
    Ok(Plan {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        position: r.try_get("position")?,
        currency: r.try_get("currency")?,
        price_monthly: r.try_get("price_monthly")?,
        price_yearly: r.try_get("price_yearly")?,
        trial_days: r.try_get("trial_days")?,
        included_credits: r.try_get("included_credits")?,
        request_limit: r.try_get("request_limit")?,
        rate_limit_rpm: r.try_get("rate_limit_rpm")?,
        overage: Overage::parse(&overage).unwrap_or_default(),
        services: list_of(r, "services")?,
        features: list_of(r, "features")?,
        model_groups: list_of(r, "model_groups")?,
        llm_price_percent: r.try_get("llm_price_percent")?,
        public: r.try_get::<i64, _>("public")? != 0,
        subscribers: r.try_get("subscribers")?,
    })
}

/// The price of one period of `interval`; `None` when the plan is not sold that way (a paid
/// plan with no yearly price).
pub fn price(plan: &Plan, interval: Interval) -> Option<i64> {
    let free = plan.price_monthly == 0 && plan.price_yearly == 0;
    match interval {
        Interval::Month if plan.price_monthly > 0 || free => Some(plan.price_monthly),
        Interval::Year if plan.price_yearly > 0 || free => Some(plan.price_yearly),
        _ => None,
    }
}

/// Where a plan ranks: a year at its monthly price (or its yearly price when it is only sold
/// yearly). Higher ranks are upgrades, whatever the interval each is billed at.
pub fn rank(plan: &Plan) -> i64 {
    if plan.price_monthly > 0 {
        plan.price_monthly.saturating_mul(12)
    } else {
        plan.price_yearly
    }
}

/// One plan by code, on a connection (inside a move's transaction).
pub(crate) async fn load(conn: &mut AnyConnection, code: &str) -> Result<Plan, BillingError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM plans WHERE code = $1"))
        .bind(code)
        .fetch_optional(conn)
        .await?
        .ok_or(BillingError::NotFound("plan"))?;
    Ok(plan_of(&row)?)
}

/// `GET /api/v1/subscriptions/plans`: the public plans for everyone; every plan, with its
/// subscriber count, for billing administrators.
pub async fn list(db: &Db, ctx: &AuthCtx) -> Result<Vec<Plan>, BillingError> {
    ctx.require(Permission::AccountRead)?;
    let admin = ctx.require(Permission::BillingManage).is_ok();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM plans {} ORDER BY position, code",
        if admin { "" } else { "WHERE public = 1" }
    ))
    .fetch_all(db.pool())
    .await?;
    let mut plans = rows.iter().map(plan_of).collect::<Result<Vec<_>, _>>()?;
    if !admin {
        plans.iter_mut().for_each(|p| p.subscribers = 0);
    }
    Ok(plans)
}

/// `GET /api/v1/subscriptions/plans/{code}`.
pub async fn get(db: &Db, ctx: &AuthCtx, code: &str) -> Result<Plan, BillingError> {
    list(db, ctx)
        .await?
        .into_iter()
        .find(|p| p.code == code)
        .ok_or(BillingError::NotFound("plan"))
}

fn slug(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && s.len() <= 40
}

fn slugs(field: &'static str, items: &[String]) -> Result<Vec<String>, BillingError> {
    let mut out: Vec<String> = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !slug(item) {
            return Err(BillingError::invalid(
                field,
                format!("`{item}`: lower-case letters, digits, - and _, at most 40"),
            ));
        }
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    if out.len() > 30 {
        return Err(BillingError::invalid(field, "at most 30"));
    }
    Ok(out)
}

/// The plan as it will be stored, or the first field that is wrong.
fn validate(p: &Plan) -> Result<Plan, BillingError> {
    let bad = |f: &'static str, m: &str| BillingError::invalid(f, m);
    if !slug(&p.code) {
        return Err(bad(
            "code",
            "lower-case letters, digits, - and _, starting with a letter or digit, at most 40",
        ));
    }
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(bad("name", "1 to 80 characters"));
    }
    if p.description.chars().count() > 500 {
        return Err(bad("description", "at most 500 characters"));
    }
    if p.currency.len() != 3 || !p.currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(bad("currency", "a three-letter code such as USD"));
    }
    for (field, v) in [
        ("price_monthly", p.price_monthly),
        ("price_yearly", p.price_yearly),
        ("included_credits", p.included_credits),
    ] {
        if !(0..=MAX_AMOUNT).contains(&v) {
            return Err(bad(field, &format!("from 0 to {MAX_AMOUNT} micro-units")));
        }
    }
    if !(0..=365).contains(&p.trial_days) {
        return Err(bad("trial_days", "from 0 to 365"));
    }
    if p.trial_days > 0 && p.price_monthly == 0 && p.price_yearly == 0 {
        return Err(bad("trial_days", "a free plan has no trial"));
    }
    if p.request_limit
        .is_some_and(|n| !(1..=1_000_000_000_000).contains(&n))
    {
        return Err(bad(
            "request_limit",
            "from 1 to 10^12, or none for unlimited",
        ));
    }
    if p.rate_limit_rpm
        .is_some_and(|n| !(1..=1_000_000).contains(&n))
    {
        return Err(bad(
            "rate_limit_rpm",
            "from 1 to 1 000 000, or none for unlimited",
        ));
    }
    if !(0..=10_000).contains(&p.position) {
        return Err(bad("position", "from 0 to 10 000"));
    }
    if let Some(s) = p
        .services
        .iter()
        .find(|s| !SERVICES.iter().any(|(k, _)| k == s))
    {
        let known: Vec<&str> = SERVICES.iter().map(|(k, _)| *k).collect();
        return Err(bad(
            "services",
            &format!("unknown service `{s}`; known: {}", known.join(", ")),
        ));
    }
    if p.llm_price_percent
        .is_some_and(|v| !(1..=1000).contains(&v))
    {
        return Err(bad(
            "llm_price_percent",
            "from 1 to 1000 (% of the list prices), or none",
        ));
    }
    Ok(Plan {
        code: p.code.clone(),
        name: name.to_string(),
        description: p.description.trim().to_string(),
        services: slugs("services", &p.services)?,
        features: slugs("features", &p.features)?,
        model_groups: slugs("model_groups", &p.model_groups)?,
        subscribers: 0,
        ..p.clone()
    })
}

fn json(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

async fn audit(
    conn: &mut AnyConnection,
    ctx: &AuthCtx,
    action: &str,
    plan: &Plan,
    detail: &str,
) -> Result<(), BillingError> {
    record_audit(
        conn,
        AuditRecord {
            target: Some(&plan.code),
            target_label: Some(&plan.name),
            detail: Some(detail),
            ..ctx.audit(action)
        },
    )
    .await?;
    Ok(())
}

/// What an update changes, for the audit entry.
fn changes(old: &Plan, new: &Plan) -> String {
    let mut out = Vec::new();
    let mut diff = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name}={a}->{b}"));
        }
    };
    diff("name", old.name.clone(), new.name.clone());
    diff(
        "price_monthly",
        old.price_monthly.to_string(),
        new.price_monthly.to_string(),
    );
    diff(
        "price_yearly",
        old.price_yearly.to_string(),
        new.price_yearly.to_string(),
    );
    diff(
        "trial_days",
        old.trial_days.to_string(),
        new.trial_days.to_string(),
    );
    diff(
        "included_credits",
        old.included_credits.to_string(),
        new.included_credits.to_string(),
    );
    diff(
        "request_limit",
        format!("{:?}", old.request_limit),
        format!("{:?}", new.request_limit),
    );
    diff(
        "rate_limit_rpm",
        format!("{:?}", old.rate_limit_rpm),
        format!("{:?}", new.rate_limit_rpm),
    );
    diff(
        "overage",
        old.overage.as_str().into(),
        new.overage.as_str().into(),
    );
    diff("services", old.services.join(","), new.services.join(","));
    diff("features", old.features.join(","), new.features.join(","));
    diff(
        "model_groups",
        old.model_groups.join(","),
        new.model_groups.join(","),
    );
    diff("public", old.public.to_string(), new.public.to_string());
    diff(
        "llm_price_percent",
        format!("{:?}", old.llm_price_percent),
        format!("{:?}", new.llm_price_percent),
    );
    diff(
        "position",
        old.position.to_string(),
        new.position.to_string(),
    );
    diff("currency", old.currency.clone(), new.currency.clone());
    diff(
        "description",
        old.description.clone(),
        new.description.clone(),
    );
    if out.is_empty() {
        "no change".into()
    } else {
        out.join(" ")
    }
}

async fn write(conn: &mut AnyConnection, p: &Plan, insert: bool) -> Result<(), BillingError> {
    let sql = if insert {
        "INSERT INTO plans (code, name, description, position, currency, price_monthly, price_yearly, \
         trial_days, included_credits, request_limit, rate_limit_rpm, overage, services, features, \
         model_groups, public, created_at, updated_at, llm_price_percent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18)"
    } else {
        "UPDATE plans SET name = $2, description = $3, position = $4, currency = $5, \
         price_monthly = $6, price_yearly = $7, trial_days = $8, included_credits = $9, \
         request_limit = $10, rate_limit_rpm = $11, overage = $12, services = $13, features = $14, \
         model_groups = $15, public = $16, updated_at = $17, llm_price_percent = $18 WHERE code = $1"
    };
    sqlx::query(sql)
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.position)
        .bind(&p.currency)
        .bind(p.price_monthly)
        .bind(p.price_yearly)
        .bind(p.trial_days)
        .bind(p.included_credits)
        .bind(p.request_limit)
        .bind(p.rate_limit_rpm)
        .bind(p.overage.as_str())
        .bind(json(&p.services))
        .bind(json(&p.features))
        .bind(json(&p.model_groups))
        .bind(i64::from(p.public))
        .bind(now_ms())
        .bind(p.llm_price_percent)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// `POST /api/v1/subscriptions/plans`.
pub async fn create(db: &Db, ctx: &AuthCtx, input: &Plan) -> Result<Plan, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let plan = validate(input)?;
    let mut tx = db.begin().await?;
    crate::write_first(&mut tx).await?;
    let exists = sqlx::query("SELECT code FROM plans WHERE code = $1")
        .bind(&plan.code)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_some() {
        return Err(BillingError::Conflict(format!(
            "a plan with the code `{}` exists",
            plan.code
        )));
    }
    write(&mut tx, &plan, true).await?;
    audit(&mut tx, ctx, "plans.create", &plan, "created").await?;
    let saved = load(&mut tx, &plan.code).await?;
    tx.commit().await?;
    Ok(saved)
}

/// `PUT /api/v1/subscriptions/plans/{code}`: everything but the code. Subscribers keep their
/// period; new prices apply from their next renewal.
pub async fn update(
    db: &Db,
    ctx: &AuthCtx,
    code: &str,
    input: &Plan,
) -> Result<Plan, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let plan = validate(&Plan {
        code: code.to_string(),
        ..input.clone()
    })?;
    if code == FREE && (plan.price_monthly > 0 || plan.price_yearly > 0) {
        return Err(BillingError::invalid(
            "price_monthly",
            "the free plan is where every account falls back to: it stays free",
        ));
    }
    let mut tx = db.begin().await?;
    crate::write_first(&mut tx).await?;
    let old = load(&mut tx, code).await?;
    write(&mut tx, &plan, false).await?;
    audit(&mut tx, ctx, "plans.update", &plan, &changes(&old, &plan)).await?;
    let saved = load(&mut tx, code).await?;
    tx.commit().await?;
    Ok(saved)
}

/// `DELETE /api/v1/subscriptions/plans/{code}`: only a plan nobody is on or moving to; hide
/// it instead to stop selling it.
pub async fn delete(db: &Db, ctx: &AuthCtx, code: &str) -> Result<(), BillingError> {
    ctx.require(Permission::BillingManage)?;
    if code == FREE {
        return Err(BillingError::Conflict(
            "the free plan is where every account falls back to; it cannot be deleted".into(),
        ));
    }
    let mut tx = db.begin().await?;
    crate::write_first(&mut tx).await?;
    let plan = load(&mut tx, code).await?;
    let users: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE tier = $1")
        .bind(code)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    let moving: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM subscriptions WHERE next_plan_code = $1")
            .bind(code)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
    let on = plan.subscribers.max(users) + moving;
    if on > 0 {
        return Err(BillingError::Conflict(format!(
            "{on} account(s) are on or moving to this plan; hide it instead, or move them first"
        )));
    }
    sqlx::query("DELETE FROM plans WHERE code = $1")
        .bind(code)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, ctx, "plans.delete", &plan, "deleted").await?;
    tx.commit().await?;
    Ok(())
}
