//! The ledger check: every account's cached balances and open lots recomputed from its entries
//! and draws. Run by `ops-center billing check` and `POST /api/v1/admin/credits/check`.

use ops_auth::AuthCtx;
use ops_db::{Db, Row};
use ops_types::{LedgerCheck, Liability, Permission};

use crate::BillingError;

pub async fn check(db: &Db, ctx: &AuthCtx) -> Result<LedgerCheck, BillingError> {
    ctx.require(Permission::BillingManage)?;
    run(db).await
}

/// Compares, per account: the cached balances with the sums of the entries' deltas and with
/// the last entry's running balances; each lot's remaining amount with its original amount
/// less its draws; and the cached balances with the open lots.
pub async fn run(db: &Db) -> Result<LedgerCheck, BillingError> {
    let accounts = sqlx::query(
        "SELECT a.id, a.owner_kind, a.owner_id, a.paid, a.granted, a.last_seq, \
         (SELECT CAST(COALESCE(SUM(paid_delta), 0) AS BIGINT) FROM ledger_entries e WHERE e.account_id = a.id) AS paid_sum, \
         (SELECT CAST(COALESCE(SUM(granted_delta), 0) AS BIGINT) FROM ledger_entries e WHERE e.account_id = a.id) AS granted_sum, \
         (SELECT COUNT(*) FROM ledger_entries e WHERE e.account_id = a.id) AS entries, \
         (SELECT e.paid_after FROM ledger_entries e WHERE e.account_id = a.id AND e.seq = a.last_seq) AS paid_last, \
         (SELECT e.granted_after FROM ledger_entries e WHERE e.account_id = a.id AND e.seq = a.last_seq) AS granted_last, \
         (SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM credit_lots l WHERE l.account_id = a.id AND l.bucket = 'paid') AS paid_lots, \
         (SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM credit_lots l WHERE l.account_id = a.id AND l.bucket = 'granted') AS granted_lots \
         FROM billing_accounts a ORDER BY a.created_at",
    )
    .fetch_all(db.pool())
    .await?;
    let mut problems = Vec::new();
    let mut total_entries = 0;
    for r in &accounts {
        let name = format!(
            "{} {}",
            r.try_get::<String, _>("owner_kind")?,
            r.try_get::<String, _>("owner_id")?
        );
        let n = |c: &str| r.try_get::<i64, _>(c);
        let opt = |c: &str| r.try_get::<Option<i64>, _>(c);
        let (paid, granted, last_seq, entries) =
            (n("paid")?, n("granted")?, n("last_seq")?, n("entries")?);
        total_entries += entries;
        if entries != last_seq {
            problems.push(format!(
                "{name}: {entries} entries but the last is #{last_seq}"
            ));
        }
        if (paid, granted) != (n("paid_sum")?, n("granted_sum")?) {
            problems.push(format!(
                "{name}: cached balance {paid}/{granted} differs from the entries' sum {}/{}",
                n("paid_sum")?,
                n("granted_sum")?
            ));
        }
        if last_seq > 0 && (Some(paid), Some(granted)) != (opt("paid_last")?, opt("granted_last")?)
        {
            problems.push(format!(
                "{name}: cached balance differs from the last entry's"
            ));
        }
        if (paid, granted) != (n("paid_lots")?, n("granted_lots")?) {
            problems.push(format!(
                "{name}: cached balance {paid}/{granted} differs from the open lots {}/{}",
                n("paid_lots")?,
                n("granted_lots")?
            ));
        }
    }
    let lots = sqlx::query(
        "SELECT l.id, l.amount, l.remaining, \
         (SELECT CAST(COALESCE(SUM(d.amount), 0) AS BIGINT) FROM ledger_draws d WHERE d.lot_id = l.id) AS drawn \
         FROM credit_lots l",
    )
    .fetch_all(db.pool())
    .await?;
    for r in &lots {
        let (amount, remaining, drawn): (i64, i64, i64) = (
            r.try_get("amount")?,
            r.try_get("remaining")?,
            r.try_get("drawn")?,
        );
        if amount - drawn != remaining {
            problems.push(format!(
                "lot {}: {amount} less {drawn} drawn is not the {remaining} left",
                r.try_get::<String, _>("id")?
            ));
        }
    }
    let liability = sqlx::query(
        "SELECT currency, CAST(COALESCE(SUM(paid), 0) AS BIGINT) AS paid, CAST(COALESCE(SUM(granted), 0) AS BIGINT) AS granted \
         FROM billing_accounts GROUP BY currency ORDER BY currency",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Liability {
            currency: r.try_get("currency")?,
            paid: r.try_get("paid")?,
            granted: r.try_get("granted")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(LedgerCheck {
        accounts: accounts.len() as i64,
        entries: total_entries,
        problems,
        liability,
    })
}
