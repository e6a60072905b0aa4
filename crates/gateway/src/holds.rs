//! Holds: how several replicas share one account's credits, its plan's requests per period
//! and one key's budget without going past them (table `llm_holds`).
//!
//! Each replica admits requests in memory against its own hold on a scope (an account's
//! credits, its plan's requests, or a key's budget period). When a request does not fit, the
//! replica takes more in one short transaction under the scope's lock: what the scope allows,
//! less what the other replicas hold, is free; it takes what it needs plus half of the rest.
//! The flush that charges and counts a batch lowers the holds by what it charged and counted,
//! in the same transaction, so the holds never add up to more than is left. Claims and
//! renewals of one replica run one at a time ([`Holds::serial`]). Every flush tick renews this replica's holds and gives back
//! what it has not needed lately. A replica that stops renewing (it crashed) no longer counts
//! once its holds expire; one that cannot renew stops trusting its own holds before then.
//!
//! Only this replica writes its own rows, always by adding a change (`amount + delta`), and
//! the same change is made to the in-memory hold once committed: the two stay equal.

use std::sync::atomic::{AtomicI64, Ordering};

use ops_db::{AnyConnection, Db, new_id, now_ms};
use ops_types::Overage;
use sqlx::Row as _;

use crate::GatewayError;
use crate::meter::Owner;

/// A hold not renewed for this long no longer counts.
pub const TTL_MS: i64 = 30_000;

/// What a scope allows to be spent.
pub enum Limit<'a> {
    /// An account's credits, as its plan lets requests spend them.
    Account(&'a Owner, Overage),
    /// A plan's `max` requests in the period starting at `period`.
    Requests {
        owner: &'a Owner,
        period: i64,
        max: i64,
    },
    /// A key's budget in one period `(start, end)`.
    Key {
        key_id: &'a str,
        window: (i64, i64),
        budget: i64,
    },
}

pub fn account_scope(owner: &Owner) -> String {
    format!("{}:{}", owner.0.as_str(), owner.1)
}

/// The plan's request allowance of an account. One scope for every period: what a hold
/// covers is requests admitted and not yet counted, whichever period counts them.
pub fn requests_scope(owner: &Owner) -> String {
    format!("requests:{}:{}", owner.0.as_str(), owner.1)
}

pub fn key_scope(key_row: &str, window_start: i64) -> String {
    format!("key:{key_row}:{window_start}")
}

/// This replica's side of the holds.
pub struct Holds {
    pub replica: String,
    /// When the holds were last renewed (ms).
    renewed: AtomicI64,
    /// Taken around a claim and the in-memory change it makes ([`Holds::serial`]).
    claiming: tokio::sync::Mutex<()>,
}

impl Default for Holds {
    fn default() -> Self {
        Holds {
            replica: new_id(),
            renewed: AtomicI64::new(now_ms()),
            claiming: tokio::sync::Mutex::new(()),
        }
    }
}

