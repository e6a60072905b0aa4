//! The limits of one API key in the AI gateway, on `/account/api-keys`: the models it may call,
//! a budget per day, week or month (with what is spent and when it resets), and requests and
//! tokens per minute. A summary for the key table, and the editor.

use leptos::prelude::*;
use ops_types::{ApiKeyLimits, ApiKeyView, format_amount, parse_amount};

use crate::components::alert::ErrorBox;
use crate::components::field::{comma_list, optional_number};
use crate::components::format::datetime;
use crate::server::account::SaveKeyLimits;

/// The key's limits in a few words.
pub fn summary(k: &ApiKeyView) -> String {
    let l = &k.limits;
    let mut parts = Vec::new();
    if let (Some(b), Some(p)) = (l.budget, &l.budget_period) {
        parts.push(format!(
            "{} of {} a {p}",
            format_amount(k.spent, "USD"),
            format_amount(b, "USD")
        ));
    }
    if let Some(r) = l.rpm_limit {
        parts.push(format!("{r}/min"));
    }
    if let Some(t) = l.tpm_limit {
        parts.push(format!("{t} tokens/min"));
    }
    if let Some(m) = &l.allowed_models {
        parts.push(format!("models: {}", m.join(", ")));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

#[component]
pub fn LimitsCard(
    key: ApiKeyView,
    save: ServerAction<SaveKeyLimits>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let l = key.limits.clone();
    let models = RwSignal::new(
        l.allowed_models
            .clone()
            .map(|m| m.join(", "))
            .unwrap_or_default(),
    );
    let budget = RwSignal::new(
        l.budget
            .map(|b| format_amount(b, "USD"))
            .unwrap_or_default(),
    );
    let period = RwSignal::new(l.budget_period.clone().unwrap_or_else(|| "month".into()));
    let rpm = RwSignal::new(l.rpm_limit.map(|n| n.to_string()).unwrap_or_default());
    let tpm = RwSignal::new(l.tpm_limit.map(|n| n.to_string()).unwrap_or_default());
    let problem = RwSignal::new(None::<String>);
    let id = key.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| -> Result<ApiKeyLimits, String> {
            let list = comma_list(&models.get_untracked());
            let b = budget.get_untracked();
            Ok(ApiKeyLimits {
                allowed_models: (!list.is_empty()).then_some(list),
                budget: if b.trim().is_empty() {
                    None
                } else {
                    Some(parse_amount(&b).map_err(|e| format!("Budget: {e}"))?)
                },
                budget_period: Some(period.get_untracked()),
                rpm_limit: optional_number(&rpm.get_untracked())
                    .map_err(|e| format!("Requests a minute: {e}"))?
                    .map(|n| n.clamp(0, i64::from(i32::MAX)) as i32),
                tpm_limit: optional_number(&tpm.get_untracked())
                    .map_err(|e| format!("Tokens a minute: {e}"))?
                    .map(|n| n.clamp(0, i64::from(i32::MAX)) as i32),
            })
        })();
        match parsed {
            Ok(input) => {
                problem.set(None);
                save.dispatch(SaveKeyLimits {
                    id: id.clone(),
                    input,
                });
            }
            Err(p) => problem.set(Some(p)),
        }
    };
    let close = on_close.clone();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            close();
        }
    });
    let resets = key
        .budget_resets_at
        .map(|t| format!("This budget period resets on {}.", datetime(t)));
    let field = |v: RwSignal<String>, id: &'static str, label: &'static str, hint: &'static str| {
        view! {
            <label>{label}<input type="text" data-testid=id placeholder=hint prop:value=move || v.get() on:input=move |e| v.set(event_target_value(&e)) /></label>
        }
    };
    view! {
        <section class="card" data-testid="key-limits">
            <form class="form inline-form" on:submit=submit>
                <h3>{format!("Limits of \u{201c}{}\u{201d} in the AI gateway", key.name)}</h3>
                {field(models, "limit-models", "Models it may call", "all its plan opens")}
                {field(budget, "limit-budget", "Budget", "none")}
                <label>"per"
                    <select data-testid="limit-period" on:change=move |e| period.set(event_target_value(&e))>
                        {["day", "week", "month"].map(|p| view! { <option value=p selected=move || period.get() == p>{p}</option> }).collect_view()}
                    </select>
                </label>
                {field(rpm, "limit-rpm", "Requests a minute", "no limit")}
                {field(tpm, "limit-tpm", "Tokens a minute", "no limit")}
                {resets.map(|r| view! { <p class="hint">{r}</p> })}
                <div class="buttons">
                    <button type="submit" class="button primary" data-testid="limits-save" disabled=move || save.pending().get()>"Save limits"</button>
                    <button type="button" class="button" on:click=move |_| on_close()>"Cancel"</button>
                </div>
                {move || problem.get().map(|p| view! { <div class="alert error" role="alert">{p}</div> })}
                {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            </form>
        </section>
    }
}
