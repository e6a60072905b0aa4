//! Invoices: issued in the transaction of the charge they are for, numbered in sequence within
//! the year, carrying the tax configured (prices include it) and the seller's and customer's
//! details as they were. Read by their owner (or an organisation's billing managers), as JSON
//! or as a PDF; credit notes give money back against them.

mod refund;
mod render;
mod settings;

pub use refund::refund;
pub use render::render;
pub(crate) use settings::settings_on;
pub use settings::{save_settings, settings};

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AnyRow, Db, Row, new_id, now_ms};
use ops_types::{
    CreditNote, Invoice, InvoiceLine, InvoiceSummary, OwnerKind, Permission, SubscriptionQuery,
    civil_from_days,
};

use crate::{BillingError, account, subscription};

/// The next number of a series this year: `PREFIX-2026-000042`. The counter row is locked
/// until the caller's transaction ends, so numbers have no gaps and no repeats.
async fn next_number(
    conn: &mut AnyConnection,
    series: &str,
    prefix: &str,
) -> Result<String, BillingError> {
    let (year, _, _) = civil_from_days(now_ms().div_euclid(86_400_000));
    let key = format!("{series}:{year}");
    sqlx::query("INSERT INTO invoice_counters (series, last) VALUES ($1, 0) ON CONFLICT (series) DO NOTHING")
        .bind(&key)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE invoice_counters SET last = last + 1 WHERE series = $1")
        .bind(&key)
        .execute(&mut *conn)
        .await?;
    let last: i64 = sqlx::query("SELECT last FROM invoice_counters WHERE series = $1")
        .bind(&key)
        .fetch_one(&mut *conn)
        .await?
        .try_get("last")?;
    Ok(format!("{prefix}-{year}-{last:06}"))
}

/// Who the invoice is for, in words: the user's name and e-mail, or the organisation's name.
async fn bill_to(
    conn: &mut AnyConnection,
    (kind, owner): (OwnerKind, &str),
) -> Result<String, BillingError> {
    let sql = match kind {
        OwnerKind::User => {
            "SELECT display_name || ' <' || email || '>' AS n FROM users WHERE id = $1"
        }
        OwnerKind::Org => "SELECT name AS n FROM orgs WHERE id = $1",
    };
    let row = sqlx::query(sql).bind(owner).fetch_optional(conn).await?;
    Ok(row
        .map(|r| r.try_get::<String, _>("n"))
        .transpose()?
        .unwrap_or_else(|| owner.to_string()))
}

/// A paid invoice to issue with a charge.
pub(crate) struct Issue<'a> {
    pub owner: (OwnerKind, &'a str),
    pub kind: &'a str,
    pub currency: &'a str,
    pub lines: Vec<(String, i64)>,
    pub period: Option<(i64, i64)>,
    pub reference: Option<&'a str>,
    pub paid_with: &'a str,
}

/// Issues the invoice (status paid) in the caller's transaction; returns its number.
pub(crate) async fn issue(conn: &mut AnyConnection, i: Issue<'_>) -> Result<String, BillingError> {
    let s = settings_on(conn).await?;
    let total: i64 = i.lines.iter().map(|(_, a)| a).sum();
    let bp = i64::from(s.tax_rate_bp);
    let tax = (i128::from(total) * i128::from(bp) / i128::from(10_000 + bp)) as i64;
    let number = next_number(conn, "invoice", &s.invoice_prefix).await?;
    let to = bill_to(conn, i.owner).await?;
    let seller = [s.seller_name.as_str(), s.seller_address.as_str()]
        .into_iter()
        .filter(|x| !x.is_empty())
        .chain(
            (!s.tax_id.is_empty())
                .then_some(format!("Tax ID: {}", s.tax_id))
                .as_deref(),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO invoices (id, number, owner_kind, owner_id, kind, status, currency, subtotal, tax, total, \
         tax_name, tax_rate_bp, bill_to, seller, reference, paid_with, period_start, period_end, issued_at, paid_at) \
         VALUES ($1, $2, $3, $4, $5, 'paid', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
    )
    .bind(&id)
    .bind(&number)
    .bind(i.owner.0.as_str())
    .bind(i.owner.1)
    .bind(i.kind)
    .bind(i.currency)
    .bind(total - tax)
    .bind(tax)
    .bind(total)
    .bind(&s.tax_name)
    .bind(s.tax_rate_bp)
    .bind(&to)
    .bind(&seller)
    .bind(i.reference)
    .bind(i.paid_with)
    .bind(i.period.map(|p| p.0))
    .bind(i.period.map(|p| p.1))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for (pos, (description, amount)) in i.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO invoice_lines (id, invoice_id, position, description, amount) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(&id)
        .bind(pos as i64)
        .bind(description)
        .bind(amount)
        .execute(&mut *conn)
        .await?;
    }
    Ok(number)
}