/// Takes the scope's lock for the rest of the transaction (a write: SQLite's write lock, a
/// row lock on PostgreSQL).
async fn lock(conn: &mut AnyConnection, scope: &str) -> Result<(), GatewayError> {
    sqlx::query(
        "INSERT INTO llm_holds (scope, replica, amount, expires_at) VALUES ($1, '', 0, 0) \
         ON CONFLICT (scope, replica) DO NOTHING",
    )
    .bind(scope)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE llm_holds SET amount = 0 WHERE scope = $1 AND replica = ''")
        .bind(scope)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Adds `delta` to this replica's hold on `scope` and renews it.
pub async fn add(
    conn: &mut AnyConnection,
    replica: &str,
    scope: &str,
    delta: i64,
) -> Result<(), GatewayError> {
    sqlx::query(
        "INSERT INTO llm_holds (scope, replica, amount, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (scope, replica) DO UPDATE SET amount = llm_holds.amount + excluded.amount, \
         expires_at = excluded.expires_at",
    )
    .bind(scope)
    .bind(replica)
    .bind(delta)
    .bind(now_ms() + TTL_MS)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Holds {
    /// This replica's claims and renewals, one at a time. A request that finds its hold short
    /// takes this, checks again, and only then claims; it adds the grant to its in-memory hold
    /// before letting go. Otherwise a claim could read a hold that the database and memory do
    /// not yet agree on (raised by another claim, or lowered by a renewal, in one but not yet
    /// the other), be granted too little, and refuse.
    pub async fn serial(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.claiming.lock().await
    }

    /// Whether the in-memory holds may be admitted against: they were renewed within half
    /// their lifetime (past that, the database may soon stop counting them).
    pub fn trusted(&self) -> bool {
        now_ms() - self.renewed.load(Ordering::Acquire) < TTL_MS / 2
    }

    /// Raises this replica's hold on `scope` so that it covers `need` (what is pending,
    /// reserved and asked for now), plus half of what would be left free. Returns by how much
    /// the hold grew; less than asked when the scope has no more.
    pub async fn claim(
        &self,
        db: &Db,
        scope: &str,
        limit: Limit<'_>,
        need: i64,
    ) -> Result<i64, GatewayError> {
        let now = now_ms();
        let mut tx = db.begin().await?;
        lock(&mut tx, scope).await?;
        // The holds first, then what the scope allows: a charge committing in between lowers
        // both, so reading in this order can only under-state what is free.
        let rows = sqlx::query(
            "SELECT replica, amount FROM llm_holds WHERE scope = $1 AND replica <> '' \
             AND (replica = $2 OR expires_at > $3)",
        )
        .bind(scope)
        .bind(&self.replica)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let (mut mine, mut others) = (0i64, 0i64);
        for r in rows {
            let amount: i64 = r.try_get("amount")?;
            if r.try_get::<String, _>("replica")? == self.replica {
                mine = amount;
            } else {
                others += amount.max(0);
            }
        }
        let allowed = match limit {
            Limit::Account(owner, overage) => {
                ops_billing::metered::spendable_in(&mut tx, (owner.0, &owner.1), overage).await?
            }
            Limit::Requests { owner, period, max } => {
                max - ops_billing::metered::requests_in(&mut tx, (owner.0, &owner.1), period)
                    .await?
            }
            Limit::Key {
                key_id,
                window,
                budget,
            } => budget - ops_auth::key_limits::spent_in(&mut tx, key_id, window).await?,
        };
        let free = allowed - others;
        let target = if free <= need {
            free
        } else {
            need + (free - need) / 2
        };
        let delta = (target - mine).max(0);
        if delta > 0 {
            add(&mut tx, &self.replica, scope, delta).await?;
        }
        tx.commit().await?;
        Ok(delta)
    }

    /// Notes a renewal with nothing to renew (this replica holds nothing).
    pub fn renewed_empty(&self) {
        self.renewed.store(now_ms(), Ordering::Release);
    }

    /// Renews this replica's holds and applies `changes` (what is given back, negative) in one
    /// transaction; also forgets holds that expired long ago.
    pub async fn renew(&self, db: &Db, changes: &[(String, i64)]) -> Result<(), GatewayError> {
        let now = now_ms();
        let mut tx = db.begin().await?;
        for (scope, delta) in changes {
            add(&mut tx, &self.replica, scope, *delta).await?;
        }
        sqlx::query("UPDATE llm_holds SET expires_at = $1 WHERE replica = $2")
            .bind(now + TTL_MS)
            .bind(&self.replica)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM llm_holds WHERE replica <> '' AND (expires_at < $1 OR (replica = $2 AND amount = 0))",
        )
        .bind(now - 3_600_000)
        .bind(&self.replica)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.renewed.store(now, Ordering::Release);
        Ok(())
    }
}

/// What to keep of a hold at a renewal: what is pending and reserved, plus twice what was
/// settled since the last one (the pace of spending). Returns the change (≤ 0).
pub fn give_back(held: i64, pending: i64, reserved: i64, lately: i64) -> i64 {
    let keep = pending + reserved + 2 * lately.max(0);
    if held > 2 * keep { keep - held } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::give_back;

    #[test]
    fn unused_holds_are_given_back() {
        assert_eq!(give_back(1000, 0, 0, 0), -1000);
        // Twice what is needed may stay.
        assert_eq!(give_back(600, 100, 50, 100), 0);
        assert_eq!(give_back(1000, 100, 50, 100), -650);
        assert_eq!(give_back(1000, 100, 0, 50), -800);
    }
}
