//! `/api/v1/byok/*`: your own provider keys (or an organisation's you manage billing of):
//! stored sealed, tried before they are kept, shown masked, used as their policy says.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError};
use ops_gateway::byok;
use ops_types::{
    ByokKey, ByokKeyForSave, ByokKeys, ByokPolicy, ByokProviders, ByokStats, LlmProviderTest,
    PaymentOwner,
};

use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// The providers you can bring a key for, and the fee charged on requests your keys serve.
#[utoipa::path(get, path = "/api/v1/byok/providers", tag = "gateway",
    responses((status = 200, body = ByokProviders)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn providers(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<ByokProviders>, HttpError> {
    ctx.require(ops_types::Permission::AccountRead)?;
    Ok(Json(ByokProviders {
        providers: byok::providers(&state.gateway),
        fee_percent: state.gateway.settings().byok_fee_percent,
    }))
}

/// Your provider keys, masked.
#[utoipa::path(get, path = "/api/v1/byok/keys", tag = "gateway", params(PaymentOwner),
    responses((status = 200, body = ByokKeys)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<ByokKeys>, HttpError> {
    Ok(Json(ByokKeys {
        keys: byok::list(&state.gateway, &ctx, q.org_id.as_deref()).await?,
    }))
}

/// Add (or replace) your key for a provider; it is tried against the provider first.
#[utoipa::path(post, path = "/api/v1/byok/keys/add", tag = "gateway", params(PaymentOwner), request_body = ByokKeyForSave,
    responses((status = 201, body = ByokKey), (status = 422)), security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn add(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
    ApiJson(input): ApiJson<ByokKeyForSave>,
) -> Result<(StatusCode, Json<ByokKey>), HttpError> {
    let key = byok::save(&state.gateway, &ctx, q.org_id.as_deref(), &input).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// Try your stored key for a provider again (a failing key that works is marked ok).
#[utoipa::path(post, path = "/api/v1/byok/keys/test/{provider}", tag = "gateway", params(("provider" = String, Path), PaymentOwner),
    responses((status = 200, body = LlmProviderTest), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn test(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(provider): Path<String>,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<LlmProviderTest>, HttpError> {
    Ok(Json(
        byok::test(&state.gateway, &ctx, q.org_id.as_deref(), &provider).await?,
    ))
}

/// When your key for a provider is used: `prioritized`, `fallback` or `always`.
#[utoipa::path(put, path = "/api/v1/byok/keys/{provider}/policy", tag = "gateway", params(("provider" = String, Path), PaymentOwner),
    request_body = ByokPolicy, responses((status = 200, body = ByokKey), (status = 404), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn policy(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(provider): Path<String>,
    ApiQuery(q): ApiQuery<PaymentOwner>,
    ApiJson(input): ApiJson<ByokPolicy>,
) -> Result<Json<ByokKey>, HttpError> {
    let org = q.org_id.as_deref();
    Ok(Json(
        byok::set_policy(&state.gateway, &ctx, org, &provider, &input.policy).await?,
    ))
}

/// Remove your key for a provider.
#[utoipa::path(delete, path = "/api/v1/byok/keys/{provider}", tag = "gateway", params(("provider" = String, Path), PaymentOwner),
    responses((status = 204), (status = 404)), security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(provider): Path<String>,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<StatusCode, HttpError> {
    byok::delete(&state.gateway, &ctx, q.org_id.as_deref(), &provider).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What your keys served: requests, tokens, the list price and what was charged.
#[utoipa::path(get, path = "/api/v1/byok/stats", tag = "gateway", params(PaymentOwner),
    responses((status = 200, body = ByokStats)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn stats(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<ByokStats>, HttpError> {
    Ok(Json(ByokStats {
        stats: byok::stats(&state.gateway, &ctx, q.org_id.as_deref()).await?,
    }))
}
