//! An administrator acting as another user: only administrators (`users_manage`), never as
//! another administrator, with a reason, for at most an hour, in a browser session only.
//! Start and end are audited; meanwhile every audit row names both people (`AuthCtx::audit`).
//! The session keeps the administrator signed in underneath: stopping, or the time running
//! out, returns to them.

use ops_db::{AuditRecord, Db, now_ms, record_audit};
use ops_types::{Impersonation, ImpersonationForStart, Permission, Role};
use tower_sessions::Session;

use crate::{AuthCtx, AuthError, AuthMethod, User, users};

const TARGET: &str = "imp_user";
const STATE: &str = "imp_state";

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    reason: String,
    started_at: i64,
    until: i64,
}

fn internal(e: impl std::fmt::Display) -> AuthError {
    AuthError::Internal(format!("session: {e}"))
}

async fn audit(
    db: &Db,
    admin: &AuthCtx,
    target: &User,
    action: &str,
    detail: &str,
) -> Result<(), AuthError> {
    let mut tx = db.begin().await?;
    record_audit(
        &mut tx,
        AuditRecord {
            actor_id: Some(&admin.user_id),
            action,
            target: Some(&target.id),
            target_label: Some(&target.email),
            ip: admin.ip.as_deref(),
            detail: Some(detail),
            ..AuditRecord::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn start(
    db: &Db,
    session: &Session,
    ctx: &AuthCtx,
    target_id: &str,
    input: ImpersonationForStart,
) -> Result<Impersonation, AuthError> {
    ctx.require(Permission::UsersManage)?;
    if ctx.impersonation.is_some() {
        return Err(AuthError::Conflict(
            "stop acting as the current user first".into(),
        ));
    }
    if !matches!(ctx.method, AuthMethod::Session { .. }) {
        return Err(AuthError::Conflict(
            "impersonation works in a browser session, not with an API key".into(),
        ));
    }
    let reason = input.reason.trim().to_string();
    if reason.chars().count() < 3 || reason.chars().count() > 200 {
        return Err(AuthError::invalid(
            "reason",
            "say why, in 3 to 200 characters",
        ));
    }
    let minutes = input.minutes.unwrap_or(15);
    if !(1..=60).contains(&minutes) {
        return Err(AuthError::invalid("minutes", "between 1 and 60"));
    }
    let target = users::find_by_id(db, target_id)
        .await?
        .ok_or(AuthError::NotFound("user"))?;
    if target.id == ctx.user_id {
        return Err(AuthError::Conflict("you cannot act as yourself".into()));
    }
    if target.role == Role::Admin {
        return Err(AuthError::Refused("administrators cannot be impersonated"));
    }
    if target.disabled {
        return Err(AuthError::Conflict("this user is suspended".into()));
    }
    let now = now_ms();
    let stored = Stored {
        reason: reason.clone(),
        started_at: now,
        until: now + minutes * 60_000,
    };
    session.insert(TARGET, &target.id).await.map_err(internal)?;
    session.insert(STATE, &stored).await.map_err(internal)?;
    audit(
        db,
        ctx,
        &target,
        "impersonation.start",
        &format!("minutes={minutes} reason={reason}"),
    )
    .await?;
    Ok(Impersonation {
        admin_id: ctx.user_id.clone(),
        admin_email: ctx.email.clone(),
        reason,
        started_at: now,
        until: stored.until,
    })
}

/// Ends the impersonation in this session; the administrator is themself again.
pub async fn stop(db: &Db, session: &Session, ctx: &AuthCtx) -> Result<(), AuthError> {
    let Some(imp) = &ctx.impersonation else {
        return Err(AuthError::Conflict(
            "you are not acting as another user".into(),
        ));
    };
    end(db, session, ctx, imp, "stopped").await
}

async fn end(
    db: &Db,
    session: &Session,
    ctx: &AuthCtx,
    imp: &Impersonation,
    how: &str,
) -> Result<(), AuthError> {
    session.remove_value(TARGET).await.map_err(internal)?;
    session.remove_value(STATE).await.map_err(internal)?;
    let admin = AuthCtx {
        user_id: imp.admin_id.clone(),
        impersonation: None,
        ..ctx.clone()
    };
    let target = users::find_by_id(db, &ctx.user_id).await?;
    if let Some(target) = target {
        let minutes = (now_ms() - imp.started_at) / 60_000;
        audit(
            db,
            &admin,
            &target,
            "impersonation.end",
            &format!("{how} after {minutes} min"),
        )
        .await?;
    }
    Ok(())
}

/// Applied by `sessions::resolve` to the administrator's context: the impersonated user's
/// context while it lasts, the administrator's own once it has ended or become invalid.
pub(crate) async fn apply(
    db: &Db,
    session: &Session,
    admin: AuthCtx,
) -> Result<AuthCtx, AuthError> {
    let Some(target_id) = session.get::<String>(TARGET).await.map_err(internal)? else {
        return Ok(admin);
    };
    let stored = session.get::<Stored>(STATE).await.map_err(internal)?;
    let target = users::find_by_id(db, &target_id).await?;
    let (Some(stored), Some(target)) = (stored, target) else {
        session.remove_value(TARGET).await.map_err(internal)?;
        return Ok(admin);
    };
    let imp = Impersonation {
        admin_id: admin.user_id.clone(),
        admin_email: admin.email.clone(),
        reason: stored.reason,
        started_at: stored.started_at,
        until: stored.until,
    };
    let as_target = AuthCtx {
        user_id: target.id.clone(),
        email: target.email.clone(),
        display_name: target.display_name.clone(),
        role: target.role,
        impersonation: Some(imp.clone()),
        mfa_missing: false,
        ..admin.clone()
    };
    let still_allowed =
        admin.role.has(Permission::UsersManage) && target.role != Role::Admin && !target.disabled;
    if now_ms() >= imp.until || !still_allowed {
        end(db, session, &as_target, &imp, "expired").await?;
        return Ok(admin);
    }
    Ok(as_target)
}
