//! Organisations. Any signed-in person may create one and becomes its owner; what they may do
//! inside it follows their organisation role ([`OrgRole`]): owners everything, admins settings,
//! members and invitations but never owners, billing admins and members read. A platform
//! administrator (`users_manage`) acts as an owner of every organisation.
//!
//! Every organisation keeps an owner: changes that would remove the last one are refused in
//! the same transaction that makes them (the organisation row is locked first).

mod create;
pub mod invites;
mod join;
mod logo;
pub mod members;

pub use create::create;
use create::{check_name, check_slug, taken};
pub use join::{join, joinable};
pub use logo::{logo, remove_logo, set_logo};

use ops_db::{AuditRecord, Db, Row, Tx, now_ms, record_audit};
use ops_types::{
    Org, OrgDelete, OrgRole, OrgRoleInfo, OrgSettings, OrgStats, OrgStatus, Permission,
};

use crate::{AuthCtx, AuthError};

/// The caller's standing in one organisation.
#[derive(Debug, Clone)]
pub struct Access {
    pub org: Org,
    /// The caller's membership role (`None`: a platform administrator who is not a member).
    pub role: Option<OrgRole>,
    /// Acting as a platform administrator.
    pub platform: bool,
}

impl Access {
    /// The effective role: platform administrators count as owners.
    pub fn effective(&self) -> Option<OrgRole> {
        if self.platform {
            Some(OrgRole::Owner)
        } else {
            self.role
        }
    }

    fn require_manager(&self) -> Result<(), AuthError> {
        match self.effective() {
            Some(r) if r.manages() => Ok(()),
            _ => Err(AuthError::Refused(
                "only the organisation's owners and admins may do this",
            )),
        }
    }

    fn require_owner(&self) -> Result<(), AuthError> {
        match self.effective() {
            Some(OrgRole::Owner) => Ok(()),
            _ => Err(AuthError::Refused(
                "only the organisation's owners may do this",
            )),
        }
    }
}

const ORG_COLUMNS: &str = "o.id, o.name, o.slug, o.default_role, o.join_domain, o.suspended, o.logo_at, o.created_at, \
    (SELECT COUNT(*) FROM org_members m2 WHERE m2.org_id = o.id) AS members";

fn org_from_row(
    row: &ops_db::AnyRow,
    my_role: Option<OrgRole>,
    active: Option<&str>,
) -> Result<Org, AuthError> {
    let id: String = row.try_get("id")?;
    let logo_at: Option<i64> = row.try_get("logo_at")?;
    let default_role: String = row.try_get("default_role")?;
    Ok(Org {
        logo_url: logo_at.map(|v| format!("/api/v1/org/{id}/logo?v={v}")),
        name: row.try_get("name")?,
        slug: row.try_get("slug")?,
        default_role: OrgRole::parse(&default_role).unwrap_or(OrgRole::Member),
        join_domain: row.try_get("join_domain")?,
        suspended: row.try_get::<i64, _>("suspended")? != 0,
        members: row.try_get("members")?,
        my_role,
        active: active == Some(id.as_str()),
        created_at: row.try_get("created_at")?,
        id,
    })
}

pub(crate) async fn active_org(db: &Db, user_id: &str) -> Result<Option<String>, AuthError> {
    let row = sqlx::query("SELECT active_org_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|r| r.try_get("active_org_id"))
        .transpose()?
        .flatten())
}

/// The organisation and the caller's role in it; 404 for people who are not members (its
/// existence is not revealed) unless they are platform administrators.
pub async fn access(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<Access, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let sql = format!(
        "SELECT {ORG_COLUMNS}, (SELECT m.role FROM org_members m WHERE m.org_id = o.id AND m.user_id = $2) AS my_role \
         FROM orgs o WHERE o.id = $1"
    );
    let row = sqlx::query(&sql)
        .bind(org_id)
        .bind(&ctx.user_id)
        .fetch_optional(db.pool())
        .await?;
    let platform = ctx.role.has(Permission::UsersManage) && !ctx.mfa_missing;
    let Some(row) = row else {
        return Err(AuthError::NotFound("organisation"));
    };
    let role: Option<String> = row.try_get("my_role")?;
    let role = role.as_deref().and_then(OrgRole::parse);
    if role.is_none() && !platform {
        return Err(AuthError::NotFound("organisation"));
    }
    let active = active_org(db, &ctx.user_id).await?;
    let org = org_from_row(&row, role, active.as_deref())?;
    if org.suspended && !platform {
        return Err(AuthError::Refused(
            "this organisation is suspended; ask a platform administrator",
        ));
    }
    Ok(Access {
        org,
        role,
        platform,
    })
}

