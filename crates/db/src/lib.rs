//! One database handle over SQLite (default, embedded) or PostgreSQL, chosen by the URL.
//!
//! Queries are portable SQL run through sqlx's `Any` driver with `$1` placeholders and
//! runtime `query`/`query_as`; compile-time macros cannot check two dialects. Columns hold
//! only portable types: text ids (UUIDv7), `BIGINT` unix-millisecond timestamps and 0/1 flags,
//! integer micro-units for money. Where dialects differ, branch on [`Db::backend`].

mod audit;
mod pool;
pub mod redis;
mod settings;
pub mod sql;
pub mod testing;

pub use audit::{
    AuditFilter, AuditRecord, ChainBreak, audit_actions, audit_orgs, audit_stats, list_audit,
    record_audit, seal_unchained, verify_chain,
};
pub use pool::{Backend, Db, DbError};
pub use settings::{get_setting, put_setting};
pub use sqlx::{AnyConnection, Row, any::AnyRow};

/// Current time as unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Transaction type used by services.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
