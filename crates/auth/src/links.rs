//! Single-use tokens sent by e-mail (`user_tokens`): only their SHA-256 is stored, one live
//! token per user and purpose, spent atomically.

use ops_db::{Db, Row, Tx, now_ms};

use crate::AuthError;
use crate::token::{random_hex, sha256_hex};

/// Issues a token for `user_id` (replacing any unspent one of the same purpose).
pub(crate) async fn issue(
    tx: &mut Tx,
    user_id: &str,
    purpose: &str,
    valid_ms: i64,
) -> Result<String, AuthError> {
    let token = random_hex(32)?;
    let now = now_ms();
    sqlx::query("DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
        .bind(user_id)
        .bind(purpose)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(&token))
    .bind(user_id)
    .bind(purpose)
    .bind(now)
    .bind(now + valid_ms)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// The user a live token belongs to, without spending it.
pub(crate) async fn peek(db: &Db, token: &str, purpose: &str) -> Result<Option<String>, AuthError> {
    let row = sqlx::query(
        "SELECT user_id FROM user_tokens WHERE token_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > $3",
    )
    .bind(sha256_hex(token.trim()))
    .bind(purpose)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| r.try_get("user_id")).transpose()?)
}

/// Spends a live token inside `tx`; false when it was unknown, spent or expired (of two
/// concurrent uses, one gets false).
pub(crate) async fn spend(tx: &mut Tx, token: &str, purpose: &str) -> Result<bool, AuthError> {
    let n = sqlx::query(
        "UPDATE user_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > $3",
    )
    .bind(sha256_hex(token.trim()))
    .bind(purpose)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}
