//! Money. One append-only ledger per account (a user or an organisation) in integer
//! micro-units: credits arrive as lots (paid or granted, with a priority and an expiry) and
//! debits draw from the open lots in order. Balances are cached on the account row and checked
//! against the entries by [`check::run`]. Every move locks its account row first, so concurrent
//! spends never overdraw, and takes an optional idempotency key, so a retried request never
//! moves money twice.

pub mod access;
pub mod account;
pub mod admin;
pub mod check;
pub mod codes;
mod error;
pub mod invoice;
pub mod ledger;
pub mod metered;
pub mod packs;
pub mod pdf;
pub mod period;
pub mod plans;
pub mod query;
pub mod revenue;
pub mod stripe;
pub mod subscription;
pub mod summary;
pub mod usage;

pub use error::BillingError;

/// A setting stored as JSON, read on the caller's connection (inside a transaction); `None`
/// when it is not set or no longer reads as `T`.
pub(crate) async fn json_setting<T: serde::de::DeserializeOwned>(
    conn: &mut ops_db::AnyConnection,
    key: &str,
) -> Result<Option<T>, BillingError> {
    use ops_db::Row;
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(row
        .map(|r| r.try_get::<String, _>("value"))
        .transpose()?
        .and_then(|v| serde_json::from_str(&v).ok()))
}

/// Takes SQLite's write lock at the start of a transaction that reads before it writes (two
/// such transactions reading first can deadlock when both then write); on PostgreSQL it
/// matches no row and locks nothing.
pub(crate) async fn write_first(conn: &mut ops_db::AnyConnection) -> Result<(), BillingError> {
    sqlx::query("UPDATE settings SET key = key WHERE key = '(write lock)'")
        .execute(conn)
        .await?;
    Ok(())
}
