//! Password sign-in: input bounds, rate limits, verification, the second factor when the
//! account has one, audit.

use ops_db::{AuditRecord, Db, now_ms, record_audit};
use ops_secrets::MasterKey;

use crate::users::Email;
use crate::{AuthError, LoginLimiter, User, mfa, password, users};

/// What a correct password leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in: start the session ([`crate::sessions::sign_in`]).
    SignedIn(User),
    /// The account has a second factor: keep the user pending
    /// ([`crate::sessions::begin_pending`]) until [`second_step`] succeeds.
    SecondFactor(User),
}

/// Checks the credentials. Every attempt that reaches the check, failed or not, leaves an
/// audit row; the password never does.
pub async fn login(
    db: &Db,
    limiter: &LoginLimiter,
    email: &str,
    pw: &str,
    ip: Option<&str>,
) -> Result<LoginOutcome, AuthError> {
    let user = check_password(db, limiter, email, pw, ip).await?;
    if mfa::totp_enabled(db, &user.id).await? {
        return Ok(LoginOutcome::SecondFactor(user));
    }
    Ok(LoginOutcome::SignedIn(
        complete(db, user, ip, "password").await?,
    ))
}

/// The second step for a pending user: a TOTP or recovery code, limited like passwords.
pub async fn second_step(
    db: &Db,
    key: &MasterKey,
    limiter: &LoginLimiter,
    user_id: &str,
    code: &str,
    ip: Option<&str>,
) -> Result<User, AuthError> {
    let user = users::find_by_id(db, user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(AuthError::Unauthenticated)?;
    let account = format!("mfa:{}", user.email);
    limiter
        .begin(&account, ip)
        .map_err(|retry_after| AuthError::RateLimited { retry_after })?;
    match mfa::second_factor(db, key, &user, code).await {
        Ok(method) => {
            limiter.succeeded(&account, ip);
            complete(db, user, ip, method).await
        }
        Err(e) => {
            let mut tx = db.begin().await?;
            record_audit(
                &mut tx,
                user.audit_self("auth.login_failed", ip, Some("second factor")),
            )
            .await?;
            tx.commit().await?;
            Err(e)
        }
    }
}

/// Records a completed sign-in (`method`: password, password+totp, oidc:…).
pub async fn complete(
    db: &Db,
    user: User,
    ip: Option<&str>,
    method: &str,
) -> Result<User, AuthError> {
    let now = now_ms();
    let detail = format!("method={method}");
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    record_audit(&mut tx, user.audit_self("auth.login", ip, Some(&detail))).await?;
    tx.commit().await?;
    Ok(User {
        last_login_at: Some(now),
        ..user
    })
}

async fn check_password(
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

    match (ok, user) {
        (true, Some(user)) if !user.email_verified => {
            limiter.succeeded(account, ip);
            Err(AuthError::EmailUnverified)
        }
        (true, Some(user)) => {
            limiter.succeeded(account, ip);
            Ok(user)
        }
        (_, user) => {
            let mut tx = db.begin().await?;
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
