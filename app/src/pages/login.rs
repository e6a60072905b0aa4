//! `/login`: email and password. Works before hydration too (a plain form post).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::alert::ErrorBox;
use crate::server::auth::Login;
use crate::server::mail::registration_mode;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let registration = Resource::new(|| (), |_| registration_mode());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || login.value().get().and_then(|r| r.err());
    view! {
        <Title text="Sign in" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Ops-Center"</h1>
                <p class="muted">"Sign in to continue."</p>
                <ActionForm action=login attr:class="form" attr:data-testid="login-form">
                    <input type="hidden" name="next" value=next />
                    <label>"Email"
                        <input type="email" name="email" autocomplete="username" required autofocus />
                    </label>
                    <label>"Password"
                        <input type="password" name="password" autocomplete="current-password" required />
                    </label>
                    {move || error().map(|e| view! { <ErrorBox error=e /> })}
                    <button type="submit" class="button primary" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                    <a href="/forgot-password" data-testid="forgot-link">"Forgot your password?"</a>
                    <Suspense>
                        {move || Suspend::new(async move {
                            registration.await.ok().filter(|r| r.mode == "open").map(|_| view! {
                                <a href="/register" data-testid="signup-link">"Create an account"</a>
                            })
                        })}
                    </Suspense>
                </ActionForm>
            </div>
        </div>
    }
}
