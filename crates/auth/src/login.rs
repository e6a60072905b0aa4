//! Password sign-in: rate limits, verification, audit.

use ops_db::{AuditRecord, Db, now_ms, record_audit};

use crate::{AuthError, LoginLimiter, User, password, users};

/// Checks the credentials. On success the caller starts the session ([`crate::sessions::sign_in`]).
/// Every attempt, failed or not, leaves an audit row; the password never does.
pub async fn login(
    db: &Db,
    limiter: &LoginLimiter,
    email: &str,
    pw: &str,
    ip: Option<&str>,
) -> Result<User, AuthError> {
    let account = email.trim().to_lowercase();
    if account.is_empty() {
        return Err(AuthError::invalid("email", "enter your email address"));
    }
    if pw.is_empty() {
        return Err(AuthError::invalid("password", "enter your password"));
    }
    if let Err(retry_after) = limiter.check(&account, ip) {
        return Err(AuthError::RateLimited { retry_after });
    }
    let user = users::find_by_email(db, &account).await?;
    let ok = match &user {
        Some(User {
            password_hash: Some(h),
            disabled: false,
            ..
        }) => password::verify(pw, h),
        Some(User {
            password_hash: Some(h),
            ..
        }) => {
            let _ = password::verify(pw, h);
            false
        }
        _ => {
            password::burn_time(pw);
            false
        }
    };
    let mut tx = db.begin().await?;
    match (ok, user) {
        (true, Some(user)) => {
            let now = now_ms();
            sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&user.id)
                .execute(&mut *tx)
                .await?;
            record_audit(
                &mut tx,
                AuditRecord {
                    actor_id: Some(&user.id),
                    action: "auth.login",
                    target: Some(&user.id),
                    ip,
                    detail: Some("method=password"),
                },
            )
            .await?;
            tx.commit().await?;
            limiter.record_success(&account);
            Ok(User {
                last_login_at: Some(now),
                ..user
            })
        }
        (_, user) => {
            let detail = format!("email={account}");
            record_audit(
                &mut tx,
                AuditRecord {
                    actor_id: user.as_ref().map(|u| u.id.as_str()),
                    action: "auth.login_failed",
                    target: user.as_ref().map(|u| u.id.as_str()),
                    ip,
                    detail: Some(&detail),
                },
            )
            .await?;
            tx.commit().await?;
            limiter.record_failure(&account, ip);
            Err(AuthError::InvalidCredentials)
        }
    }
}
