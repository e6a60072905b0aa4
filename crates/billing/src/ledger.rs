//! Moving money: credits in (a new lot) and debits out (drawn from the open lots in priority
//! order), inside the caller's transaction so that the audit entry or the record the money is
//! for commits with it. Each move locks its account first, settles lots that have expired,
//! and answers a retry with the same idempotency key with the first answer.

use std::time::Duration;

use ops_db::{AnyConnection, Db, Row, new_id, now_ms};
use ops_types::{CreditBucket, LedgerEntry, MAX_AMOUNT, OwnerKind};
use sha2::{Digest, Sha256};

use crate::account::{self, Account};
use crate::{BillingError, query};

/// What every move carries besides its amount.
#[derive(Debug, Clone, Default)]
pub struct Meta<'a> {
    pub reason: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    /// A retry with the same key (on the same account) moves nothing and gets the first
    /// answer; the same key with a different request is refused.
    pub idempotency_key: Option<&'a str>,
}

/// Credits in: a grant, a purchase or a refund.
#[derive(Debug, Clone)]
pub struct Credit<'a> {
    pub kind: &'static str,
    pub bucket: CreditBucket,
    pub amount: i64,
    pub priority: Option<i32>,
    pub expires_at: Option<i64>,
    pub meta: Meta<'a>,
}

/// Credits out: a spend (usage) or an administrator's deduction.
#[derive(Debug, Clone)]
pub struct Debit<'a> {
    pub kind: &'static str,
    pub amount: i64,
    /// Draw only from this bucket (a plan's price from bought credits only, say).
    pub only: Option<CreditBucket>,
    pub meta: Meta<'a>,
}

fn check_amount(amount: i64) -> Result<(), BillingError> {
    if amount <= 0 || amount > MAX_AMOUNT {
        return Err(BillingError::invalid(
            "amount",
            format!("a whole number of micro-units from 1 to {MAX_AMOUNT}"),
        ));
    }
    Ok(())
}

fn check_key(key: Option<&str>) -> Result<(), BillingError> {
    if let Some(k) = key
        && (k.is_empty() || k.len() > 255 || k.chars().any(|c| c.is_control()))
    {
        return Err(BillingError::invalid(
            "idempotency_key",
            "1 to 255 printable characters",
        ));
    }
    Ok(())
}

