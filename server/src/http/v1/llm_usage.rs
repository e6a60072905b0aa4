//! `/api/v1/llm/usage/*` and `/api/v1/llm/requests`: what went through the AI gateway — yours
//! (or an organisation's), or with `scope=all` everyone's (gateway managers) — from the daily
//! rollups; and the request log, which explains every charge and refusal.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use ops_auth::{AuthCtx, HttpError};
use ops_gateway::usage::{self, By};
use ops_types::{LlmRequestQuery, LlmRequests, LlmUsage, LlmUsageQuery};

use crate::http::export;
use crate::http::query::ApiQuery;
use crate::state::AppState;

async fn report(
    state: &AppState,
    ctx: &AuthCtx,
    q: &LlmUsageQuery,
    by: By,
) -> Result<Json<LlmUsage>, HttpError> {
    Ok(Json(usage::report(&state.gateway, ctx, q, by).await?))
}

/// Totals, and every day of the period (the trend).
#[utoipa::path(get, path = "/api/v1/llm/usage/overview", tag = "gateway", params(LlmUsageQuery),
    responses((status = 200, body = LlmUsage)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn overview(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmUsageQuery>,
) -> Result<Json<LlmUsage>, HttpError> {
    report(&state, &ctx, &q, By::Day).await
}

/// By model, costliest first.
#[utoipa::path(get, path = "/api/v1/llm/usage/by-model", tag = "gateway", params(LlmUsageQuery),
    responses((status = 200, body = LlmUsage)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn by_model(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmUsageQuery>,
) -> Result<Json<LlmUsage>, HttpError> {
    report(&state, &ctx, &q, By::Model).await
}

/// By user.
#[utoipa::path(get, path = "/api/v1/llm/usage/by-user", tag = "gateway", params(LlmUsageQuery),
    responses((status = 200, body = LlmUsage)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn by_user(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmUsageQuery>,
) -> Result<Json<LlmUsage>, HttpError> {
    report(&state, &ctx, &q, By::User).await
}

/// By paying account (organisation, or user for personal keys).
#[utoipa::path(get, path = "/api/v1/llm/usage/by-org", tag = "gateway", params(LlmUsageQuery),
    responses((status = 200, body = LlmUsage)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn by_org(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmUsageQuery>,
) -> Result<Json<LlmUsage>, HttpError> {
    report(&state, &ctx, &q, By::Org).await
}

/// By API key.
#[utoipa::path(get, path = "/api/v1/llm/usage/by-key", tag = "gateway", params(LlmUsageQuery),
    responses((status = 200, body = LlmUsage)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn by_key(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmUsageQuery>,
) -> Result<Json<LlmUsage>, HttpError> {
    report(&state, &ctx, &q, By::Key).await
}

/// By provider.
#[utoipa::path(get, path = "/api/v1/llm/usage/by-provider", tag = "gateway", params(LlmUsageQuery),
    responses((status = 200, body = LlmUsage)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn by_provider(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmUsageQuery>,
) -> Result<Json<LlmUsage>, HttpError> {
    report(&state, &ctx, &q, By::Provider).await
}

/// Every day of the period as CSV.
#[utoipa::path(get, path = "/api/v1/llm/usage/export", tag = "gateway", params(LlmUsageQuery),
    responses((status = 200, content_type = "text/csv")), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn export(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmUsageQuery>,
) -> Result<Response, HttpError> {
    let r = usage::report(&state.gateway, &ctx, &q, By::Day).await?;
    export::csv(
        &format!("ai-usage-{}-{}.csv", r.from, r.to),
        &[
            "day",
            "requests",
            "errors",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "list_cost_usd",
            "avg_latency_ms",
        ],
        r.rows.into_iter().map(|row| {
            vec![
                row.key,
                row.requests.to_string(),
                row.errors.to_string(),
                row.input_tokens.to_string(),
                row.output_tokens.to_string(),
                ops_types::decimal_amount(row.cost),
                ops_types::decimal_amount(row.list_cost),
                row.avg_latency_ms.to_string(),
            ]
        }),
    )
}

/// The request log, newest first: each request's tokens, cost and the formula behind it, every
/// attempt, or what refused it and when that limit resets.
#[utoipa::path(get, path = "/api/v1/llm/requests", tag = "gateway", params(LlmRequestQuery),
    responses((status = 200, body = LlmRequests)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn requests(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LlmRequestQuery>,
) -> Result<Json<LlmRequests>, HttpError> {
    Ok(Json(usage::requests(&state.gateway, &ctx, &q).await?))
}
