//! What the AI gateway meters into: an account's standing (the plan in force, the period, the
//! credits it may spend, the requests counted so far) and the batched charge that settles many
//! requests with one ledger entry. The gateway admits requests from the standing in memory and
//! settles in batches, so the hot path never waits on the database.

use ops_db::{AnyConnection, Db, Row};
use ops_types::{CreditBucket, Overage, OwnerKind, Plan};

use crate::ledger::{self, Debit, Meta};
use crate::subscription::{self, Sub};
use crate::{BillingError, access, plans};

/// An account's standing for the gateway.
#[derive(Debug, Clone)]
pub struct Standing {
    /// The plan whose entitlements apply now (the free plan while payment is overdue; no
    /// services while suspended).
    pub plan: Plan,
    pub status: String,
    pub period_start: i64,
    pub period_end: i64,
    /// What requests may spend: included credits only when the plan blocks at its allowance,
    /// all credits otherwise.
    pub spendable: i64,
    /// Requests counted this period (every service).
    pub requests: i64,
}

async fn balances(
    conn: &mut AnyConnection,
    kind: OwnerKind,
    owner: &str,
) -> Result<(i64, i64), BillingError> {
    let row = sqlx::query(
        "SELECT paid, granted FROM billing_accounts WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(owner)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => (r.try_get("paid")?, r.try_get("granted")?),
        None => (0, 0),
    })
}

fn spendable(overage: Overage, (paid, granted): (i64, i64)) -> i64 {
    match overage {
        Overage::Block => granted,
        Overage::Credits | Overage::TopUp => paid + granted,
    }
}

/// What the owner's requests may spend now, read in the caller's transaction.
pub async fn spendable_in(
    conn: &mut AnyConnection,
    owner: (OwnerKind, &str),
    overage: Overage,
) -> Result<i64, BillingError> {
    Ok(spendable(overage, balances(conn, owner.0, owner.1).await?))
}

/// The requests counted in the period starting at `period_start`, read in the caller's
/// transaction.
pub async fn requests_in(
    conn: &mut AnyConnection,
    owner: (OwnerKind, &str),
    period_start: i64,
) -> Result<i64, BillingError> {
    Ok(sqlx::query(
        "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS n FROM usage_counters \
         WHERE owner_kind = $1 AND owner_id = $2 AND period_start = $3",
    )
    .bind(owner.0.as_str())
    .bind(owner.1)
    .bind(period_start)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?)
}

/// The owner's standing now (their subscription is made if missing).
pub async fn standing(db: &Db, kind: OwnerKind, owner: &str) -> Result<Standing, BillingError> {
    let s: Sub = subscription::of_owner(db, kind, owner).await?;
    let mut conn = db.pool().acquire().await?;
    let plan = plans::load(&mut conn, &s.plan_code).await?;
    let plan = access::effective(&mut conn, &s, &plan).await?;
    let requests = requests_in(&mut conn, (kind, owner), s.period_start).await?;
    let money = balances(&mut conn, kind, owner).await?;
    Ok(Standing {
        spendable: spendable(plan.overage, money),
        plan,
        status: s.status,
        period_start: s.period_start,
        period_end: s.period_end,
        requests,
    })
}

/// What a batch charge did: the ledger entry (none when nothing was charged), how much it took,
/// and what the account may spend after it.
#[derive(Debug, Clone, Default)]
pub struct Charged {
    pub entry: Option<String>,
    pub amount: i64,
    pub spendable: i64,
}

/// Charges `amount` for a batch of requests in the caller's transaction. Never overdraws: when
/// the account holds less (another replica or an administrator moved money meanwhile), it takes
/// what there is and says so in `amount`. `key` makes a replayed batch charge once.
pub async fn charge(
    conn: &mut AnyConnection,
    owner: (OwnerKind, &str),
    overage: Overage,
    amount: i64,
    reason: &str,
    key: &str,
) -> Result<Charged, BillingError> {
    let only = (overage == Overage::Block).then_some(CreditBucket::Granted);
    let mut want = amount;
    let mut entry = None;
    while want > 0 {
        let debit = Debit {
            kind: "spend",
            amount: want,
            only,
            meta: Meta {
                reason: Some(reason),
                reference: Some(key),
                idempotency_key: Some(key),
                ..Meta::default()
            },
        };
        match ledger::debit(conn, owner, debit).await {
            Ok(e) => {
                entry = Some(e.id);
                break;
            }
            Err(BillingError::Insufficient { available, .. }) => want = available,
            Err(e) => return Err(e),
        }
    }
    let money = balances(conn, owner.0, owner.1).await?;
    Ok(Charged {
        entry,
        amount: want,
        spendable: spendable(overage, money),
    })
}

/// Adds a batch of requests to the period's usage counters (what plans' request limits and the
/// usage pages read).
pub async fn count(
    conn: &mut AnyConnection,
    owner: (OwnerKind, &str),
    period_start: i64,
    service: &str,
    (requests, quantity, cost): (i64, i64, i64),
) -> Result<(), BillingError> {
    sqlx::query(
        "INSERT INTO usage_counters (owner_kind, owner_id, period_start, service, requests, quantity, cost) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (owner_kind, owner_id, period_start, service) \
         DO UPDATE SET requests = usage_counters.requests + excluded.requests, \
         quantity = usage_counters.quantity + excluded.quantity, cost = usage_counters.cost + excluded.cost",
    )
    .bind(owner.0.as_str())
    .bind(owner.1)
    .bind(period_start)
    .bind(service)
    .bind(requests)
    .bind(quantity)
    .bind(cost)
    .execute(conn)
    .await?;
    Ok(())
}
