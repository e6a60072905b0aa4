//! `/org/:id/plan`: the organisation's plan and usage, for its owners and billing admins.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::buy::CheckoutGate;
use crate::components::invoices::InvoicesCard;
use crate::components::plan::PlanCard;
use crate::components::usage::UsageCard;

#[component]
pub fn OrgPlanPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .unwrap_or_default();
    let inner = id.clone();
    view! {
        <Title text="Organisation plan" />
        <div class="page-head">
            <h1>"Organisation plan"</h1>
            <div class="actions"><a class="button secondary" href=format!("/org/{id}")>"← The organisation"</a></div>
        </div>
        <p class="muted">"Paid from the organisation's bought credits; members' usage counts against its allowances."</p>
        <CheckoutGate org_id=Some(id.clone())>
            <PlanCard org_id=Some(inner.clone()) />
        </CheckoutGate>
        <h2>"Usage"</h2>
        <UsageCard org_id=Some(id.clone()) />
        <h2>"Invoices"</h2>
        <InvoicesCard org_id=Some(id) />
    }
}