fn fingerprint(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The entry a key already made on this account, if the request is the same; an error if the
/// key was used for something else.
async fn replay(
    tx: &mut AnyConnection,
    acct: &Account,
    key: Option<&str>,
    hash: &str,
) -> Result<Option<LedgerEntry>, BillingError> {
    let Some(key) = key else { return Ok(None) };
    let row = sqlx::query(
        "SELECT id, request_hash FROM ledger_entries WHERE account_id = $1 AND idempotency_key = $2",
    )
    .bind(&acct.id)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let first: Option<String> = row.try_get("request_hash")?;
    if first.as_deref() != Some(hash) {
        return Err(BillingError::invalid(
            "idempotency_key",
            "this Idempotency-Key was already used for a different request",
        ));
    }
    let id: String = row.try_get("id")?;
    let mut entry = query::entry(tx, &id).await?;
    entry.replayed = true;
    Ok(Some(entry))
}

/// Appends an entry and updates the account's cached balances. Returns the entry's id.
async fn append(
    tx: &mut AnyConnection,
    acct: &mut Account,
    kind: &str,
    (paid_delta, granted_delta): (i64, i64),
    meta: &Meta<'_>,
    hash: Option<&str>,
    now: i64,
) -> Result<String, BillingError> {
    let overflow = || BillingError::invalid("amount", "the balance would overflow");
    let paid = acct.paid.checked_add(paid_delta).ok_or_else(overflow)?;
    let granted = acct
        .granted
        .checked_add(granted_delta)
        .ok_or_else(overflow)?;
    let id = new_id();
    let seq = acct.last_seq + 1;
    sqlx::query(
        "INSERT INTO ledger_entries (id, account_id, seq, kind, paid_delta, granted_delta, paid_after, \
         granted_after, reason, reference, idempotency_key, request_hash, actor_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(&acct.id)
    .bind(seq)
    .bind(kind)
    .bind(paid_delta)
    .bind(granted_delta)
    .bind(paid)
    .bind(granted)
    .bind(meta.reason)
    .bind(meta.reference)
    .bind(meta.idempotency_key)
    .bind(hash)
    .bind(meta.actor_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE billing_accounts SET paid = $2, granted = $3, last_seq = $4 WHERE id = $1")
        .bind(&acct.id)
        .bind(paid)
        .bind(granted)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
    acct.paid = paid;
    acct.granted = granted;
    acct.last_seq = seq;
    Ok(id)
}

/// An open lot, as debits draw from it.
struct Lot {
    id: String,
    bucket: String,
    remaining: i64,
}

/// The open lots in spending order: lower priority first, then the soonest to expire, then the
/// oldest. `due`: those expired by `now` instead of those still valid.
async fn open_lots(
    tx: &mut AnyConnection,
    account_id: &str,
    now: i64,
    due: bool,
) -> Result<Vec<Lot>, BillingError> {
    let when = if due {
        "expires_at IS NOT NULL AND expires_at <= $2"
    } else {
        "(expires_at IS NULL OR expires_at > $2)"
    };
    let rows = sqlx::query(&format!(
        "SELECT id, bucket, remaining FROM credit_lots WHERE account_id = $1 AND remaining > 0 AND {when} \
         ORDER BY priority, CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, created_at, id"
    ))
    .bind(account_id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Lot {
                id: r.try_get("id")?,
                bucket: r.try_get("bucket")?,
                remaining: r.try_get("remaining")?,
            })
        })
        .collect()
}

/// Takes `(lot, amount)` draws out of their lots and records them against `entry_id`.
async fn draw(
    tx: &mut AnyConnection,
    entry_id: &str,
    draws: &[(&Lot, i64)],
) -> Result<(), BillingError> {
    for (lot, amount) in draws {
        sqlx::query("UPDATE credit_lots SET remaining = remaining - $2 WHERE id = $1")
            .bind(&lot.id)
            .bind(amount)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO ledger_draws (entry_id, lot_id, amount) VALUES ($1, $2, $3)")
            .bind(entry_id)
            .bind(&lot.id)
            .bind(amount)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The (paid, granted) split of a set of draws, as negative deltas.
fn deltas(draws: &[(&Lot, i64)]) -> (i64, i64) {
    draws.iter().fold((0, 0), |(p, g), (lot, n)| {
        if lot.bucket == "paid" {
            (p - n, g)
        } else {
            (p, g - n)
        }
    })
}

/// Writes off what is left of the account's expired lots, as one `expiry` entry.
async fn settle_expired(
    tx: &mut AnyConnection,
    acct: &mut Account,
    now: i64,
) -> Result<(), BillingError> {
    let lots = open_lots(tx, &acct.id, now, true).await?;
    if lots.is_empty() {
        return Ok(());
    }
    let draws: Vec<(&Lot, i64)> = lots.iter().map(|l| (l, l.remaining)).collect();
    let meta = Meta {
        reason: Some("credits expired"),
        ..Meta::default()
    };
    let id = append(tx, acct, "expiry", deltas(&draws), &meta, None, now).await?;
    draw(tx, &id, &draws).await
}

/// Credits `c.amount` into the owner's account as a new lot.
pub async fn credit(
    tx: &mut AnyConnection,
    owner: (OwnerKind, &str),
    c: Credit<'_>,
) -> Result<LedgerEntry, BillingError> {
    check_amount(c.amount)?;
    check_key(c.meta.idempotency_key)?;
    if let Some(p) = c.priority
        && !(0..=1000).contains(&p)
    {
        return Err(BillingError::invalid("priority", "from 0 to 1000"));
    }
    let now = now_ms();
    if c.expires_at.is_some_and(|e| e <= now) {
        return Err(BillingError::invalid("expires_at", "must be in the future"));
    }
    let mut acct = account::lock(tx, owner.0, owner.1).await?;
    let hash = fingerprint(&[
        c.kind,
        c.bucket.as_str(),
        &c.amount.to_string(),
        &format!("{:?}", c.priority),
        &format!("{:?}", c.expires_at),
        c.meta.reason.unwrap_or(""),
        c.meta.reference.unwrap_or(""),
    ]);
    if let Some(entry) = replay(tx, &acct, c.meta.idempotency_key, &hash).await? {
        return Ok(entry);
    }
    settle_expired(tx, &mut acct, now).await?;
    let split = match c.bucket {
        CreditBucket::Paid => (c.amount, 0),
        CreditBucket::Granted => (0, c.amount),
    };
    let id = append(tx, &mut acct, c.kind, split, &c.meta, Some(&hash), now).await?;
    sqlx::query(
        "INSERT INTO credit_lots (id, account_id, entry_id, bucket, amount, remaining, priority, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(&acct.id)
    .bind(&id)
    .bind(c.bucket.as_str())
    .bind(c.amount)
    .bind(c.priority.unwrap_or_else(|| c.bucket.default_priority()))
    .bind(c.expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    query::entry(tx, &id).await
}

fn only_str(b: Option<CreditBucket>) -> &'static str {
    b.map_or("", CreditBucket::as_str)
}

/// Debits `d.amount` from the owner's account, or refuses with
/// [`BillingError::Insufficient`] and moves nothing. Never overdraws.
pub async fn debit(
    tx: &mut AnyConnection,
    owner: (OwnerKind, &str),
    d: Debit<'_>,
) -> Result<LedgerEntry, BillingError> {
    check_amount(d.amount)?;
    check_key(d.meta.idempotency_key)?;
    let now = now_ms();
    let mut acct = account::lock(tx, owner.0, owner.1).await?;
    let hash = fingerprint(&[
        d.kind,
        &d.amount.to_string(),
        only_str(d.only),
        d.meta.reason.unwrap_or(""),
        d.meta.reference.unwrap_or(""),
    ]);
    if let Some(entry) = replay(tx, &acct, d.meta.idempotency_key, &hash).await? {
        return Ok(entry);
    }
    settle_expired(tx, &mut acct, now).await?;
    let lots = open_lots(tx, &acct.id, now, false).await?;
    let only = d.only.map(CreditBucket::as_str);
    let lots: Vec<Lot> = lots
        .into_iter()
        .filter(|l| only.is_none_or(|b| l.bucket == b))
        .collect();
    let mut left = d.amount;
    let mut draws = Vec::new();
    for lot in &lots {
        if left == 0 {
            break;
        }
        let n = left.min(lot.remaining);
        draws.push((lot, n));
        left -= n;
    }
    if left > 0 {
        return Err(BillingError::Insufficient {
            needed: d.amount,
            available: d.amount - left,
        });
    }
    let id = append(
        tx,
        &mut acct,
        d.kind,
        deltas(&draws),
        &d.meta,
        Some(&hash),
        now,
    )
    .await?;
    draw(tx, &id, &draws).await?;
    query::entry(tx, &id).await
}

/// Writes off what is left of every account's expired lots, one account at a time under its
/// lock: safe to run on several replicas at once (a second run finds nothing left to settle).
/// Returns how many accounts had credits expire.
pub async fn settle_all_expired(db: &Db) -> Result<usize, BillingError> {
    let due = sqlx::query(
        "SELECT DISTINCT a.owner_kind, a.owner_id FROM credit_lots l \
         JOIN billing_accounts a ON a.id = l.account_id \
         WHERE l.remaining > 0 AND l.expires_at IS NOT NULL AND l.expires_at <= $1",
    )
    .bind(now_ms())
    .fetch_all(db.pool())
    .await?;
    let mut settled = 0;
    for r in &due {
        let kind = match r.try_get::<String, _>("owner_kind")?.as_str() {
            "org" => OwnerKind::Org,
            _ => OwnerKind::User,
        };
        let owner: String = r.try_get("owner_id")?;
        let mut tx = db.begin().await?;
        let mut acct = account::lock(&mut tx, kind, &owner).await?;
        let before = acct.last_seq;
        settle_expired(&mut tx, &mut acct, now_ms()).await?;
        tx.commit().await?;
        settled += usize::from(acct.last_seq > before);
    }
    Ok(settled)
}

/// The scheduled job: [`settle_all_expired`] every `every`, forever.
pub async fn run_expiry(db: Db, every: Duration) {
    loop {
        if let Err(e) = settle_all_expired(&db).await {
            tracing::warn!(error = %e, "credit expiry");
        }
        tokio::time::sleep(every).await;
    }
}
