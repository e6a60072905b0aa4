//! Plans, subscriptions and entitlements as they cross the wire. Prices and allowances are
//! integer micro-units of the plan's currency.

use serde::{Deserialize, Serialize};

use crate::OwnerKind;

/// The services a plan may open, as the gateway names them.
pub const SERVICES: [(&str, &str); 5] = [
    ("chat", "Chat and text completions"),
    ("embeddings", "Embeddings"),
    ("images", "Image generation"),
    ("audio", "Speech to text and text to speech"),
    ("rerank", "Reranking"),
];

/// What happens once a period's included credits are spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Overage {
    /// Refuse until the period resets.
    #[default]
    Block,
    /// Go on, paid from the account's bought credits.
    Credits,
    /// Go on, paid from bought credits, buying more automatically (within the monthly cap).
    TopUp,
}

impl Overage {
    pub const ALL: [Overage; 3] = [Overage::Block, Overage::Credits, Overage::TopUp];

    pub fn as_str(self) -> &'static str {
        match self {
            Overage::Block => "block",
            Overage::Credits => "credits",
            Overage::TopUp => "top_up",
        }
    }

    pub fn parse(s: &str) -> Option<Overage> {
        Overage::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Overage::Block => "Stop at the allowance",
            Overage::Credits => "Continue on bought credits",
            Overage::TopUp => "Continue and top up automatically",
        }
    }
}

/// Billed monthly or yearly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    #[default]
    Month,
    Year,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "month" => Some(Interval::Month),
            "year" => Some(Interval::Year),
            _ => None,
        }
    }

    pub fn months(self) -> u32 {
        match self {
            Interval::Month => 1,
            Interval::Year => 12,
        }
    }
}

/// A plan as the catalogue and the editor show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    /// Stable identifier (`free`, `starter`…): lower-case letters, digits, `-` and `_`.
    pub code: String,
    pub name: String,
    pub description: String,
    /// Order in the catalogue.
    pub position: i32,
    pub currency: String,
    pub price_monthly: i64,
    pub price_yearly: i64,
    /// Days free on a first subscription to this plan (0: none).
    pub trial_days: i32,
    /// Granted at the start of each period, expiring at its end.
    pub included_credits: i64,
    /// Requests per period; none: unlimited.
    pub request_limit: Option<i64>,
    /// Requests per minute; none: unlimited.
    pub rate_limit_rpm: Option<i32>,
    pub overage: Overage,
    /// Services from [`SERVICES`] the plan opens.
    pub services: Vec<String>,
    /// Feature flags shown and checked elsewhere (`byok`, `priority_support`…).
    pub features: Vec<String>,
    /// Model groups the gateway lets this plan use.
    pub model_groups: Vec<String>,
    /// AI requests on this plan cost this percentage of the models' list prices (none: 100).
    #[serde(default)]
    pub llm_price_percent: Option<i64>,
    /// Offered in the catalogue; a hidden plan keeps its subscribers.
    pub public: bool,
    /// Subscriptions on this plan now (the editor shows it; 0 in the public catalogue).
    #[serde(default)]
    pub subscribers: i64,
}

/// `GET /api/v1/subscriptions/current` and `/my-access`: the account's subscription, plan and
/// where its allowances stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: String,
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    pub plan: Plan,
    pub interval: Interval,
    /// `trialing`, `active`, `past_due` or `suspended`.
    pub status: String,
    pub period_start: i64,
    pub period_end: i64,
    pub trial_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub cancel_reason: Option<String>,
    /// A downgrade waiting for the period's end.
    pub next_plan: Option<String>,
    pub next_interval: Option<Interval>,
    /// What the next renewal will charge (0 for free plans and cancellations), after any coupon.
    pub next_charge: i64,
    /// The coupon in force, in words.
    pub coupon: Option<String>,
    /// The entitlements in force (the free plan's while payment is overdue or suspended).
    pub access: Access,
}

/// What an account may use now and how much is left this period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Access {
    /// The plan whose entitlements apply.
    pub plan: String,
    pub services: Vec<String>,
    pub features: Vec<String>,
    pub model_groups: Vec<String>,
    pub limits: Vec<Limit>,
    pub resets_at: i64,
}

/// One allowance: how much of it is used, and when it resets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limit {
    /// `requests` (per period), `rate` (per minute) or `included_credits` (micro-units).
    pub name: String,
    pub used: i64,
    /// None: unlimited.
    pub limit: Option<i64>,
    pub resets_at: i64,
    /// At the pace so far, when the limit will be reached (none: not within the period).
    pub projected_at: Option<i64>,
}

/// `POST /api/v1/subscriptions/check-access/{service}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessCheck {
    pub service: String,
    pub allowed: bool,
    pub plan: String,
    /// Why not, when not allowed.
    pub reason: Option<String>,
    pub limit: Option<Limit>,
}

/// Query of the subscription endpoints: an organisation's (owners and billing admins) or
/// one's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct SubscriptionQuery {
    pub org_id: Option<String>,
}

/// `GET /api/v1/subscriptions/preview-change` and `POST /api/v1/subscriptions/change`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct PlanChange {
    pub org_id: Option<String>,
    pub plan: String,
    /// `month` or `year`; the current interval when absent.
    pub interval: Option<Interval>,
}

