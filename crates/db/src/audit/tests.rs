//! The hash chain on both backends: intact after concurrent writers, and each kind of
//! tampering found at the right place.

use crate::testing::{backends, fresh};
use crate::{AuditRecord, Db, record_audit, verify_chain};

async fn write(db: &Db, action: &str) {
    let mut tx = db.begin().await.unwrap();
    let rec = AuditRecord {
        action,
        detail: Some("d"),
        ..AuditRecord::default()
    };
    record_audit(&mut tx, rec).await.unwrap();
    tx.commit().await.unwrap();
}

async fn exec(db: &Db, sql: &str) {
    sqlx::query(sql).execute(db.pool()).await.unwrap();
}

#[tokio::test]
async fn concurrent_writers_keep_one_chain_and_rollbacks_leave_no_gap() {
    for backend in backends() {
        // -- Setup
        let (db, _) = fresh(backend).await.unwrap();
        // -- Exec: 24 writers at once, plus one transaction that rolls back.
        let writers: Vec<_> = (0..24)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move { write(&db, &format!("t.{i}")).await })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        let mut tx = db.begin().await.unwrap();
        record_audit(
            &mut tx,
            AuditRecord {
                action: "t.rolled_back",
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        write(&db, "t.last").await;
        // -- Check
        let (checked, broken) = verify_chain(&db).await.unwrap();
        assert_eq!((checked, broken), (25, None), "{backend:?}");
    }
}

#[tokio::test]
async fn edits_deletions_and_insertions_are_found() {
    for backend in backends() {
        let (db, _) = fresh(backend).await.unwrap();
        for i in 0..5 {
            write(&db, &format!("t.{i}")).await;
        }
        // An edited row.
        exec(
            &db,
            "UPDATE audit_events SET detail = 'forged' WHERE seq = 3",
        )
        .await;
        let (_, b) = verify_chain(&db).await.unwrap();
        let b = b.expect("edit found");
        assert_eq!(b.seq, 3, "{backend:?} {b:?}");
        assert!(b.reason.contains("changed"), "{b:?}");
        exec(&db, "UPDATE audit_events SET detail = 'd' WHERE seq = 3").await;
        assert_eq!(verify_chain(&db).await.unwrap().1, None, "restored");

        // A deleted row in the middle.
        exec(&db, "DELETE FROM audit_events WHERE seq = 2").await;
        let b = verify_chain(&db).await.unwrap().1.expect("gap found");
        assert_eq!(b.seq, 2, "{b:?}");
        assert!(b.reason.contains("missing"), "{b:?}");
    }
    for backend in backends() {
        let (db, _) = fresh(backend).await.unwrap();
        for i in 0..3 {
            write(&db, &format!("t.{i}")).await;
        }
        // The newest row deleted: only the head knows.
        exec(&db, "DELETE FROM audit_events WHERE seq = 3").await;
        let b = verify_chain(&db)
            .await
            .unwrap()
            .1
            .expect("truncation found");
        assert_eq!(b.seq, 3, "{b:?}");
        // A row slipped in without the chain.
        let (db, _) = fresh(backend).await.unwrap();
        write(&db, "t.0").await;
        exec(
            &db,
            "INSERT INTO audit_events (id, at, action) VALUES ('x', 1, 'forged')",
        )
        .await;
        let b = verify_chain(&db).await.unwrap().1.expect("insertion found");
        assert!(b.reason.contains("outside"), "{b:?}");
    }
}

#[tokio::test]
async fn rows_from_before_the_chain_are_sealed_on_migrate() {
    for backend in backends() {
        let (db, _) = fresh(backend).await.unwrap();
        exec(
            &db,
            "INSERT INTO audit_events (id, at, action) VALUES ('old-1', 1, 'legacy'), ('old-2', 2, 'legacy')",
        )
        .await;
        db.migrate().await.unwrap();
        assert_eq!(verify_chain(&db).await.unwrap(), (2, None), "{backend:?}");
    }
}
