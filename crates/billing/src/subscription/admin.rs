//! Administrators and subscriptions (`billing_manage`): the list with filters, one
//! subscription in full, suspending and resuming it, resetting its period's usage, each
//! audited and kept in its history.

use ops_auth::AuthCtx;
use ops_db::{AnyRow, AuditRecord, Db, Row, record_audit};
use ops_types::{
    AdminAction, AdminSubscription, AdminSubscriptionDetail, AdminSubscriptionPage,
    AdminSubscriptionQuery, Interval, OwnerKind, Permission,
};

use super::{COLUMNS, Sub, event, save, sub_of, view};
use crate::BillingError;

/// The owner's name: a user's e-mail or an organisation's name.
const OWNER_NAME: &str = "COALESCE((SELECT u.email FROM users u WHERE s.owner_kind = 'user' AND u.id = s.owner_id), \
    (SELECT o.name FROM orgs o WHERE s.owner_kind = 'org' AND o.id = s.owner_id), s.owner_id)";

/// Monthly-equivalent price of a paying subscription, in SQL (0 on trial, overdue, suspended).
pub(crate) const MRR: &str = "CASE WHEN s.status = 'active' AND s.billing_interval = 'year' \
    THEN p.price_yearly / 12 WHEN s.status = 'active' THEN p.price_monthly ELSE 0 END";

fn item_of(r: &AnyRow) -> Result<AdminSubscription, sqlx::Error> {
    let interval: String = r.try_get("billing_interval")?;
    Ok(AdminSubscription {
        id: r.try_get("id")?,
        owner_kind: if r.try_get::<String, _>("owner_kind")? == "org" {
            OwnerKind::Org
        } else {
            OwnerKind::User
        },
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        plan: r.try_get("plan_code")?,
        interval: Interval::parse(&interval).unwrap_or_default(),
        status: r.try_get("status")?,
        period_end: r.try_get("period_end")?,
        cancel_at_period_end: r.try_get::<i64, _>("cancel_at_period_end")? != 0,
        next_plan: r.try_get("next_plan_code")?,
        mrr: r.try_get("mrr")?,
        created_at: r.try_get("created_at")?,
    })
}

/// `GET /api/v1/admin/subscriptions/list`: newest first.
pub async fn list(
    db: &Db,
    ctx: &AuthCtx,
    q: &AdminSubscriptionQuery,
) -> Result<AdminSubscriptionPage, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(BillingError::invalid("limit", "from 1 to 200"));
    }
    let offset = q.offset.unwrap_or(0).max(0);
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status
        && !["trialing", "active", "past_due", "suspended", "cancelling"].contains(&s)
    {
        return Err(BillingError::invalid(
            "status",
            "trialing, active, past_due, suspended or cancelling",
        ));
    }
    let search =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{}%", s.to_lowercase()));
    let filter = format!(
        "FROM subscriptions s JOIN plans p ON p.code = s.plan_code WHERE \
         ($1 IS NULL OR s.plan_code = $1) \
         AND ($2 IS NULL OR s.status = $2 OR ($2 = 'cancelling' AND s.cancel_at_period_end = 1)) \
         AND ($3 IS NULL OR LOWER({OWNER_NAME}) LIKE $3)"
    );
    let plan = q.plan.as_deref().filter(|s| !s.is_empty());
    let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n {filter}"))
        .bind(plan)
        .bind(status)
        .bind(search.as_deref())
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.owner_kind, s.owner_id, {OWNER_NAME} AS owner_name, s.plan_code, s.billing_interval, \
         s.status, s.period_end, s.cancel_at_period_end, s.next_plan_code, {MRR} AS mrr, s.created_at \
         {filter} ORDER BY s.created_at DESC, s.id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(plan)
    .bind(status)
    .bind(search.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(AdminSubscriptionPage {
        items: rows.iter().map(item_of).collect::<Result<_, _>>()?,
        total,
    })
}

