//! Reading the audit log: filtered pages, figures and the lists of actions and organisations. Callers check
//! permissions (`ops_auth::audit`).

use ops_types::{AuditEvent, AuditOrg, AuditQuery, AuditStats, Count, date_of_day};
use sqlx::Row;

use crate::sql::{Bind, Where, contains, prefix};
use crate::{Db, DbError};

/// A validated [`AuditQuery`] without paging.
pub type AuditFilter = AuditQuery;

const FROM: &str = "FROM audit_events a \
     LEFT JOIN users u ON u.id = a.actor_id \
     LEFT JOIN users i ON i.id = a.impersonator_id";

fn where_of(q: &AuditFilter) -> Where {
    let mut w = Where::new();
    if let Some(actor) = q.actor.as_deref().filter(|s| !s.is_empty()) {
        w.push(
            "(a.actor_id = ? OR a.impersonator_id = ? OR u.email LIKE ? ESCAPE '\\' \
             OR i.email LIKE ? ESCAPE '\\')",
            [
                Bind::Text(actor.to_string()),
                Bind::Text(actor.to_string()),
                contains(actor),
                contains(actor),
            ],
        );
    }
    if let Some(action) = q.action.as_deref().filter(|s| !s.is_empty()) {
        if action.ends_with('.') {
            w.push("a.action LIKE ? ESCAPE '\\'", [prefix(action)]);
        } else {
            w.push("a.action = ?", [Bind::Text(action.to_string())]);
        }
    }
    if let Some(target) = q.target.as_deref().filter(|s| !s.is_empty()) {
        w.push(
            "(a.target = ? OR LOWER(a.target_label) LIKE ? ESCAPE '\\')",
            [Bind::Text(target.to_string()), contains(target)],
        );
    }
    if let Some(user) = q.subject.as_deref().filter(|s| !s.is_empty()) {
        w.push(
            "(a.actor_id = ? OR a.target = ? OR a.impersonator_id = ?)",
            [
                Bind::Text(user.to_string()),
                Bind::Text(user.to_string()),
                Bind::Text(user.to_string()),
            ],
        );
    }
    if let Some(org) = q.org_id.as_deref().filter(|s| !s.is_empty()) {
        w.push("a.org_id = ?", [Bind::Text(org.to_string())]);
    }
    if let Some(ip) = q.ip.as_deref().filter(|s| !s.is_empty()) {
        w.push("a.ip = ?", [Bind::Text(ip.to_string())]);
    }
    if let Some(from) = q.from {
        w.push("a.at >= ?", [Bind::Int(from)]);
    }
    if let Some(to) = q.to {
        w.push("a.at < ?", [Bind::Int(to)]);
    }
    w
}

fn event_of(r: &sqlx::any::AnyRow) -> Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor_email: r.try_get("actor_email")?,
        actor_name: r.try_get("actor_name")?,
        impersonator_id: r.try_get("impersonator_id")?,
        impersonator_email: r.try_get("impersonator_email")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        target_label: r.try_get("target_label")?,
        org_id: r.try_get("org_id")?,
        ip: r.try_get("ip")?,
        detail: r.try_get("detail")?,
    })
}

/// Events matching `q`, newest first, older than `q.before`, at most `limit`.
pub async fn list_audit(db: &Db, q: &AuditFilter, limit: i64) -> Result<Vec<AuditEvent>, DbError> {
    let mut w = where_of(q);
    if let Some(before) = q.before {
        w.push("a.seq < ?", [Bind::Int(before)]);
    }
    let lim = w.bind(Bind::Int(limit));
    let sql = format!(
        "SELECT a.id, a.seq, a.at, a.actor_id, u.email AS actor_email, \
         u.display_name AS actor_name, a.impersonator_id, i.email AS impersonator_email, \
         a.action, a.target, a.target_label, a.org_id, a.ip, a.detail \
         {FROM}{} ORDER BY a.seq DESC LIMIT {lim}",
        w.sql()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(event_of)
        .collect::<Result<_, _>>()
        .map_err(DbError::from)
}

/// Totals, top actions and events per day over the events matching `q` (paging ignored).
pub async fn audit_stats(db: &Db, q: &AuditFilter) -> Result<AuditStats, DbError> {
    let w = where_of(q);
    let sql = format!(
        "SELECT COUNT(*) AS total, \
         COALESCE(SUM(CASE WHEN a.action = 'auth.login_failed' THEN 1 ELSE 0 END), 0) AS failed, \
         COUNT(DISTINCT a.actor_id) AS actors {FROM}{}",
        w.sql()
    );
    let totals = w.apply(sqlx::query(&sql)).fetch_one(db.pool()).await?;
    let counts = async |sql: String, day: bool| -> Result<Vec<Count>, DbError> {
        let rows = w.apply(sqlx::query(&sql)).fetch_all(db.pool()).await?;
        let count = |r: &sqlx::any::AnyRow| -> Result<Count, sqlx::Error> {
            let key = if day {
                date_of_day(r.try_get("k")?)
            } else {
                r.try_get("k")?
            };
            Ok(Count {
                key,
                count: r.try_get("n")?,
            })
        };
        Ok(rows.iter().map(count).collect::<Result<_, _>>()?)
    };
    let by_action = counts(
        format!(
            "SELECT a.action AS k, COUNT(*) AS n {FROM}{} \
             GROUP BY a.action ORDER BY n DESC, k LIMIT 20",
            w.sql()
        ),
        false,
    )
    .await?;
    let by_day = counts(
        format!(
            "SELECT a.at / 86400000 AS k, COUNT(*) AS n {FROM}{} \
             GROUP BY a.at / 86400000 ORDER BY k",
            w.sql()
        ),
        true,
    )
    .await?;
    Ok(AuditStats {
        total: totals.try_get("total")?,
        failed_logins: totals.try_get("failed")?,
        distinct_actors: totals.try_get("actors")?,
        by_action,
        by_day,
    })
}

/// Every action name that occurs in the log, sorted.
pub async fn audit_actions(db: &Db) -> Result<Vec<String>, DbError> {
    let rows = sqlx::query("SELECT DISTINCT action FROM audit_events ORDER BY action")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| r.try_get("action"))
        .collect::<Result<_, _>>()
        .map_err(DbError::from)
}

/// The organisations events were recorded for, with their names where they still exist.
pub async fn audit_orgs(db: &Db) -> Result<Vec<AuditOrg>, DbError> {
    let rows = sqlx::query(
        "SELECT a.org_id, MAX(o.name) AS name FROM audit_events a LEFT JOIN orgs o ON o.id = a.org_id \
         WHERE a.org_id IS NOT NULL GROUP BY a.org_id ORDER BY MAX(o.name), a.org_id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditOrg {
                id: r.try_get("org_id")?,
                name: r.try_get("name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
