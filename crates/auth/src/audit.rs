//! Reading and checking the audit log (writing is `ops_db::record_audit`, inside each change's
//! transaction). All of it needs `audit_read`.

use ops_db::Db;
use ops_types::{AuditEvent, AuditOrg, AuditPage, AuditQuery, AuditStats, AuditVerify, Permission};

use crate::{AuthCtx, AuthError};

/// The most rows one export returns.
pub const EXPORT_MAX: i64 = 100_000;

fn validate(q: &AuditQuery) -> Result<(), AuthError> {
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        return Err(AuthError::invalid("to", "must be after `from`"));
    }
    for (field, v) in [
        ("actor", &q.actor),
        ("action", &q.action),
        ("target", &q.target),
        ("subject", &q.subject),
        ("org_id", &q.org_id),
        ("ip", &q.ip),
    ] {
        if v.as_deref().is_some_and(|s| s.len() > 200) {
            return Err(AuthError::invalid(field, "at most 200 characters"));
        }
    }
    Ok(())
}

/// One page, newest first; `limit` 1–500 (default 100).
pub async fn list(db: &Db, ctx: &AuthCtx, q: &AuditQuery) -> Result<AuditPage, AuthError> {
    ctx.require(Permission::AuditRead)?;
    validate(q)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AuthError::invalid("limit", "must be between 1 and 500"));
    }
    page(db, q, limit).await
}

/// Up to `limit` events older than `q.before`, with the cursor of the next page when full.
pub(crate) async fn page(db: &Db, q: &AuditQuery, limit: i64) -> Result<AuditPage, AuthError> {
    let events = ops_db::list_audit(db, q, limit).await?;
    let next_before = match events.last() {
        Some(e) if events.len() as i64 == limit => Some(e.seq),
        _ => None,
    };
    Ok(AuditPage {
        events,
        next_before,
    })
}

/// Every event matching `q` (paging ignored), newest first, up to [`EXPORT_MAX`].
pub async fn export(db: &Db, ctx: &AuthCtx, q: &AuditQuery) -> Result<Vec<AuditEvent>, AuthError> {
    ctx.require(Permission::AuditRead)?;
    validate(q)?;
    let q = AuditQuery {
        before: None,
        ..q.clone()
    };
    Ok(ops_db::list_audit(db, &q, EXPORT_MAX).await?)
}

pub async fn stats(db: &Db, ctx: &AuthCtx, q: &AuditQuery) -> Result<AuditStats, AuthError> {
    ctx.require(Permission::AuditRead)?;
    validate(q)?;
    Ok(ops_db::audit_stats(db, q).await?)
}

pub async fn actions(db: &Db, ctx: &AuthCtx) -> Result<Vec<String>, AuthError> {
    ctx.require(Permission::AuditRead)?;
    Ok(ops_db::audit_actions(db).await?)
}

/// The organisations that appear in the log, for the console's filter.
pub async fn orgs(db: &Db, ctx: &AuthCtx) -> Result<Vec<AuditOrg>, AuthError> {
    ctx.require(Permission::AuditRead)?;
    Ok(ops_db::audit_orgs(db).await?)
}

/// Walks the hash chain and reports the first broken link.
pub async fn verify(db: &Db, ctx: &AuthCtx) -> Result<AuditVerify, AuthError> {
    ctx.require(Permission::AuditRead)?;
    Ok(verify_report(db).await?)
}

/// The chain check without a caller, for `ops-center audit verify`.
pub async fn verify_report(db: &Db) -> Result<AuditVerify, ops_db::DbError> {
    let (checked, broken) = ops_db::verify_chain(db).await?;
    Ok(AuditVerify {
        intact: broken.is_none(),
        checked,
        broken_at_seq: broken.as_ref().map(|b| b.seq),
        broken_id: broken.as_ref().and_then(|b| b.id.clone()),
        reason: broken.map(|b| b.reason),
    })
}
