//! The AI gateway's usage reports and request log as they cross the wire.

use serde::{Deserialize, Serialize};

/// Which traffic a report covers: the caller's own account (or `org_id`'s), or with
/// `scope=all` (gateway managers) everyone's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct LlmUsageQuery {
    /// Days back from today (UTC), 1–366; 30 by default.
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub org_id: Option<String>,
    /// `mine` (default) or `all`.
    #[serde(default)]
    pub scope: Option<String>,
}

/// One line of a report: a model, user, organisation, key, provider or day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmUsageRow {
    /// The model name, user id, organisation id, key id, provider name or `YYYY-MM-DD`.
    pub key: String,
    /// In words: an e-mail, an organisation's name, a key's name.
    pub label: String,
    pub requests: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Charged, micro-units.
    pub cost: i64,
    /// At list price (differs from `cost` for requests served by users' own keys).
    pub list_cost: i64,
    pub avg_latency_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmUsage {
    /// First and last day covered, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub totals: LlmUsageRow,
    /// Largest cost first (by day: oldest first, every day present).
    pub rows: Vec<LlmUsageRow>,
}

/// `GET /api/v1/llm/requests`: the request log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct LlmRequestQuery {
    /// At most 200; 50 by default.
    #[serde(default)]
    pub limit: Option<i64>,
    /// Only requests before this time (unix ms): the next page's cursor.
    #[serde(default)]
    pub before: Option<i64>,
    #[serde(default)]
    pub model: Option<String>,
    /// `ok` or `error`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    /// `mine` (default) or `all`.
    #[serde(default)]
    pub scope: Option<String>,
}

/// One request as the log explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmRequest {
    pub id: String,
    pub at: i64,
    pub key_id: String,
    pub user_id: String,
    pub user_email: Option<String>,
    pub owner_kind: String,
    pub owner_id: String,
    pub endpoint: String,
    pub model: String,
    pub stream: bool,
    pub provider: String,
    /// `platform` or `byok`.
    pub credential: String,
    pub status: i64,
    pub error_code: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Tokens counted by the gateway (the provider reported none).
    pub counted: bool,
    pub reserved: i64,
    pub cost: i64,
    pub list_cost: i64,
    pub latency_ms: i64,
    pub first_byte_ms: Option<i64>,
    /// Every attempt, as JSON: model, provider, deployment, credential, status, error, ms.
    pub attempts: String,
    /// The price formula with its numbers, or why it was refused and when that limit resets.
    pub explain: String,
    pub ledger_entry: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmRequests {
    pub requests: Vec<LlmRequest>,
    pub next_before: Option<i64>,
}
