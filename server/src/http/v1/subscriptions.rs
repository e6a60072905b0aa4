//! `/api/v1/subscriptions/*`: the plan catalogue (edited by billing administrators), the
//! caller's (or their organisation's) subscription and entitlements, plan changes with their
//! proration preview, cancellation and reactivation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use ops_auth::{AuthCtx, HttpError};
use ops_billing::subscription::{self, Expect};
use ops_billing::{access, plans};
use ops_types::{
    AccessCheck, CancelRequest, ChangePreview, Plan, PlanChange, SERVICES, Subscription,
    SubscriptionEvent, SubscriptionQuery,
};
use serde::Serialize;

use super::credits::idempotency_key;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// The plans on offer (every plan, with subscriber counts, for billing administrators).
#[utoipa::path(get, path = "/api/v1/subscriptions/plans", tag = "billing",
    responses((status = 200, body = Vec<Plan>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn list_plans(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<Plan>>, HttpError> {
    Ok(Json(plans::list(&state.db, &ctx).await?))
}

/// One plan.
#[utoipa::path(get, path = "/api/v1/subscriptions/plans/{code}", tag = "billing",
    params(("code" = String, Path, description = "plan code")),
    responses((status = 200, body = Plan), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn get_plan(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(code): Path<String>,
) -> Result<Json<Plan>, HttpError> {
    Ok(Json(plans::get(&state.db, &ctx, &code).await?))
}

/// Create a plan.
#[utoipa::path(post, path = "/api/v1/subscriptions/plans", tag = "billing", request_body = Plan,
    responses((status = 201, body = Plan), (status = 409), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn create_plan(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<Plan>,
) -> Result<(StatusCode, Json<Plan>), HttpError> {
    let plan = plans::create(&state.db, &ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Change a plan (everything but its code); subscribers get new prices from their next renewal.
#[utoipa::path(put, path = "/api/v1/subscriptions/plans/{code}", tag = "billing", request_body = Plan,
    params(("code" = String, Path, description = "plan code")),
    responses((status = 200, body = Plan), (status = 404), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn update_plan(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<Plan>,
) -> Result<Json<Plan>, HttpError> {
    Ok(Json(plans::update(&state.db, &ctx, &code, &input).await?))
}

/// Delete a plan nobody is on (409 otherwise: hide it instead).
#[utoipa::path(delete, path = "/api/v1/subscriptions/plans/{code}", tag = "billing",
    params(("code" = String, Path, description = "plan code")),
    responses((status = 204), (status = 404), (status = 409)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn delete_plan(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(code): Path<String>,
) -> Result<StatusCode, HttpError> {
    plans::delete(&state.db, &ctx, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceInfo {
    pub code: &'static str,
    pub description: &'static str,
}

/// The services plans can open.
#[utoipa::path(get, path = "/api/v1/subscriptions/services", tag = "billing",
    responses((status = 200, body = Vec<ServiceInfo>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn services(ctx: AuthCtx) -> Result<Json<Vec<ServiceInfo>>, HttpError> {
    ctx.require(ops_types::Permission::AccountRead)?;
    Ok(Json(
        SERVICES
            .iter()
            .map(|(code, description)| ServiceInfo { code, description })
            .collect(),
    ))
}

/// Your subscription (or your organisation's): plan, period, what is scheduled, and the
/// entitlements in force with what is left of each allowance.
#[utoipa::path(get, path = "/api/v1/subscriptions/current", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = Subscription)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn current(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<Subscription>, HttpError> {
    Ok(Json(subscription::current(&state.db, &ctx, &q).await?))
}

/// The same as `/current`, under the original's name.
#[utoipa::path(get, path = "/api/v1/subscriptions/my-access", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = Subscription)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn my_access(
    state: State<AppState>,
    ctx: AuthCtx,
    q: ApiQuery<SubscriptionQuery>,
) -> Result<Json<Subscription>, HttpError> {
    current(state, ctx, q).await
}

/// May this account use `service` now? 200 either way, with the reason and the limit when not.
#[utoipa::path(post, path = "/api/v1/subscriptions/check-access/{service}", tag = "billing",
    params(("service" = String, Path, description = "a service from /services"), SubscriptionQuery),
    responses((status = 200, body = AccessCheck), (status = 404, description = "unknown service")),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn check_access(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(service): Path<String>,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<AccessCheck>, HttpError> {
    Ok(Json(access::check(&state.db, &ctx, &service, &q).await?))
}

/// The exact effect of a change (proration lines, total, when), before confirming it.
#[utoipa::path(get, path = "/api/v1/subscriptions/preview-change", tag = "billing", params(PlanChange),
    responses((status = 200, body = ChangePreview), (status = 409), (status = 422)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn preview_change(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PlanChange>,
) -> Result<Json<ChangePreview>, HttpError> {
    Ok(Json(subscription::preview(&state.db, &ctx, &q).await?))
}

async fn apply(
    state: &AppState,
    ctx: &AuthCtx,
    headers: &HeaderMap,
    input: &PlanChange,
    expect: Expect,
) -> Result<(StatusCode, Json<Subscription>), HttpError> {
    let key = idempotency_key(headers)?;
    let (sub, replayed) = subscription::change(&state.db, ctx, input, key, expect).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(sub)))
}

/// Change plan: an upgrade applies now, prorated and paid from bought credits (402 when they
/// fall short); a downgrade is scheduled for the period's end; a first paid plan starts its
/// trial. Takes an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/subscriptions/change", tag = "billing", request_body = PlanChange,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = Subscription), (status = 200, body = Subscription, description = "a retry: nothing changed"),
        (status = 402), (status = 409), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn change(
    State(state): State<AppState>,
    ctx: AuthCtx,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PlanChange>,
) -> Result<(StatusCode, Json<Subscription>), HttpError> {
    apply(&state, &ctx, &headers, &input, Expect::Any).await
}

/// `/change`, refusing anything that is not an upgrade (or a trial).
#[utoipa::path(post, path = "/api/v1/subscriptions/upgrade", tag = "billing", request_body = PlanChange,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = Subscription), (status = 402), (status = 409), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn upgrade(
    State(state): State<AppState>,
    ctx: AuthCtx,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PlanChange>,
) -> Result<(StatusCode, Json<Subscription>), HttpError> {
    apply(&state, &ctx, &headers, &input, Expect::Upgrade).await
}

/// `/change`, refusing anything that is not a downgrade.
#[utoipa::path(post, path = "/api/v1/subscriptions/downgrade", tag = "billing", request_body = PlanChange,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = Subscription), (status = 409), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn downgrade(
    State(state): State<AppState>,
    ctx: AuthCtx,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PlanChange>,
) -> Result<(StatusCode, Json<Subscription>), HttpError> {
    apply(&state, &ctx, &headers, &input, Expect::Downgrade).await
}

/// Cancel at the period's end (a trial ends now), with an optional reason.
#[utoipa::path(post, path = "/api/v1/subscriptions/cancel", tag = "billing", request_body = CancelRequest,
    responses((status = 200, body = Subscription), (status = 409)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn cancel(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<CancelRequest>,
) -> Result<Json<Subscription>, HttpError> {
    Ok(Json(subscription::cancel(&state.db, &ctx, &input).await?))
}

/// Undo a scheduled cancellation or downgrade; for an overdue plan, pay now.
#[utoipa::path(post, path = "/api/v1/subscriptions/reactivate", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = Subscription), (status = 402), (status = 409)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn reactivate(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<Subscription>, HttpError> {
    Ok(Json(subscription::reactivate(&state.db, &ctx, &q).await?))
}

/// What happened to the subscription, newest first.
#[utoipa::path(get, path = "/api/v1/subscriptions/history", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = Vec<SubscriptionEvent>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn history(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<Vec<SubscriptionEvent>>, HttpError> {
    Ok(Json(subscription::history(&state.db, &ctx, &q).await?))
}
