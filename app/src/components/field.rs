//! A labelled one-line text input bound to a signal, with an optional hint under it; and what
//! forms read from such inputs.

use leptos::prelude::*;

/// `a, b,,c ` → `[a, b, c]`.
pub fn comma_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

/// An optional whole number: blank is none; anything else must parse.
pub fn optional_number(s: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("`{s}` is not a whole number"))
}

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
