//! A labelled one-line text input bound to a signal, with an optional hint under it.

use leptos::prelude::*;

#[component]
pub fn TextField(
    label: &'static str,
    testid: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    view! {
        <label class="narrow-field">{label}
            <input type="text" data-testid=testid prop:value=move || value.get()
                on:input=move |e| value.set(event_target_value(&e)) />
            {(!hint.is_empty()).then(|| view! { <span class="hint">{hint}</span> })}
        </label>
    }
}
