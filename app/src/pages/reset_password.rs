//! `/reset-password?token=…`: choose a new password from the e-mailed link.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use ops_types::password_rules;

use crate::components::alert::ErrorBox;
use crate::server::mail::SetNewPassword;

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let reset = ServerAction::<SetNewPassword>::new();
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let rules = Memo::new(move |_| password_rules(&new.get(), None));
    let ready = move || {
        rules.get().iter().all(|r| r.ok) && !confirm.get().is_empty() && confirm.get() == new.get()
    };
    view! {
        <Title text="Set a new password" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Ops-Center"</h1>
                {move || match reset.value().get() {
                    Some(Ok(())) => view! {
                        <p data-testid="reset-done">"Your password is set. Every other session of your account was signed out."</p>
                        <a class="button primary" href="/login">"Sign in"</a>
                    }.into_any(),
                    other => view! {
                        <form class="form" data-testid="reset-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            reset.dispatch(SetNewPassword { token: token(), new_password: new.get_untracked() });
                        }>
                            <label>"New password"
                                <input type="password" autocomplete="new-password" data-testid="reset-new"
                                    prop:value=move || new.get() on:input=move |e| new.set(event_target_value(&e)) />
                            </label>
                            <ul class="rules">
                                {move || rules.get().into_iter().map(|r| view! { <li class:ok=r.ok>{r.description}</li> }).collect_view()}
                                <li class="muted">"different from your current password (checked when you save)"</li>
                            </ul>
                            <label>"Repeat it"
                                <input type="password" autocomplete="new-password" data-testid="reset-confirm"
                                    prop:value=move || confirm.get() on:input=move |e| confirm.set(event_target_value(&e)) />
                            </label>
                            {other.and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
                            <button type="submit" class="button primary" data-testid="reset-save"
                                disabled=move || !ready() || reset.pending().get()>"Set the password"</button>
                        </form>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}