/// Locks the organisation row for the rest of the transaction (serialises membership changes).
pub(crate) async fn lock(tx: &mut Tx, org_id: &str) -> Result<(), AuthError> {
    sqlx::query("UPDATE orgs SET updated_at = updated_at WHERE id = $1")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn audit(
    tx: &mut Tx,
    ctx: &AuthCtx,
    action: &str,
    org_id: &str,
    target: Option<(&str, &str)>,
    detail: Option<&str>,
) -> Result<(), AuthError> {
    record_audit(
        tx,
        AuditRecord {
            org_id: Some(org_id),
            target: target.map(|t| t.0),
            target_label: target.map(|t| t.1),
            detail,
            ..ctx.audit(action)
        },
    )
    .await?;
    Ok(())
}

/// The audit row of `action` on the organisation itself.
pub(crate) async fn audit_org(
    tx: &mut Tx,
    ctx: &AuthCtx,
    action: &str,
    org: &Org,
) -> Result<(), AuthError> {
    audit(tx, ctx, action, &org.id, Some((&org.id, &org.name)), None).await
}

/// The roles and what each may do.
pub fn roles() -> Vec<OrgRoleInfo> {
    OrgRole::ALL
        .iter()
        .map(|r| OrgRoleInfo {
            role: *r,
            label: r.label().into(),
            description: r.describe().into(),
        })
        .collect()
}

/// The caller's organisations, the active one marked.
pub async fn mine(db: &Db, ctx: &AuthCtx) -> Result<Vec<Org>, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let sql = format!(
        "SELECT {ORG_COLUMNS}, m.role AS my_role FROM orgs o JOIN org_members m ON m.org_id = o.id \
         WHERE m.user_id = $1 ORDER BY o.name"
    );
    let rows = sqlx::query(&sql)
        .bind(&ctx.user_id)
        .fetch_all(db.pool())
        .await?;
    let active = active_org(db, &ctx.user_id).await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("my_role")?;
            org_from_row(r, OrgRole::parse(&role), active.as_deref())
        })
        .collect()
}

/// Every organisation (platform administrators), optionally matching `q`.
pub async fn all(db: &Db, ctx: &AuthCtx, q: Option<&str>) -> Result<Vec<Org>, AuthError> {
    ctx.require(Permission::UsersRead)?;
    let pattern = format!(
        "%{}%",
        q.unwrap_or("")
            .trim()
            .to_lowercase()
            .replace(['%', '_'], "")
    );
    let sql = format!(
        "SELECT {ORG_COLUMNS} FROM orgs o WHERE LOWER(o.name) LIKE $1 OR o.slug LIKE $1 ORDER BY o.name LIMIT 500"
    );
    let rows = sqlx::query(&sql).bind(pattern).fetch_all(db.pool()).await?;
    rows.iter().map(|r| org_from_row(r, None, None)).collect()
}

