//! The AI gateway's catalogue as the console edits it: upstream providers, public models with
//! their prices, and the deployments that serve them. Prices are micro-USD per million tokens.

use serde::{Deserialize, Serialize};

/// The upstream APIs the gateway speaks.
pub const PROVIDER_KINDS: [(&str, &str); 6] = [
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("gemini", "Google Gemini"),
    ("azure", "Azure OpenAI"),
    ("openrouter", "OpenRouter"),
    (
        "openai_compatible",
        "OpenAI-compatible (vLLM, Ollama, llama.cpp, Groq, Together…)",
    ),
];

/// How a model picks among the deployments of one priority tier.
pub const ROUTING_MODES: [(&str, &str); 3] = [
    ("priority", "Priority tiers, weighted inside a tier"),
    ("latency", "Lowest recent latency first"),
    ("cost", "Cheapest provider first"),
];

/// An upstream provider, as the console shows it: the key only as a masked hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmProvider {
    pub id: String,
    pub name: String,
    /// One of [`PROVIDER_KINDS`].
    pub kind: String,
    pub base_url: String,
    /// The stored key's last characters, e.g. `…3f9a`; none when no key is stored.
    pub key_hint: Option<String>,
    /// Azure's `api-version`, or Anthropic's `anthropic-version`.
    pub api_version: Option<String>,
    pub enabled: bool,
    pub connect_timeout_ms: i64,
    pub first_byte_timeout_ms: i64,
    pub total_timeout_ms: i64,
    /// Deployments that use this provider.
    pub deployments: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST /api/v1/llm/providers` and `PUT …/{id}`. On update, a missing or empty `api_key`
/// keeps the stored key; `clear_key` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmProviderForSave {
    pub name: String,
    pub kind: String,
    /// Defaults to the kind's public endpoint (required for Azure and OpenAI-compatible).
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub clear_key: bool,
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub connect_timeout_ms: Option<i64>,
    #[serde(default)]
    pub first_byte_timeout_ms: Option<i64>,
    #[serde(default)]
    pub total_timeout_ms: Option<i64>,
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/llm/providers/{id}/test`: whether the provider answered, and its models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmProviderTest {
    pub ok: bool,
    /// The upstream's HTTP status, when it answered.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// The model ids the provider listed.
    pub models: Vec<String>,
    /// Why it failed, in words.
    pub error: Option<String>,
}

/// One way a model is served: a provider and the name it knows the model by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmDeployment {
    #[serde(default)]
    pub id: String,
    pub provider_id: String,
    /// Filled in on reads.
    #[serde(default)]
    pub provider_name: String,
    pub upstream_model: String,
    /// Lower tiers are tried first; higher tiers are the fallbacks.
    #[serde(default)]
    pub priority: i32,
    /// Share of the tier's traffic.
    #[serde(default = "one")]
    pub weight: i32,
    /// What the provider charges us, micro-USD per million tokens (cost routing uses it).
    #[serde(default)]
    pub input_cost: i64,
    #[serde(default)]
    pub output_cost: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn one() -> i32 {
    1
}

