//! Invitations by e-mail: valid for a week, sent again (a new link) or revoked by owners and
//! admins; only the token's SHA-256 is stored. The person accepts signed in with the invited
//! address, or, without an account, creates one from the invitation (unless registration is
//! closed); holding the e-mailed link confirms the address.

use ops_db::{Db, Row, new_id, now_ms};
use ops_secrets::MasterKey;
use ops_types::{OrgInvite, OrgInviteForCreate, OrgInvitePreview, OrgInviteSignUp, OrgRole, Role};

use super::{access, audit, members};
use crate::token::{random_hex, sha256_hex};
use crate::users::{self, Actor, Email, UserForCreate};
use crate::{AuthCtx, AuthError, LoginLimiter, User, registration};

const VALID_MS: i64 = 7 * 24 * 60 * 60_000;

/// Pending invitations of an organisation (owners and admins).
pub async fn list(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<Vec<OrgInvite>, AuthError> {
    access(db, ctx, org_id).await?.require_manager()?;
    let rows = sqlx::query(
        "SELECT i.id, i.email, i.role, u.email AS inviter, i.created_at, i.expires_at, \
         (SELECT COUNT(*) FROM users x WHERE x.email = i.email) AS has_account \
         FROM org_invites i LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.org_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 \
         ORDER BY i.created_at DESC",
    )
    .bind(org_id)
    .bind(now_ms())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(OrgInvite {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
                role: OrgRole::parse(&role).unwrap_or(OrgRole::Member),
                invited_by: r.try_get("inviter")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
                has_account: r.try_get::<i64, _>("has_account")? > 0,
            })
        })
        .collect()
}

/// Invites an address (replacing an unspent invitation to the same address) and mails it.
pub async fn create(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: &str,
    input: OrgInviteForCreate,
    base_url: &str,
) -> Result<OrgInvite, AuthError> {
    let a = access(db, ctx, org_id).await?;
    a.require_manager()?;
    let email = Email::parse(&input.email)?;
    let role = input.role.unwrap_or(a.org.default_role);
    if role == OrgRole::Owner && a.effective() != Some(OrgRole::Owner) {
        return Err(AuthError::Refused("only owners can invite owners"));
    }
    let already = sqlx::query(
        "SELECT 1 AS x FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2",
    )
    .bind(org_id)
    .bind(email.as_str())
    .fetch_optional(db.pool())
    .await?;
    if already.is_some() {
        return Err(AuthError::Conflict(format!(
            "{} is already a member of this organisation",
            email.as_str()
        )));
    }
    crate::admin::invite::require_mail(db).await?;
    let id = new_id();
    let token = random_hex(32)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE org_invites SET revoked_at = $3 WHERE org_id = $1 AND email = $2 \
         AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(org_id)
    .bind(email.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO org_invites (id, org_id, email, role, token_hash, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(email.as_str())
    .bind(role.as_str())
    .bind(sha256_hex(&token))
    .bind(&ctx.user_id)
    .bind(now)
    .bind(now + VALID_MS)
    .execute(&mut *tx)
    .await?;
    let detail = format!("role={role}");
    audit(
        &mut tx,
        ctx,
        "org.invite",
        org_id,
        Some((&id, email.as_str())),
        Some(&detail),
    )
    .await?;
    if let Some(r) = sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?
    {
        let invitee: String = r.try_get("id")?;
        let notice = crate::notify::Notice::new(
            ops_types::NotificationKind::Account,
            format!("Invitation to {}", a.org.name),
            format!(
                "{} invited you to join {} as {}. Open the link in the invitation e-mail to accept.",
                ctx.email,
                a.org.name,
                role.label().to_lowercase()
            ),
        );
        crate::notify::queue(&mut tx, &invitee, notice).await?;
    }
    tx.commit().await?;
    mail(db, key, ctx, &a.org.name, email.as_str(), &token, base_url).await?;
    list(db, ctx, org_id)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(AuthError::NotFound("invitation"))
}

async fn mail(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org: &str,
    to: &str,
    token: &str,
    base_url: &str,
) -> Result<(), AuthError> {
    let link = format!("{}/invite/{token}", base_url.trim_end_matches('/'));
    let mail = ops_mail::Mail {
        to: to.to_string(),
        subject: format!("Join {org} on Ops-Center"),
        text: format!(
            "{} invited you to the organisation {org} on Ops-Center.\n\nAccept within a week:\n{link}\n",
            ctx.email
        ),
    };
    ops_mail::send(db, key, mail).await.map_err(|e| {
        AuthError::Unavailable(format!(
            "the invitation could not be sent ({e}); send it again from the invitations list"
        ))
    })
}

/// Sends an invitation again with a new link (the old one stops working) and a new week.
pub async fn resend(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: &str,
    invite_id: &str,
    base_url: &str,
) -> Result<OrgInvite, AuthError> {
    let a = access(db, ctx, org_id).await?;
    a.require_manager()?;
    let pending = list(db, ctx, org_id).await?;
    let Some(invite) = pending.into_iter().find(|i| i.id == invite_id) else {
        return Err(AuthError::NotFound("invitation"));
    };
    let token = random_hex(32)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE org_invites SET token_hash = $2, expires_at = $3 WHERE id = $1")
        .bind(invite_id)
        .bind(sha256_hex(&token))
        .bind(now + VALID_MS)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        ctx,
        "org.invite_resend",
        org_id,
        Some((invite_id, &invite.email)),
        None,
    )
    .await?;
    tx.commit().await?;
    mail(db, key, ctx, &a.org.name, &invite.email, &token, base_url).await?;
    Ok(OrgInvite {
        expires_at: now + VALID_MS,
        ..invite
    })
}

/// Withdraws a pending invitation.
pub async fn revoke(
    db: &Db,
    ctx: &AuthCtx,
    org_id: &str,
    invite_id: &str,
) -> Result<(), AuthError> {
    access(db, ctx, org_id).await?.require_manager()?;
    let pending = list(db, ctx, org_id).await?;
    let Some(invite) = pending.into_iter().find(|i| i.id == invite_id) else {
        return Err(AuthError::NotFound("invitation"));
    };
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE org_invites SET revoked_at = $2 WHERE id = $1")
        .bind(invite_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        ctx,
        "org.invite_revoke",
        org_id,
        Some((invite_id, &invite.email)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

struct Pending {
    id: String,
    org_id: String,
    email: String,
    role: OrgRole,
}

const GONE: &str = "this invitation is unknown, used, withdrawn or expired; ask for a new one";

/// The live invitation behind a token.
async fn pending(db: &Db, token: &str) -> Result<(Pending, OrgInvitePreview), AuthError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::invalid("token", GONE));
    }
    let row = sqlx::query(
        "SELECT i.id, i.org_id, i.email, i.role, i.expires_at, o.name, o.suspended, u.email AS inviter, \
         (SELECT COUNT(*) FROM users x WHERE x.email = i.email) AS has_account \
         FROM org_invites i JOIN orgs o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2",
    )
    .bind(sha256_hex(token))
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| AuthError::invalid("token", GONE))?;
    if row.try_get::<i64, _>("suspended")? != 0 {
        return Err(AuthError::Refused("this organisation is suspended"));
    }
    let role: String = row.try_get("role")?;
    let role = OrgRole::parse(&role).unwrap_or(OrgRole::Member);
    let email: String = row.try_get("email")?;
    let mode = registration::settings(db).await?.mode;
    let preview = OrgInvitePreview {
        org_name: row.try_get("name")?,
        email: email.clone(),
        role,
        invited_by: row.try_get("inviter")?,
        expires_at: row.try_get("expires_at")?,
        has_account: row.try_get::<i64, _>("has_account")? > 0,
        can_sign_up: mode != "closed",
    };
    Ok((
        Pending {
            id: row.try_get("id")?,
            org_id: row.try_get("org_id")?,
            email,
            role,
        },
        preview,
    ))
}

