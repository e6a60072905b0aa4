//! An invoice laid out on A4 pages: seller and customer, dates, lines, totals with the tax,
//! and its credit notes.

use ops_types::{Invoice, date_of_ms, format_amount};

use crate::pdf::{Doc, Font, PAGE_HEIGHT};

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

#[cfg(test)]
mod tests {
    use super::*;
    use ops_types::{InvoiceLine, OwnerKind};

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
