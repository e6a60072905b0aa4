//! The audit log. Every state change calls [`record_audit`] inside the transaction that makes
//! the change, so the two commit or roll back together. Rows never hold secrets.
//!
//! The log is a hash chain ([`chain`]): each row stores its sequence number, the previous
//! row's hash and its own, so `ops-center audit verify` finds an edited, inserted or deleted row.

mod chain;
mod query;

pub use chain::{ChainBreak, seal_unchained, verify_chain};
pub use query::{AuditFilter, audit_actions, audit_orgs, audit_stats, list_audit};

use sqlx::AnyConnection;

use crate::{DbError, new_id, now_ms};

/// What happened, by whom, to what. `detail` is free text without secrets.
#[derive(Debug, Clone, Default)]
pub struct AuditRecord<'a> {
    pub actor_id: Option<&'a str>,
    /// An administrator acting as `actor_id` (impersonation): both are named.
    pub impersonator_id: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    /// The target's human name at the time (email, key name…), so the log reads without joins.
    pub target_label: Option<&'a str>,
    pub org_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Appends one event to the chain. Call it inside the change's transaction.
pub async fn record_audit(conn: &mut AnyConnection, rec: AuditRecord<'_>) -> Result<(), DbError> {
    let row = chain::Link {
        id: new_id(),
        at: now_ms(),
        actor_id: rec.actor_id.map(str::to_string),
        impersonator_id: rec.impersonator_id.map(str::to_string),
        action: rec.action.to_string(),
        target: rec.target.map(str::to_string),
        target_label: rec.target_label.map(str::to_string),
        org_id: rec.org_id.map(str::to_string),
        ip: rec.ip.map(str::to_string),
        detail: rec.detail.map(str::to_string),
    };
    chain::append(conn, &row).await
}

#[cfg(test)]
mod tests;