/// What the invitation page shows (anyone holding the link).
pub async fn preview(db: &Db, token: &str) -> Result<OrgInvitePreview, AuthError> {
    Ok(pending(db, token).await?.1)
}

/// Marks the invitation spent and adds the member, in one transaction; a second use finds
/// nothing to update.
async fn spend(tx: &mut ops_db::Tx, p: &Pending, user_id: &str) -> Result<(), AuthError> {
    let res = sqlx::query(
        "UPDATE org_invites SET accepted_at = $2 WHERE id = $1 AND accepted_at IS NULL",
    )
    .bind(&p.id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AuthError::invalid("token", GONE));
    }
    members::add(tx, &p.org_id, user_id, p.role).await
}

/// Accepts as the signed-in person, who must hold the invited address.
pub async fn accept(db: &Db, ctx: &AuthCtx, token: &str) -> Result<ops_types::Org, AuthError> {
    ctx.require(ops_types::Permission::AccountRead)?;
    ctx.not_impersonated("accept invitations")?;
    let (p, _) = pending(db, token).await?;
    if !p.email.eq_ignore_ascii_case(&ctx.email) {
        return Err(AuthError::Refused(
            "this invitation is for another e-mail address; sign in with that one",
        ));
    }
    let mut tx = db.begin().await?;
    spend(&mut tx, &p, &ctx.user_id).await?;
    let detail = format!("role={} via=invitation", p.role);
    audit(
        &mut tx,
        ctx,
        "org.join",
        &p.org_id,
        Some((&ctx.user_id, &ctx.email)),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    super::get(db, ctx, &p.org_id).await
}

/// Creates the invited person's account (the e-mailed link confirms the address) and adds
/// them; the caller then signs them in.
pub async fn sign_up(
    db: &Db,
    limiter: &LoginLimiter,
    token: &str,
    input: OrgInviteSignUp,
    ip: Option<&str>,
) -> Result<User, AuthError> {
    let (p, preview) = pending(db, token).await?;
    if !preview.can_sign_up {
        return Err(AuthError::Refused(
            "registration is closed here: ask an administrator to create your account, then accept the invitation",
        ));
    }
    if preview.has_account {
        return Err(AuthError::Conflict(
            "an account with this address exists: sign in, then accept the invitation".into(),
        ));
    }
    limiter
        .begin(&format!("invite:{}", p.email), ip)
        .map_err(|retry_after| AuthError::RateLimited { retry_after })?;
    let mut tx = db.begin().await?;
    let user = users::insert(
        &mut tx,
        UserForCreate {
            email: p.email.clone(),
            display_name: input.display_name,
            password: Some(input.password),
            role: Role::Viewer,
        },
        Actor::Invitation { ip },
    )
    .await?;
    spend(&mut tx, &p, &user.id).await?;
    let detail = format!("role={} via=invitation", p.role);
    ops_db::record_audit(
        &mut tx,
        ops_db::AuditRecord {
            org_id: Some(&p.org_id),
            ..user.audit_self("org.join", ip, Some(&detail))
        },
    )
    .await?;
    tx.commit().await?;
    limiter.succeeded(&format!("invite:{}", p.email), ip);
    Ok(user)
}
