//! "Forgot your password?": a single-use link, valid for an hour, sent by e-mail; following it
//! sets a new password (the policy applies) and ends every session of the account. The answer
//! to a request never says whether the address has an account.

use ops_db::{AuditRecord, Db, Row, now_ms, record_audit};
use ops_secrets::MasterKey;
use ops_types::{ForgotPassword, ResetPassword};

use crate::users::{self, Email};
use crate::{AuthError, LoginLimiter, devices, links, password};

const PURPOSE: &str = "reset";
const VALID_MS: i64 = 60 * 60_000;

fn mail_error(e: ops_mail::MailError) -> AuthError {
    match e {
        ops_mail::MailError::NotConfigured => AuthError::Unavailable(e.to_string()),
        other => AuthError::Internal(other.to_string()),
    }
}

/// Sends a reset link to `input.email` if it has an enabled account. `base_url` is the
/// console's address (the link points there).
pub async fn request(
    db: &Db,
    key: &MasterKey,
    limiter: &LoginLimiter,
    input: ForgotPassword,
    base_url: &str,
    ip: Option<&str>,
) -> Result<(), AuthError> {
    let email = Email::parse(&input.email)?;
    limiter
        .begin(&format!("reset:{}", email.as_str()), ip)
        .map_err(|retry_after| AuthError::RateLimited { retry_after })?;
    if ops_mail::load(db).await.map_err(mail_error)?.is_none() {
        return Err(mail_error(ops_mail::MailError::NotConfigured));
    }
    let Some(user) = users::find_by_email(db, email.as_str())
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    // One live link at a time: an older one stops working.
    let token = links::issue(&mut tx, &user.id, PURPOSE, VALID_MS).await?;
    record_audit(
        &mut tx,
        AuditRecord {
            action: "user.password_reset_requested",
            target: Some(&user.id),
            target_label: Some(&user.email),
            ip,
            ..AuditRecord::default()
        },
    )
    .await?;
    tx.commit().await?;
    let link = format!(
        "{}/reset-password?token={token}",
        base_url.trim_end_matches('/')
    );
    let mail = ops_mail::Mail {
        to: user.email.clone(),
        subject: "Reset your Ops-Center password".into(),
        text: format!(
            "Someone asked to reset the password of {} on Ops-Center.\n\n\
             Set a new password within the hour:\n{link}\n\n\
             If it was not you, ignore this message; your password stays as it is.\n",
            user.email
        ),
    };
    // Sent in the background, so the answer takes as long whether or not the account exists.
    let (db, key) = (db.clone(), key.clone());
    tokio::spawn(async move {
        if let Err(e) = ops_mail::send(&db, &key, mail).await {
            tracing::error!(error = %e, "password reset mail not sent");
        }
    });
    Ok(())
}

/// Sets a new password with a reset link's token; answers the account's email.
pub async fn reset(db: &Db, input: ResetPassword, ip: Option<&str>) -> Result<String, AuthError> {
    let invalid = || {
        AuthError::invalid(
            "token",
            "the link is unknown, already used or expired; ask for a new one",
        )
    };
    let now = now_ms();
    // The same page serves reset links and invitations.
    let mut purpose = PURPOSE;
    let mut user_id = links::peek(db, &input.token, PURPOSE).await?;
    if user_id.is_none() {
        purpose = crate::admin::invite::PURPOSE;
        user_id = links::peek(db, &input.token, purpose).await?;
    }
    let user_id = user_id.ok_or_else(invalid)?;
    let user = users::find_by_id(db, &user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(invalid)?;
    password::check_policy(&input.new_password, Some(&user.email)).map_err(|e| match e {
        AuthError::Invalid { message, .. } => AuthError::invalid("new_password", message),
        other => other,
    })?;
    let current: Option<String> = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(&user.id)
        .fetch_one(db.pool())
        .await?
        .try_get("password_hash")?;
    if current.is_some() && password::verify(&input.new_password, current.as_deref()).await {
        return Err(AuthError::invalid(
            "new_password",
            "choose a password different from the current one",
        ));
    }
    let hash = password::hash(&input.new_password).await?;
    let mut tx = db.begin().await?;
    // Spend the token first: of two concurrent uses, one finds it spent.
    if !links::spend(&mut tx, &input.token, purpose).await? {
        return Err(invalid());
    }
    sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1")
        .bind(&user.id)
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let ended = devices::end_all(&mut tx, &user.id, None).await?;
    let detail = format!("sessions_ended={ended}");
    record_audit(
        &mut tx,
        user.audit_self("user.password_reset", ip, Some(&detail)),
    )
    .await?;
    let notice = crate::notify::Notice::new(
        ops_types::NotificationKind::Security,
        "Your password was set",
        "A password was set for your Ops-Center account through an e-mailed link, and every session was ended. If this was not you, reset it again and tell an administrator.",
    )
    .link("/account/security");
    crate::notify::queue(&mut tx, &user.id, notice).await?;
    tx.commit().await?;
    Ok(user.email)
}
