//! `/api/v1/admin/subscriptions/*` (`billing_manage`): every subscription, one in full,
//! suspend, reactivate and reset usage; revenue analytics as JSON and CSV.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use ops_auth::{AuthCtx, HttpError};
use ops_billing::revenue;
use ops_billing::subscription::admin::{self, Act};
use ops_types::{
    AdminAction, AdminSubscriptionDetail, AdminSubscriptionPage, AdminSubscriptionQuery,
    PlanRevenue, RevenueOverview, decimal_amount,
};

use crate::http::export;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// Subscriptions, newest first, filtered by owner, plan and status.
#[utoipa::path(get, path = "/api/v1/admin/subscriptions/list", tag = "billing", params(AdminSubscriptionQuery),
    responses((status = 200, body = AdminSubscriptionPage)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<AdminSubscriptionQuery>,
) -> Result<Json<AdminSubscriptionPage>, HttpError> {
    Ok(Json(admin::list(&state.db, &ctx, &q).await?))
}

/// One subscription (by id, or by its user's e-mail) with its entitlements and history.
#[utoipa::path(get, path = "/api/v1/admin/subscriptions/{id}", tag = "billing",
    params(("id" = String, Path, description = "subscription id or the user's e-mail")),
    responses((status = 200, body = AdminSubscriptionDetail), (status = 404)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn get(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Json<AdminSubscriptionDetail>, HttpError> {
    Ok(Json(admin::detail(&state.db, &ctx, &id).await?))
}

async fn act(
    state: AppState,
    ctx: AuthCtx,
    id: String,
    what: Act,
    input: AdminAction,
) -> Result<Json<AdminSubscriptionDetail>, HttpError> {
    Ok(Json(admin::act(&state.db, &ctx, &id, what, &input).await?))
}

/// Suspend: nothing may be used until it is reactivated; renewals stop.
#[utoipa::path(post, path = "/api/v1/admin/subscriptions/{id}/suspend", tag = "billing", request_body = AdminAction,
    params(("id" = String, Path, description = "subscription id or the user's e-mail")),
    responses((status = 200, body = AdminSubscriptionDetail), (status = 404), (status = 409), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn suspend(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AdminAction>,
) -> Result<Json<AdminSubscriptionDetail>, HttpError> {
    act(state, ctx, id, Act::Suspend, input).await
}

/// Lift a suspension.
#[utoipa::path(post, path = "/api/v1/admin/subscriptions/{id}/reactivate", tag = "billing", request_body = AdminAction,
    params(("id" = String, Path, description = "subscription id or the user's e-mail")),
    responses((status = 200, body = AdminSubscriptionDetail), (status = 404), (status = 409), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn reactivate(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AdminAction>,
) -> Result<Json<AdminSubscriptionDetail>, HttpError> {
    act(state, ctx, id, Act::Resume, input).await
}

/// Zero this period's usage counters (the requests allowance starts again).
#[utoipa::path(post, path = "/api/v1/admin/subscriptions/{id}/reset-usage", tag = "billing", request_body = AdminAction,
    params(("id" = String, Path, description = "subscription id or the user's e-mail")),
    responses((status = 200, body = AdminSubscriptionDetail), (status = 404), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn reset_usage(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AdminAction>,
) -> Result<Json<AdminSubscriptionDetail>, HttpError> {
    act(state, ctx, id, Act::ResetUsage, input).await
}

/// MRR, ARR, ARPU, subscribers by status, credit liability, revenue by plan and the last
/// twelve months.
#[utoipa::path(get, path = "/api/v1/admin/subscriptions/analytics/overview", tag = "billing",
    responses((status = 200, body = RevenueOverview)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn overview(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<RevenueOverview>, HttpError> {
    Ok(Json(revenue::overview(&state.db, &ctx).await?))
}

/// Subscribers and MRR per plan.
#[utoipa::path(get, path = "/api/v1/admin/subscriptions/analytics/revenue-by-tier", tag = "billing",
    responses((status = 200, body = Vec<PlanRevenue>)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn by_plan(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<PlanRevenue>>, HttpError> {
    Ok(Json(revenue::overview(&state.db, &ctx).await?.by_plan))
}

/// The last twelve months as CSV: revenue collected, new and churned subscriptions.
#[utoipa::path(get, path = "/api/v1/admin/subscriptions/analytics/export", tag = "billing",
    responses((status = 200, content_type = "text/csv")), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn export(State(state): State<AppState>, ctx: AuthCtx) -> Result<Response, HttpError> {
    let o = revenue::overview(&state.db, &ctx).await?;
    export::csv(
        "revenue.csv",
        &["month", "revenue_usd", "new", "churned"],
        o.months.into_iter().map(|m| {
            vec![
                m.month,
                decimal_amount(m.revenue),
                m.new.to_string(),
                m.churned.to_string(),
            ]
        }),
    )
}
