//! Accounts: one per user and one per organisation, made on first use, and who may see them.

use ops_auth::{AuthCtx, orgs};
use ops_db::{AnyConnection, Db, Row, new_id, now_ms};
use ops_types::{OrgRole, OwnerKind, Permission};

use crate::BillingError;

/// An account row as a move needs it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    pub currency: String,
    pub paid: i64,
    pub granted: i64,
    pub last_seq: i64,
}

/// The account whose ledger the caller reads: their own; an organisation's when they are its
/// owner or billing admin (or a platform administrator); anyone's with `billing_manage`.
pub async fn readable(
    db: &Db,
    ctx: &AuthCtx,
    user_id: Option<&str>,
    org_id: Option<&str>,
) -> Result<(OwnerKind, String), BillingError> {
    ctx.require(Permission::AccountRead)?;
    let user_id = user_id.filter(|u| !u.is_empty() && *u != ctx.user_id);
    let org_id = org_id.filter(|o| !o.is_empty());
    if user_id.is_some() {
        ctx.require(Permission::BillingManage)?;
        return target(db, user_id, org_id).await;
    }
    let Some(org_id) = org_id else {
        return Ok((OwnerKind::User, ctx.user_id.clone()));
    };
    if ctx.require(Permission::BillingManage).is_ok() {
        return target(db, None, Some(org_id)).await;
    }
    let access = orgs::access(db, ctx, org_id).await?;
    let billing = matches!(access.role, Some(OrgRole::Owner | OrgRole::BillingAdmin));
    if !(billing || access.platform) {
        return Err(ops_auth::AuthError::Refused(
            "only the organisation's owners and billing admins see its credits",
        )
        .into());
    }
    Ok((OwnerKind::Org, access.org.id))
}

/// The target of an administrator's move: exactly one of a user and an organisation, which
/// must exist.
pub async fn target(
    db: &Db,
    user_id: Option<&str>,
    org_id: Option<&str>,
) -> Result<(OwnerKind, String), BillingError> {
    let (kind, id, table) = match (
        user_id.filter(|s| !s.is_empty()),
        org_id.filter(|s| !s.is_empty()),
    ) {
        (Some(u), None) => (OwnerKind::User, u, "users"),
        (None, Some(o)) => (OwnerKind::Org, o, "orgs"),
        _ => {
            return Err(BillingError::invalid(
                "user_id",
                "give exactly one of user_id and org_id",
            ));
        }
    };
    let found = sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    if found.is_none() {
        return Err(BillingError::NotFound(match kind {
            OwnerKind::User => "user",
            OwnerKind::Org => "organisation",
        }));
    }
    Ok((kind, id.to_string()))
}

/// The owner's account, made if missing, and locked for the rest of the transaction: every
/// move on one account runs one at a time.
pub(crate) async fn lock(
    tx: &mut AnyConnection,
    kind: OwnerKind,
    owner_id: &str,
) -> Result<Account, BillingError> {
    sqlx::query(
        "INSERT INTO billing_accounts (id, owner_kind, owner_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (owner_kind, owner_id) DO NOTHING",
    )
    .bind(new_id())
    .bind(kind.as_str())
    .bind(owner_id)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    // A write first: SQLite takes its write lock here, PostgreSQL locks the row.
    sqlx::query(
        "UPDATE billing_accounts SET last_seq = last_seq WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(owner_id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(
        "SELECT id, currency, paid, granted, last_seq FROM billing_accounts WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(owner_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Account {
        id: row.try_get("id")?,
        owner_kind: kind,
        owner_id: owner_id.to_string(),
        currency: row.try_get("currency")?,
        paid: row.try_get("paid")?,
        granted: row.try_get("granted")?,
        last_seq: row.try_get("last_seq")?,
    })
}
