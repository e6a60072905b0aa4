//! Bulk actions over selected users: assign a role, set the tier, suspend, delete. Each user is handled in
//! its own transaction, so one refusal (the caller themself, the last administrator) does not
//! undo the others; the outcome says what happened to each.

use ops_db::Db;
use ops_types::{BulkOutcome, BulkUsers, Permission};

use super::change::{audit, begin, delete_in, set_role, suspend_in};
use super::query::find;
use crate::{AuthCtx, AuthError};

/// What to do to each selected user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    AssignRole,
    SetTier,
    Suspend,
    Delete,
}

pub async fn run(
    db: &Db,
    ctx: &AuthCtx,
    action: BulkAction,
    input: BulkUsers,
) -> Result<Vec<BulkOutcome>, AuthError> {
    ctx.require(Permission::UsersManage)?;
    if input.ids.is_empty() || input.ids.len() > 1000 {
        return Err(AuthError::invalid("ids", "select between 1 and 1000 users"));
    }
    let role = match (action, input.role) {
        (BulkAction::AssignRole, None) => {
            return Err(AuthError::invalid("role", "choose the role to assign"));
        }
        (_, r) => r,
    };
    let tier = input
        .tier
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if action == BulkAction::SetTier && tier.is_none() {
        return Err(AuthError::invalid("tier", "choose the tier to set"));
    }
    let mut out = Vec::with_capacity(input.ids.len());
    for id in &input.ids {
        let result = one(db, ctx, action, (role, tier), id).await;
        out.push(match result {
            Ok(()) => BulkOutcome {
                id: id.clone(),
                ok: true,
                message: None,
            },
            Err(e @ (AuthError::Db(_) | AuthError::Internal(_))) => return Err(e),
            Err(e) => BulkOutcome {
                id: id.clone(),
                ok: false,
                message: Some(e.to_string()),
            },
        });
    }
    Ok(out)
}

async fn one(
    db: &Db,
    ctx: &AuthCtx,
    action: BulkAction,
    (role, tier): (Option<ops_types::Role>, Option<&str>),
    id: &str,
) -> Result<(), AuthError> {
    let user = find(db, id).await?;
    let mut tx = begin(db).await?;
    if let (BulkAction::SetTier, Some(tier)) = (action, tier)
        && super::tiers::set(&mut tx, &user, tier).await?
    {
        let detail = format!("tier={}->{tier} bulk", user.tier);
        audit(&mut tx, ctx, "user.update", &user, Some(&detail)).await?;
    }
    match (action, role) {
        (BulkAction::AssignRole, Some(role)) if role != user.role => {
            if ctx.user_id == user.id {
                return Err(AuthError::Conflict(
                    "you cannot change your own role".into(),
                ));
            }
            set_role(&mut tx, &user, role).await?;
            let detail = format!("role={}->{} bulk", user.role.as_str(), role.as_str());
            audit(&mut tx, ctx, "user.update", &user, Some(&detail)).await?;
        }
        (BulkAction::AssignRole | BulkAction::SetTier, _) => {}
        (BulkAction::Suspend, _) => suspend_in(&mut tx, ctx, &user, true).await?,
        (BulkAction::Delete, _) => {
            delete_in(&mut tx, ctx, &user).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
