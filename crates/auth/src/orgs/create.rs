//! Creating an organisation: its name and slug (derived from the name when not given), the
//! creator as owner, and their active organisation when they had none.

use ops_db::{Db, new_id, now_ms};
use ops_types::{Org, OrgForCreate, Permission};

use super::{access, audit};
use crate::{AuthCtx, AuthError};

fn slug_of(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(40).collect();
    if out.len() < 2 { "org".into() } else { out }
}

pub(super) fn check_slug(slug: &str) -> Result<String, AuthError> {
    let s = slug.trim().to_lowercase();
    let ok = (2..=40).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err(AuthError::invalid(
            "slug",
            "2 to 40 lower-case letters, digits or dashes, not starting or ending with a dash",
        ))
    }
}

pub(super) fn check_name(name: &str) -> Result<String, AuthError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 80 {
        return Err(AuthError::invalid("name", "1 to 80 characters"));
    }
    Ok(n.to_string())
}

pub(super) fn taken(e: sqlx::Error) -> AuthError {
    let e = ops_db::DbError::from(e);
    if e.is_unique_violation() {
        AuthError::invalid("slug", "another organisation has this slug")
    } else {
        e.into()
    }
}

/// Creates an organisation with the caller as its owner, and makes it their active one
/// when they have none.
pub async fn create(db: &Db, ctx: &AuthCtx, input: OrgForCreate) -> Result<Org, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let name = check_name(&input.name)?;
    let explicit = input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let base = match explicit {
        Some(s) => check_slug(s)?,
        None => slug_of(&name),
    };
    let id = new_id();
    let now = now_ms();
    let mut tx = db.begin().await?;
    let mut slug = base.clone();
    for n in 2.. {
        let exists = sqlx::query("SELECT 1 AS x FROM orgs WHERE slug = $1")
            .bind(&slug)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            break;
        }
        if explicit.is_some() || n > 50 {
            return Err(AuthError::invalid(
                "slug",
                "another organisation has this slug",
            ));
        }
        slug = format!("{}-{n}", base.chars().take(36).collect::<String>());
    }
    sqlx::query(
        "INSERT INTO orgs (id, name, slug, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(&name)
    .bind(&slug)
    .bind(&ctx.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(taken)?;
    sqlx::query(
        "INSERT INTO org_members (org_id, user_id, role, joined_at) VALUES ($1, $2, 'owner', $3)",
    )
    .bind(&id)
    .bind(&ctx.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE users SET active_org_id = $1 WHERE id = $2 AND active_org_id IS NULL")
        .bind(&id)
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, ctx, "org.create", &id, Some((&id, &name)), None).await?;
    tx.commit().await?;
    Ok(access(db, ctx, &id).await?.org)
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slug_of("Acme, Inc."), "acme-inc");
        assert_eq!(super::slug_of("é"), "org");
        assert!(super::check_slug("ok-slug").is_ok());
        assert!(super::check_slug("-bad").is_err());
        assert!(super::check_slug("Bad Slug").is_err());
    }
}
