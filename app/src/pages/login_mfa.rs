//! `/login/mfa`: the second step of sign-in — a code from the authenticator app, or a
//! recovery code. Works before hydration too (a plain form post).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::alert::ErrorBox;
use crate::server::auth::LoginMfa;

#[component]
pub fn LoginMfaPage() -> impl IntoView {
    let verify = ServerAction::<LoginMfa>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || verify.value().get().and_then(|r| r.err());
    view! {
        <Title text="Two-factor sign-in" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Ops-Center"</h1>
                <p class="muted">"Enter the 6-digit code from your authenticator app, or one of your recovery codes."</p>
                <ActionForm action=verify attr:class="form" attr:data-testid="mfa-form">
                    <input type="hidden" name="next" value=next />
                    <label>"Code"
                        <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code"
                            required autofocus data-testid="mfa-code" />
                    </label>
                    {move || error().map(|e| view! { <ErrorBox error=e /> })}
                    <button type="submit" class="button primary" disabled=move || verify.pending().get()>
                        {move || if verify.pending().get() { "Checking…" } else { "Verify" }}
                    </button>
                    <a href="/login">"Start over"</a>
                </ActionForm>
            </div>
        </div>
    }
}
