//! Card payments: saved cards, credit packs and plan changes through Checkout, the customer
//! portal, auto top-up, and the pack catalogue for billing administrators.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{
    ApiError, AutoTopup, AutoTopupInput, CardSaved, CardSetup, CheckoutOutcome, CreditPack,
    CreditPacks, PackPurchase, PaymentMethods, PlanCheckout, Redirect,
};

#[server(prefix = "/api/ui", endpoint = "list_cards")]
pub async fn list_cards(org_id: Option<String>) -> Result<PaymentMethods, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(
        ops_billing::stripe::cards::list(&state.db, &state.secrets, &ctx, org_id.as_deref())
            .await?,
    )
}

#[server(prefix = "/api/ui", endpoint = "start_card_setup")]
pub async fn start_card_setup(org_id: Option<String>) -> Result<CardSetup, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(
        ops_billing::stripe::cards::setup(&state.db, &state.secrets, &ctx, org_id.as_deref())
            .await?,
    )
}

#[server(prefix = "/api/ui", endpoint = "save_card", input = Json)]
pub async fn save_card(input: CardSaved) -> Result<PaymentMethods, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(ops_billing::stripe::cards::save(&state.db, &state.secrets, &ctx, &input).await?)
}

#[server(prefix = "/api/ui", endpoint = "default_card")]
pub async fn default_card(org_id: Option<String>, id: String) -> Result<PaymentMethods, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    let org = org_id.as_deref();
    Ok(ops_billing::stripe::cards::set_default(&state.db, &state.secrets, &ctx, org, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "remove_card")]
pub async fn remove_card(org_id: Option<String>, id: String) -> Result<PaymentMethods, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    let org = org_id.as_deref();
    Ok(ops_billing::stripe::cards::remove(&state.db, &state.secrets, &ctx, org, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "card_portal")]
pub async fn card_portal(org_id: Option<String>) -> Result<Redirect, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    let org = org_id.as_deref();
    Ok(
        ops_billing::stripe::checkout::portal(
            &state.db,
            &state.secrets,
            &ctx,
            org,
            &state.base_url,
        )
        .await?,
    )
}

#[server(prefix = "/api/ui", endpoint = "list_packs")]
pub async fn list_packs() -> Result<CreditPacks, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(ops_billing::packs::list(&state.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_packs", input = Json)]
pub async fn save_packs(packs: Vec<CreditPack>) -> Result<CreditPacks, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(ops_billing::packs::save(&state.db, &ctx, &packs).await?)
}

#[server(prefix = "/api/ui", endpoint = "buy_pack", input = Json)]
pub async fn buy_pack(input: PackPurchase) -> Result<Redirect, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(ops_billing::stripe::checkout::buy_pack(
        &state.db,
        &state.secrets,
        &ctx,
        &input,
        &state.base_url,
    )
    .await?)
}

#[server(prefix = "/api/ui", endpoint = "checkout_plan", input = Json)]
pub async fn checkout_plan(input: PlanCheckout) -> Result<Redirect, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(ops_billing::stripe::checkout::buy_plan(
        &state.db,
        &state.secrets,
        &ctx,
        &input,
        &state.base_url,
    )
    .await?)
}

#[server(prefix = "/api/ui", endpoint = "get_checkout_outcome")]
pub async fn get_checkout_outcome(
    org_id: Option<String>,
    id: String,
) -> Result<CheckoutOutcome, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    let org = org_id.as_deref();
    Ok(ops_billing::stripe::checkout::outcome(&state.db, &state.secrets, &ctx, org, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_auto_topup")]
pub async fn get_auto_topup(org_id: Option<String>) -> Result<AutoTopup, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(ops_billing::stripe::charge::settings(&state.db, &ctx, org_id.as_deref()).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_auto_topup", input = Json)]
pub async fn save_auto_topup(input: AutoTopupInput) -> Result<AutoTopup, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    Ok(ops_billing::stripe::charge::save(&state.db, &state.secrets, &ctx, &input).await?)
}
