//! `/verify-email?token=…`: confirms the address as soon as the page opens.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::alert::ErrorBox;
use crate::server::mail::confirm_email;

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let result = Resource::new(
        move || query.read().get("token").unwrap_or_default(),
        confirm_email,
    );
    view! {
        <Title text="Confirm your address" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Ops-Center"</h1>
                <Suspense fallback=|| view! { <p>"Confirming…"</p> }>
                    {move || Suspend::new(async move {
                        match result.await {
                            Ok(()) => view! {
                                <p data-testid="verified">"Your address is confirmed. You can sign in now."</p>
                                <a class="button primary" href="/login">"Sign in"</a>
                            }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> <a href="/login">"Back to sign-in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}
