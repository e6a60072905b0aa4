//! The "Providers" card of `/admin/gateway`: the upstream APIs, their keys (masked), a
//! connection test that lists the provider's models, and a form to add one.

use leptos::prelude::*;
use ops_types::{LlmProvider, LlmProviderForSave, LlmProviderTest, PROVIDER_KINDS};

use crate::components::alert::ErrorBox;
use crate::server::gateway::{
    ProbeLlmProvider, RemoveLlmProvider, SaveLlmProvider, list_llm_providers,
};

#[component]
pub fn ProvidersCard(changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveLlmProvider>::new();
    let remove = ServerAction::<RemoveLlmProvider>::new();
    let list = Resource::new(
        move || (save.version().get(), remove.version().get()),
        |_| list_llm_providers(),
    );
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(remove.value().get(), Some(Ok(_)))
        {
            changed.update(|n| *n += 1);
        }
    });
    view! {
        <section class="card" data-testid="llm-providers">
            <h3>"Providers"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(ps) if ps.is_empty() => view! { <p class="muted" data-testid="providers-empty">"No provider yet: add one below, then a model served by it."</p> }.into_any(),
                        Ok(ps) => view! { <Table providers=ps remove /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            <AddForm save />
        </section>
    }
}

#[component]
fn Table(providers: Vec<LlmProvider>, remove: ServerAction<RemoveLlmProvider>) -> impl IntoView {
    view! {
        <table class="table">
            <thead><tr><th>"Name"</th><th>"Kind"</th><th>"URL"</th><th>"Key"</th><th>"Deployments"</th><th></th></tr></thead>
            <tbody>
                {providers.into_iter().map(|p| view! { <Row p remove /> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Row(p: LlmProvider, remove: ServerAction<RemoveLlmProvider>) -> impl IntoView {
    let probe = ServerAction::<ProbeLlmProvider>::new();
    let (id, id2) = (p.id.clone(), p.id.clone());
    let kind = PROVIDER_KINDS
        .iter()
        .find(|k| k.0 == p.kind)
        .map_or(p.kind.clone(), |k| k.1.to_string());
    view! {
        <tr data-testid="provider-row">
            <td>{p.name.clone()}{(!p.enabled).then(|| view! { <span class="badge">"off"</span> })}</td>
            <td>{kind}</td>
            <td class="mono">{p.base_url.clone()}</td>
            <td class="mono">{p.key_hint.clone().unwrap_or_else(|| "none".into())}</td>
            <td>{p.deployments}</td>
            <td class="buttons">
                <button type="button" class="button" data-testid="provider-test" disabled=move || probe.pending().get()
                    on:click=move |_| { probe.dispatch(ProbeLlmProvider { id: id.clone() }); }>"Test"</button>
                <button type="button" class="button danger" on:click=move |_| { remove.dispatch(RemoveLlmProvider { id: id2.clone() }); }>"Remove"</button>
            </td>
        </tr>
        {move || probe.value().get().map(|r| view! { <tr><td colspan="6">{outcome(r)}</td></tr> })}
    }
}

fn outcome(r: Result<LlmProviderTest, ops_types::ApiError>) -> AnyView {
    match r {
        Ok(t) if t.ok => view! {
            <div class="alert success" data-testid="provider-test-ok">
                {format!("Connected in {} ms; {} models: {}", t.latency_ms, t.models.len(), t.models.join(", "))}
            </div>
        }.into_any(),
        Ok(t) => view! {
            <div class="alert error" data-testid="provider-test-failed">
                {format!("Failed{}: {}", t.status.map(|s| format!(" ({s})")).unwrap_or_default(), t.error.unwrap_or_default())}
            </div>
        }.into_any(),
        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
    }
}

#[component]
fn AddForm(save: ServerAction<SaveLlmProvider>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(String::from("openai"));
    let url = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveLlmProvider {
            id: None,
            input: LlmProviderForSave {
                name: name.get_untracked(),
                kind: kind.get_untracked(),
                base_url: Some(url.get_untracked()).filter(|u| !u.trim().is_empty()),
                api_key: Some(key.get_untracked()).filter(|k| !k.trim().is_empty()),
                enabled: true,
                ..LlmProviderForSave::default()
            },
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            name.set(String::new());
            url.set(String::new());
            key.set(String::new());
        }
    });
    view! {
        <form class="form inline-form" on:submit=submit data-testid="provider-form">
            <h4>"Add a provider"</h4>
            <label>"Name"<input type="text" data-testid="provider-name" prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) /></label>
            <label>"Kind"
                <select data-testid="provider-kind" on:change=move |e| kind.set(event_target_value(&e))>
                    {PROVIDER_KINDS.iter().map(|(k, l)| view! { <option value=*k selected=move || kind.get() == *k>{*l}</option> }).collect_view()}
                </select>
            </label>
            <label>"URL (blank: the provider's public API)"<input type="url" data-testid="provider-url" prop:value=move || url.get() on:input=move |e| url.set(event_target_value(&e)) /></label>
            <label>"API key"<input type="password" autocomplete="off" data-testid="provider-key" prop:value=move || key.get() on:input=move |e| key.set(event_target_value(&e)) /></label>
            <div class="buttons"><button type="submit" class="button primary" data-testid="provider-add" disabled=move || save.pending().get()>"Add provider"</button></div>
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </form>
    }
}
