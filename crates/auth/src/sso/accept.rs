//! From a verified outside identity to a local account: the linked one, or the account with
//! the same verified e-mail (then linked), or a new one when the provider may create accounts.
//! Allowed domains, suspension and the claim → role mapping are applied here.

use ops_db::{AuditRecord, Db, Row, Tx, now_ms, record_audit};
use ops_types::{LinkedIdentity, Permission};

use super::Claims;
use super::providers::{Provider, mapped_role};
use crate::admin::change;
use crate::users::{self, Actor, UserForCreate};
use crate::{AuthCtx, AuthError, User};

/// Why an identity was not accepted; the code goes to `/login?sso_error=…`.
#[derive(Debug)]
pub enum Refusal {
    Code(&'static str),
    Failed(AuthError),
}

impl From<ops_db::DbError> for Refusal {
    fn from(e: ops_db::DbError) -> Self {
        Refusal::Failed(e.into())
    }
}

impl From<AuthError> for Refusal {
    fn from(e: AuthError) -> Self {
        Refusal::Failed(e)
    }
}

fn domain_allowed(p: &Provider, email: Option<&str>) -> bool {
    if p.view.allowed_domains.is_empty() {
        return true;
    }
    let Some((_, domain)) = email.and_then(|e| e.rsplit_once('@')) else {
        return false;
    };
    p.view.allowed_domains.iter().any(|d| d == domain)
}

async fn linked_user(db: &Db, p: &Provider, subject: &str) -> Result<Option<String>, AuthError> {
    let row =
        sqlx::query("SELECT user_id FROM user_identities WHERE provider_id = $1 AND subject = $2")
            .bind(&p.view.id)
            .bind(subject)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|r| r.try_get("user_id")).transpose()?)
}

async fn link(
    tx: &mut Tx,
    p: &Provider,
    c: &Claims,
    user: &User,
    how: &str,
    ip: Option<&str>,
) -> Result<(), AuthError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO user_identities (provider_id, subject, user_id, email, created_at, last_login_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&p.view.id)
    .bind(&c.subject)
    .bind(&user.id)
    .bind(&c.email)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let detail = format!("provider={} {how}", p.view.slug);
    record_audit(tx, user.audit_self("sso.link", ip, Some(&detail))).await?;
    Ok(())
}

/// Links the identity to `user_id`, who is signed in and asked for it.
pub async fn link_to(
    db: &Db,
    p: &Provider,
    c: &Claims,
    user_id: &str,
    ip: Option<&str>,
) -> Result<(), Refusal> {
    match linked_user(db, p, &c.subject).await? {
        Some(owner) if owner == user_id => return Ok(()),
        Some(_) => return Err(Refusal::Code("taken")),
        None => {}
    }
    let user = users::find_by_id(db, user_id)
        .await?
        .ok_or(Refusal::Failed(AuthError::Unauthenticated))?;
    let mut tx = db.begin().await?;
    link(&mut tx, p, c, &user, "by the signed-in user", ip).await?;
    tx.commit().await.map_err(AuthError::from)?;
    Ok(())
}

