//! Card payments: saved cards, credit packs and their Checkout, the customer portal, auto top-up.

use serde::{Deserialize, Serialize};

/// A saved card (Stripe payment method), as its owner sees it: never the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentMethod {
    pub id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    /// Charged for renewals and auto top-ups.
    pub default: bool,
}

/// `GET /api/v1/billing/payment-methods`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentMethods {
    /// Whether card payments are set up on this server; when not, `methods` is empty.
    pub available: bool,
    pub methods: Vec<PaymentMethod>,
}

/// Which account a payment request is for: yours, or an organisation's you manage billing of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct PaymentOwner {
    pub org_id: Option<String>,
}

/// `POST /api/v1/billing/payment-methods/setup-intent`: what the browser needs to collect a
/// card with Stripe.js (`confirmCardSetup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardSetup {
    pub setup_intent: String,
    pub client_secret: String,
    pub publishable_key: String,
    /// Where Stripe.js is loaded from.
    pub js_url: String,
}

/// `POST /api/v1/billing/payment-methods`: the SetupIntent the browser confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardSaved {
    pub org_id: Option<String>,
    pub setup_intent: String,
}

/// A credit pack on sale: pay `price`, get `credits` (both micro-units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditPack {
    pub code: String,
    pub name: String,
    pub price: i64,
    pub credits: i64,
}

/// `GET /api/v1/credits/packs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditPacks {
    pub currency: String,
    pub packs: Vec<CreditPack>,
    /// Whether card payments are set up (packs can be bought).
    pub available: bool,
}

/// `PUT /api/v1/admin/credits/packs`: the whole catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditPacksInput {
    pub packs: Vec<CreditPack>,
}

/// `POST /api/v1/credits/purchase`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackPurchase {
    pub org_id: Option<String>,
    pub pack: String,
}

/// `POST /api/v1/billing/subscriptions/checkout`: pay a plan change by card.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanCheckout {
    pub org_id: Option<String>,
    pub plan: String,
    pub interval: Option<crate::Interval>,
}

/// A Stripe-hosted page to send the browser to (Checkout or the customer portal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redirect {
    pub id: String,
    pub url: String,
}

/// `GET /api/v1/billing/checkout/{id}`: how a Checkout session ended, once the browser is back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckoutOutcome {
    pub id: String,
    /// `paid` (and applied), `open` (not paid yet) or `expired`.
    pub status: String,
    /// `credits` or `subscription`.
    pub purpose: String,
    /// Credits added (micro-units).
    pub credits: i64,
    /// The plan now in force, for a plan change.
    pub plan: Option<String>,
}

/// Auto top-up: when the bought credits fall below `threshold`, charge the default card for
/// `amount`, at most `monthly_cap` a calendar month (micro-units).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoTopup {
    pub enabled: bool,
    pub threshold: i64,
    pub amount: i64,
    pub monthly_cap: i64,
    /// Charged by auto top-up this calendar month (read-only).
    #[serde(default)]
    pub used_this_month: i64,
    /// The last attempt's failure, if it failed (read-only).
    #[serde(default)]
    pub last_error: Option<String>,
}

/// `PUT /api/v1/credits/auto-topup`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoTopupInput {
    pub org_id: Option<String>,
    pub enabled: bool,
    pub threshold: i64,
    pub amount: i64,
    pub monthly_cap: i64,
}
