//! Members of an organisation: list, change role, remove or leave. Admins never change or
//! remove owners, nobody makes someone more powerful than themself, and the last owner can
//! neither leave nor be demoted.

use ops_db::{Db, Row, Tx, now_ms};
use ops_types::{NotificationKind, OrgMember, OrgMembership, OrgRole};

use super::{access, audit, lock};
use crate::notify::{Notice, queue};
use crate::{AuthCtx, AuthError};

pub async fn list(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<Vec<OrgMember>, AuthError> {
    access(db, ctx, org_id).await?;
    let rows = sqlx::query(
        "SELECT m.user_id, u.email, u.display_name, m.role, m.joined_at, u.last_login_at \
         FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 \
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'billing_admin' THEN 2 ELSE 3 END, u.email",
    )
    .bind(org_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(OrgMember {
                user_id: r.try_get("user_id")?,
                email: r.try_get("email")?,
                display_name: r.try_get("display_name")?,
                role: OrgRole::parse(&role).unwrap_or(OrgRole::Member),
                joined_at: r.try_get("joined_at")?,
                last_login_at: r.try_get("last_login_at")?,
            })
        })
        .collect()
}

/// The organisations `user_id` belongs to (for an administrator's view of them).
pub(crate) async fn memberships(db: &Db, user_id: &str) -> Result<Vec<OrgMembership>, AuthError> {
    let rows = sqlx::query(
        "SELECT o.id, o.name, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id \
         WHERE m.user_id = $1 ORDER BY o.name",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(OrgMembership {
                org_id: r.try_get("id")?,
                org_name: r.try_get("name")?,
                role: OrgRole::parse(&role).unwrap_or(OrgRole::Member),
            })
        })
        .collect()
}

/// Adds `user_id` (already a member: 409).
pub(crate) async fn add(
    tx: &mut Tx,
    org_id: &str,
    user_id: &str,
    role: OrgRole,
) -> Result<(), AuthError> {
    let res = sqlx::query(
        "INSERT INTO org_members (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now_ms())
    .execute(&mut **tx)
    .await;
    if let Err(e) = res {
        let e = ops_db::DbError::from(e);
        return Err(if e.is_unique_violation() {
            AuthError::Conflict("already a member of this organisation".into())
        } else {
            e.into()
        });
    }
    sqlx::query("UPDATE users SET active_org_id = $1 WHERE id = $2 AND active_org_id IS NULL")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let row =
        sqlx::query("SELECT o.name, u.email FROM orgs o, users u WHERE o.id = $1 AND u.id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
    let (org, email): (String, String) = (row.try_get("name")?, row.try_get("email")?);
    let managers = sqlx::query(
        "SELECT user_id FROM org_members WHERE org_id = $1 AND role IN ('owner', 'admin') AND user_id <> $2",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    for m in managers {
        let to: String = m.try_get("user_id")?;
        let notice = Notice::new(
            NotificationKind::Account,
            format!("{email} joined {org}"),
            format!(
                "{email} is now a member of {org}, as {}.",
                role.label().to_lowercase()
            ),
        )
        .link(&format!("/org/{org_id}"));
        queue(tx, &to, notice).await?;
    }
    Ok(())
}

async fn member(tx: &mut Tx, org_id: &str, user_id: &str) -> Result<(OrgRole, String), AuthError> {
    let row = sqlx::query(
        "SELECT m.role, u.email FROM org_members m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.user_id = $2",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AuthError::NotFound("member"))?;
    let role: String = row.try_get("role")?;
    Ok((
        OrgRole::parse(&role).unwrap_or(OrgRole::Member),
        row.try_get("email")?,
    ))
}

async fn ensure_an_owner_remains(tx: &mut Tx, org_id: &str) -> Result<(), AuthError> {
    let n: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM org_members WHERE org_id = $1 AND role = 'owner'")
            .bind(org_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
    if n == 0 {
        return Err(AuthError::Conflict(
            "the organisation would have no owner; make someone else an owner first".into(),
        ));
    }
    Ok(())
}

/// Whether a caller with role `me` may act on a member with role `them`.
fn may_touch(me: OrgRole, them: OrgRole) -> Result<(), AuthError> {
    match me {
        OrgRole::Owner => Ok(()),
        OrgRole::Admin if them != OrgRole::Owner => Ok(()),
        OrgRole::Admin => Err(AuthError::Refused("admins cannot change or remove owners")),
        _ => Err(AuthError::Refused(
            "only the organisation's owners and admins may do this",
        )),
    }
}

/// Changes a member's role.
pub async fn set_role(
    db: &Db,
    ctx: &AuthCtx,
    org_id: &str,
    user_id: &str,
    role: OrgRole,
) -> Result<OrgMember, AuthError> {
    let a = access(db, ctx, org_id).await?;
    let me = a.effective().unwrap_or(OrgRole::Member);
    if me == OrgRole::Admin && role == OrgRole::Owner {
        return Err(AuthError::Refused("only owners can make someone an owner"));
    }
    let mut tx = db.begin().await?;
    lock(&mut tx, org_id).await?;
    let (was, email) = member(&mut tx, org_id, user_id).await?;
    may_touch(me, was)?;
    sqlx::query("UPDATE org_members SET role = $3 WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    ensure_an_owner_remains(&mut tx, org_id).await?;
    let detail = format!("role={was}->{role}");
    audit(
        &mut tx,
        ctx,
        "org.member_role",
        org_id,
        Some((user_id, &email)),
        Some(&detail),
    )
    .await?;
    if user_id != ctx.user_id {
        let notice = Notice::new(
            NotificationKind::Account,
            format!("Your role in {} changed", a.org.name),
            format!(
                "{} made you {} of {} (you were {}).",
                ctx.email,
                role.label().to_lowercase(),
                a.org.name,
                was.label().to_lowercase()
            ),
        )
        .link(&format!("/org/{org_id}"));
        queue(&mut tx, user_id, notice).await?;
    }
    tx.commit().await?;
    list(db, ctx, org_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or(AuthError::NotFound("member"))
}

/// Removes a member, or the caller themself (leaving).
pub async fn remove(db: &Db, ctx: &AuthCtx, org_id: &str, user_id: &str) -> Result<(), AuthError> {
    let a = access(db, ctx, org_id).await?;
    let leaving = user_id == ctx.user_id;
    let mut tx = db.begin().await?;
    lock(&mut tx, org_id).await?;
    let (was, email) = member(&mut tx, org_id, user_id).await?;
    if !leaving {
        may_touch(a.effective().unwrap_or(OrgRole::Member), was)?;
    }
    sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    // Their keys scoped to it stop working; it is no longer their active organisation.
    sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL")
        .bind(org_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET active_org_id = NULL WHERE id = $1 AND active_org_id = $2")
        .bind(user_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    ensure_an_owner_remains(&mut tx, org_id).await?;
    if !leaving {
        let notice = Notice::new(
            NotificationKind::Account,
            format!("You were removed from {}", a.org.name),
            format!(
                "{} removed you from the organisation {}; your keys scoped to it stopped working.",
                ctx.email, a.org.name
            ),
        );
        queue(&mut tx, user_id, notice).await?;
    }
    let action = if leaving {
        "org.leave"
    } else {
        "org.member_remove"
    };
    let detail = format!("role={was}");
    audit(
        &mut tx,
        ctx,
        action,
        org_id,
        Some((user_id, &email)),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
