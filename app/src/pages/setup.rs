//! `/setup?token=…`: the first visitor with the printed one-time link creates the admin.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::alert::ErrorBox;
use crate::server::auth::{CreateAdmin, SetupState, get_setup_state};

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let state = Resource::new(token, get_setup_state);
    let create = ServerAction::<CreateAdmin>::new();
    let error = move || create.value().get().and_then(|r| r.err());
    view! {
        <Title text="Set up" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Welcome to Ops-Center"</h1>
                <Suspense fallback=|| view! { <p>"Checking the setup link…"</p> }>
                    {move || Suspend::new(async move {
                        match state.await {
                            Ok(SetupState::Open) => view! {
                                <p class="muted">"Create the first administrator account. This link works once."</p>
                                <ActionForm action=create attr:class="form" attr:data-testid="setup-form">
                                    <input type="hidden" name="token" value=token />
                                    <label>"Email"<input type="email" name="email" autocomplete="username" required /></label>
                                    <label>"Display name"<input type="text" name="display_name" autocomplete="name" maxlength="100" /></label>
                                    <label>"Password"
                                        <input type="password" name="password" autocomplete="new-password" minlength="10" required />
                                        <small class="hint">"At least 10 characters."</small>
                                    </label>
                                    <label>"Confirm password"<input type="password" name="confirm" autocomplete="new-password" required /></label>
                                    {move || error().map(|e| view! { <ErrorBox error=e /> })}
                                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                                        {move || if create.pending().get() { "Creating…" } else { "Create administrator" }}
                                    </button>
                                </ActionForm>
                            }.into_any(),
                            Ok(SetupState::BadToken) => view! {
                                <div class="alert error" role="alert">
                                    "This setup link is missing, already used or expired. Restart the server to print a new one, or run "
                                    <code>"ops-center admin create --email … --password … --role admin"</code>"."
                                </div>
                            }.into_any(),
                            Ok(SetupState::Done) => view! {
                                <p>"Setup is complete: an administrator exists."</p>
                                <a class="button primary" href="/login">"Sign in"</a>
                            }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}
