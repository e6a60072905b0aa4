//! `/admin/gateway`: the AI gateway's providers (with a connection test), its model catalogue
//! with prices and deployments, and its settings.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{GatewaySettings, GatewayStatus};

use crate::components::alert::ErrorBox;
use crate::pages::admin::llm_models::ModelsCard;
use crate::pages::admin::llm_providers::ProvidersCard;
use crate::server::gateway::{SaveGatewaySettings, get_gateway_settings, get_gateway_status};

#[component]
pub fn GatewayPage() -> impl IntoView {
    // Bumped when providers change, so the models card's provider list follows.
    let providers_changed = RwSignal::new(0u32);
    view! {
        <Title text="AI gateway" />
        <div class="page-head"><h1>"AI gateway"</h1></div>
        <p class="muted">"Clients call "<code>"/v1/chat/completions"</code>", "<code>"/v1/embeddings"</code>" and "<code>"/v1/messages"</code>" with a platform API key; each model is served by its deployments in priority order, falling back on failure."</p>
        <ProvidersCard changed=providers_changed />
        <ModelsCard providers_changed />
        <SettingsCard />
        <ReplicaCard />
    }
}

/// What the settings file wires: per-minute limits shared through Redis (checked live) and
/// the proxy provider calls go through.
#[component]
fn ReplicaCard() -> impl IntoView {
    let checks = RwSignal::new(0u32);
    let status = Resource::new(move || checks.get(), |_| get_gateway_status());
    view! {
        <section class="card" data-testid="gateway-status">
            <h3>"This server"</h3>
            <p class="muted">"Set in "<code>"ops-center.toml"</code>" or the environment ("<code>"redis_url"</code>", "<code>"provider_proxy"</code>", "<code>"provider_no_proxy"</code>"); read at start."</p>
            <Transition fallback=|| view! { <p>"Checking…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! { <StatusFacts s /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
            <div class="buttons">
                <button type="button" class="button" data-testid="gateway-status-check" on:click=move |_| checks.update(|n| *n += 1)>"Check again"</button>
            </div>
        </section>
    }
}

#[component]
fn StatusFacts(s: GatewayStatus) -> impl IntoView {
    let limits = match (&s.shared_limits, s.redis_ping_us, &s.redis_error) {
        (None, ..) => view! {
            <dd data-testid="limits-sharing" data-shared="false">"Counted by this server alone. Several replicas each allow the full limit: set "<code>"redis_url"</code>" to share them."</dd>
        }.into_any(),
        (Some(url), Some(us), _) => view! {
            <dd data-testid="limits-sharing" data-shared="true">"Shared through "<code>{url.clone()}</code>
                <span class="badge ok">{format!("answered in {:.1} ms", us as f64 / 1000.0)}</span></dd>
        }.into_any(),
        (Some(url), None, error) => view! {
            <dd data-testid="limits-sharing" data-shared="down">"Shared through "<code>{url.clone()}</code>
                <div class="alert error">{format!("Not answering ({}): each server counts on its own until it does.", error.clone().unwrap_or_default())}</div></dd>
        }.into_any(),
    };
    let proxy = match &s.proxy {
        None => view! { <dd data-testid="provider-proxy">"Direct"</dd> }.into_any(),
        Some(url) => {
            let skipped = if s.no_proxy.is_empty() {
                String::new()
            } else {
                format!(" and {}", s.no_proxy.join(", "))
            };
            view! { <dd data-testid="provider-proxy">"Through "<code>{url.clone()}</code>{format!(", except loopback{skipped}")}</dd> }.into_any()
        }
    };
    view! {
        <dl class="facts">
            <dt>"Per-minute limits"</dt>{limits}
            <dt>"Calls to providers"</dt>{proxy}
        </dl>
    }
}

#[component]
fn SettingsCard() -> impl IntoView {
    let save = ServerAction::<SaveGatewaySettings>::new();
    let current = Resource::new(|| (), |_| get_gateway_settings());
    view! {
        <section class="card" data-testid="gateway-settings">
            <h3>"Settings"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(s) => view! { <SettingsForm s save /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="alert success" data-testid="gateway-settings-saved">"Saved."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn SettingsForm(s: GatewaySettings, save: ServerAction<SaveGatewaySettings>) -> impl IntoView {
    let fee = RwSignal::new(s.byok_fee_percent.to_string());
    let days = RwSignal::new(s.log_retention_days.to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveGatewaySettings {
            input: GatewaySettings {
                byok_fee_percent: fee.get_untracked().trim().parse().unwrap_or(-1),
                log_retention_days: days.get_untracked().trim().parse().unwrap_or(0),
            },
        });
    };
    view! {
        <form class="form" on:submit=submit>
            <label>"Fee on requests served by users' own keys (% of list price)"
                <input type="number" min="0" max="100" data-testid="byok-fee" prop:value=move || fee.get() on:input=move |e| fee.set(event_target_value(&e)) />
            </label>
            <label>"Keep the request log for (days; daily totals are kept for ever)"
                <input type="number" min="1" max="3650" data-testid="log-retention" prop:value=move || days.get() on:input=move |e| days.set(event_target_value(&e)) />
            </label>
            <div class="buttons"><button type="submit" class="button primary" disabled=move || save.pending().get()>"Save settings"</button></div>
        </form>
    }
}