/// The account this identity signs in to.
pub async fn sign_in(db: &Db, p: &Provider, c: &Claims, ip: Option<&str>) -> Result<User, Refusal> {
    if !domain_allowed(p, c.email.as_deref()) {
        return Err(Refusal::Code("domain"));
    }
    let mapped = mapped_role(&p.view.role_map, &c.roles);
    if let Some(user_id) = linked_user(db, p, &c.subject).await? {
        let user = users::find_by_id(db, &user_id)
            .await?
            .ok_or(Refusal::Code("no_account"))?;
        if user.disabled {
            return Err(Refusal::Code("suspended"));
        }
        sqlx::query("UPDATE user_identities SET email = $3, last_login_at = $4 WHERE provider_id = $1 AND subject = $2")
            .bind(&p.view.id)
            .bind(&c.subject)
            .bind(&c.email)
            .bind(now_ms())
            .execute(db.pool())
            .await
            .map_err(AuthError::from)?;
        return Ok(sync_role(db, p, user, mapped, ip).await?);
    }
    let Some(email) = c.email.as_deref() else {
        return Err(Refusal::Code("no_email"));
    };
    if let Some(user) = users::find_by_email(db, email).await? {
        if !c.email_verified {
            return Err(Refusal::Code("unverified"));
        }
        if user.disabled {
            return Err(Refusal::Code("suspended"));
        }
        let mut tx = db.begin().await?;
        link(&mut tx, p, c, &user, "by verified e-mail", ip).await?;
        // The provider has verified the address: a sign-up still waiting for its
        // confirmation link is confirmed by this.
        sqlx::query(
            "UPDATE users SET email_verified_at = $2 WHERE id = $1 AND email_verified_at IS NULL",
        )
        .bind(&user.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map_err(AuthError::from)?;
        tx.commit().await.map_err(AuthError::from)?;
        return Ok(sync_role(db, p, user, mapped, ip).await?);
    }
    if !p.view.create_users {
        return Err(Refusal::Code("no_account"));
    }
    let mut tx = db.begin().await?;
    let user = users::insert(
        &mut tx,
        UserForCreate {
            email: email.to_string(),
            display_name: c
                .name
                .clone()
                .unwrap_or_default()
                .chars()
                .take(100)
                .collect(),
            password: None,
            role: mapped.unwrap_or(p.view.default_role),
        },
        Actor::Sso {
            provider: &p.view.slug,
            verified: c.email_verified,
            ip,
        },
    )
    .await?;
    link(&mut tx, p, c, &user, "on first sign-in", ip).await?;
    tx.commit().await.map_err(AuthError::from)?;
    Ok(user)
}

/// With `sync_role`, the mapping decides the role at every sign-in (the last enabled
/// administrator is never demoted this way).
async fn sync_role(
    db: &Db,
    p: &Provider,
    user: User,
    mapped: Option<ops_types::Role>,
    ip: Option<&str>,
) -> Result<User, AuthError> {
    if !p.view.sync_role || p.view.role_map.is_empty() {
        return Ok(user);
    }
    let role = mapped.unwrap_or(p.view.default_role);
    if role == user.role {
        return Ok(user);
    }
    let mut tx = change::begin(db).await?;
    if change::set_role(&mut tx, &user, role).await.is_err() {
        tracing::warn!(user = %user.id, "SSO role sync skipped: it would demote the last administrator");
        return Ok(user);
    }
    let detail = format!(
        "role={}->{} via=sso:{}",
        user.role.as_str(),
        role.as_str(),
        p.view.slug
    );
    record_audit(&mut tx, user.audit_self("user.update", ip, Some(&detail))).await?;
    tx.commit().await?;
    Ok(User { role, ..user })
}

/// The caller's linked identities.
pub async fn identities(db: &Db, ctx: &AuthCtx) -> Result<Vec<LinkedIdentity>, AuthError> {
    ctx.require(Permission::AccountRead)?;
    identities_of(db, &ctx.user_id).await
}

pub async fn identities_of(db: &Db, user_id: &str) -> Result<Vec<LinkedIdentity>, AuthError> {
    let rows = sqlx::query(
        "SELECT i.provider_id, p.slug, p.name, i.email, i.created_at, i.last_login_at \
         FROM user_identities i JOIN sso_providers p ON p.id = i.provider_id \
         WHERE i.user_id = $1 ORDER BY p.name",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LinkedIdentity {
                provider_id: r.try_get("provider_id")?,
                provider_slug: r.try_get("slug")?,
                provider_name: r.try_get("name")?,
                email: r.try_get("email")?,
                created_at: r.try_get("created_at")?,
                last_login_at: r.try_get("last_login_at")?,
            })
        })
        .collect()
}

/// Unlinks one of the caller's identities, unless it is their only way to sign in.
pub async fn unlink(db: &Db, ctx: &AuthCtx, provider_id: &str) -> Result<(), AuthError> {
    ctx.require(Permission::AccountRead)?;
    ctx.not_impersonated("unlink sign-in providers")?;
    let mine = identities_of(db, &ctx.user_id).await?;
    let Some(identity) = mine.iter().find(|i| i.provider_id == provider_id) else {
        return Err(AuthError::NotFound("linked identity"));
    };
    let user = users::find_by_id(db, &ctx.user_id)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    if user.password_hash.is_none() && mine.len() == 1 {
        return Err(AuthError::Conflict(
            "this is your only way to sign in; set a password first (Forgot password on the sign-in page)".into(),
        ));
    }
    remove_link(db, ctx, &user, identity).await
}

/// An administrator unlinks one of a user's identities (the user keeps their account).
pub async fn admin_unlink(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
    provider_id: &str,
) -> Result<(), AuthError> {
    ctx.require(Permission::UsersManage)?;
    let linked = identities_of(db, user_id).await?;
    let Some(identity) = linked.iter().find(|i| i.provider_id == provider_id) else {
        return Err(AuthError::NotFound("linked identity"));
    };
    let user = users::find_by_id(db, user_id)
        .await?
        .ok_or(AuthError::NotFound("user"))?;
    remove_link(db, ctx, &user, identity).await
}

async fn remove_link(
    db: &Db,
    ctx: &AuthCtx,
    user: &User,
    identity: &LinkedIdentity,
) -> Result<(), AuthError> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM user_identities WHERE provider_id = $1 AND user_id = $2")
        .bind(&identity.provider_id)
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("provider={}", identity.provider_slug);
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&user.id),
            target_label: Some(&user.email),
            detail: Some(&detail),
            ..ctx.audit("sso.unlink")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