const SUMMARY_COLUMNS: &str = "i.id, i.number, i.kind, i.status, i.currency, i.total, i.issued_at, \
    (SELECT CAST(COALESCE(SUM(c.amount), 0) AS BIGINT) FROM credit_notes c WHERE c.invoice_id = i.id) AS credited";

fn summary_of(r: &AnyRow) -> Result<InvoiceSummary, sqlx::Error> {
    Ok(InvoiceSummary {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        currency: r.try_get("currency")?,
        total: r.try_get("total")?,
        credited: r.try_get("credited")?,
        issued_at: r.try_get("issued_at")?,
    })
}

/// `GET /api/v1/billing/invoices`: newest first.
pub async fn list(
    db: &Db,
    ctx: &AuthCtx,
    q: &SubscriptionQuery,
) -> Result<Vec<InvoiceSummary>, BillingError> {
    let (kind, owner) = subscription::owner_of(db, ctx, q.org_id.as_deref(), false).await?;
    list_of(db, kind, &owner).await
}

/// The owner's invoices, newest first (500 at most).
pub(crate) async fn list_of(
    db: &Db,
    kind: OwnerKind,
    owner: &str,
) -> Result<Vec<InvoiceSummary>, BillingError> {
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM invoices i WHERE i.owner_kind = $1 AND i.owner_id = $2 \
         ORDER BY i.issued_at DESC, i.number DESC LIMIT 500"
    ))
    .bind(kind.as_str())
    .bind(owner)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(summary_of).collect::<Result<_, _>>()?)
}

/// The invoice, if the caller may read it (404 otherwise: its existence is not revealed).
async fn load(conn: &mut AnyConnection, id: &str) -> Result<Invoice, BillingError> {
    let r = sqlx::query(
        "SELECT id, number, owner_kind, owner_id, kind, status, currency, subtotal, tax, total, tax_name, \
         tax_rate_bp, bill_to, seller, paid_with, period_start, period_end, issued_at, paid_at \
         FROM invoices WHERE id = $1 OR number = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("invoice"))?;
    let inv_id: String = r.try_get("id")?;
    let lines = sqlx::query(
        "SELECT description, amount FROM invoice_lines WHERE invoice_id = $1 ORDER BY position",
    )
    .bind(&inv_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|l| {
        Ok(InvoiceLine {
            description: l.try_get("description")?,
            amount: l.try_get("amount")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let notes = sqlx::query(
        "SELECT id, number, invoice_id, amount, reason, created_at FROM credit_notes WHERE invoice_id = $1 ORDER BY created_at",
    )
    .bind(&inv_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|n| {
        Ok(CreditNote {
            id: n.try_get("id")?,
            number: n.try_get("number")?,
            invoice_id: n.try_get("invoice_id")?,
            amount: n.try_get("amount")?,
            reason: n.try_get("reason")?,
            created_at: n.try_get("created_at")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Invoice {
        id: inv_id,
        number: r.try_get("number")?,
        owner_kind: if r.try_get::<String, _>("owner_kind")? == "org" {
            OwnerKind::Org
        } else {
            OwnerKind::User
        },
        owner_id: r.try_get("owner_id")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        currency: r.try_get("currency")?,
        subtotal: r.try_get("subtotal")?,
        tax: r.try_get("tax")?,
        total: r.try_get("total")?,
        tax_name: r.try_get("tax_name")?,
        tax_rate_bp: r.try_get("tax_rate_bp")?,
        bill_to: r.try_get("bill_to")?,
        seller: r.try_get("seller")?,
        period_start: r.try_get("period_start")?,
        period_end: r.try_get("period_end")?,
        issued_at: r.try_get("issued_at")?,
        paid_at: r.try_get("paid_at")?,
        paid_with: r.try_get("paid_with")?,
        lines,
        credit_notes: notes,
    })
}

/// `GET /api/v1/billing/invoices/{id}` (by id or number).
pub async fn get(db: &Db, ctx: &AuthCtx, id: &str) -> Result<Invoice, BillingError> {
    ctx.require(Permission::AccountRead)?;
    let mut conn = db.pool().acquire().await?;
    let inv = load(&mut conn, id).await?;
    drop(conn);
    let readable = match inv.owner_kind {
        OwnerKind::User => {
            inv.owner_id == ctx.user_id || ctx.require(Permission::BillingManage).is_ok()
        }
        OwnerKind::Org => account::readable(db, ctx, None, Some(&inv.owner_id))
            .await
            .is_ok(),
    };
    if !readable {
        return Err(BillingError::NotFound("invoice"));
    }
    Ok(inv)
}

/// `GET /api/v1/billing/invoices/{id}/download`: the invoice as a PDF, and its number.
pub async fn pdf(db: &Db, ctx: &AuthCtx, id: &str) -> Result<(String, Vec<u8>), BillingError> {
    let inv = get(db, ctx, id).await?;
    Ok((inv.number.clone(), render(&inv)))
}
