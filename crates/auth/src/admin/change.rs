//! Changing users as an administrator: create, update, suspend, activate, delete.
//!
//! Two rules hold whatever the order of concurrent requests: an administrator never suspends,
//! demotes or deletes themself, and there is always at least one enabled administrator. The
//! change is made first and the count checked after it in the same transaction; on PostgreSQL
//! an advisory lock also serialises these transactions (SQLite serialises writers already).

use ops_db::{AuditRecord, Backend, Db, Row, Tx, now_ms, record_audit};
use ops_secrets::MasterKey;
use ops_types::{AdminUserForCreate, AdminUserForUpdate, Permission, Role, UserDeleted, UserView};

use super::query::find;
use crate::users::{self, UserForCreate};
use crate::{AuthCtx, AuthError, User, devices};

/// Any fixed number: the advisory lock that serialises changes to who is an administrator.
const ADMIN_LOCK: i64 = 0x0A_D1_17;

pub(crate) async fn begin(db: &Db) -> Result<Tx, AuthError> {
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADMIN_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// Fails (and the caller's transaction is dropped, rolling back) when no enabled admin is left.
pub(crate) async fn ensure_an_admin_remains(tx: &mut Tx) -> Result<(), AuthError> {
    let n: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
    if n == 0 {
        return Err(AuthError::Conflict(
            "this would leave no enabled administrator; promote someone else first".into(),
        ));
    }
    Ok(())
}

fn not_self(ctx: &AuthCtx, user: &User, what: &str) -> Result<(), AuthError> {
    if ctx.user_id == user.id {
        return Err(AuthError::Conflict(format!(
            "you cannot {what} your own account; ask another administrator"
        )));
    }
    Ok(())
}

/// The audit row of `action` by `ctx` on `user`.
pub(crate) async fn audit(
    tx: &mut Tx,
    ctx: &AuthCtx,
    action: &str,
    user: &User,
    detail: Option<&str>,
) -> Result<(), AuthError> {
    record_audit(
        tx,
        AuditRecord {
            target: Some(&user.id),
            target_label: Some(&user.email),
            detail,
            ..ctx.audit(action)
        },
    )
    .await?;
    Ok(())
}

/// Creates a user with an initial password, or without one and an e-mailed invitation.
pub async fn create(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: AdminUserForCreate,
    base_url: &str,
) -> Result<UserView, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let password = input.password.filter(|p| !p.is_empty());
    if password.is_none() && !input.send_invite {
        return Err(AuthError::invalid(
            "password",
            "set a password, or send an invitation",
        ));
    }
    if input.send_invite {
        super::invite::require_mail(db).await?;
    }
    let mut tx = db.begin().await?;
    let create = UserForCreate {
        email: input.email,
        display_name: input.display_name,
        password,
        role: input.role,
    };
    let user = users::insert(&mut tx, create, users::Actor::Admin(ctx)).await?;
    tx.commit().await?;
    if input.send_invite {
        super::invite::send(db, key, ctx, &user, base_url).await?;
    }
    Ok(user.view())
}

pub async fn update(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
    input: AdminUserForUpdate,
) -> Result<UserView, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let user = find(db, user_id).await?;
    let mut changes = Vec::new();
    let mut tx = begin(db).await?;
    if input.tier.is_some() {
        // The subscription's row before the user's, the order plan changes lock them in (no
        // deadlock on PostgreSQL); `tiers::set` below starts with the same.
        sqlx::query(
            "UPDATE subscriptions SET updated_at = updated_at WHERE owner_kind = 'user' AND owner_id = $1",
        )
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(name) = input.display_name.as_deref().map(str::trim) {
        if name.chars().count() > 100 {
            return Err(AuthError::invalid(
                "display_name",
                "use at most 100 characters",
            ));
        }
        if name != user.display_name {
            sqlx::query("UPDATE users SET display_name = $2, updated_at = $3 WHERE id = $1")
                .bind(&user.id)
                .bind(name)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            changes.push("display_name".to_string());
        }
    }
    if let Some(role) = input.role.filter(|r| *r != user.role) {
        not_self(ctx, &user, "change the role of")?;
        set_role(&mut tx, &user, role).await?;
        changes.push(format!("role={}->{}", user.role.as_str(), role.as_str()));
    }
    if let Some(tier) = input.tier.as_deref()
        && super::tiers::set(&mut tx, &user, tier).await?
    {
        changes.push(format!("tier={}->{}", user.tier, tier.trim()));
    }
    if !changes.is_empty() {
        audit(&mut tx, ctx, "user.update", &user, Some(&changes.join(" "))).await?;
    }
    tx.commit().await?;
    Ok(find(db, user_id).await?.view())
}

