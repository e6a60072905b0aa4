//! Reading the audit log (writing is `ops_db::record_audit`, inside each change's transaction).

use ops_db::Db;
use ops_types::{AuditEvent, Permission};

use crate::{AuthCtx, AuthError};

/// Newest first; `limit` 1–500.
pub async fn list(db: &Db, ctx: &AuthCtx, limit: i64) -> Result<Vec<AuditEvent>, AuthError> {
    ctx.require(Permission::AuditRead)?;
    if !(1..=500).contains(&limit) {
        return Err(AuthError::invalid("limit", "must be between 1 and 500"));
    }
    Ok(ops_db::list_audit(db, limit).await?)
}
