//! Connecting, migrating and the `Db` handle.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL `{0}` is neither sqlite: nor postgres://")]
    UnknownScheme(String),
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// True when a UNIQUE constraint rejected the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// The shared database handle: cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::UnknownScheme(
                url.split(':').next().unwrap_or("").to_string(),
            ))
        }
    }
}

impl Db {
    /// Connects (creating the SQLite file and its folder when needed). Does not migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; a crash loses nothing committed.
                        // Statement journals and temporary tables stay in memory: a batched
                        // insert otherwise writes a scratch file in /var/tmp. A new database
                        // gets 16 KiB pages (it must be set before WAL): the gateway's log
                        // batches then write a quarter of the WAL frames, each a system call
                        // or two (an existing database keeps its page size).
                        conn.execute(
                            "PRAGMA page_size = 16384; \
                             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                             PRAGMA temp_store = MEMORY;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Db { pool, backend })
    }

    /// Applies the migrations of this backend's dialect, then chains any audit rows written
    /// before the hash chain existed.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        let sealed = crate::seal_unchained(self).await?;
        if sealed > 0 {
            tracing::info!(sealed, "chained audit rows written before the hash chain");
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn begin(&self) -> Result<crate::Tx, DbError> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that reads before it writes, beside other writers of the same rows. On
    /// SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so it waits for another
    /// writer (`busy_timeout`) instead of failing at its first write when one committed after its
    /// first read (`SQLITE_BUSY_SNAPSHOT`). On PostgreSQL it is [`Db::begin`].
    pub async fn begin_write(&self) -> Result<crate::Tx, DbError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => self.begin().await,
        }
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The migration versions each dialect ships, for the test that they match.
    pub fn migration_versions(backend: Backend) -> Vec<i64> {
        let m = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter().map(|m| m.version).collect()
    }
}

/// Makes sure the folder exists and the file is created on first open.
fn sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let parent = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|_| path != ":memory:") {
        std::fs::create_dir_all(parent).map_err(|source| DbError::DataDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let query = match query {
        Some(q) if q.contains("mode=") => q.to_string(),
        Some(q) => format!("{q}&mode=rwc"),
        None => "mode=rwc".to_string(),
    };
    // Validate early so a typo names itself rather than failing inside the pool.
    let full = format!("sqlite://{path}?{query}");
    sqlx::sqlite::SqliteConnectOptions::from_str(&full)?;
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_ship_the_same_migration_versions() {
        let sqlite = Db::migration_versions(Backend::Sqlite);
        let postgres = Db::migration_versions(Backend::Postgres);
        assert!(!sqlite.is_empty());
        assert_eq!(
            sqlite, postgres,
            "migrations/sqlite and migrations/postgres must pair up"
        );
    }

    /// A transaction that read, then sees another writer commit before its own first write:
    /// begun with [`Db::begin_write`] it still commits (on SQLite the other writer waits).
    #[tokio::test]
    async fn a_write_transaction_that_reads_first_survives_a_concurrent_writer() {
        for backend in crate::testing::backends() {
            let (db, _) = crate::testing::fresh(backend).await.unwrap();
            let mut tx = db.begin_write().await.unwrap();
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            let other = {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut conn = db.pool().acquire().await.unwrap();
                    crate::put_setting(&mut conn, "other", "1", None).await
                })
            };
            tokio::time::sleep(Duration::from_millis(200)).await;
            crate::put_setting(&mut tx, "mine", "1", None)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            other.await.unwrap().unwrap();
            let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings")
                .fetch_one(db.pool())
                .await
                .unwrap();
            assert_eq!(after, n + 2, "{backend:?}");
        }
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(matches!(
            Backend::of_url("mysql://x"),
            Err(DbError::UnknownScheme(_))
        ));
        assert_eq!(Backend::of_url("sqlite://a.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::of_url("postgresql://h/db").unwrap(),
            Backend::Postgres
        );
    }
}
