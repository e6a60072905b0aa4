//! The AI gateway in the console (providers, models, settings) and one's own provider keys.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{
    ApiError, ByokKey, ByokKeyForSave, ByokProviders, GatewaySettings, GatewayStatus, LlmModel,
    LlmModelForSave, LlmProvider, LlmProviderForSave, LlmProviderTest,
};

#[server(prefix = "/api/ui", endpoint = "list_llm_providers")]
pub async fn list_llm_providers() -> Result<Vec<LlmProvider>, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::admin::list(&state.gateway, &ctx).await
}

/// Creates (`id` none) or changes a provider.
#[server(prefix = "/api/ui", endpoint = "save_llm_provider", input = Json)]
pub async fn save_llm_provider(
    id: Option<String>,
    input: LlmProviderForSave,
) -> Result<LlmProvider, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    match id {
        Some(id) => ops_gateway::admin::update(&state.gateway, &ctx, &id, &input).await,
        None => ops_gateway::admin::create(&state.gateway, &ctx, &input).await,
    }
}

#[server(prefix = "/api/ui", endpoint = "remove_llm_provider")]
pub async fn remove_llm_provider(id: String) -> Result<(), ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::admin::delete(&state.gateway, &ctx, &id).await
}

#[server(prefix = "/api/ui", endpoint = "probe_llm_provider")]
pub async fn probe_llm_provider(id: String) -> Result<LlmProviderTest, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::admin::test(&state.gateway, &ctx, &id).await
}

#[server(prefix = "/api/ui", endpoint = "list_llm_models")]
pub async fn list_llm_models() -> Result<Vec<LlmModel>, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::models::list(&state.gateway, &ctx).await
}

/// Creates (`id` none) or changes a model with its deployments.
#[server(prefix = "/api/ui", endpoint = "save_llm_model", input = Json)]
pub async fn save_llm_model(
    id: Option<String>,
    input: LlmModelForSave,
) -> Result<LlmModel, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    match id {
        Some(id) => ops_gateway::models::update(&state.gateway, &ctx, &id, &input).await,
        None => ops_gateway::models::create(&state.gateway, &ctx, &input).await,
    }
}

#[server(prefix = "/api/ui", endpoint = "remove_llm_model")]
pub async fn remove_llm_model(id: String) -> Result<(), ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::models::delete(&state.gateway, &ctx, &id).await
}

#[server(prefix = "/api/ui", endpoint = "get_gateway_settings")]
pub async fn get_gateway_settings() -> Result<GatewaySettings, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::settings::get(&state.gateway, &ctx).await
}

#[server(prefix = "/api/ui", endpoint = "get_gateway_status")]
pub async fn get_gateway_status() -> Result<GatewayStatus, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::settings::status(&state.gateway, &ctx).await
}

#[server(prefix = "/api/ui", endpoint = "save_gateway_settings", input = Json)]
pub async fn save_gateway_settings(input: GatewaySettings) -> Result<GatewaySettings, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::settings::put(&state.gateway, &ctx, &input).await
}

/// The providers one can bring a key for (with the fee), and one's keys.
#[server(prefix = "/api/ui", endpoint = "list_own_keys")]
pub async fn list_own_keys(
    org_id: Option<String>,
) -> Result<(ByokProviders, Vec<ByokKey>), ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    let keys = ops_gateway::byok::list(&state.gateway, &ctx, org_id.as_deref()).await?;
    let providers = ByokProviders {
        providers: ops_gateway::byok::providers(&state.gateway),
        fee_percent: state.gateway.settings().byok_fee_percent,
    };
    Ok((providers, keys))
}

#[server(prefix = "/api/ui", endpoint = "save_own_key", input = Json)]
pub async fn save_own_key(
    org_id: Option<String>,
    input: ByokKeyForSave,
) -> Result<ByokKey, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::byok::save(&state.gateway, &ctx, org_id.as_deref(), &input).await
}

#[server(prefix = "/api/ui", endpoint = "probe_own_key")]
pub async fn probe_own_key(
    org_id: Option<String>,
    provider: String,
) -> Result<LlmProviderTest, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::byok::test(&state.gateway, &ctx, org_id.as_deref(), &provider).await
}

#[server(prefix = "/api/ui", endpoint = "set_own_key_policy")]
pub async fn set_own_key_policy(
    org_id: Option<String>,
    provider: String,
    policy: String,
) -> Result<ByokKey, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::byok::set_policy(&state.gateway, &ctx, org_id.as_deref(), &provider, &policy).await
}

#[server(prefix = "/api/ui", endpoint = "remove_own_key")]
pub async fn remove_own_key(org_id: Option<String>, provider: String) -> Result<(), ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::byok::delete(&state.gateway, &ctx, org_id.as_deref(), &provider).await
}

/// A usage report from the daily rollups; `by`: day, model, user, org, key or provider.
#[server(prefix = "/api/ui", endpoint = "llm_usage_report", input = Json)]
pub async fn llm_usage_report(
    query: ops_types::LlmUsageQuery,
    by: String,
) -> Result<ops_types::LlmUsage, ApiError> {
    use ops_gateway::usage::By;
    let (ctx, state) = (ctx()?, state()?);
    let by = match by.as_str() {
        "model" => By::Model,
        "user" => By::User,
        "org" => By::Org,
        "key" => By::Key,
        "provider" => By::Provider,
        _ => By::Day,
    };
    ops_gateway::usage::report(&state.gateway, &ctx, &query, by).await
}

/// A page of the request log.
#[server(prefix = "/api/ui", endpoint = "llm_request_log", input = Json)]
pub async fn llm_request_log(
    query: ops_types::LlmRequestQuery,
) -> Result<ops_types::LlmRequests, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_gateway::usage::requests(&state.gateway, &ctx, &query).await
}
