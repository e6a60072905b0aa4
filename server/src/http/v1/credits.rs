//! `/api/v1/credits/*`: balances and the ledger's history (yours, your organisation's, or
//! anyone's for billing administrators); administrators grant and deduct credits; the ledger
//! check. Money-moving requests take an `Idempotency-Key` header: a retry moves nothing again
//! and gets the first answer (200 instead of 201).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ops_auth::{AuthCtx, HttpError};
use ops_billing::{admin, check, query};
use ops_types::{
    CreditAccount, CreditBalance, CreditDeduct, CreditGrant, LedgerCheck, LedgerEntry, LedgerPage,
    LedgerQuery,
};

use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, HttpError> {
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map_err(|_| {
                ops_billing::BillingError::invalid("idempotency_key", "printable ASCII").into()
            })
        })
        .transpose()
}

fn created(entry: LedgerEntry) -> (StatusCode, Json<LedgerEntry>) {
    let status = if entry.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, Json(entry))
}

/// Paid and granted credits left, and the next expiry.
#[utoipa::path(get, path = "/api/v1/credits/balance", tag = "billing", params(LedgerQuery),
    responses((status = 200, body = CreditBalance), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn balance(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Json<CreditBalance>, HttpError> {
    Ok(Json(query::balance(&state.db, &ctx, &q).await?))
}

/// The ledger, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/credits/transactions", tag = "billing", params(LedgerQuery),
    responses((status = 200, body = LedgerPage), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn transactions(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Json<LedgerPage>, HttpError> {
    Ok(Json(query::history(&state.db, &ctx, &q).await?))
}

/// Credit a user's or an organisation's account (a new lot: paid or granted, optional expiry
/// and priority), with a reason.
#[utoipa::path(post, path = "/api/v1/credits/allocate", tag = "billing", request_body = CreditGrant,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = LedgerEntry), (status = 200, body = LedgerEntry, description = "a retry: nothing moved"),
        (status = 404), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn allocate(
    State(state): State<AppState>,
    ctx: AuthCtx,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CreditGrant>,
) -> Result<(StatusCode, Json<LedgerEntry>), HttpError> {
    let key = idempotency_key(&headers)?;
    Ok(created(admin::grant(&state.db, &ctx, &input, key).await?))
}

/// Take credits out of an account (spent in priority order), with a reason; 402 when the
/// account holds less.
#[utoipa::path(post, path = "/api/v1/credits/deduct", tag = "billing", request_body = CreditDeduct,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = LedgerEntry), (status = 200, body = LedgerEntry, description = "a retry: nothing moved"),
        (status = 402, description = "not enough credits"), (status = 404), (status = 422)),
    security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn deduct(
    State(state): State<AppState>,
    ctx: AuthCtx,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CreditDeduct>,
) -> Result<(StatusCode, Json<LedgerEntry>), HttpError> {
    let key = idempotency_key(&headers)?;
    Ok(created(admin::deduct(&state.db, &ctx, &input, key).await?))
}

/// Recompute every balance from the ledger and report disagreements; totals owed.
#[utoipa::path(post, path = "/api/v1/admin/credits/check", tag = "billing",
    responses((status = 200, body = LedgerCheck)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn ledger_check(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<LedgerCheck>, HttpError> {
    Ok(Json(check::check(&state.db, &ctx).await?))
}

/// The accounts holding the most credits (200 at most), with their owners' names.
#[utoipa::path(get, path = "/api/v1/admin/credits/accounts", tag = "billing",
    responses((status = 200, body = Vec<CreditAccount>)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn accounts(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<CreditAccount>>, HttpError> {
    Ok(Json(query::accounts(&state.db, &ctx).await?))
}
