//! First-run setup: while no admin exists, `serve` prints a one-time link. Its holder creates
//! the first admin in the browser; the token is then gone. Only its hash is stored.

use ops_db::{Db, Row, now_ms};
use ops_types::Role;

use crate::token::{random_hex, sha256_hex};
use crate::users::{self, Actor, UserForCreate};
use crate::{AuthError, User};

/// How long a printed setup link stays valid.
pub const TOKEN_TTL_MS: i64 = 24 * 3600 * 1000;

/// When no admin exists, replaces any earlier token with a new one and returns it.
pub async fn issue_token_if_needed(db: &Db) -> Result<Option<String>, AuthError> {
    if users::count_admins(db).await? > 0 {
        sqlx::query("DELETE FROM setup_tokens")
            .execute(db.pool())
            .await?;
        return Ok(None);
    }
    let token = random_hex(24)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM setup_tokens")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(sha256_hex(&token))
    .bind(now)
    .bind(now + TOKEN_TTL_MS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// True while setup is open (no admin yet).
pub async fn needs_admin(db: &Db) -> Result<bool, AuthError> {
    Ok(users::count_admins(db).await? == 0)
}

/// Whether a token is currently valid (for showing the form or an explanation).
pub async fn token_valid(db: &Db, token: &str) -> Result<bool, AuthError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(sha256_hex(token.trim()))
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?;
    Ok(row.try_get::<i64, _>("n")? == 1)
}

/// Consumes the token and creates the first admin, atomically: a used, expired or unknown
/// token, or an existing admin, changes nothing.
pub async fn create_first_admin(
    db: &Db,
    token: &str,
    email: &str,
    display_name: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<User, AuthError> {
    let mut tx = db.begin().await?;
    let used = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2")
        .bind(sha256_hex(token.trim()))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    if used.rows_affected() != 1 {
        return Err(AuthError::SetupTokenInvalid);
    }
    let admins: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
    if admins > 0 {
        return Err(AuthError::SetupTokenInvalid);
    }
    let input = UserForCreate {
        email: email.to_string(),
        display_name: display_name.to_string(),
        password: Some(password.to_string()),
        role: Role::Admin,
    };
    let user = users::insert(&mut tx, input, Actor::Setup { ip }).await?;
    tx.commit().await?;
    Ok(user)
}
