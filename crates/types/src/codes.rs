//! Redemption codes and coupons as they cross the wire.

use serde::{Deserialize, Serialize};

use crate::CreditBucket;

/// What a batch of codes gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// Credits into the redeeming account.
    #[default]
    Credit,
    /// A percentage off plan prices.
    Coupon,
}

impl CodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Credit => "credit",
            CodeKind::Coupon => "coupon",
        }
    }
}

/// `POST /api/v1/credits/coupons/create`: a batch of credit codes, or a coupon.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeBatchInput {
    pub kind: CodeKind,
    /// What it is for (shown to administrators, and to customers when they redeem it).
    pub name: String,
    /// Credit codes: micro-units each redemption grants.
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub bucket: CreditBucket,
    /// Credit codes: the credits expire so many days after redemption.
    pub credit_days: Option<i32>,
    /// Coupons: 1 to 100.
    #[serde(default)]
    pub percent_off: i32,
    /// Coupons: for how many months; none: for good.
    pub months: Option<i32>,
    /// Coupons: the plans it applies to; empty: every paid plan.
    #[serde(default)]
    pub plans: Vec<String>,
    /// Credit codes: how many to generate (1 to 10 000). Coupons have one code.
    pub count: Option<i32>,
    /// Coupons: the code customers type (letters, digits and `-`, 4 to 32).
    pub code: Option<String>,
    /// Redemptions each code allows (default 1; coupons usually more).
    pub uses_per_code: Option<i32>,
    /// Unix ms after which the codes are refused.
    pub valid_until: Option<i64>,
}

/// A batch as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeBatch {
    pub id: String,
    pub kind: CodeKind,
    pub name: String,
    pub amount: i64,
    pub bucket: CreditBucket,
    pub credit_days: Option<i32>,
    pub percent_off: i32,
    pub months: Option<i32>,
    pub plans: Vec<String>,
    pub codes: i64,
    pub uses_per_code: i32,
    pub redemptions: i64,
    pub valid_until: Option<i64>,
    pub revoked: bool,
    pub created_by: Option<String>,
    pub created_at: i64,
}

/// The answer to making a batch: its codes, shown this once (only hashes are kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeBatchCreated {
    pub batch: CodeBatch,
    pub codes: Vec<String>,
}

/// `POST /api/v1/credits/coupons/redeem`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redeem {
    pub code: String,
    /// Redeem for an organisation you own or manage billing for.
    pub org_id: Option<String>,
}

/// What a code gives (`GET /api/v1/credits/coupons/validate/{code}`) or gave (redeem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeCheck {
    pub kind: CodeKind,
    pub name: String,
    pub amount: i64,
    pub percent_off: i32,
    pub months: Option<i32>,
    pub plans: Vec<String>,
    /// After redeeming: the credits' expiry, or until when the coupon applies.
    pub until: Option<i64>,
}

/// One code of a batch, for the export: its hint and how it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeUse {
    pub hint: String,
    pub uses: i64,
    /// Who redeemed it (e-mails or organisation names).
    pub redeemed_by: Vec<String>,
}
