//! Invoices: issued in the transaction of the charge they are for, numbered in sequence within
//! the year, carrying the tax configured (prices include it) and the seller's and customer's
//! details as they were. Read by their owner (or an organisation's billing managers), as JSON
//! or as a PDF; credit notes give money back against them.

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AnyRow, AuditRecord, Db, Row, new_id, now_ms, record_audit};
use ops_types::{
    BillingSettings, CreditBucket, CreditNote, Invoice, InvoiceLine, InvoiceSummary, OwnerKind,
    Permission, RefundRequest, SubscriptionQuery, civil_from_days, date_of_ms, format_amount,
};

use crate::ledger::{self, Credit, Meta};
use crate::pdf::{Doc, Font, PAGE_HEIGHT};
use crate::{BillingError, account, subscription};

const SETTINGS_KEY: &str = "billing.details";

/// The billing details, read on the caller's connection (inside a charge's transaction).
pub(crate) async fn settings_on(conn: &mut AnyConnection) -> Result<BillingSettings, BillingError> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(SETTINGS_KEY)
        .fetch_optional(conn)
        .await?;
    let stored: Option<BillingSettings> = row
        .map(|r| r.try_get::<String, _>("value"))
        .transpose()?
        .and_then(|v| serde_json::from_str(&v).ok());
    Ok(stored.unwrap_or_else(|| BillingSettings {
        seller_name: "Ops-Center".into(),
        invoice_prefix: "OC".into(),
        ..BillingSettings::default()
    }))
}

/// `GET /api/v1/admin/settings/billing`.
pub async fn settings(db: &Db, ctx: &AuthCtx) -> Result<BillingSettings, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let mut conn = db.pool().acquire().await?;
    settings_on(&mut conn).await
}

/// `PUT /api/v1/admin/settings/billing`: applies to invoices issued from now on.
pub async fn save_settings(
    db: &Db,
    ctx: &AuthCtx,
    input: &BillingSettings,
) -> Result<BillingSettings, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let bad = |f: &'static str, m: &str| BillingError::invalid(f, m);
    let s = BillingSettings {
        seller_name: input.seller_name.trim().to_string(),
        seller_address: input.seller_address.trim().to_string(),
        tax_id: input.tax_id.trim().to_string(),
        tax_name: input.tax_name.trim().to_string(),
        tax_rate_bp: input.tax_rate_bp,
        invoice_prefix: input.invoice_prefix.trim().to_uppercase(),
    };
    if s.seller_name.is_empty() || s.seller_name.chars().count() > 200 {
        return Err(bad("seller_name", "1 to 200 characters"));
    }
    if s.seller_address.chars().count() > 1000 || s.seller_address.lines().count() > 8 {
        return Err(bad("seller_address", "at most 8 lines and 1000 characters"));
    }
    if s.tax_id.chars().count() > 100 {
        return Err(bad("tax_id", "at most 100 characters"));
    }
    if s.tax_name.chars().count() > 40 {
        return Err(bad("tax_name", "at most 40 characters"));
    }
    if !(0..=5000).contains(&s.tax_rate_bp) {
        return Err(bad("tax_rate_bp", "from 0 to 5000 basis points (50 %)"));
    }
    if s.tax_rate_bp > 0 && s.tax_name.is_empty() {
        return Err(bad("tax_name", "name the tax (VAT, GST…)"));
    }
    if !(1..=10).contains(&s.invoice_prefix.len())
        || !s.invoice_prefix.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(bad("invoice_prefix", "1 to 10 letters and digits"));
    }
    let value = serde_json::to_string(&s).map_err(|e| bad("seller_name", &e.to_string()))?;
    let mut tx = db.begin().await?;
    ops_db::put_setting(&mut tx, SETTINGS_KEY, &value, Some(&ctx.user_id)).await?;
    let detail = format!(
        "seller={} tax={} {}bp prefix={}",
        s.seller_name, s.tax_name, s.tax_rate_bp, s.invoice_prefix
    );
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            ..ctx.audit("billing.settings")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

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

/// Wraps `s` into lines of at most `width` characters, at spaces where it can.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in s.split_whitespace() {
        let last = out.last_mut().map(|l| l.chars().count()).unwrap_or(0);
        if last > 0 && last + 1 + word.chars().count() > width {
            out.push(String::new());
        }
        if let Some(line) = out.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    out
}

