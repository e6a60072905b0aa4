//! Invitations: an account created without a password gets an e-mailed link, valid for a week,
//! to choose one (the same page as a password reset). Administrators can send it again.

use ops_db::{AuditRecord, Db, record_audit};
use ops_secrets::MasterKey;
use ops_types::Permission;

use super::query::find;
use crate::{AuthCtx, AuthError, User, links};

pub const PURPOSE: &str = "invite";
const VALID_MS: i64 = 7 * 24 * 60 * 60_000;

/// Fails with 503 unless e-mail is set up (checked before anything is created).
pub(crate) async fn require_mail(db: &Db) -> Result<(), AuthError> {
    match ops_mail::load(db)
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?
    {
        Some(_) => Ok(()),
        None => Err(AuthError::Unavailable(
            "invitations need e-mail, which is not set up yet (Administration → Settings)".into(),
        )),
    }
}

/// Issues a fresh link for `user` and mails it; audited as `user.invite`.
pub(crate) async fn send(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    user: &User,
    base_url: &str,
) -> Result<(), AuthError> {
    let mut tx = db.begin().await?;
    let token = links::issue(&mut tx, &user.id, PURPOSE, VALID_MS).await?;
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&user.id),
            target_label: Some(&user.email),
            ..ctx.audit("user.invite")
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
        subject: "Your Ops-Center account".into(),
        text: format!(
            "{} created an Ops-Center account for you ({}).\n\nChoose your password within a week:\n{link}\n",
            ctx.email, user.email
        ),
    };
    ops_mail::send(db, key, mail).await.map_err(|e| {
        AuthError::Unavailable(format!(
            "the invitation could not be sent ({e}); send it again from the user's page"
        ))
    })
}

/// Sends the invitation again (a new link; the old one stops working).
pub async fn resend(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    user_id: &str,
    base_url: &str,
) -> Result<(), AuthError> {
    ctx.require(Permission::UsersManage)?;
    let user = find(db, user_id).await?;
    if user.disabled {
        return Err(AuthError::Conflict("this user is suspended".into()));
    }
    require_mail(db).await?;
    send(db, key, ctx, &user, base_url).await
}
