//! `/register`: create an account when registration is open; a confirmation link is mailed.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::password_rules;

use crate::components::alert::ErrorBox;
use crate::server::mail::SignUp;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let sign_up = ServerAction::<SignUp>::new();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let rules = Memo::new(move |_| password_rules(&password.get(), Some(&email.get())));
    let input = |label: &'static str,
                 kind: &'static str,
                 sig: RwSignal<String>,
                 id: &'static str| {
        view! {
            <label>{label}
                <input type=kind data-testid=id prop:value=move || sig.get() on:input=move |e| sig.set(event_target_value(&e)) />
            </label>
        }
    };
    view! {
        <Title text="Create an account" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Ops-Center"</h1>
                {move || match sign_up.value().get() {
                    Some(Ok(())) => view! {
                        <p data-testid="signup-sent">"Almost done: we sent a link to confirm your address. It works for a day."</p>
                        <a href="/login">"Back to sign-in"</a>
                    }.into_any(),
                    other => view! {
                        <form class="form" data-testid="signup-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            sign_up.dispatch(SignUp { email: email.get_untracked(), display_name: name.get_untracked(), password: password.get_untracked() });
                        }>
                            {input("Email", "email", email, "signup-email")}
                            {input("Name", "text", name, "signup-name")}
                            {input("Password", "password", password, "signup-password")}
                            <ul class="rules">
                                {move || rules.get().into_iter().map(|r| view! { <li class:ok=r.ok>{r.description}</li> }).collect_view()}
                            </ul>
                            {other.and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
                            <button type="submit" class="button primary" data-testid="signup-submit"
                                disabled=move || sign_up.pending().get() || !rules.get().iter().all(|r| r.ok)>"Create the account"</button>
                            <a href="/login">"I have an account"</a>
                        </form>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}
