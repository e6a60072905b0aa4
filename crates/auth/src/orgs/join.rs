//! Joining without an invitation: organisations that admit a verified e-mail domain.

use ops_db::Db;
use ops_types::{Org, Permission};

use super::{ORG_COLUMNS, audit, get, members, org_from_row};
use crate::{AuthCtx, AuthError};

/// Organisations the caller may join through their verified e-mail domain.
pub async fn joinable(db: &Db, ctx: &AuthCtx) -> Result<Vec<Org>, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let Some(domain) = verified_domain(db, ctx).await? else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT {ORG_COLUMNS} FROM orgs o WHERE o.join_domain = $1 AND o.suspended = 0 AND NOT EXISTS \
         (SELECT 1 FROM org_members m WHERE m.org_id = o.id AND m.user_id = $2) ORDER BY o.name"
    );
    let rows = sqlx::query(&sql)
        .bind(domain)
        .bind(&ctx.user_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| org_from_row(r, None, None)).collect()
}

async fn verified_domain(db: &Db, ctx: &AuthCtx) -> Result<Option<String>, AuthError> {
    let user = crate::users::find_by_id(db, &ctx.user_id)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    Ok(user
        .email_verified
        .then(|| user.email.rsplit_once('@').map(|(_, d)| d.to_string()))
        .flatten())
}

/// Joins an organisation whose join domain is the caller's verified e-mail domain.
pub async fn join(db: &Db, ctx: &AuthCtx, org_id: &str) -> Result<Org, AuthError> {
    let open = joinable(db, ctx).await?;
    let Some(org) = open.into_iter().find(|o| o.id == org_id) else {
        // Not open to them, or not there: the same answer, as for non-members elsewhere.
        return Err(AuthError::NotFound(
            "organisation open to your e-mail domain",
        ));
    };
    let mut tx = db.begin().await?;
    members::add(&mut tx, org_id, &ctx.user_id, org.default_role).await?;
    let detail = format!("role={} via=domain", org.default_role);
    audit(
        &mut tx,
        ctx,
        "org.join",
        org_id,
        Some((&ctx.user_id, &ctx.email)),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    get(db, ctx, org_id).await
}
