//! Invoices, credit notes and the billing settings they are issued under.

use serde::{Deserialize, Serialize};

use crate::OwnerKind;

/// An invoice in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceSummary {
    pub id: String,
    /// Sequential within the year: `OC-2026-000042`.
    pub number: String,
    /// `subscription`, `credits` or `usage`.
    pub kind: String,
    /// `draft`, `open`, `paid` or `void`.
    pub status: String,
    pub currency: String,
    pub total: i64,
    /// What credit notes have given back.
    pub credited: i64,
    pub issued_at: i64,
}

/// One invoice in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    pub id: String,
    pub number: String,
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    pub kind: String,
    pub status: String,
    pub currency: String,
    /// Before tax (prices include tax: `subtotal + tax = total`).
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub tax_name: String,
    /// Basis points: 2000 = 20 %.
    pub tax_rate_bp: i32,
    pub bill_to: String,
    pub seller: String,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub issued_at: i64,
    pub paid_at: Option<i64>,
    /// How it was paid, in words.
    pub paid_with: Option<String>,
    pub lines: Vec<InvoiceLine>,
    pub credit_notes: Vec<CreditNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceLine {
    pub description: String,
    pub amount: i64,
}

/// Money given back against an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditNote {
    pub id: String,
    /// `CN-2026-000003`.
    pub number: String,
    pub invoice_id: String,
    pub amount: i64,
    pub reason: String,
    pub created_at: i64,
}

/// `POST /api/v1/admin/subscriptions/{id}/refund`: a credit note on one of its invoices, the
/// amount back into the account's bought credits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundRequest {
    pub invoice_id: String,
    /// Micro-units; at most what the invoice has left to credit. The whole of it when absent.
    pub amount: Option<i64>,
    pub reason: String,
}

/// Who issues invoices, and the tax they carry (`/api/v1/admin/settings/billing`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingSettings {
    pub seller_name: String,
    /// Several lines.
    pub seller_address: String,
    pub tax_id: String,
    /// `VAT`, `GST`, `Sales tax`…; empty with a zero rate for none.
    pub tax_name: String,
    /// Basis points, 0 to 5000 (50 %). Prices include it.
    pub tax_rate_bp: i32,
    /// Invoice numbers start with it: `OC` → `OC-2026-000001`.
    pub invoice_prefix: String,
}

/// `GET /api/v1/billing/cycle`: the current billing period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingCycle {
    pub plan: String,
    pub interval: crate::Interval,
    pub status: String,
    pub period_start: i64,
    pub period_end: i64,
    pub days_left: i64,
    pub next_charge: i64,
    pub currency: String,
}

/// `GET /api/v1/billing/summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingSummary {
    pub currency: String,
    pub paid_credits: i64,
    pub granted_credits: i64,
    /// Usage charged this period.
    pub usage_this_period: i64,
    /// Invoiced this calendar year, less credit notes.
    pub invoiced_this_year: i64,
    pub invoices: i64,
    pub next_charge: i64,
    pub next_charge_at: i64,
}

/// `GET /api/v1/admin/settings/stripe`: the payment processor's settings; secrets only as hints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StripeSettings {
    pub publishable_key: String,
    pub secret_key_hint: Option<String>,
    pub webhook_secret_hint: Option<String>,
    /// `https://api.stripe.com` unless pointed at a test server.
    pub api_base: String,
    /// Both the secret key and the webhook signing secret are set: payments can be taken.
    pub configured: bool,
}

/// `PUT /api/v1/admin/settings/stripe`. A secret left out (or empty) keeps the one stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StripeSettingsInput {
    pub publishable_key: String,
    pub secret_key: Option<String>,
    pub webhook_secret: Option<String>,
    pub api_base: Option<String>,
}

/// The answer to a Stripe webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAck {
    pub id: String,
    /// `processed`, `duplicate` (seen before: nothing done again), `stale` (older than what was
    /// already applied to its object) or `ignored` (a type we do not act on).
    pub status: String,
}
