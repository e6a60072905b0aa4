//! The billing details invoices are issued under: seller, address, tax ID, tax and number
//! prefix, kept in the settings table and audited when changed.

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AuditRecord, Db, record_audit};
use ops_types::{BillingSettings, Permission};

use crate::BillingError;

const SETTINGS_KEY: &str = "billing.details";

/// The billing details, read on the caller's connection (inside a charge's transaction).
pub(crate) async fn settings_on(conn: &mut AnyConnection) -> Result<BillingSettings, BillingError> {
    let stored: Option<BillingSettings> = crate::json_setting(conn, SETTINGS_KEY).await?;
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
