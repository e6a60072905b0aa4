//! The "Payments (Stripe)" card on `/admin/settings`: the publishable key, the secret key and
//! the webhook signing secret (sealed at rest, shown again only as hints), the webhook address
//! to give Stripe, and whether payments can be taken.

use leptos::prelude::*;
use ops_types::{StripeSettings, StripeSettingsInput};

use crate::components::alert::ErrorBox;
use crate::server::plans::{SaveStripeSettings, get_stripe_settings};

#[component]
pub fn StripeCard() -> impl IntoView {
    let save = ServerAction::<SaveStripeSettings>::new();
    let current = Resource::new(move || save.version().get(), |_| get_stripe_settings());
    view! {
        <section class="card">
            <h3>"Payments (Stripe)"</h3>
            <p class="muted">"Card payments need the secret key and the webhook signing secret. Give Stripe this webhook address: "
                <code>"/api/v1/webhooks/stripe"</code>" on this server's public address."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(s) => view! { <Form s=s save /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Form(s: StripeSettings, save: ServerAction<SaveStripeSettings>) -> impl IntoView {
    let publishable = RwSignal::new(s.publishable_key.clone());
    let secret = RwSignal::new(String::new());
    let hook = RwSignal::new(String::new());
    let base = RwSignal::new(s.api_base.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveStripeSettings {
            input: StripeSettingsInput {
                publishable_key: publishable.get_untracked(),
                secret_key: Some(secret.get_untracked()),
                webhook_secret: Some(hook.get_untracked()),
                api_base: Some(base.get_untracked()),
            },
        });
    };
    let secret_hint = s
        .secret_key_hint
        .clone()
        .unwrap_or_else(|| "not set".into());
    let hook_hint = s
        .webhook_secret_hint
        .clone()
        .unwrap_or_else(|| "not set".into());
    view! {
        {if s.configured {
            view! { <div class="alert success" data-testid="stripe-status">"Payments can be taken."</div> }.into_any()
        } else {
            view! { <div class="alert warning" data-testid="stripe-status">"Not set up: customers cannot pay by card; free plans and administrators' credits still work."</div> }.into_any()
        }}
        <form class="form" on:submit=submit data-testid="stripe-form">
            <div class="form inline">
                <label>"Publishable key"
                    <input type="text" placeholder="pk_live_…" data-testid="stripe-publishable" prop:value=move || publishable.get()
                        on:input=move |e| publishable.set(event_target_value(&e)) />
                </label>
                <label>"Secret key"
                    <input type="password" autocomplete="off" placeholder=format!("{secret_hint} (leave empty to keep)") data-testid="stripe-secret"
                        prop:value=move || secret.get() on:input=move |e| secret.set(event_target_value(&e)) />
                </label>
                <label>"Webhook signing secret"
                    <input type="password" autocomplete="off" placeholder=format!("{hook_hint} (leave empty to keep)") data-testid="stripe-webhook"
                        prop:value=move || hook.get() on:input=move |e| hook.set(event_target_value(&e)) />
                </label>
                <label>"API address"
                    <input type="text" data-testid="stripe-base" prop:value=move || base.get() on:input=move |e| base.set(event_target_value(&e)) />
                </label>
            </div>
            <div class="buttons">
                <button type="submit" class="button primary" data-testid="stripe-save" disabled=move || save.pending().get()>"Save"</button>
            </div>
        </form>
        {move || save.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
    }
}
