//! Password sign-in: input bounds, rate limits, verification, audit.

use ops_db::{AuditRecord, Db, now_ms, record_audit};

use crate::users::Email;
use crate::{AuthError, LoginLimiter, User, password, users};

/// Checks the credentials. On success the caller starts the session ([`crate::sessions::sign_in`]).
/// Every attempt that reaches the check, failed or not, leaves an audit row; the password never does.
pub async fn login(
    db: &Db,
    limiter: &LoginLimiter,
    email: &str,
    pw: &str,
    ip: Option<&str>,
) -> Result<User, AuthError> {
    if email.trim().is_empty() {
        return Err(AuthError::invalid("email", "enter your email address"));
    }
    if pw.is_empty() {
        return Err(AuthError::invalid("password", "enter your password"));
    }
    // Bounded and well-formed before it becomes a limiter key or an audit detail.
    let account = Email::parse(email)?;
    let account = account.as_str();
    limiter
        .begin(account, ip)
        .map_err(|retry_after| AuthError::RateLimited { retry_after })?;

    let user = users::find_by_email(db, account).await?;
    let hash = user
        .as_ref()
        .filter(|u| !u.disabled)
        .and_then(|u| u.password_hash.as_deref());
    let ok = pw.len() <= 4 * ops_types::PASSWORD_MAX_LEN && password::verify(pw, hash).await;

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
                    target_label: Some(user.email.as_str()),
                    ip,
                    detail: Some("method=password"),
                    ..AuditRecord::default()
                },
            )
            .await?;
            tx.commit().await?;
            limiter.succeeded(account, ip);
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
                    target_label: user.as_ref().map(|u| u.email.as_str()),
                    ip,
                    detail: Some(&detail),
                    ..AuditRecord::default()
                },
            )
            .await?;
            tx.commit().await?;
            Err(AuthError::InvalidCredentials)
        }
    }
}