pub async fn get(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<Org, AuthError> {
    Ok(access(db, ctx, org_id).await?.org)
}

/// Name, slug, default role and join domain (owners and admins).
pub async fn update(
    db: &Db,
    ctx: &AuthCtx,
    org_id: &str,
    input: OrgSettings,
) -> Result<Org, AuthError> {
    let a = access(db, ctx, org_id).await?;
    a.require_manager()?;
    let name = check_name(&input.name)?;
    let slug = check_slug(&input.slug)?;
    if input.default_role == OrgRole::Owner {
        return Err(AuthError::invalid(
            "default_role",
            "new members cannot start as owners",
        ));
    }
    let domain = match input
        .join_domain
        .as_deref()
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
    {
        Some(d) if d.is_empty() => None,
        Some(d)
            if d.contains('.')
                && d.len() <= 253
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') =>
        {
            Some(d)
        }
        Some(_) => {
            return Err(AuthError::invalid(
                "join_domain",
                "a domain such as example.com",
            ));
        }
        None => None,
    };
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE orgs SET name = $2, slug = $3, default_role = $4, join_domain = $5, updated_at = $6 WHERE id = $1",
    )
    .bind(org_id)
    .bind(&name)
    .bind(&slug)
    .bind(input.default_role.as_str())
    .bind(&domain)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(taken)?;
    let detail = format!(
        "name={name} slug={slug} default_role={} join_domain={}",
        input.default_role,
        domain.as_deref().unwrap_or("-")
    );
    audit(
        &mut tx,
        ctx,
        "org.update",
        org_id,
        Some((org_id, &name)),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    get(db, ctx, org_id).await
}

/// Deletes the organisation (owners, typing its slug again): members, invitations and the
/// keys scoped to it go with it; people keep their accounts.
pub async fn delete(
    db: &Db,
    ctx: &AuthCtx,
    org_id: &str,
    input: OrgDelete,
) -> Result<(), AuthError> {
    let a = access(db, ctx, org_id).await?;
    a.require_owner()?;
    if input.confirm.trim() != a.org.slug {
        return Err(AuthError::invalid(
            "confirm",
            format!("type the organisation's slug ({}) to confirm", a.org.slug),
        ));
    }
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET active_org_id = NULL WHERE active_org_id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    for table in ["api_keys", "org_invites", "org_members", "org_logos"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1"))
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM orgs WHERE id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    audit_org(&mut tx, ctx, "org.delete", &a.org).await?;
    tx.commit().await?;
    Ok(())
}

/// Suspends or restores an organisation (platform administrators).
pub async fn set_status(
    db: &Db,
    ctx: &AuthCtx,
    org_id: &str,
    input: OrgStatus,
) -> Result<Org, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let a = access(db, ctx, org_id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE orgs SET suspended = $2, updated_at = $3 WHERE id = $1")
        .bind(org_id)
        .bind(i64::from(input.suspended))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    let action = if input.suspended {
        "org.suspend"
    } else {
        "org.activate"
    };
    audit_org(&mut tx, ctx, action, &a.org).await?;
    tx.commit().await?;
    get(db, ctx, org_id).await
}

/// Members by role, pending invitations and the keys scoped to it.
pub async fn stats(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<OrgStats, AuthError> {
    access(db, ctx, org_id).await?;
    let by_role = crate::admin::query::counts(
        db,
        "SELECT role AS k, COUNT(*) AS n FROM org_members WHERE org_id = $1 GROUP BY role ORDER BY n DESC, role",
        Some(org_id),
    )
    .await?;
    let count = |sql: &'static str| async move {
        let row = sqlx::query(sql)
            .bind(org_id)
            .bind(now_ms())
            .fetch_one(db.pool())
            .await?;
        Ok::<i64, AuthError>(row.try_get("n")?)
    };
    Ok(OrgStats {
        members: by_role.iter().map(|c| c.count).sum(),
        by_role,
        pending_invites: count(
            "SELECT COUNT(*) AS n FROM org_invites WHERE org_id = $1 AND accepted_at IS NULL \
             AND revoked_at IS NULL AND expires_at > $2",
        )
        .await?,
        api_keys: count(
            "SELECT COUNT(*) AS n FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)",
        )
        .await?,
    })
}

/// Makes `org_id` the caller's active organisation (`None`: personal use).
pub async fn switch(
    db: &Db,
    ctx: &AuthCtx,
    org_id: Option<&str>,
) -> Result<Option<Org>, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let org = match org_id {
        Some(id) => {
            let a = access(db, ctx, id).await?;
            if a.role.is_none() {
                return Err(AuthError::Refused(
                    "join the organisation before switching to it",
                ));
            }
            Some(a.org)
        }
        None => None,
    };
    sqlx::query("UPDATE users SET active_org_id = $1 WHERE id = $2")
        .bind(org_id)
        .bind(&ctx.user_id)
        .execute(db.pool())
        .await?;
    Ok(org.map(|o| Org { active: true, ..o }))
}

/// The caller's active organisation, if any.
pub async fn current(db: &Db, ctx: &AuthCtx) -> Result<Option<Org>, AuthError> {
    ctx.require(Permission::AccountRead)?;
    Ok(mine(db, ctx).await?.into_iter().find(|o| o.active))
}
