//! `/account/usage`: your usage this period against your plan's allowances, per day, by
//! service, and as a CSV download; then your AI requests by day and key, and their log.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::llm_usage::LlmUsageCard;
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
        <h2>"AI requests"</h2>
        <LlmUsageCard scope="mine" org_id=None by="key" />
    }
}
