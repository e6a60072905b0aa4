//! `/api/v1/api-keys`: the caller's own API keys.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError, api_keys};
use ops_types::{ApiKeyCreated, ApiKeyForCreate, ApiKeyLimits, ApiKeyRotate, ApiKeyView};

use crate::http::json::ApiJson;
use crate::state::AppState;

/// List your API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    responses((status = 200, body = Vec<ApiKeyView>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<ApiKeyView>>, HttpError> {
    Ok(Json(api_keys::list(&state.db, &ctx).await?))
}

/// Create an API key. The secret is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = ApiKeyForCreate,
    responses((status = 201, body = ApiKeyCreated)), security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn create(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<ApiKeyForCreate>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(api_keys::create(&state.db, &ctx, input).await?),
    ))
}

/// Revoke one of your API keys.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "API key id")),
    responses((status = 204), (status = 404)), security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn revoke(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    api_keys::revoke(&state.db, &ctx, &id).await?;
    // The gateway caches keys for a few seconds: forget them here at once.
    state.gateway.keys.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret for one of your keys (same name and lifetime). The old secret keeps working
/// for `grace_minutes` (0: it stops now), so clients can switch without downtime.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/rotate", tag = "api-keys", request_body = ApiKeyRotate,
    params(("id" = String, Path, description = "API key id")),
    responses((status = 201, body = ApiKeyCreated), (status = 404), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn rotate(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ApiKeyRotate>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), HttpError> {
    let created = api_keys::rotate(&state.db, &ctx, &id, input).await?;
    state.gateway.keys.clear();
    Ok((StatusCode::CREATED, Json(created)))
}

/// Set what one of your keys may do through the AI gateway: models, a budget per day, week or
/// month, requests and tokens per minute. Every field is optional; absent fields lift limits.
#[utoipa::path(put, path = "/api/v1/api-keys/{id}/limits", tag = "api-keys", request_body = ApiKeyLimits,
    params(("id" = String, Path, description = "API key id")),
    responses((status = 200, body = ApiKeyView), (status = 404), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn limits(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ApiKeyLimits>,
) -> Result<Json<ApiKeyView>, HttpError> {
    let view = ops_auth::key_limits::set(&state.db, &ctx, &id, &input).await?;
    state.gateway.keys.clear();
    Ok(Json(view))
}
