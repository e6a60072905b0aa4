//! `/admin/ai-usage`: everyone's traffic through the AI gateway, by day and by model, and the
//! request log with the explanation of each charge and refusal.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::llm_usage::LlmUsageCard;

#[component]
pub fn AiUsagePage() -> impl IntoView {
    view! {
        <Title text="AI usage" />
        <div class="page-head">
            <h1>"AI usage"</h1>
            <div class="actions"><a class="button secondary" href="/admin/gateway">"AI gateway"</a></div>
        </div>
        <LlmUsageCard scope="all" org_id=None by="model" />
    }
}
