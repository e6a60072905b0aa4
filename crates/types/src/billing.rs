//! Credits and the ledger as they cross the wire. Amounts are integer micro-units of the
//! account's currency (see [`crate::MICROS`]).

use serde::{Deserialize, Serialize};

/// Whose money: a user's own account or an organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    User,
    Org,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::User => "user",
            OwnerKind::Org => "org",
        }
    }

    /// From its stored name; anything but `org` is a user.
    pub fn parse(s: &str) -> Self {
        if s == "org" {
            OwnerKind::Org
        } else {
            OwnerKind::User
        }
    }
}

/// Paid credits (bought) and granted credits (free: plan allowances, gifts) are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CreditBucket {
    Paid,
    #[default]
    Granted,
}

impl CreditBucket {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditBucket::Paid => "paid",
            CreditBucket::Granted => "granted",
        }
    }

    /// Spent first when lower: granted credits go before paid ones by default.
    pub fn default_priority(self) -> i32 {
        match self {
            CreditBucket::Granted => 10,
            CreditBucket::Paid => 20,
        }
    }
}

/// `GET /api/v1/credits/balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditBalance {
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    pub currency: String,
    pub paid: i64,
    pub granted: i64,
    pub total: i64,
    /// The next credits to expire, if any: how much and when (unix ms).
    pub next_expiry: Option<CreditExpiry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditExpiry {
    pub amount: i64,
    pub at: i64,
}

/// One ledger entry. Deltas are signed: credits in are positive, spends negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    pub id: String,
    pub seq: i64,
    /// `grant`, `purchase`, `spend`, `deduct`, `refund` or `expiry`.
    pub kind: String,
    pub paid_delta: i64,
    pub granted_delta: i64,
    pub paid_after: i64,
    pub granted_after: i64,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub actor_email: Option<String>,
    pub created_at: i64,
    /// For credits in: when the lot expires.
    pub expires_at: Option<i64>,
    /// True when this answers a retry with the same `Idempotency-Key`: nothing moved again.
    #[serde(default)]
    pub replayed: bool,
}

/// One page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    pub entries: Vec<LedgerEntry>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

/// `GET /api/v1/credits/transactions`: whose ledger and which page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct LedgerQuery {
    /// An organisation you are an owner or billing admin of; your own account when absent.
    pub org_id: Option<String>,
    /// Another user's account (administrators with `billing_manage`).
    pub user_id: Option<String>,
    /// Entries with a smaller `seq` (the previous page's `next_before`).
    pub before: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// `POST /api/v1/credits/allocate` (administrators): credits into a user's or an organisation's
/// account. Exactly one of `user_id` and `org_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditGrant {
    pub user_id: Option<String>,
    pub org_id: Option<String>,
    /// Micro-units, more than 0.
    pub amount: i64,
    #[serde(default)]
    pub bucket: CreditBucket,
    /// Why: shown in the account's history and the audit log.
    pub reason: String,
    /// Unix ms; the unspent rest expires then.
    pub expires_at: Option<i64>,
    /// Lower is spent first (default: granted 10, paid 20).
    pub priority: Option<i32>,
}

/// `POST /api/v1/credits/deduct` (administrators): take credits out, spending lots in order.
/// Exactly one of `user_id` and `org_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditDeduct {
    pub user_id: Option<String>,
    pub org_id: Option<String>,
    /// Micro-units, more than 0.
    pub amount: i64,
    pub reason: String,
    pub reference: Option<String>,
}

/// `POST /api/v1/admin/credits/check`: balances recomputed from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerCheck {
    pub accounts: i64,
    pub entries: i64,
    /// One line per account whose cached balance or lots disagree with its entries.
    pub problems: Vec<String>,
    /// Credits held by all accounts (what is owed to customers), per currency.
    pub liability: Vec<Liability>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Liability {
    pub currency: String,
    pub paid: i64,
    pub granted: i64,
}

/// `GET /api/v1/admin/credits/accounts`: an account holding or having held credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditAccount {
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    /// The user's e-mail or the organisation's name.
    pub name: String,
    pub currency: String,
    pub paid: i64,
    pub granted: i64,
    /// Entries in its ledger.
    pub entries: i64,
}
