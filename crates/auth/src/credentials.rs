//! Changing one's password: the current one is asked for (when there is one), the policy
//! applies, the new one may not equal the current one, and every other session ends.

use ops_db::{AuditRecord, Db, Row, now_ms, record_audit};
use ops_types::{PasswordChange, Permission, Revoked};

use crate::{AuthCtx, AuthError, AuthMethod, devices, password};

pub async fn change_password(
    db: &Db,
    ctx: &AuthCtx,
    input: PasswordChange,
) -> Result<Revoked, AuthError> {
    ctx.require(Permission::AccountRead)?;
    ctx.not_impersonated("change their password")?;
    let current: Option<String> = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(&ctx.user_id)
        .fetch_one(db.pool())
        .await?
        .try_get("password_hash")?;
    if let Some(phc) = current.as_deref() {
        if input.current_password.is_empty() {
            return Err(AuthError::invalid(
                "current_password",
                "enter your current password",
            ));
        }
        if !password::verify(&input.current_password, Some(phc)).await {
            return Err(AuthError::invalid(
                "current_password",
                "the current password is wrong",
            ));
        }
        if password::verify(&input.new_password, Some(phc)).await {
            return Err(AuthError::invalid(
                "new_password",
                "choose a password different from the current one",
            ));
        }
    }
    password::check_policy(&input.new_password, Some(&ctx.email)).map_err(|e| match e {
        AuthError::Invalid { message, .. } => AuthError::invalid("new_password", message),
        other => other,
    })?;
    let hash = password::hash(&input.new_password).await?;
    let keep = match &ctx.method {
        AuthMethod::Session { session_id, .. } => Some(session_id.as_str()),
        AuthMethod::ApiKey { .. } => None,
    };
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 \
         WHERE id = $1",
    )
    .bind(&ctx.user_id)
    .bind(&hash)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let revoked = devices::end_all(&mut tx, &ctx.user_id, keep).await?;
    let detail = format!("other_sessions_ended={revoked}");
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            ..ctx.audit_self("user.password_change")
        },
    )
    .await?;
    let notice = crate::notify::Notice::new(
        ops_types::NotificationKind::Security,
        "Your password was changed",
        "Your Ops-Center password was changed and your other sessions were ended. If this was not you, reset your password now.",
    )
    .link("/account/security");
    crate::notify::queue(&mut tx, &ctx.user_id, notice).await?;
    tx.commit().await?;
    Ok(Revoked { revoked })
}