/// A public model with its prices and deployments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmModel {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// The group plans open (`model_groups`).
    pub model_group: String,
    /// `chat` or `embeddings`.
    pub kind: String,
    /// Micro-USD per million input tokens.
    pub input_price: i64,
    /// Micro-USD per million output tokens.
    pub output_price: i64,
    pub max_output_tokens: i64,
    /// One of [`ROUTING_MODES`].
    pub routing: String,
    /// Further attempts after a retryable failure.
    pub retries: i32,
    /// Models tried, in order, when every deployment of this one failed.
    pub fallbacks: Vec<String>,
    pub enabled: bool,
    pub deployments: Vec<LlmDeployment>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST /api/v1/llm/admin/models` and `PUT …/{id}`: the deployments are replaced as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmModelForSave {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub model_group: String,
    #[serde(default)]
    pub kind: Option<String>,
    pub input_price: i64,
    pub output_price: i64,
    #[serde(default)]
    pub max_output_tokens: Option<i64>,
    #[serde(default)]
    pub routing: Option<String>,
    #[serde(default)]
    pub retries: Option<i32>,
    #[serde(default)]
    pub fallbacks: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub deployments: Vec<LlmDeployment>,
}

/// `GET /api/v1/llm/models`: a model the caller may use, with its prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmModelOffer {
    pub name: String,
    pub aliases: Vec<String>,
    pub model_group: String,
    pub kind: String,
    pub input_price: i64,
    pub output_price: i64,
}

/// The lists of `GET /api/v1/llm/providers`, `…/admin/models` and `…/models` (objects, so that
/// fields can be added).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmProviders {
    pub providers: Vec<LlmProvider>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmModels {
    pub models: Vec<LlmModel>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmOffers {
    pub models: Vec<LlmModelOffer>,
}

/// The provider kinds users may bring their own key for, with their labels.
pub const BYOK_PROVIDERS: [(&str, &str); 4] = [
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("gemini", "Google Gemini"),
    ("openrouter", "OpenRouter"),
];

/// When one's own key is used, per provider.
pub const BYOK_POLICIES: [(&str, &str); 3] = [
    ("prioritized", "Mine first; the platform's if mine fails"),
    ("fallback", "The platform's first; mine if it fails"),
    ("always", "Mine only; never the platform's"),
];

/// `GET /api/v1/byok/providers`: what keys can be brought, and whether the platform serves
/// models through that provider (a key for a provider it does not serve is never used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokProvider {
    pub provider: String,
    pub label: String,
    pub served: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokProviders {
    pub providers: Vec<ByokProvider>,
    /// What requests served by one's own key are charged: this percentage of the list price.
    pub fee_percent: i64,
}

/// One's own provider key, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokKey {
    pub provider: String,
    pub label: String,
    pub key_hint: String,
    /// One of [`BYOK_POLICIES`].
    pub policy: String,
    /// `ok`, or `failing` once the provider refused it (`last_error` says how).
    pub status: String,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokKeys {
    pub keys: Vec<ByokKey>,
}

/// `POST /api/v1/byok/keys/add`: the key is tried against the provider before it is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokKeyForSave {
    pub provider: String,
    pub api_key: String,
    /// Defaults to `prioritized`.
    #[serde(default)]
    pub policy: Option<String>,
}

/// `PUT /api/v1/byok/keys/{provider}/policy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokPolicy {
    pub policy: String,
}

/// `GET /api/v1/byok/stats`: use of one's own keys, per provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokStat {
    pub provider: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// What these requests would have cost on the platform's keys.
    pub list_cost: i64,
    /// What was charged (the platform fee).
    pub charged: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokStats {
    pub stats: Vec<ByokStat>,
}

/// How this replica's gateway is wired by its settings file (`GET /api/v1/llm/status`):
/// read-only in the console.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayStatus {
    /// The Redis that replicas share per-minute limits through (without credentials); none:
    /// each replica counts its own.
    pub shared_limits: Option<String>,
    /// That Redis's answer to a `PING` just now, in microseconds.
    pub redis_ping_us: Option<u64>,
    /// Why it did not answer (limits then hold per replica).
    pub redis_error: Option<String>,
    /// The HTTP proxy provider calls go through (without credentials).
    pub proxy: Option<String>,
    /// Hosts called directly despite the proxy (loopback always is).
    pub no_proxy: Vec<String>,
}

/// The gateway's own settings (`GET/PUT /api/v1/llm/settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewaySettings {
    /// Requests served by users' own keys are charged this percentage of the list price.
    #[serde(default)]
    pub byok_fee_percent: i64,
    /// Request log rows older than this many days are deleted (daily rollups are kept).
    #[serde(default = "retention_default")]
    pub log_retention_days: i64,
}

fn retention_default() -> i64 {
    90
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            byok_fee_percent: 0,
            log_retention_days: retention_default(),
        }
    }
}
