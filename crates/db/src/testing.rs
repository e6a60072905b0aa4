//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database created on
//! the server named by `OPS_TEST_POSTGRES_URL`. Under `CI=true` a missing or unreachable
//! PostgreSQL is an error, never a silent skip.

use crate::{Backend, Db, DbError, new_id};

/// The PostgreSQL server for tests, if configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("OPS_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// The Redis for tests: `OPS_TEST_REDIS_URL`, or the local one. Tests that need it fail when
/// it is unreachable (`make test` starts it).
pub fn redis_url() -> String {
    std::env::var("OPS_TEST_REDIS_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into())
}

/// True when tests must not skip PostgreSQL.
pub fn postgres_required() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
        || std::env::var("OPS_TEST_REQUIRE_POSTGRES").is_ok()
}

/// The backends to run contract tests on. PostgreSQL is included when configured; when it is
/// required but not configured, this panics with the reason.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if postgres_admin_url().is_some() {
        v.push(Backend::Postgres);
    } else if postgres_required() {
        panic!("OPS_TEST_POSTGRES_URL is not set but PostgreSQL tests are required (CI)");
    } else {
        eprintln!("note: OPS_TEST_POSTGRES_URL unset; PostgreSQL tests skipped");
    }
    v
}

/// A fresh, migrated, empty database on `backend`, plus its URL.
pub async fn fresh(backend: Backend) -> Result<(Db, String), DbError> {
    let url = fresh_url(backend).await?;
    let db = Db::connect(&url, 5).await?;
    db.migrate().await?;
    Ok((db, url))
}

/// A URL for a new empty database (created, not migrated).
pub async fn fresh_url(backend: Backend) -> Result<String, DbError> {
    let name = format!("ops_test_{}", new_id().replace('-', ""));
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("ops-center-tests");
            Ok(format!(
                "sqlite://{}",
                dir.join(format!("{name}.db")).display()
            ))
        }
        Backend::Postgres => {
            let admin = postgres_admin_url().ok_or_else(|| {
                DbError::UnknownScheme("OPS_TEST_POSTGRES_URL not set".to_string())
            })?;
            let admin_db = Db::connect(&admin, 1).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(admin_db.pool())
                .await?;
            admin_db.close().await;
            Ok(replace_db_name(&admin, &name))
        }
    }
}

/// `postgres://u@h:5432/postgres?x` → `postgres://u@h:5432/<name>?x`.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = &base[scheme_end..];
    let prefix = match host_part.find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{prefix}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_name_is_replaced() {
        assert_eq!(
            replace_db_name("postgres://p@h:5432/postgres", "x"),
            "postgres://p@h:5432/x"
        );
        assert_eq!(replace_db_name("postgres://p@h", "x"), "postgres://p@h/x");
        assert_eq!(
            replace_db_name("postgres://p@h/db?sslmode=disable", "x"),
            "postgres://p@h/x?sslmode=disable"
        );
    }
}
