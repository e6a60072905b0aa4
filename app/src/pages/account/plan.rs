//! `/account/plan`: your plan: where it stands, the plans to compare, a change with its exact
//! proration before you confirm, cancellation and reactivation, and the history.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::buy::CheckoutGate;
use crate::components::plan::PlanCard;

#[component]
pub fn PlanPage() -> impl IntoView {
    view! {
        <Title text="Plan" />
        <div class="page-head">
            <h1>"Plan"</h1>
            <div class="actions"><a class="button secondary" href="/account/usage">"Usage"</a></div>
        </div>
        <p class="muted">
            "Upgrades apply at once: the unused part of this period is credited and the new plan charged \
             for the rest of it. Downgrades and cancellations take effect at the period's end. \
             Plans are paid from your bought credits, or by card for what they do not cover."
        </p>
        <CheckoutGate org_id=None>
            <PlanCard org_id=None />
        </CheckoutGate>
    }
}
