//! Console-editable settings: one row per key, the value as JSON text. Domain crates own the
//! meaning of their keys; bootstrap values from the config file or env live in ops-config.

use sqlx::{AnyConnection, Row};

use crate::{Db, DbError, now_ms};

pub async fn get_setting(db: &Db, key: &str) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("value")).transpose()?)
}

/// Sets `key` inside the caller's transaction (which also writes the audit row).
pub async fn put_setting(
    conn: &mut AnyConnection,
    key: &str,
    value: &str,
    by: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
    )
    .bind(key)
    .bind(value)
    .bind(now_ms())
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
