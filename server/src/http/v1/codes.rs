//! `/api/v1/credits/coupons/*`: redemption codes and coupons. Billing administrators make
//! batches (generated codes are in the answer, once), list, withdraw and export them;
//! customers check and redeem codes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ops_auth::{AuthCtx, HttpError};
use ops_billing::codes;
use ops_types::{CodeBatch, CodeBatchCreated, CodeBatchInput, CodeCheck, Redeem};

use crate::http::export;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// Make a batch of credit codes, or a coupon. The codes are in this answer and nowhere else.
#[utoipa::path(post, path = "/api/v1/credits/coupons/create", tag = "billing", request_body = CodeBatchInput,
    responses((status = 201, body = CodeBatchCreated), (status = 409), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn create(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<CodeBatchInput>,
) -> Result<(StatusCode, Json<CodeBatchCreated>), HttpError> {
    let made = codes::create(&state.db, &ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Every batch, newest first, with its redemptions.
#[utoipa::path(get, path = "/api/v1/credits/coupons", tag = "billing",
    responses((status = 200, body = Vec<CodeBatch>)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<CodeBatch>>, HttpError> {
    Ok(Json(codes::list(&state.db, &ctx).await?))
}

/// Withdraw a batch: its codes are refused from now on (coupons already applied stay).
#[utoipa::path(delete, path = "/api/v1/credits/coupons/{id}", tag = "billing",
    params(("id" = String, Path, description = "batch id")),
    responses((status = 200, body = CodeBatch), (status = 404), (status = 409)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn revoke(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Json<CodeBatch>, HttpError> {
    Ok(Json(codes::revoke(&state.db, &ctx, &id).await?))
}

/// The batch's codes as CSV: each one's last characters, uses and who redeemed it.
#[utoipa::path(get, path = "/api/v1/credits/coupons/{id}/codes", tag = "billing",
    params(("id" = String, Path, description = "batch id")),
    responses((status = 200, content_type = "text/csv"), (status = 404)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn export_codes(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let uses = codes::uses(&state.db, &ctx, &id).await?;
    export::csv(
        &format!("codes-{id}.csv"),
        &["code_ends_with", "uses", "redeemed_by"],
        uses.into_iter()
            .map(|u| vec![u.hint, u.uses.to_string(), u.redeemed_by.join(" ")]),
    )
}

/// What a code gives, if it can still be redeemed (404 unknown, 422 used up, expired or
/// withdrawn).
#[utoipa::path(get, path = "/api/v1/credits/coupons/validate/{code}", tag = "billing",
    params(("code" = String, Path, description = "the code")),
    responses((status = 200, body = CodeCheck), (status = 404), (status = 422)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn validate(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(code): Path<String>,
) -> Result<Json<CodeCheck>, HttpError> {
    Ok(Json(codes::check(&state.db, &ctx, &code).await?))
}

/// Redeem a code for your account (or an organisation's you manage billing for): credits in,
/// or a coupon on the subscription.
#[utoipa::path(post, path = "/api/v1/credits/coupons/redeem", tag = "billing", request_body = Redeem,
    responses((status = 201, body = CodeCheck), (status = 404), (status = 409), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn redeem(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<Redeem>,
) -> Result<(StatusCode, Json<CodeCheck>), HttpError> {
    let done = codes::redeem(&state.db, &ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(done)))
}
