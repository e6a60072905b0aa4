//! `/account/provider-keys`: your own provider keys (bring your own key). Each is tried before
//! it is kept, shown masked, and used as its policy says; a key the provider starts refusing
//! is flagged here (and you are notified).

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{BYOK_POLICIES, ByokKey, ByokKeyForSave, ByokProviders, LlmProviderTest};

use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::server::gateway::{
    ProbeOwnKey, RemoveOwnKey, SaveOwnKey, SetOwnKeyPolicy, list_own_keys,
};

#[component]
pub fn ProviderKeysPage() -> impl IntoView {
    let save = ServerAction::<SaveOwnKey>::new();
    let remove = ServerAction::<RemoveOwnKey>::new();
    let policy = ServerAction::<SetOwnKeyPolicy>::new();
    let data = Resource::new(
        move || {
            (
                save.version().get(),
                remove.version().get(),
                policy.version().get(),
            )
        },
        |_| list_own_keys(None),
    );
    view! {
        <Title text="Provider keys" />
        <div class="page-head"><h1>"Provider keys"</h1></div>
        <p class="muted">"Use your own OpenAI, Anthropic, Gemini or OpenRouter key for the models those providers serve. Keys are encrypted at rest and never shown again."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((providers, keys)) => view! { <Keys providers=providers.clone() keys remove policy /> <AddForm providers save /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        {move || remove.value().get().and_then(|r| r.err()).or_else(|| policy.value().get().and_then(|r| r.err())).map(|e| view! { <ErrorBox error=e /> })}
    }
}

#[component]
fn Keys(
    providers: ByokProviders,
    keys: Vec<ByokKey>,
    remove: ServerAction<RemoveOwnKey>,
    policy: ServerAction<SetOwnKeyPolicy>,
) -> impl IntoView {
    let fee = providers.fee_percent;
    view! {
        <section class="card" data-testid="own-keys">
            <h3>"Your keys"</h3>
            <p class="muted" data-testid="byok-fee-note">{if fee == 0 {
                "Requests your keys serve are not charged by the platform.".to_string()
            } else {
                format!("Requests your keys serve are charged {fee}% of the list price (the platform fee).")
            }}</p>
            {if keys.is_empty() {
                view! { <p class="muted" data-testid="own-keys-empty">"No key yet: the platform's keys serve all your requests."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Provider"</th><th>"Key"</th><th>"Status"</th><th>"Used"</th><th></th></tr></thead>
                        <tbody>{keys.into_iter().map(|k| view! { <KeyRow k remove policy /> }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn KeyRow(
    k: ByokKey,
    remove: ServerAction<RemoveOwnKey>,
    policy: ServerAction<SetOwnKeyPolicy>,
) -> impl IntoView {
    let probe = ServerAction::<ProbeOwnKey>::new();
    let (p1, p2, p3) = (k.provider.clone(), k.provider.clone(), k.provider.clone());
    let failing = k.status == "failing";
    let status = if failing {
        format!(
            "Failing since {}: {}",
            k.last_error_at.map(datetime).unwrap_or_default(),
            k.last_error.clone().unwrap_or_default()
        )
    } else {
        "Working".to_string()
    };
    let current = k.policy.clone();
    view! {
        <tr data-testid="own-key-row">
            <td>{k.label.clone()}</td>
            <td class="mono">{k.key_hint.clone()}</td>
            <td><span class="badge" class:danger=failing data-testid="own-key-status">{status}</span></td>
            <td>
                <select data-testid="own-key-policy" on:change=move |e| {
                    policy.dispatch(SetOwnKeyPolicy { org_id: None, provider: p1.clone(), policy: event_target_value(&e) });
                }>
                    {BYOK_POLICIES.iter().map(|(v, l)| view! { <option value=*v selected=current == *v>{*l}</option> }).collect_view()}
                </select>
            </td>
            <td class="buttons">
                <button type="button" class="button" data-testid="own-key-test" disabled=move || probe.pending().get()
                    on:click=move |_| { probe.dispatch(ProbeOwnKey { org_id: None, provider: p2.clone() }); }>"Test"</button>
                <button type="button" class="button danger" on:click=move |_| { remove.dispatch(RemoveOwnKey { org_id: None, provider: p3.clone() }); }>"Remove"</button>
            </td>
        </tr>
        {move || probe.value().get().map(|r| view! { <tr><td colspan="5">{outcome(r)}</td></tr> })}
    }
}

fn outcome(r: Result<LlmProviderTest, ops_types::ApiError>) -> AnyView {
    match r {
        Ok(t) if t.ok => view! { <div class="alert success" data-testid="own-key-test-ok">{format!("The key works ({} ms).", t.latency_ms)}</div> }.into_any(),
        Ok(t) => view! { <div class="alert error">{format!("Refused: {}", t.error.unwrap_or_default())}</div> }.into_any(),
        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
    }
}

#[component]
fn AddForm(providers: ByokProviders, save: ServerAction<SaveOwnKey>) -> impl IntoView {
    let first = providers
        .providers
        .first()
        .map(|p| p.provider.clone())
        .unwrap_or_default();
    let provider = RwSignal::new(first);
    let key = RwSignal::new(String::new());
    let policy = RwSignal::new(String::from("prioritized"));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveOwnKey {
            org_id: None,
            input: ByokKeyForSave {
                provider: provider.get_untracked(),
                api_key: key.get_untracked(),
                policy: Some(policy.get_untracked()),
            },
        });
    };
    view! {
        <section class="card">
            <form class="form inline-form" on:submit=submit data-testid="own-key-form">
                <h3>"Add a key"</h3>
                <label>"Provider"
                    <select data-testid="own-key-provider" on:change=move |e| provider.set(event_target_value(&e))>
                        {providers.providers.iter().map(|p| view! {
                            <option value=p.provider.clone()>{if p.served { p.label.clone() } else { format!("{} (no model uses it yet)", p.label) }}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"API key"<input type="password" autocomplete="off" data-testid="own-key-secret" prop:value=move || key.get() on:input=move |e| key.set(event_target_value(&e)) /></label>
                <label>"Use it"
                    <select data-testid="own-key-new-policy" on:change=move |e| policy.set(event_target_value(&e))>
                        {BYOK_POLICIES.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                    </select>
                </label>
                <div class="buttons"><button type="submit" class="button primary" data-testid="own-key-add" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Trying the key…" } else { "Save key" }}
                </button></div>
                {move || save.value().get().map(|r| match r {
                    Ok(_) => view! { <div class="alert success" data-testid="own-key-saved">"Saved: the provider accepted the key."</div> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                })}
            </form>
        </section>
    }
}