/// The exact effect of a change before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePreview {
    /// `upgrade` (now, prorated), `downgrade` (at the period's end), `trial` (now, free until
    /// `trial_end`) or `switch` (a free plan, now).
    pub kind: String,
    pub from_plan: String,
    pub to_plan: String,
    pub interval: Interval,
    /// When it takes effect (unix ms).
    pub effective_at: i64,
    pub lines: Vec<PreviewLine>,
    /// To pay now (negative: credited to the account's bought credits).
    pub total: i64,
    pub currency: String,
    /// Bought credits the account holds, from which the total is paid.
    pub available: i64,
    pub period_end: i64,
    pub trial_end: Option<i64>,
    /// Included credits granted now for the rest of the period.
    pub credits_granted: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewLine {
    pub description: String,
    pub amount: i64,
}

/// `POST /api/v1/subscriptions/cancel`: at the period's end, with an optional reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelRequest {
    pub org_id: Option<String>,
    pub reason: Option<String>,
}

/// One change in a subscription's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionEvent {
    /// `created`, `upgrade`, `downgrade_scheduled`, `downgrade`, `cancel_scheduled`,
    /// `reactivated`, `renewed`, `trial_started`, `trial_converted`, `payment_failed`, `ended`,
    /// `assigned`, `suspended`, `resumed`.
    pub kind: String,
    pub from_plan: Option<String>,
    pub to_plan: Option<String>,
    pub amount: i64,
    pub detail: Option<String>,
    pub actor_email: Option<String>,
    pub created_at: i64,
}

/// `POST /api/v1/usage/log`: one metered request. Idempotent by `event_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageLog {
    /// The caller's unique id for the request: a retry records and charges nothing twice.
    pub event_id: String,
    /// One of [`SERVICES`].
    pub service: String,
    /// Tokens, images, seconds…: 1 when absent.
    pub quantity: Option<i64>,
    /// Micro-units charged to the account's credits (0 when absent).
    pub cost: Option<i64>,
    pub model: Option<String>,
    /// Charge an organisation you belong to instead of yourself.
    pub org_id: Option<String>,
    /// Charge another user (administrators with `billing_manage`).
    pub user_id: Option<String>,
}

/// A recorded usage event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRecord {
    pub id: String,
    pub event_id: String,
    pub service: String,
    pub model: Option<String>,
    pub quantity: i64,
    pub cost: i64,
    pub created_at: i64,
    /// True when this answers a retry: nothing was recorded or charged again.
    #[serde(default)]
    pub replayed: bool,
}

/// Usage by service in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceUsage {
    pub service: String,
    pub requests: i64,
    pub quantity: i64,
    pub cost: i64,
}

/// `GET /api/v1/usage/current`: this period so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageCurrent {
    pub plan: String,
    pub period_start: i64,
    pub period_end: i64,
    /// Whole days until the allowances reset (rounded up).
    pub resets_in_days: i64,
    pub services: Vec<ServiceUsage>,
    pub limits: Vec<Limit>,
}

/// One day of usage (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub requests: i64,
    pub cost: i64,
}

/// Query of the usage reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct UsageQuery {
    pub org_id: Option<String>,
    /// Days back from today, 1–366 (default 30), for `/history` and `/export`.
    pub days: Option<i64>,
    pub service: Option<String>,
}

/// `GET /api/v1/admin/subscriptions/list`: filters and page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct AdminSubscriptionQuery {
    /// Part of the owner's e-mail or name.
    pub q: Option<String>,
    pub plan: Option<String>,
    /// `trialing`, `active`, `past_due`, `suspended`, or `cancelling`.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A subscription as the administrators' list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminSubscription {
    pub id: String,
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    /// The user's e-mail or the organisation's name.
    pub owner_name: String,
    pub plan: String,
    pub interval: Interval,
    pub status: String,
    pub period_end: i64,
    pub cancel_at_period_end: bool,
    pub next_plan: Option<String>,
    /// What it brings in a month (a yearly price over 12); 0 on trial or when overdue.
    pub mrr: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminSubscriptionPage {
    pub items: Vec<AdminSubscription>,
    pub total: i64,
}

/// `GET /api/v1/admin/subscriptions/{id}`: one subscription in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminSubscriptionDetail {
    pub owner_name: String,
    pub subscription: Subscription,
    pub history: Vec<SubscriptionEvent>,
    pub invoices: Vec<crate::InvoiceSummary>,
}

/// `POST /api/v1/admin/subscriptions/{id}/suspend` and the other administrator actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminAction {
    /// Why: kept in the history and the audit log.
    pub reason: String,
}

/// `GET /api/v1/admin/subscriptions/analytics/overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevenueOverview {
    pub currency: String,
    /// Monthly recurring revenue: paying subscriptions' monthly-equivalent prices.
    pub mrr: i64,
    pub arr: i64,
    /// MRR per paying subscription.
    pub arpu: i64,
    pub paying: i64,
    pub trialing: i64,
    pub past_due: i64,
    pub cancelling: i64,
    /// Credits held by all accounts: what is owed (paid) and promised (granted).
    pub liability_paid: i64,
    pub liability_granted: i64,
    pub by_plan: Vec<PlanRevenue>,
    /// The last 12 months, oldest first.
    pub months: Vec<MonthRevenue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRevenue {
    pub plan: String,
    pub name: String,
    pub subscribers: i64,
    pub paying: i64,
    pub mrr: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthRevenue {
    /// `YYYY-MM`.
    pub month: String,
    /// Collected for subscriptions (net of proration credits).
    pub revenue: i64,
    /// Accounts that moved from free to a paid plan or a trial.
    pub new: i64,
    /// Accounts whose paid plan ended.
    pub churned: i64,
}
