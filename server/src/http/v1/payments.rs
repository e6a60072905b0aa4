//! Card payments through Stripe: saved cards (`/api/v1/billing/payment-methods`), Checkout for
//! credit packs and plan changes, the customer portal, auto top-up, and the credit pack
//! catalogue. Each takes `org_id` for an organisation's account (its owners and billing admins).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError};
use ops_billing::packs;
use ops_billing::stripe::{cards, charge, checkout};
use ops_types::{
    AutoTopup, AutoTopupInput, CardSaved, CardSetup, CheckoutOutcome, CreditPacks,
    CreditPacksInput, PackPurchase, PaymentMethods, PaymentOwner, PlanCheckout, Redirect,
};

use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// Your saved cards (or your organisation's); `available: false` when card payments are not set
/// up on this server.
#[utoipa::path(get, path = "/api/v1/billing/payment-methods", tag = "billing", params(PaymentOwner),
    responses((status = 200, body = PaymentMethods)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<PaymentMethods>, HttpError> {
    Ok(Json(
        cards::list(&state.db, &state.secrets, &ctx, q.org_id.as_deref()).await?,
    ))
}

/// Start adding a card: a SetupIntent for Stripe.js's `confirmCardSetup`, which collects the
/// card in the browser (its number never reaches this server).
#[utoipa::path(post, path = "/api/v1/billing/payment-methods/setup-intent", tag = "billing", params(PaymentOwner),
    responses((status = 200, body = CardSetup), (status = 409, description = "card payments are not set up")),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn setup(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<CardSetup>, HttpError> {
    Ok(Json(
        cards::setup(&state.db, &state.secrets, &ctx, q.org_id.as_deref()).await?,
    ))
}

/// Save the card of a confirmed SetupIntent; the first card becomes the default.
#[utoipa::path(post, path = "/api/v1/billing/payment-methods", tag = "billing", request_body = CardSaved,
    responses((status = 201, body = PaymentMethods), (status = 404), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn save(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<CardSaved>,
) -> Result<(StatusCode, Json<PaymentMethods>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(cards::save(&state.db, &state.secrets, &ctx, &input).await?),
    ))
}

/// Make a card the default (charged for renewals and auto top-ups).
#[utoipa::path(post, path = "/api/v1/billing/payment-methods/{id}/set-default", tag = "billing",
    params(("id" = String, Path, description = "pm_…"), PaymentOwner),
    responses((status = 200, body = PaymentMethods), (status = 404)), security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn set_default(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<PaymentMethods>, HttpError> {
    Ok(Json(
        cards::set_default(&state.db, &state.secrets, &ctx, q.org_id.as_deref(), &id).await?,
    ))
}

/// Remove a card; another becomes the default if it was.
#[utoipa::path(delete, path = "/api/v1/billing/payment-methods/{id}", tag = "billing",
    params(("id" = String, Path, description = "pm_…"), PaymentOwner),
    responses((status = 200, body = PaymentMethods), (status = 404)), security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn remove(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<PaymentMethods>, HttpError> {
    Ok(Json(
        cards::remove(&state.db, &state.secrets, &ctx, q.org_id.as_deref(), &id).await?,
    ))
}

/// A Stripe customer portal session (cards and Stripe's receipts); send the browser to `url`.
#[utoipa::path(post, path = "/api/v1/billing/portal/create", tag = "billing", params(PaymentOwner),
    responses((status = 200, body = Redirect), (status = 409)), security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn portal(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<Redirect>, HttpError> {
    let base = state.base_url();
    Ok(Json(
        checkout::portal(&state.db, &state.secrets, &ctx, q.org_id.as_deref(), &base).await?,
    ))
}

/// Pay a plan change by card: a Checkout session for what it costs beyond the account's bought
/// credits; the change is made when Stripe reports the payment.
#[utoipa::path(post, path = "/api/v1/billing/subscriptions/checkout", tag = "billing", request_body = PlanCheckout,
    responses((status = 200, body = Redirect), (status = 409, description = "nothing to pay by card, or card payments are not set up"), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn plan_checkout(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<PlanCheckout>,
) -> Result<Json<Redirect>, HttpError> {
    let base = state.base_url();
    Ok(Json(
        checkout::buy_plan(&state.db, &state.secrets, &ctx, &input, &base).await?,
    ))
}

/// How a Checkout session ended; a paid one is applied now if Stripe's webhook has not yet.
#[utoipa::path(get, path = "/api/v1/billing/checkout/{id}", tag = "billing",
    params(("id" = String, Path, description = "cs_…"), PaymentOwner),
    responses((status = 200, body = CheckoutOutcome), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn outcome(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<CheckoutOutcome>, HttpError> {
    Ok(Json(
        checkout::outcome(&state.db, &state.secrets, &ctx, q.org_id.as_deref(), &id).await?,
    ))
}

/// The credit packs on sale.
#[utoipa::path(get, path = "/api/v1/credits/packs", tag = "billing",
    responses((status = 200, body = CreditPacks)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn packs(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<CreditPacks>, HttpError> {
    Ok(Json(packs::list(&state.db, &ctx).await?))
}

/// Replace the credit pack catalogue.
#[utoipa::path(put, path = "/api/v1/admin/credits/packs", tag = "billing", request_body = CreditPacksInput,
    responses((status = 200, body = CreditPacks), (status = 422)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn save_packs(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<CreditPacksInput>,
) -> Result<Json<CreditPacks>, HttpError> {
    Ok(Json(packs::save(&state.db, &ctx, &input.packs).await?))
}

/// Buy a credit pack: a Checkout session; send the browser to `url`. The credits arrive when
/// Stripe reports the payment.
#[utoipa::path(post, path = "/api/v1/credits/purchase", tag = "billing", request_body = PackPurchase,
    responses((status = 200, body = Redirect), (status = 409, description = "card payments are not set up"), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn purchase(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<PackPurchase>,
) -> Result<Json<Redirect>, HttpError> {
    let base = state.base_url();
    Ok(Json(
        checkout::buy_pack(&state.db, &state.secrets, &ctx, &input, &base).await?,
    ))
}

/// The account's auto top-up rule, this month's top-ups and the last failure.
#[utoipa::path(get, path = "/api/v1/credits/auto-topup", tag = "billing", params(PaymentOwner),
    responses((status = 200, body = AutoTopup)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn get_topup(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<PaymentOwner>,
) -> Result<Json<AutoTopup>, HttpError> {
    Ok(Json(
        charge::settings(&state.db, &ctx, q.org_id.as_deref()).await?,
    ))
}

/// Set the auto top-up rule: below `threshold`, charge the default card `amount`, at most
/// `monthly_cap` a calendar month.
#[utoipa::path(put, path = "/api/v1/credits/auto-topup", tag = "billing", request_body = AutoTopupInput,
    responses((status = 200, body = AutoTopup), (status = 409, description = "no card"), (status = 422)),
    security(("session" = ["account_write"]), ("api_key" = ["account_write"])))]
pub async fn put_topup(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<AutoTopupInput>,
) -> Result<Json<AutoTopup>, HttpError> {
    Ok(Json(
        charge::save(&state.db, &state.secrets, &ctx, &input).await?,
    ))
}
