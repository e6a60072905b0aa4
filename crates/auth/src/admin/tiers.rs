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
    Ok(true)
}
