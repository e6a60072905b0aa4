//! `/api/v1/usage/*`: recording metered requests (idempotent by event id, checked against the
//! plan, charged to the ledger) and the reports: this period, limits, per day, CSV.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use ops_auth::{AuthCtx, HttpError};
use ops_billing::usage;
use ops_types::{Limit, ServiceUsage, UsageCurrent, UsageDay, UsageLog, UsageQuery, UsageRecord};

use crate::http::export;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// Record one metered request: 201; 200 for a retry with the same `event_id`; 402 or 429
/// (naming the limit, the amount used and when it resets) when the plan refuses.
#[utoipa::path(post, path = "/api/v1/usage/log", tag = "billing", request_body = UsageLog,
    responses((status = 201, body = UsageRecord), (status = 200, body = UsageRecord, description = "a retry: nothing recorded again"),
        (status = 402), (status = 429), (status = 422)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn log(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<UsageLog>,
) -> Result<(StatusCode, Json<UsageRecord>), HttpError> {
    let rec = usage::log(&state.db, &ctx, &input).await?;
    let status = if rec.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(rec)))
}

/// This period so far: by service, the limits, and when they reset.
#[utoipa::path(get, path = "/api/v1/usage/current", tag = "billing", params(UsageQuery),
    responses((status = 200, body = UsageCurrent)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn current(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<UsageCurrent>, HttpError> {
    Ok(Json(usage::current(&state.db, &ctx, &q).await?))
}

/// This period's usage by service.
#[utoipa::path(get, path = "/api/v1/usage/by-service", tag = "billing", params(UsageQuery),
    responses((status = 200, body = Vec<ServiceUsage>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn by_service(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<Vec<ServiceUsage>>, HttpError> {
    Ok(Json(usage::current(&state.db, &ctx, &q).await?.services))
}

/// The allowances: used, limit, when each resets and when the pace reaches it.
#[utoipa::path(get, path = "/api/v1/usage/limits", tag = "billing", params(UsageQuery),
    responses((status = 200, body = Vec<Limit>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn limits(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<Vec<Limit>>, HttpError> {
    Ok(Json(usage::current(&state.db, &ctx, &q).await?.limits))
}

/// Requests and cost per day (UTC), every day of the range.
#[utoipa::path(get, path = "/api/v1/usage/history", tag = "billing", params(UsageQuery),
    responses((status = 200, body = Vec<UsageDay>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn history(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<Vec<UsageDay>>, HttpError> {
    Ok(Json(usage::history(&state.db, &ctx, &q).await?))
}

/// The events of the range as CSV.
#[utoipa::path(get, path = "/api/v1/usage/export", tag = "billing", params(UsageQuery),
    responses((status = 200, content_type = "text/csv")), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn export(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Response, HttpError> {
    let events = usage::export(&state.db, &ctx, &q).await?;
    let day = ops_types::date_of_ms(ops_db::now_ms());
    export::csv(
        &format!("usage-{day}.csv"),
        &[
            "time", "event_id", "service", "model", "quantity", "cost_usd",
        ],
        events.into_iter().map(|e| {
            vec![
                ops_types::date_time_of_ms(e.created_at),
                e.event_id,
                e.service,
                e.model.unwrap_or_default(),
                e.quantity.to_string(),
                ops_types::decimal_amount(e.cost),
            ]
        }),
    )
}
