//! tower-sessions store on our own `sessions` table, so sessions can be listed per user and
//! revoked: a deleted row ends the session on its next request. The signed-in user, IP and
//! user agent are copied out of the record into columns for those listings.

use async_trait::async_trait;
use ops_db::{Db, Row, now_ms};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::sessions::{IP, USER_AGENT, USER_ID};

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }

    /// Removes expired rows; run now and then.
    pub async fn delete_expired(&self) -> Result<u64, ops_db::DbError> {
        let res = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(self.db.pool())
            .await?;
        Ok(res.rows_affected())
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

struct Columns {
    data: String,
    user_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    expires_at: i64,
}

fn columns(record: &Record) -> session_store::Result<Columns> {
    let text = |key: &str| {
        record
            .data
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Ok(Columns {
        data: serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?,
        user_id: text(USER_ID),
        ip: text(IP),
        user_agent: text(USER_AGENT).map(|ua| ua.chars().take(300).collect()),
        expires_at: record.expiry_date.unix_timestamp().saturating_mul(1000),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = now_ms();
        loop {
            let c = columns(record)?;
            let res = sqlx::query(
                "INSERT INTO sessions (id, user_id, data, ip, user_agent, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
            )
            .bind(record.id.to_string())
            .bind(c.user_id)
            .bind(c.data)
            .bind(c.ip)
            .bind(c.user_agent)
            .bind(now)
            .bind(c.expires_at)
            .execute(self.db.pool())
            .await;
            match res {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let e = ops_db::DbError::from(e);
                    if !e.is_unique_violation() {
                        return Err(backend(e));
                    }
                    record.id = Id::default();
                }
            }
        }
    }

    /// Updates only: a row that is gone was revoked and must not come back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let c = columns(record)?;
        sqlx::query(
            "UPDATE sessions SET user_id = $2, data = $3, ip = COALESCE($4, ip), \
             user_agent = COALESCE($5, user_agent), last_seen_at = $6, expires_at = $7 WHERE id = $1",
        )
        .bind(record.id.to_string())
        .bind(c.user_id)
        .bind(c.data)
        .bind(c.ip)
        .bind(c.user_agent)
        .bind(now_ms())
        .bind(c.expires_at)
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query("SELECT data FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(now_ms())
            .fetch_optional(self.db.pool())
            .await
            .map_err(backend)?;
        match row {
            None => Ok(None),
            Some(row) => {
                let data: String = row.try_get("data").map_err(backend)?;
                serde_json::from_str(&data)
                    .map(Some)
                    .map_err(|e| session_store::Error::Decode(e.to_string()))
            }
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
