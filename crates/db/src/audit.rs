//! The audit log writer. Every state change calls [`record_audit`] inside the transaction
//! that makes the change, so the two commit or roll back together. Rows never hold secrets.

use ops_types::AuditEvent;
use sqlx::{AnyConnection, Row};

use crate::{Db, DbError, new_id, now_ms};

/// What happened, by whom, to what. `detail` is free text without secrets.
#[derive(Debug, Clone, Default)]
pub struct AuditRecord<'a> {
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub async fn record_audit(conn: &mut AnyConnection, rec: AuditRecord<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor_id, action, target, ip, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(now_ms())
    .bind(rec.actor_id)
    .bind(rec.action)
    .bind(rec.target)
    .bind(rec.ip)
    .bind(rec.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// Newest first. The caller checks permissions.
pub async fn list_audit(db: &Db, limit: i64) -> Result<Vec<AuditEvent>, DbError> {
    let rows = sqlx::query(
        "SELECT a.id, a.at, a.actor_id, u.email AS actor_email, a.action, a.target, a.ip, a.detail \
         FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id \
         ORDER BY a.at DESC, a.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEvent {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_id: r.try_get("actor_id")?,
                actor_email: r.try_get("actor_email")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                ip: r.try_get("ip")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
