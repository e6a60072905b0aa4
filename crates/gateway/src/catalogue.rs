//! The catalogue in memory: enabled models by name and alias, each with its deployments and
//! their providers (keys opened once, at load). Requests read a snapshot (`Arc`) and never the
//! database; it is reloaded after every console change and every few seconds, so replicas
//! follow each other's changes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ops_db::{Db, Row};
use ops_secrets::MasterKey;

use crate::GatewayError;
use crate::upstream::{Endpoint, url};

/// The upstream API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OpenAi,
    Anthropic,
    Gemini,
    Azure,
    OpenRouter,
    Compatible,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "openai" => Kind::OpenAi,
            "anthropic" => Kind::Anthropic,
            "gemini" => Kind::Gemini,
            "azure" => Kind::Azure,
            "openrouter" => Kind::OpenRouter,
            "openai_compatible" => Kind::Compatible,
            _ => return None,
        })
    }

    /// The public endpoint, where the kind has one.
    pub fn default_base(self) -> Option<&'static str> {
        match self {
            Kind::OpenAi => Some("https://api.openai.com/v1"),
            Kind::Anthropic => Some("https://api.anthropic.com"),
            // Gemini's OpenAI-compatible endpoint.
            Kind::Gemini => Some("https://generativelanguage.googleapis.com/v1beta/openai"),
            Kind::OpenRouter => Some("https://openrouter.ai/api/v1"),
            Kind::Azure | Kind::Compatible => None,
        }
    }
}

/// Where the sealed provider keys are bound (a sealed value cannot be moved to another field).
pub(crate) const KEY_CONTEXT: &str = "llm_provider.api_key";

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub base_url: String,
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub total_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub provider: Arc<Provider>,
    pub upstream_model: String,
    pub priority: i32,
    pub weight: u32,
    /// What the provider charges us, micro-USD per million tokens.
    pub input_cost: i64,
    pub output_cost: i64,
    /// Each endpoint's URL on this deployment ([`Endpoint::ALL`] order), parsed once at load;
    /// none where the provider does not offer it.
    pub urls: [Option<Arc<crate::client::Target>>; 4],
    /// Its id and its provider's name as response headers, made once at load.
    pub headers: [http::HeaderValue; 2],
}

/// A name as a response header value (empty when a header cannot carry it).
pub fn header_value(s: &str) -> http::HeaderValue {
    http::HeaderValue::from_str(s).unwrap_or(http::HeaderValue::from_static(""))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    Priority,
    Latency,
    Cost,
}

#[derive(Debug)]
pub struct Model {
    pub name: String,
    pub group: String,
    pub kind: String,
    pub aliases: Vec<String>,
    /// Micro-USD per million tokens.
    pub input_price: i64,
    pub output_price: i64,
    pub max_output_tokens: i64,
    pub routing: Routing,
    pub retries: u32,
    pub fallbacks: Vec<String>,
    pub deployments: Vec<Deployment>,
    /// Its name as a response header, made once at load.
    pub header: http::HeaderValue,
}

/// A snapshot of the enabled catalogue.
#[derive(Debug, Default)]
pub struct Catalogue {
    by_name: HashMap<String, Arc<Model>>,
    pub models: Vec<Arc<Model>>,
}

impl Catalogue {
    /// The model a client named (its public name or an alias).
    pub fn find(&self, name: &str) -> Option<&Arc<Model>> {
        self.by_name.get(name)
    }
}

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.max(1) as u64)
}

async fn providers(
    db: &Db,
    key: &MasterKey,
) -> Result<HashMap<String, Arc<Provider>>, GatewayError> {
    let rows = sqlx::query(
        "SELECT id, name, kind, base_url, api_key_sealed, api_version, connect_timeout_ms, \
         first_byte_timeout_ms, total_timeout_ms FROM llm_providers WHERE enabled = 1",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let Some(kind) = Kind::parse(&kind) else {
            continue;
        };
        let sealed: Option<String> = r.try_get("api_key_sealed")?;
        let api_key = match sealed {
            Some(s) => Some(
                key.open(KEY_CONTEXT, &s)
                    .map_err(|e| GatewayError::Internal(format!("provider key: {e}")))?,
            ),
            None => None,
        };
        let p = Provider {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            kind,
            base_url: r.try_get("base_url")?,
            api_key,
            api_version: r.try_get("api_version")?,
            connect_timeout: ms(r.try_get("connect_timeout_ms")?),
            first_byte_timeout: ms(r.try_get("first_byte_timeout_ms")?),
            total_timeout: ms(r.try_get("total_timeout_ms")?),
        };
        out.insert(p.id.clone(), Arc::new(p));
    }
    Ok(out)
}

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Reads the enabled catalogue.
pub async fn load(db: &Db, key: &MasterKey) -> Result<Catalogue, GatewayError> {
    let providers = providers(db, key).await?;
    let mut deployments: HashMap<String, Vec<Deployment>> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, model_id, provider_id, upstream_model, priority, weight, input_cost, output_cost \
         FROM llm_deployments \
         WHERE enabled = 1 ORDER BY priority, id",
    )
    .fetch_all(db.pool())
    .await?
    {
        let provider_id: String = r.try_get("provider_id")?;
        let Some(provider) = providers.get(&provider_id) else {
            continue;
        };
        let weight: i32 = r.try_get("weight")?;
        let mut d = Deployment {
            id: r.try_get("id")?,
            provider: provider.clone(),
            upstream_model: r.try_get("upstream_model")?,
            priority: r.try_get("priority")?,
            weight: weight.max(0) as u32,
            input_cost: r.try_get("input_cost")?,
            output_cost: r.try_get("output_cost")?,
            urls: Default::default(),
            headers: [header_value(&r.try_get::<String, _>("id")?), header_value(&provider.name)],
        };
        d.urls = Endpoint::ALL.map(|e| url(&d, e).and_then(|u| crate::client::Target::parse(&u)));
        deployments
            .entry(r.try_get("model_id")?)
            .or_default()
            .push(d);
    }
    let mut cat = Catalogue::default();
    for r in sqlx::query(
        "SELECT id, name, aliases, model_group, kind, input_price, output_price, max_output_tokens, \
         routing, retries, fallbacks FROM llm_models WHERE enabled = 1 ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?
    {
        let id: String = r.try_get("id")?;
        let routing: String = r.try_get("routing")?;
        let retries: i32 = r.try_get("retries")?;
        let max_output: i32 = r.try_get("max_output_tokens")?;
        let name: String = r.try_get("name")?;
        let model = Arc::new(Model {
            header: header_value(&name),
            name,
            group: r.try_get("model_group")?,
            kind: r.try_get("kind")?,
            aliases: json_list(&r.try_get::<String, _>("aliases")?),
            input_price: r.try_get("input_price")?,
            output_price: r.try_get("output_price")?,
            max_output_tokens: i64::from(max_output),
            routing: match routing.as_str() {
                "latency" => Routing::Latency,
                "cost" => Routing::Cost,
                _ => Routing::Priority,
            },
            retries: retries.max(0) as u32,
            fallbacks: json_list(&r.try_get::<String, _>("fallbacks")?),
            deployments: deployments.remove(&id).unwrap_or_default(),
        });
        for alias in &model.aliases {
            cat.by_name.insert(alias.clone(), model.clone());
        }
        cat.by_name.insert(model.name.clone(), model.clone());
        cat.models.push(model);
    }
    Ok(cat)
}
