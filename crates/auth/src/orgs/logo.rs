//! The organisation's logo: checked and re-encoded like avatars, served to members.

use ops_db::{Db, Row, now_ms};
use ops_types::Org;

use super::{access, audit_org, get};
use crate::{AuthCtx, AuthError, avatar};

/// Sets the logo (owners and admins): checked and re-encoded like avatars.
pub async fn set_logo(
    db: &Db,
    ctx: &AuthCtx,
    org_id: &str,
    bytes: Vec<u8>,
) -> Result<Org, AuthError> {
    let a = access(db, ctx, org_id).await?;
    a.require_manager()?;
    let (content_type, png) = tokio::task::spawn_blocking(move || avatar::convert(&bytes))
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))??;
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM org_logos WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO org_logos (org_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(org_id)
    .bind(content_type)
    .bind(png)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE orgs SET logo_at = $2 WHERE id = $1")
        .bind(org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit_org(&mut tx, ctx, "org.logo", &a.org).await?;
    tx.commit().await?;
    get(db, ctx, org_id).await
}

/// Removes the logo (owners and admins).
pub async fn remove_logo(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<Org, AuthError> {
    let a = access(db, ctx, org_id).await?;
    a.require_manager()?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM org_logos WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE orgs SET logo_at = NULL WHERE id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    audit_org(&mut tx, ctx, "org.logo_remove", &a.org).await?;
    tx.commit().await?;
    get(db, ctx, org_id).await
}

/// The logo, for members.
pub async fn logo(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<(String, Vec<u8>), AuthError> {
    access(db, ctx, org_id).await?;
    let row = sqlx::query("SELECT content_type, bytes FROM org_logos WHERE org_id = $1")
        .bind(org_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(AuthError::NotFound("logo"))?;
    Ok((row.try_get("content_type")?, row.try_get("bytes")?))
}
