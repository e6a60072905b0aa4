//! Self-registration: off by default (`closed`); `invite_only` admits only people holding an
//! organisation invitation ([`crate::orgs::invites`]); when an administrator opens it, anyone may create a
//! viewer account, which signs in once its address is confirmed through an e-mailed link
//! (single use, valid for a day). Sign-ups are limited per address and per client IP.

use ops_db::{AuditRecord, Db, get_setting, now_ms, put_setting, record_audit};
use ops_secrets::MasterKey;
use ops_types::{Permission, Registration, RegistrationSettings, Role, VerifyEmail};

use crate::users::{self, Actor, Email, UserForCreate};
use crate::{AuthCtx, AuthError, LoginLimiter, links};

const KEY: &str = "auth.registration";
const PURPOSE: &str = "verify";
const VALID_MS: i64 = 24 * 60 * 60_000;

/// The current mode (anyone may read it: the sign-in page shows "Create an account").
pub async fn settings(db: &Db) -> Result<RegistrationSettings, AuthError> {
    let mode = get_setting(db, KEY)
        .await?
        .unwrap_or_else(|| "closed".into());
    Ok(RegistrationSettings { mode })
}

pub async fn set_settings(
    db: &Db,
    ctx: &AuthCtx,
    input: RegistrationSettings,
) -> Result<RegistrationSettings, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    if !matches!(input.mode.as_str(), "closed" | "invite_only" | "open") {
        return Err(AuthError::invalid("mode", "closed, invite_only or open"));
    }
    let mut tx = db.begin().await?;
    put_setting(&mut tx, KEY, &input.mode, Some(&ctx.user_id)).await?;
    let detail = format!("mode={}", input.mode);
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(KEY),
            detail: Some(&detail),
            ..ctx.audit("settings.update")
        },
    )
    .await?;
    tx.commit().await?;
    settings(db).await
}

/// Creates a viewer account and mails the confirmation link.
pub async fn register(
    db: &Db,
    key: &MasterKey,
    limiter: &LoginLimiter,
    input: Registration,
    base_url: &str,
    ip: Option<&str>,
) -> Result<(), AuthError> {
    match settings(db).await?.mode.as_str() {
        "open" => {}
        "invite_only" => {
            return Err(AuthError::Refused(
                "sign-up is by invitation only: use the link in your invitation e-mail",
            ));
        }
        _ => {
            return Err(AuthError::Refused(
                "registration is closed; ask an administrator for an account",
            ));
        }
    }
    let email = Email::parse(&input.email)?;
    limiter
        .begin(&format!("register:{}", email.as_str()), ip)
        .map_err(|retry_after| AuthError::RateLimited { retry_after })?;
    if ops_mail::load(db)
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?
        .is_none()
    {
        return Err(AuthError::Unavailable(
            "sign-up needs e-mail, which is not set up yet; ask an administrator".into(),
        ));
    }
    let mut tx = db.begin().await?;
    let user = users::insert(
        &mut tx,
        UserForCreate {
            email: email.as_str().to_string(),
            display_name: input.display_name,
            password: Some(input.password),
            role: Role::Viewer,
        },
        Actor::SignUp { ip },
    )
    .await?;
    let token = links::issue(&mut tx, &user.id, PURPOSE, VALID_MS).await?;
    tx.commit().await?;
    let link = format!(
        "{}/verify-email?token={token}",
        base_url.trim_end_matches('/')
    );
    let mail = ops_mail::Mail {
        to: user.email.clone(),
        subject: "Confirm your Ops-Center account".into(),
        text: format!(
            "Welcome to Ops-Center.\n\nConfirm your address within a day to start signing in:\n{link}\n\n\
             If you did not sign up, ignore this message and the account stays unusable.\n"
        ),
    };
    ops_mail::send(db, key, mail)
        .await
        .map_err(|e| AuthError::Internal(format!("confirmation mail: {e}")))
}

/// Confirms the address behind a link; the account can sign in from now on.
pub async fn verify(db: &Db, input: VerifyEmail, ip: Option<&str>) -> Result<(), AuthError> {
    let invalid = || AuthError::invalid("token", "the link is unknown, already used or expired");
    let user_id = links::peek(db, &input.token, PURPOSE)
        .await?
        .ok_or_else(invalid)?;
    let user = users::find_by_id(db, &user_id).await?.ok_or_else(invalid)?;
    let mut tx = db.begin().await?;
    if !links::spend(&mut tx, &input.token, PURPOSE).await? {
        return Err(invalid());
    }
    sqlx::query("UPDATE users SET email_verified_at = $2 WHERE id = $1")
        .bind(&user.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    record_audit(
        &mut tx,
        AuditRecord {
            actor_id: Some(&user.id),
            action: "user.email_verified",
            target: Some(&user.id),
            target_label: Some(&user.email),
            ip,
            ..AuditRecord::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
