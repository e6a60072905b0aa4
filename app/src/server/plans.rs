//! Plans, subscriptions and usage: the catalogue and its editor, the caller's (or their
//! organisation's) subscription with the proration preview, changes (each submission with its
//! own idempotency key), cancellation, reactivation, and usage figures.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{
    ApiError, CancelRequest, ChangePreview, Plan, PlanChange, Subscription, SubscriptionEvent,
    SubscriptionQuery, UsageCurrent, UsageDay, UsageQuery,
};

#[server(prefix = "/api/ui", endpoint = "list_plans")]
pub async fn list_plans() -> Result<Vec<Plan>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::plans::list(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_plan", input = Json)]
pub async fn save_plan(plan: Plan, create: bool) -> Result<Plan, ApiError> {
    let ctx = ctx()?;
    let db = &state()?.db;
    Ok(if create {
        ops_billing::plans::create(db, &ctx, &plan).await?
    } else {
        ops_billing::plans::update(db, &ctx, &plan.code, &plan).await?
    })
}

#[server(prefix = "/api/ui", endpoint = "remove_plan")]
pub async fn remove_plan(code: String) -> Result<(), ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::plans::delete(&state()?.db, &ctx, &code).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_subscription", input = Json)]
pub async fn get_subscription(query: SubscriptionQuery) -> Result<Subscription, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::subscription::current(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "subscription_history", input = Json)]
pub async fn subscription_history(
    query: SubscriptionQuery,
) -> Result<Vec<SubscriptionEvent>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::subscription::history(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "preview_plan_change", input = Json)]
pub async fn preview_plan_change(input: PlanChange) -> Result<ChangePreview, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::subscription::preview(&state()?.db, &ctx, &input).await?)
}

#[server(prefix = "/api/ui", endpoint = "change_plan", input = Json)]
pub async fn change_plan(input: PlanChange, key: String) -> Result<Subscription, ApiError> {
    use ops_billing::subscription::{Expect, change};
    let ctx = ctx()?;
    let key = Some(key.as_str()).filter(|k| !k.is_empty());
    Ok(change(&state()?.db, &ctx, &input, key, Expect::Any)
        .await?
        .0)
}

#[server(prefix = "/api/ui", endpoint = "cancel_subscription", input = Json)]
pub async fn cancel_subscription(input: CancelRequest) -> Result<Subscription, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::subscription::cancel(&state()?.db, &ctx, &input).await?)
}

#[server(prefix = "/api/ui", endpoint = "reactivate_subscription", input = Json)]
pub async fn reactivate_subscription(query: SubscriptionQuery) -> Result<Subscription, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::subscription::reactivate(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_usage", input = Json)]
pub async fn get_usage(query: UsageQuery) -> Result<UsageCurrent, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::usage::current(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "usage_days", input = Json)]
pub async fn usage_days(query: UsageQuery) -> Result<Vec<UsageDay>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::usage::history(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "admin_subscriptions", input = Json)]
pub async fn admin_subscriptions(
    query: ops_types::AdminSubscriptionQuery,
) -> Result<ops_types::AdminSubscriptionPage, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::subscription::admin::list(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "admin_subscription")]
pub async fn admin_subscription(
    id: String,
) -> Result<ops_types::AdminSubscriptionDetail, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::subscription::admin::detail(&state()?.db, &ctx, &id).await?)
}

/// `act`: `suspend`, `resume` or `reset_usage`.
#[server(prefix = "/api/ui", endpoint = "act_on_subscription")]
pub async fn act_on_subscription(
    id: String,
    act: String,
    reason: String,
) -> Result<ops_types::AdminSubscriptionDetail, ApiError> {
    use ops_billing::subscription::admin::{Act, act as apply};
    let ctx = ctx()?;
    let what = match act.as_str() {
        "suspend" => Act::Suspend,
        "resume" => Act::Resume,
        "reset_usage" => Act::ResetUsage,
        _ => {
            return Err(ApiError::field(
                ops_types::ErrorCode::Validation,
                "act",
                "suspend, resume or reset_usage",
            ));
        }
    };
    let input = ops_types::AdminAction { reason };
    Ok(apply(&state()?.db, &ctx, &id, what, &input).await?)
}

#[server(prefix = "/api/ui", endpoint = "revenue_overview")]
pub async fn revenue_overview() -> Result<ops_types::RevenueOverview, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::revenue::overview(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "list_invoices", input = Json)]
pub async fn list_invoices(
    query: SubscriptionQuery,
) -> Result<Vec<ops_types::InvoiceSummary>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::invoice::list(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "billing_summary", input = Json)]
pub async fn billing_summary(
    query: SubscriptionQuery,
) -> Result<ops_types::BillingSummary, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::summary::summary(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_billing_settings")]
pub async fn get_billing_settings() -> Result<ops_types::BillingSettings, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::invoice::settings(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_billing_settings", input = Json)]
pub async fn save_billing_settings(
    input: ops_types::BillingSettings,
) -> Result<ops_types::BillingSettings, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::invoice::save_settings(&state()?.db, &ctx, &input).await?)
}

#[server(prefix = "/api/ui", endpoint = "refund_invoice", input = Json)]
pub async fn refund_invoice(
    subscription: String,
    input: ops_types::RefundRequest,
) -> Result<ops_types::CreditNote, ApiError> {
    let ctx = ctx()?;
    let state = state()?;
    Ok(
        ops_billing::invoice::refund(&state.db, &state.secrets, &ctx, &subscription, &input)
            .await?,
    )
}

#[server(prefix = "/api/ui", endpoint = "get_stripe_settings")]
pub async fn get_stripe_settings() -> Result<ops_types::StripeSettings, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::stripe::settings(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_stripe_settings", input = Json)]
pub async fn save_stripe_settings(
    input: ops_types::StripeSettingsInput,
) -> Result<ops_types::StripeSettings, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_billing::stripe::save(&st.db, &ctx, &st.secrets, &input).await?)
}

/// Whether card payments can be taken here (Stripe is set up).
#[server(prefix = "/api/ui", endpoint = "payments_available")]
pub async fn payments_available() -> Result<bool, ApiError> {
    let ctx = ctx()?;
    ctx.require(ops_types::Permission::AccountRead)?;
    Ok(ops_billing::stripe::configured(&state()?.db).await?)
}
