//! `/login`: email and password. Works before hydration too (a plain form post).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::alert::ErrorBox;
use crate::components::format::query_string;
use crate::server::auth::Login;
use crate::server::mail::registration_mode;
use crate::server::sso::sso_buttons;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let registration = Resource::new(|| (), |_| registration_mode());
    let buttons = Resource::new(|| (), |_| sso_buttons());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || login.value().get().and_then(|r| r.err());
    let sso_error = move || {
        query
            .read()
            .get("sso_error")
            .map(|code| ops_types::sso_error_message(&code))
    };
    view! {
        <Title text="Sign in" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Ops-Center"</h1>
                <p class="muted">"Sign in to continue."</p>
                {move || sso_error().map(|m| view! { <div class="alert error" role="alert" data-testid="sso-error">{m}</div> })}
                <Suspense>
                    {move || Suspend::new(async move {
                        let list = buttons.await.unwrap_or_default();
                        (!list.is_empty()).then(|| {
                            let next = query.read_untracked().get("next").unwrap_or_default();
                            let suffix = query_string(&[("next", next)]);
                            view! {
                                <div class="sso-buttons" data-testid="sso-buttons">
                                    {list.into_iter().map(|b| view! {
                                        <a class="button sso" rel="external" data-testid=format!("sso-{}", b.slug)
                                            href=format!("/auth/login/{}{}", b.slug, suffix)>
                                            {format!("Continue with {}", b.name)}
                                        </a>
                                    }).collect_view()}
                                </div>
                                <p class="divider"><span>"or"</span></p>
                            }
                        })
                    })}
                </Suspense>
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
