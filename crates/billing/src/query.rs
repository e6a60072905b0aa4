//! Reading money: balances and the ledger's history.

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AnyRow, Db, Row, now_ms};
use ops_types::{
    CreditAccount, CreditBalance, CreditExpiry, LedgerEntry, LedgerPage, LedgerQuery, OwnerKind,
    Permission,
};

use crate::{BillingError, account};

const ENTRY_COLUMNS: &str = "e.id, e.seq, e.kind, e.paid_delta, e.granted_delta, e.paid_after, \
    e.granted_after, e.reason, e.reference, e.created_at, u.email AS actor_email, l.expires_at";
const ENTRY_FROM: &str = "FROM ledger_entries e LEFT JOIN users u ON u.id = e.actor_id \
    LEFT JOIN credit_lots l ON l.entry_id = e.id";

fn entry_of(r: &AnyRow) -> Result<LedgerEntry, sqlx::Error> {
    Ok(LedgerEntry {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        paid_delta: r.try_get("paid_delta")?,
        granted_delta: r.try_get("granted_delta")?,
        paid_after: r.try_get("paid_after")?,
        granted_after: r.try_get("granted_after")?,
        reason: r.try_get("reason")?,
        reference: r.try_get("reference")?,
        actor_email: r.try_get("actor_email")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        replayed: false,
    })
}

/// One entry by id.
pub(crate) async fn entry(conn: &mut AnyConnection, id: &str) -> Result<LedgerEntry, BillingError> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.id = $1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(entry_of(&row)?)
}

/// `GET /api/v1/credits/balance[?org_id=|?user_id=]`.
pub async fn balance(
    db: &Db,
    ctx: &AuthCtx,
    q: &LedgerQuery,
) -> Result<CreditBalance, BillingError> {
    let (kind, owner) =
        account::readable(db, ctx, q.user_id.as_deref(), q.org_id.as_deref()).await?;
    balance_of(db, kind, &owner).await
}

/// The owner's balance. Lots past their expiry that no move has settled yet are left out.
pub async fn balance_of(
    db: &Db,
    kind: OwnerKind,
    owner: &str,
) -> Result<CreditBalance, BillingError> {
    let now = now_ms();
    let row = sqlx::query(
        "SELECT id, currency, paid, granted FROM billing_accounts WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(owner)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(CreditBalance {
            owner_kind: kind,
            owner_id: owner.to_string(),
            currency: "USD".into(),
            paid: 0,
            granted: 0,
            total: 0,
            next_expiry: None,
        });
    };
    let id: String = row.try_get("id")?;
    let (mut paid, mut granted): (i64, i64) = (row.try_get("paid")?, row.try_get("granted")?);
    let lapsed = sqlx::query(
        "SELECT bucket, remaining FROM credit_lots WHERE account_id = $1 AND remaining > 0 \
         AND expires_at IS NOT NULL AND expires_at <= $2",
    )
    .bind(&id)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    for r in &lapsed {
        let n: i64 = r.try_get("remaining")?;
        if r.try_get::<String, _>("bucket")? == "paid" {
            paid -= n;
        } else {
            granted -= n;
        }
    }
    let next = sqlx::query(
        "SELECT expires_at, CAST(SUM(remaining) AS BIGINT) AS amount FROM credit_lots WHERE account_id = $1 AND remaining > 0 \
         AND expires_at > $2 GROUP BY expires_at ORDER BY expires_at LIMIT 1",
    )
    .bind(&id)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let next_expiry = next
        .map(|r| -> Result<CreditExpiry, sqlx::Error> {
            Ok(CreditExpiry {
                amount: r.try_get("amount")?,
                at: r.try_get("expires_at")?,
            })
        })
        .transpose()?;
    Ok(CreditBalance {
        owner_kind: kind,
        owner_id: owner.to_string(),
        currency: row.try_get("currency")?,
        paid,
        granted,
        total: paid + granted,
        next_expiry,
    })
}

/// `GET /api/v1/credits/transactions`: newest first, a page at a time.
pub async fn history(db: &Db, ctx: &AuthCtx, q: &LedgerQuery) -> Result<LedgerPage, BillingError> {
    let (kind, owner) =
        account::readable(db, ctx, q.user_id.as_deref(), q.org_id.as_deref()).await?;
    history_of(db, kind, &owner, q).await
}

pub async fn history_of(
    db: &Db,
    kind: OwnerKind,
    owner: &str,
    q: &LedgerQuery,
) -> Result<LedgerPage, BillingError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(BillingError::invalid("limit", "from 1 to 200"));
    }
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} JOIN billing_accounts a ON a.id = e.account_id \
         WHERE a.owner_kind = $1 AND a.owner_id = $2 AND e.seq < $3 ORDER BY e.seq DESC LIMIT $4"
    ))
    .bind(kind.as_str())
    .bind(owner)
    .bind(q.before.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let mut entries = rows.iter().map(entry_of).collect::<Result<Vec<_>, _>>()?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next_before = more.then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(LedgerPage {
        entries,
        next_before,
    })
}

/// `GET /api/v1/admin/credits/accounts`: the 200 accounts holding the most credits.
pub async fn accounts(db: &Db, ctx: &AuthCtx) -> Result<Vec<CreditAccount>, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let rows = sqlx::query(
        "SELECT a.owner_kind, a.owner_id, a.currency, a.paid, a.granted, a.last_seq, \
         COALESCE(u.email, o.name, a.owner_id) AS name FROM billing_accounts a \
         LEFT JOIN users u ON a.owner_kind = 'user' AND u.id = a.owner_id \
         LEFT JOIN orgs o ON a.owner_kind = 'org' AND o.id = a.owner_id \
         ORDER BY a.paid + a.granted DESC, a.created_at LIMIT 200",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CreditAccount {
                owner_kind: if r.try_get::<String, _>("owner_kind")? == "org" {
                    OwnerKind::Org
                } else {
                    OwnerKind::User
                },
                owner_id: r.try_get("owner_id")?,
                name: r.try_get("name")?,
                currency: r.try_get("currency")?,
                paid: r.try_get("paid")?,
                granted: r.try_get("granted")?,
                entries: r.try_get("last_seq")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(BillingError::from)
}