/// The subscription by id, or by its user's e-mail (the original's shape).
async fn find(conn: &mut ops_db::AnyConnection, id: &str) -> Result<Sub, BillingError> {
    let sql = if id.contains('@') {
        format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE owner_kind = 'user' \
             AND owner_id = (SELECT id FROM users WHERE LOWER(email) = LOWER($1))"
        )
    } else {
        format!("SELECT {COLUMNS} FROM subscriptions WHERE id = $1")
    };
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(BillingError::NotFound("subscription"))?;
    Ok(sub_of(&row)?)
}

/// The subscription by id or e-mail, locked for the rest of the transaction.
pub(crate) async fn find_locked(tx: &mut ops_db::Tx, id: &str) -> Result<Sub, BillingError> {
    // A write first: SQLite takes its write lock here (a read first could deadlock two callers).
    sqlx::query("UPDATE subscriptions SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let found = find(tx, id).await?;
    super::lock(tx, found.kind, &found.owner_id).await
}

/// `GET /api/v1/admin/subscriptions/{id}`.
pub async fn detail(
    db: &Db,
    ctx: &AuthCtx,
    id: &str,
) -> Result<AdminSubscriptionDetail, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let mut conn = db.pool().acquire().await?;
    let s = find(&mut conn, id).await?;
    let owner_name: String = sqlx::query(&format!(
        "SELECT {OWNER_NAME} AS n FROM subscriptions s WHERE s.id = $1"
    ))
    .bind(&s.id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    let subscription = view(&mut conn, &s).await?;
    drop(conn);
    let history = super::history_of(db, &s.id).await?;
    let invoices = crate::invoice::list_of(db, s.kind, &s.owner_id).await?;
    Ok(AdminSubscriptionDetail {
        owner_name,
        subscription,
        history,
        invoices,
    })
}

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

/// What an administrator does to one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Suspend,
    Resume,
    ResetUsage,
}

/// `POST /api/v1/admin/subscriptions/{id}/suspend`, `/reactivate` and `/reset-usage`.
pub async fn act(
    db: &Db,
    ctx: &AuthCtx,
    id: &str,
    act: Act,
    input: &AdminAction,
) -> Result<AdminSubscriptionDetail, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let why = reason(&input.reason)?;
    let mut tx = db.begin().await?;
    let mut s = find_locked(&mut tx, id).await?;
    let code = s.plan_code.clone();
    let codes = (Some(code.as_str()), Some(code.as_str()));
    let by = Some((ctx.user_id.as_str(), None));
    let (kind, action) = match act {
        Act::Suspend => {
            if s.status == "suspended" {
                return Err(BillingError::Conflict("already suspended".into()));
            }
            s.status = "suspended".into();
            ("suspended", "subscriptions.suspend")
        }
        Act::Resume => {
            if s.status != "suspended" {
                return Err(BillingError::Conflict("not suspended".into()));
            }
            // Back to where it stood: overdue stays overdue, a trial runs on.
            s.status = if s.past_due_since.is_some() {
                "past_due"
            } else if s.trial_end.is_some_and(|t| t > ops_db::now_ms()) {
                "trialing"
            } else {
                "active"
            }
            .into();
            ("resumed", "subscriptions.resume")
        }
        Act::ResetUsage => {
            sqlx::query(
                "DELETE FROM usage_counters WHERE owner_kind = $1 AND owner_id = $2 AND period_start = $3",
            )
            .bind(s.kind.as_str())
            .bind(&s.owner_id)
            .bind(s.period_start)
            .execute(&mut *tx)
            .await?;
            ("usage_reset", "subscriptions.reset_usage")
        }
    };
    save(&mut tx, &s).await?;
    event(&mut tx, &s.id, kind, codes, 0, Some(why), by).await?;
    let note = format!("plan={} reason={why}", s.plan_code);
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&s.owner_id),
            org_id: (s.kind == OwnerKind::Org).then_some(s.owner_id.as_str()),
            detail: Some(&note),
            ..ctx.audit(action)
        },
    )
    .await?;
    tx.commit().await?;
    detail(db, ctx, &s.id).await
}