/// The invoice laid out on A4 pages.
pub fn render(inv: &Invoice) -> Vec<u8> {
    let money = |m: i64| format_amount(m, &inv.currency);
    let mut d = Doc::new();
    let (left, right) = (50.0, 545.0);
    let mut y = PAGE_HEIGHT - 60.0;
    d.text(left, y, 20.0, Font::Bold, "Invoice");
    d.text_right(right, y, 11.0, &inv.number);
    y -= 34.0;
    let top = y;
    d.text(left, y, 9.0, Font::Bold, "From");
    for (i, line) in inv.seller.lines().enumerate() {
        d.text(left, y - 13.0 * (i as f32 + 1.0), 10.0, Font::Regular, line);
    }
    d.text(320.0, top, 9.0, Font::Bold, "Bill to");
    d.text(320.0, top - 13.0, 10.0, Font::Regular, &inv.bill_to);
    y = top - 13.0 * (inv.seller.lines().count().max(2) as f32 + 2.0);
    let mut facts = vec![
        ("Issued", date_of_ms(inv.issued_at)),
        ("Status", inv.status.clone()),
    ];
    if let (Some(a), Some(b)) = (inv.period_start, inv.period_end) {
        facts.push(("Period", format!("{} to {}", date_of_ms(a), date_of_ms(b))));
    }
    if let Some(p) = inv.paid_at {
        let with = inv.paid_with.clone().unwrap_or_default();
        facts.push(("Paid", format!("{} {with}", date_of_ms(p))));
    }
    for (k, v) in facts {
        d.text(left, y, 10.0, Font::Bold, k);
        d.text(left + 60.0, y, 10.0, Font::Regular, &v);
        y -= 14.0;
    }
    y -= 14.0;
    let header = |d: &mut Doc, y: f32| {
        d.text(left, y, 10.0, Font::Bold, "Description");
        d.text(right - 60.0, y, 10.0, Font::Bold, "Amount");
        d.rule(left, right, y - 5.0);
    };
    header(&mut d, y);
    y -= 20.0;
    for line in &inv.lines {
        let rows = wrap(&line.description, 78);
        if y - 13.0 * rows.len() as f32 <= 90.0 {
            d.new_page();
            y = PAGE_HEIGHT - 60.0;
            header(&mut d, y);
            y -= 20.0;
        }
        d.text_right(right, y, 10.0, &money(line.amount));
        for row in rows {
            d.text(left, y, 10.0, Font::Regular, &row);
            y -= 13.0;
        }
        y -= 3.0;
    }
    d.rule(left, right, y + 6.0);
    y -= 10.0;
    let tax_label = if inv.tax_rate_bp > 0 {
        format!(
            "{} {}.{:02} % (included)",
            inv.tax_name,
            inv.tax_rate_bp / 100,
            inv.tax_rate_bp % 100
        )
    } else {
        "Tax".to_string()
    };
    let mut totals = vec![
        ("Subtotal".to_string(), inv.subtotal, Font::Regular),
        (tax_label, inv.tax, Font::Regular),
        ("Total".to_string(), inv.total, Font::Bold),
    ];
    let credited: i64 = inv.credit_notes.iter().map(|c| c.amount).sum();
    if credited > 0 {
        totals.push(("Credited".to_string(), -credited, Font::Regular));
    }
    for (label, amount, font) in totals {
        if y < 90.0 {
            d.new_page();
            y = PAGE_HEIGHT - 60.0;
        }
        d.text(330.0, y, 10.0, font, &label);
        d.text_right(right, y, 10.0, &money(amount));
        y -= 15.0;
    }
    for c in &inv.credit_notes {
        if y < 90.0 {
            d.new_page();
            y = PAGE_HEIGHT - 60.0;
        }
        let note = format!(
            "Credit note {} of {}, {}: {}",
            c.number,
            date_of_ms(c.created_at),
            money(c.amount),
            c.reason
        );
        for row in wrap(&note, 90) {
            d.text(left, y, 9.0, Font::Regular, &row);
            y -= 12.0;
        }
    }
    d.text(
        left,
        50.0,
        8.0,
        Font::Regular,
        "Prices include tax. Thank you.",
    );
    d.finish()
}

