//! `/api/v1/billing/*`: invoices (list, detail, PDF), the billing cycle and a summary; the
//! billing details invoices are issued under; refunds as credit notes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ops_auth::{AuthCtx, HttpError};
use ops_billing::{invoice, summary};
use ops_types::{
    BillingCycle, BillingSettings, BillingSummary, CreditNote, Invoice, InvoiceSummary,
    RefundRequest, SubscriptionQuery,
};

use crate::http::export;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// Your invoices (or your organisation's), newest first.
#[utoipa::path(get, path = "/api/v1/billing/invoices", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = Vec<InvoiceSummary>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn invoices(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<Vec<InvoiceSummary>>, HttpError> {
    Ok(Json(invoice::list(&state.db, &ctx, &q).await?))
}

/// One invoice (by id or number) with its lines and credit notes.
#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}", tag = "billing",
    params(("id" = String, Path, description = "invoice id or number")),
    responses((status = 200, body = Invoice), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn get_invoice(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Json<Invoice>, HttpError> {
    Ok(Json(invoice::get(&state.db, &ctx, &id).await?))
}

/// The invoice as a PDF.
#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}/download", tag = "billing",
    params(("id" = String, Path, description = "invoice id or number")),
    responses((status = 200, content_type = "application/pdf"), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn download(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let (number, body) = invoice::pdf(&state.db, &ctx, &id).await?;
    Ok(export::pdf(&format!("invoice-{number}.pdf"), body))
}

/// The current billing period: plan, dates, days left, next charge.
#[utoipa::path(get, path = "/api/v1/billing/cycle", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = BillingCycle)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn cycle(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<BillingCycle>, HttpError> {
    Ok(Json(summary::cycle(&state.db, &ctx, &q).await?))
}

/// Credits, this period's usage, this year's invoices and the next charge.
#[utoipa::path(get, path = "/api/v1/billing/summary", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = BillingSummary)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn summary(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<BillingSummary>, HttpError> {
    Ok(Json(summary::summary(&state.db, &ctx, &q).await?))
}

/// Who issues invoices and the tax they carry.
#[utoipa::path(get, path = "/api/v1/admin/settings/billing", tag = "billing",
    responses((status = 200, body = BillingSettings)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn get_settings(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<BillingSettings>, HttpError> {
    Ok(Json(invoice::settings(&state.db, &ctx).await?))
}

/// Change them; invoices already issued keep what they were issued with.
#[utoipa::path(put, path = "/api/v1/admin/settings/billing", tag = "billing", request_body = BillingSettings,
    responses((status = 200, body = BillingSettings), (status = 422)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn put_settings(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<BillingSettings>,
) -> Result<Json<BillingSettings>, HttpError> {
    Ok(Json(invoice::save_settings(&state.db, &ctx, &input).await?))
}

/// Refund against one of the subscription's invoices: a credit note, and the amount back into
/// the account's bought credits.
#[utoipa::path(post, path = "/api/v1/admin/subscriptions/{id}/refund", tag = "billing", request_body = RefundRequest,
    params(("id" = String, Path, description = "subscription id or the user's e-mail")),
    responses((status = 201, body = CreditNote), (status = 404), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn refund(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RefundRequest>,
) -> Result<(StatusCode, Json<CreditNote>), HttpError> {
    let note = invoice::refund(&state.db, &state.secrets, &ctx, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(note)))
}
