//! Stripe: its settings for billing administrators, and the webhook receiver Stripe calls.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use ops_auth::{AuthCtx, HttpError};
use ops_billing::stripe::{self, webhook};
use ops_types::{StripeSettings, StripeSettingsInput, WebhookAck};

use crate::http::json::ApiJson;
use crate::state::AppState;

/// Receives Stripe's events. Verified by the `Stripe-Signature` header against the webhook
/// signing secret (400 and nothing done without one, or when it does not match, or when its
/// timestamp is more than 5 minutes off); each event is acted on once.
#[utoipa::path(post, path = "/api/v1/webhooks/stripe", tag = "billing",
    request_body(content = String, content_type = "application/json", description = "the event, exactly as Stripe signed it"),
    params(("Stripe-Signature" = String, Header, description = "t=…,v1=…")),
    responses((status = 200, body = WebhookAck), (status = 400, description = "not verified: nothing done")))]
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAck>, HttpError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    Ok(Json(
        webhook::receive(&state.db, &state.secrets, signature, &body).await?,
    ))
}

/// The Stripe settings: publishable key, hints of the secrets, whether payments can be taken.
#[utoipa::path(get, path = "/api/v1/admin/settings/stripe", tag = "billing",
    responses((status = 200, body = StripeSettings)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn get_settings(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<StripeSettings>, HttpError> {
    Ok(Json(stripe::settings(&state.db, &ctx).await?))
}

/// Change them. Secrets are sealed at rest and never shown again (a hint only); leave one
/// out to keep it.
#[utoipa::path(put, path = "/api/v1/admin/settings/stripe", tag = "billing", request_body = StripeSettingsInput,
    responses((status = 200, body = StripeSettings), (status = 422)), security(("session" = ["billing_manage"]), ("api_key" = ["billing_manage"])))]
pub async fn put_settings(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<StripeSettingsInput>,
) -> Result<Json<StripeSettings>, HttpError> {
    Ok(Json(
        stripe::save(&state.db, &ctx, &state.secrets, &input).await?,
    ))
}