/// `POST /api/v1/admin/subscriptions/{id}/refund`: a credit note against one of the
/// subscription's invoices, the amount back into the account's bought credits.
pub async fn refund(
    db: &Db,
    ctx: &AuthCtx,
    sub_id: &str,
    input: &RefundRequest,
) -> Result<CreditNote, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(BillingError::invalid(
            "reason",
            "say why, in 1 to 500 characters",
        ));
    }
    let mut tx = db.begin().await?;
    let sub = subscription::admin::find_locked(&mut tx, sub_id).await?;
    // The invoice's row is written first: refunds of one invoice run one at a time.
    sqlx::query("UPDATE invoices SET status = status WHERE id = $1")
        .bind(&input.invoice_id)
        .execute(&mut *tx)
        .await?;
    let inv = load(&mut tx, &input.invoice_id).await?;
    if inv.owner_kind != sub.kind || inv.owner_id != sub.owner_id {
        return Err(BillingError::NotFound("invoice"));
    }
    let credited: i64 = inv.credit_notes.iter().map(|c| c.amount).sum();
    let left = inv.total - credited;
    let amount = input.amount.unwrap_or(left);
    if amount <= 0 || amount > left {
        return Err(BillingError::invalid(
            "amount",
            format!(
                "from 0.000001 to {} (what the invoice has left to credit)",
                format_amount(left, &inv.currency)
            ),
        ));
    }
    let s = settings_on(&mut tx).await?;
    let number = next_number(&mut tx, "credit_note", &format!("{}CN", s.invoice_prefix)).await?;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO credit_notes (id, number, invoice_id, amount, reason, actor_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&number)
    .bind(&inv.id)
    .bind(amount)
    .bind(reason)
    .bind(&ctx.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let why = format!("credit note {number} on invoice {}", inv.number);
    ledger::credit(
        &mut tx,
        (sub.kind, &sub.owner_id),
        Credit {
            kind: "refund",
            bucket: CreditBucket::Paid,
            amount,
            priority: None,
            expires_at: None,
            meta: Meta {
                reason: Some(&why),
                reference: Some(&inv.id),
                actor_id: Some(&ctx.user_id),
                idempotency_key: None,
            },
        },
    )
    .await?;
    let code = Some(sub.plan_code.as_str());
    let by = Some((ctx.user_id.as_str(), None));
    let detail = format!("{number}: {reason}");
    subscription::event(
        &mut tx,
        &sub.id,
        "refund",
        (code, code),
        amount,
        Some(&detail),
        by,
    )
    .await?;
    let audit = format!(
        "invoice={} credit_note={number} amount={amount} reason={reason}",
        inv.number
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&sub.owner_id),
            target_label: Some(&inv.number),
            org_id: (sub.kind == OwnerKind::Org).then_some(sub.owner_id.as_str()),
            detail: Some(&audit),
            ..ctx.audit("invoices.refund")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreditNote {
        id,
        number,
        invoice_id: inv.id,
        amount,
        reason: reason.to_string(),
        created_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_wrap_at_spaces() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
    }

    #[test]
    fn a_rendered_invoice_reads_as_text() {
        let inv = Invoice {
            id: "i".into(),
            number: "OC-2026-000007".into(),
            owner_kind: OwnerKind::User,
            owner_id: "u".into(),
            kind: "subscription".into(),
            status: "paid".into(),
            currency: "EUR".into(),
            subtotal: 15_833_334,
            tax: 3_166_666,
            total: 19_000_000,
            tax_name: "VAT".into(),
            tax_rate_bp: 2000,
            bill_to: "Ada (ada@example.com)".into(),
            seller: "Example GmbH\nMain street 1".into(),
            period_start: Some(0),
            period_end: Some(86_400_000),
            issued_at: 0,
            paid_at: Some(0),
            paid_with: Some("from account credits".into()),
            lines: vec![InvoiceLine {
                description: "Starter plan".into(),
                amount: 19_000_000,
            }],
            credit_notes: vec![],
        };
        let pdf = render(&inv);
        let text: String = pdf.iter().map(|&b| b as char).collect();
        for want in [
            "(OC-2026-000007) Tj",
            "(Starter plan) Tj",
            "(\\20019.00) Tj",
            "(VAT 20.00 % \\(included\\)) Tj",
            "(Example GmbH) Tj",
        ] {
            assert!(text.contains(want), "{want}");
        }
    }
}
