//! The AI gateway's catalogue in the console (`/api/v1/llm/*`): providers with a connection
//! test, models with prices, routing and deployments; and the models a caller may use.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError};
use ops_gateway::{admin, models};
use ops_types::{
    GatewaySettings, GatewayStatus, LlmModel, LlmModelForSave, LlmModels, LlmOffers, LlmProvider,
    LlmProviderForSave, LlmProviderTest, LlmProviders, PaymentOwner,
};

use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// The upstream providers (keys as masked hints only).
#[utoipa::path(get, path = "/api/v1/llm/providers", tag = "gateway",
    responses((status = 200, body = LlmProviders)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn providers(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<LlmProviders>, HttpError> {
    Ok(Json(LlmProviders {
        providers: admin::list(&state.gateway, &ctx).await?,
    }))
}

/// Add a provider; its key is sealed at rest and never shown again.
#[utoipa::path(post, path = "/api/v1/llm/providers", tag = "gateway", request_body = LlmProviderForSave,
    responses((status = 201, body = LlmProvider), (status = 422)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn create_provider(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<LlmProviderForSave>,
) -> Result<(StatusCode, Json<LlmProvider>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::create(&state.gateway, &ctx, &input).await?),
    ))
}

/// Change a provider; an empty `api_key` keeps the stored one.
#[utoipa::path(put, path = "/api/v1/llm/providers/{id}", tag = "gateway", request_body = LlmProviderForSave,
    params(("id" = String, Path)), responses((status = 200, body = LlmProvider), (status = 404), (status = 422)),
    security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn update_provider(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LlmProviderForSave>,
) -> Result<Json<LlmProvider>, HttpError> {
    Ok(Json(
        admin::update(&state.gateway, &ctx, &id, &input).await?,
    ))
}

/// Remove a provider and its deployments.
#[utoipa::path(delete, path = "/api/v1/llm/providers/{id}", tag = "gateway", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn delete_provider(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    admin::delete(&state.gateway, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test the connection: list the provider's models with the stored key.
#[utoipa::path(post, path = "/api/v1/llm/providers/{id}/test", tag = "gateway", params(("id" = String, Path)),
    responses((status = 200, body = LlmProviderTest), (status = 404)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn test_provider(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Json<LlmProviderTest>, HttpError> {
    Ok(Json(admin::test(&state.gateway, &ctx, &id).await?))
}

/// The whole catalogue with deployments, for the console.
#[utoipa::path(get, path = "/api/v1/llm/admin/models", tag = "gateway",
    responses((status = 200, body = LlmModels)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn catalogue(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<LlmModels>, HttpError> {
    Ok(Json(LlmModels {
        models: models::list(&state.gateway, &ctx).await?,
    }))
}

/// Add a model with its prices and deployments.
#[utoipa::path(post, path = "/api/v1/llm/admin/models", tag = "gateway", request_body = LlmModelForSave,
    responses((status = 201, body = LlmModel), (status = 422)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn create_model(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<LlmModelForSave>,
) -> Result<(StatusCode, Json<LlmModel>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(models::create(&state.gateway, &ctx, &input).await?),
    ))
}

/// Change a model; its deployments are replaced by those sent.
#[utoipa::path(put, path = "/api/v1/llm/admin/models/{id}", tag = "gateway", request_body = LlmModelForSave,
    params(("id" = String, Path)), responses((status = 200, body = LlmModel), (status = 404), (status = 422)),
    security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn update_model(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LlmModelForSave>,
) -> Result<Json<LlmModel>, HttpError> {
    Ok(Json(
        models::update(&state.gateway, &ctx, &id, &input).await?,
    ))
}

/// Remove a model.
#[utoipa::path(delete, path = "/api/v1/llm/admin/models/{id}", tag = "gateway", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn delete_model(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    models::delete(&state.gateway, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The models you (or an organisation of yours) may use, with prices per million tokens.
#[utoipa::path(get, path = "/api/v1/llm/models", tag = "gateway", params(PaymentOwner),
    responses((status = 200, body = LlmOffers)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn offers(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<LlmOffers>, HttpError> {
    Ok(Json(LlmOffers {
        models: models::mine(&state.gateway, &ctx, q.org_id.as_deref()).await?,
    }))
}

/// The gateway's settings: the fee on requests served by users' own keys, the log's retention.
#[utoipa::path(get, path = "/api/v1/llm/settings", tag = "gateway",
    responses((status = 200, body = GatewaySettings)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn get_settings(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<GatewaySettings>, HttpError> {
    Ok(Json(
        ops_gateway::settings::get(&state.gateway, &ctx).await?,
    ))
}

/// How this replica is wired by its settings file: the Redis that shares per-minute limits
/// (checked with a `PING`) and the proxy provider calls go through.
#[utoipa::path(get, path = "/api/v1/llm/status", tag = "gateway",
    responses((status = 200, body = GatewayStatus)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn get_status(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<GatewayStatus>, HttpError> {
    Ok(Json(
        ops_gateway::settings::status(&state.gateway, &ctx).await?,
    ))
}

/// Change the gateway's settings.
#[utoipa::path(put, path = "/api/v1/llm/settings", tag = "gateway", request_body = GatewaySettings,
    responses((status = 200, body = GatewaySettings), (status = 422)), security(("session" = ["gateway_manage"]), ("api_key" = ["gateway_manage"])))]
pub async fn put_settings(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<GatewaySettings>,
) -> Result<Json<GatewaySettings>, HttpError> {
    Ok(Json(
        ops_gateway::settings::put(&state.gateway, &ctx, &input).await?,
    ))
}
