//! Tiers: the plan each user is on (`users.tier`, a code from `plans`). Administrators set it
//! per user or in bulk; the Money features give plans their prices and entitlements.

use ops_db::{Db, Row, Tx, now_ms};
use ops_types::{Permission, Tier};

use crate::{AuthCtx, AuthError, User};

/// The plans in order, with how many users each has.
pub async fn list(db: &Db, ctx: &AuthCtx) -> Result<Vec<Tier>, AuthError> {
    ctx.require(Permission::UsersRead)?;
    let rows = sqlx::query(
        "SELECT p.code, p.name, (SELECT COUNT(*) FROM users u WHERE u.tier = p.code) AS n \
         FROM plans p ORDER BY p.position, p.code",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Tier {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                users: r.try_get("n")?,
            })
        })
        .collect()
}

/// Puts `user` on the plan `code` (which must exist); answers whether anything changed.
pub(crate) async fn set(tx: &mut Tx, user: &User, code: &str) -> Result<bool, AuthError> {
    let code = code.trim();
    // The subscription's row first (SQLite's write lock; on PostgreSQL the order plan changes
    // lock in: subscription, then user), so that the two cannot deadlock.
    sqlx::query(
        "UPDATE subscriptions SET updated_at = updated_at WHERE owner_kind = 'user' AND owner_id = $1",
    )
    .bind(&user.id)
    .execute(&mut **tx)
    .await?;
    let known = sqlx::query("SELECT 1 AS x FROM plans WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if !known {
        return Err(AuthError::invalid(
            "tier",
            format!("`{code}` is not a plan"),
        ));
    }
    if code == user.tier {
        return Ok(false);
    }
    sqlx::query("UPDATE users SET tier = $2, updated_at = $3 WHERE id = $1")
        .bind(&user.id)
        .bind(code)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    // An administrator's assignment: the subscription moves now, free of charge, and what was
    // scheduled (a cancellation, a downgrade) is dropped. Periods and renewal stay as they are.
    let moved = sqlx::query(
        "UPDATE subscriptions SET plan_code = $2, status = CASE WHEN status = 'suspended' THEN status ELSE 'active' END, \
         trial_end = NULL, cancel_at_period_end = 0, next_plan_code = NULL, next_interval = NULL, \
         past_due_since = NULL, updated_at = $3 WHERE owner_kind = 'user' AND owner_id = $1",
    )
    .bind(&user.id)
    .bind(code)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved == 1 {
        sqlx::query(
            "INSERT INTO subscription_events (id, subscription_id, kind, from_plan, to_plan, amount, created_at) \
             SELECT $1, id, 'assigned', $2, $3, 0, $4 FROM subscriptions WHERE owner_kind = 'user' AND owner_id = $5",
        )
        .bind(ops_db::new_id())
        .bind(&user.tier)
        .bind(code)
        .bind(now_ms())
        .bind(&user.id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}