/// Sets the role (the caller checked permission and self-change) and ends the user's
/// sessions so the new role applies at once. Keeps an administrator.
pub(crate) async fn set_role(tx: &mut Tx, user: &User, role: Role) -> Result<(), AuthError> {
    sqlx::query("UPDATE users SET role = $2, updated_at = $3 WHERE id = $1")
        .bind(&user.id)
        .bind(role.as_str())
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    ensure_an_admin_remains(tx).await
}

/// Suspends (`true`) or re-activates (`false`) a user. Suspension ends their sessions; their
/// API keys stop working while suspended.
pub async fn set_suspended(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
    suspended: bool,
) -> Result<UserView, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let user = find(db, user_id).await?;
    let mut tx = begin(db).await?;
    suspend_in(&mut tx, ctx, &user, suspended).await?;
    tx.commit().await?;
    Ok(find(db, user_id).await?.view())
}

pub(crate) async fn suspend_in(
    tx: &mut Tx,
    ctx: &AuthCtx,
    user: &User,
    suspended: bool,
) -> Result<(), AuthError> {
    if user.disabled == suspended {
        return Ok(());
    }
    if suspended {
        not_self(ctx, user, "suspend")?;
    }
    sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
        .bind(&user.id)
        .bind(i64::from(suspended))
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    let detail = if suspended {
        ensure_an_admin_remains(tx).await?;
        let n = devices::end_all(tx, &user.id, None).await?;
        format!("sessions_ended={n}")
    } else {
        String::new()
    };
    let action = if suspended {
        "user.suspend"
    } else {
        "user.activate"
    };
    audit(
        tx,
        ctx,
        action,
        user,
        Some(detail.as_str()).filter(|d| !d.is_empty()),
    )
    .await
}

pub async fn delete(db: &Db, ctx: &AuthCtx, user_id: &str) -> Result<UserDeleted, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let user = find(db, user_id).await?;
    let mut tx = begin(db).await?;
    let out = delete_in(&mut tx, ctx, &user).await?;
    tx.commit().await?;
    Ok(out)
}

async fn count(tx: &mut Tx, sql: &str, id: &str) -> Result<i64, AuthError> {
    Ok(sqlx::query(sql)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?)
}

pub(crate) async fn delete_in(
    tx: &mut Tx,
    ctx: &AuthCtx,
    user: &User,
) -> Result<UserDeleted, AuthError> {
    not_self(ctx, user, "delete")?;
    let sessions_ended = count(
        tx,
        "SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1",
        &user.id,
    )
    .await?;
    let api_keys_deleted = count(
        tx,
        "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = $1",
        &user.id,
    )
    .await?;
    let audit_events_kept = count(
        tx,
        "SELECT COUNT(*) AS n FROM audit_events WHERE actor_id = $1 OR target = $1",
        &user.id,
    )
    .await?;
    // Sessions, keys, preferences and the avatar go with the row (ON DELETE CASCADE).
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(&user.id)
        .execute(&mut **tx)
        .await?;
    ensure_an_admin_remains(tx).await?;
    let detail = format!("sessions={sessions_ended} api_keys={api_keys_deleted}");
    audit(tx, ctx, "user.delete", user, Some(&detail)).await?;
    Ok(UserDeleted {
        id: user.id.clone(),
        email: user.email.clone(),
        sessions_ended,
        api_keys_deleted,
        audit_events_kept: audit_events_kept + 1,
    })
}
