//! The hash chain over `audit_events`.
//!
//! `hash = SHA-256(prev_hash ‖ seq ‖ every field)`, each field length-prefixed so no two rows
//! encode alike. Appending first bumps `audit_head` with an UPDATE, which takes the write lock
//! (SQLite) or the row lock (PostgreSQL) until commit: concurrent writers queue instead of
//! forking the chain, and a rolled-back change leaves no gap.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::{Db, DbError};

/// The fields of one event that the hash covers (besides seq and prev_hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub impersonator_id: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub target_label: Option<String>,
    pub org_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// Sequence number where the break was found (the row, or the missing one).
    pub seq: i64,
    /// The row's id, when there is a row at that place.
    pub id: Option<String>,
    pub reason: String,
}

pub(crate) fn hash(seq: i64, prev_hash: &str, l: &Link) -> String {
    let mut h = Sha256::new();
    let mut put = |v: Option<&str>| match v {
        None => h.update(b"~"),
        Some(s) => {
            h.update(s.len().to_string().as_bytes());
            h.update(b":");
            h.update(s.as_bytes());
        }
    };
    put(Some(prev_hash));
    put(Some(&seq.to_string()));
    put(Some(&l.id));
    put(Some(&l.at.to_string()));
    put(l.actor_id.as_deref());
    put(l.impersonator_id.as_deref());
    put(Some(&l.action));
    put(l.target.as_deref());
    put(l.target_label.as_deref());
    put(l.org_id.as_deref());
    put(l.ip.as_deref());
    put(l.detail.as_deref());
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends `l` as the chain's next row.
pub(crate) async fn append(conn: &mut AnyConnection, l: &Link) -> Result<(), DbError> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev: String = head.try_get("hash")?;
    let own = hash(seq, &prev, l);
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor_id, impersonator_id, action, target, \
         target_label, org_id, ip, detail, seq, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&l.id)
    .bind(l.at)
    .bind(&l.actor_id)
    .bind(&l.impersonator_id)
    .bind(&l.action)
    .bind(&l.target)
    .bind(&l.target_label)
    .bind(&l.org_id)
    .bind(&l.ip)
    .bind(&l.detail)
    .bind(seq)
    .bind(&prev)
    .bind(&own)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&own)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const LINK_COLUMNS: &str = "id, at, actor_id, impersonator_id, action, target, target_label, \
                            org_id, ip, detail";

fn link_of(r: &sqlx::any::AnyRow) -> Result<Link, sqlx::Error> {
    Ok(Link {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        impersonator_id: r.try_get("impersonator_id")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        target_label: r.try_get("target_label")?,
        org_id: r.try_get("org_id")?,
        ip: r.try_get("ip")?,
        detail: r.try_get("detail")?,
    })
}

/// Chains rows written before the chain existed (installs upgraded from migration 0001), in
/// the order they were written. Runs at start after migrating; a no-op once sealed.
pub async fn seal_unchained(db: &Db) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    let rows = sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM audit_events WHERE seq IS NULL ORDER BY at, id"
    ))
    .fetch_all(&mut *tx)
    .await?;
    let mut sealed = 0;
    for r in &rows {
        let l = link_of(r)?;
        sqlx::query("DELETE FROM audit_events WHERE id = $1")
            .bind(&l.id)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &l).await?;
        sealed += 1;
    }
    tx.commit().await?;
    Ok(sealed)
}

/// Walks the whole chain in order. `Ok(None)`: intact; otherwise the first broken link.
/// Also returns how many rows were checked.
pub async fn verify_chain(db: &Db) -> Result<(u64, Option<ChainBreak>), DbError> {
    const PAGE: i64 = 2000;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    let mut expect_seq = 1_i64;
    let mut prev = String::from(GENESIS);
    let mut checked = 0_u64;
    let broken = |seq, id: Option<String>, reason: &str| ChainBreak {
        seq,
        id,
        reason: reason.to_string(),
    };
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {LINK_COLUMNS}, seq, prev_hash, hash FROM audit_events \
             WHERE seq >= $1 ORDER BY seq LIMIT $2"
        ))
        .bind(expect_seq)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?;
        let n = rows.len();
        for r in &rows {
            let l = link_of(r)?;
            let seq: i64 = r.try_get("seq")?;
            let stored_prev: String = r.try_get("prev_hash")?;
            let stored: String = r.try_get("hash")?;
            if seq != expect_seq {
                let why = "a row is missing before this one";
                return Ok((checked, Some(broken(expect_seq, Some(l.id), why))));
            }
            if stored_prev != prev {
                let why = "prev_hash does not match the row before";
                return Ok((checked, Some(broken(seq, Some(l.id), why))));
            }
            if hash(seq, &prev, &l) != stored {
                let why = "the row was changed after it was written";
                return Ok((checked, Some(broken(seq, Some(l.id), why))));
            }
            checked += 1;
            prev = stored;
            expect_seq += 1;
        }
        if (n as i64) < PAGE {
            break;
        }
    }
    let unchained: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE seq IS NULL")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    if unchained > 0 {
        let why = "rows were inserted outside the chain";
        return Ok((checked, Some(broken(expect_seq, None, why))));
    }
    if head_seq != expect_seq - 1 || head_hash != prev {
        let why = "rows at the end of the log were deleted";
        return Ok((checked, Some(broken(expect_seq, None, why))));
    }
    Ok((checked, None))
}

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Link {
        Link {
            id: "a".into(),
            at: 1,
            actor_id: None,
            impersonator_id: None,
            action: "x".into(),
            target: Some("t".into()),
            target_label: None,
            org_id: None,
            ip: None,
            detail: None,
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = hash(1, GENESIS, &link());
        assert_ne!(base, hash(2, GENESIS, &link()));
        let mut l = link();
        l.target = None;
        l.target_label = Some("t".into());
        assert_ne!(base, hash(1, GENESIS, &l), "fields are positional");
        let mut l = link();
        l.detail = Some(String::new());
        assert_ne!(base, hash(1, GENESIS, &l), "empty is not absent");
    }
}
