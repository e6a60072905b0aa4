//! `/account/usage`: your usage this period against your plan's allowances, per day, by
//! service, and as a CSV download.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::usage::UsageCard;

#[component]
pub fn UsagePage() -> impl IntoView {
    view! {
        <Title text="Usage" />
        <div class="page-head">
            <h1>"Usage"</h1>
            <div class="actions"><a class="button secondary" href="/account/plan">"Plan"</a></div>
        </div>
        <UsageCard org_id=None />
    }
}
