//! The "Models and prices" card of `/admin/gateway`: the public model names with their group
//! (what plans open), prices per million tokens, routing and deployments in routing order; an
//! "Edit" button per model opening the routing editor (`llm_routing`); and a form to add a model
//! served by one provider.

use leptos::prelude::*;
use ops_types::{LlmDeployment, LlmModel, LlmModelForSave, parse_amount};

use crate::components::alert::ErrorBox;
use crate::pages::admin::llm_routing::{Editing, RoutingEditor};
use crate::server::gateway::{RemoveLlmModel, SaveLlmModel, list_llm_models, list_llm_providers};
use ops_types::plain_amount;

fn per_million(micros: i64) -> String {
    format!("${}", plain_amount(micros))
}

/// `0: Stub → up-small ×3 (off)`.
fn deployment(d: &LlmDeployment) -> String {
    let off = if d.enabled { "" } else { " (off)" };
    format!(
        "{}: {} → {} ×{}{off}",
        d.priority, d.provider_name, d.upstream_model, d.weight
    )
}

#[component]
pub fn ModelsCard(providers_changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveLlmModel>::new();
    let remove = ServerAction::<RemoveLlmModel>::new();
    let edit = ServerAction::<SaveLlmModel>::new();
    let editing = RwSignal::<Editing>::new(None);
    let list = Resource::new(
        move || {
            (
                save.version().get(),
                remove.version().get(),
                edit.version().get(),
                providers_changed.get(),
            )
        },
        |_| list_llm_models(),
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = edit.value().get() {
            editing.set(None);
        }
    });
    view! {
        <section class="card" data-testid="llm-models">
            <h3>"Models and prices"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(ms) if ms.is_empty() => view! { <p class="muted" data-testid="models-empty">"No model yet. Clients can call a model once it has a deployment."</p> }.into_any(),
                        Ok(ms) => view! { <Table models=ms remove edit editing /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            {move || editing.get().map(|(model, others)| view! { <RoutingEditor model others save=edit editing /> })}
            <AddForm save providers_changed />
        </section>
    }
}

#[component]
fn Table(
    models: Vec<LlmModel>,
    remove: ServerAction<RemoveLlmModel>,
    edit: ServerAction<SaveLlmModel>,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let all: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
    view! {
        <table class="table">
            <thead><tr><th>"Model"</th><th>"Group"</th><th>"Input / M tokens"</th><th>"Output / M tokens"</th><th>"Routing"</th><th>"Deployments (tier: provider → model ×weight)"</th><th></th></tr></thead>
            <tbody>
                {models.into_iter().map(|m| {
                    let id = m.id.clone();
                    let aliases = (!m.aliases.is_empty()).then(|| format!(" (also {})", m.aliases.join(", ")));
                    let deps = m.deployments.iter().map(deployment).collect::<Vec<_>>().join("; ");
                    let fallbacks = (!m.fallbacks.is_empty()).then(|| format!("; then {}", m.fallbacks.join(", ")));
                    let others: Vec<String> = all.iter().filter(|n| **n != m.name).cloned().collect();
                    let row = StoredValue::new((m.clone(), others));
                    view! {
                        <tr data-testid="model-row">
                            <td><strong>{m.name.clone()}</strong>{aliases}<span class="muted">{format!(" {}", m.kind)}</span>{(!m.enabled).then(|| view! { <span class="badge">"off"</span> })}</td>
                            <td>{m.model_group.clone()}</td>
                            <td>{per_million(m.input_price)}</td>
                            <td>{per_million(m.output_price)}</td>
                            <td data-testid="model-routing">{format!("{}, {} retries", m.routing, m.retries)}{fallbacks}</td>
                            <td class="mono" data-testid="model-deployments">{if deps.is_empty() { "none: not callable".to_string() } else { deps }}</td>
                            <td class="buttons">
                                <button type="button" class="button" data-testid="model-edit" on:click=move |_| { edit.clear(); editing.set(Some(row.get_value())); }>"Edit"</button>
                                <button type="button" class="button danger" on:click=move |_| { remove.dispatch(RemoveLlmModel { id: id.clone() }); }>"Remove"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn AddForm(save: ServerAction<SaveLlmModel>, providers_changed: RwSignal<u32>) -> impl IntoView {
    let providers = Resource::new(move || providers_changed.get(), |_| list_llm_providers());
    let (name, group, kind) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::from("basic")),
        RwSignal::new(String::from("chat")),
    );
    let (input, output) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (provider, upstream) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let price = |s: RwSignal<String>| parse_amount(&s.get_untracked()).unwrap_or(-1);
        let provider_id = provider.get_untracked();
        save.dispatch(SaveLlmModel {
            id: None,
            input: LlmModelForSave {
                name: name.get_untracked(),
                model_group: group.get_untracked(),
                kind: Some(kind.get_untracked()),
                input_price: price(input),
                output_price: price(output),
                enabled: true,
                deployments: (!provider_id.is_empty())
                    .then(|| LlmDeployment {
                        id: String::new(),
                        provider_id,
                        provider_name: String::new(),
                        upstream_model: upstream.get_untracked(),
                        priority: 0,
                        weight: 1,
                        input_cost: 0,
                        output_cost: 0,
                        enabled: true,
                    })
                    .into_iter()
                    .collect(),
                ..LlmModelForSave::default()
            },
        });
    };
    let text = |v: RwSignal<String>, id: &'static str, label: &'static str| {
        view! {
            <label>{label}<input type="text" data-testid=id prop:value=move || v.get() on:input=move |e| v.set(event_target_value(&e)) /></label>
        }
    };
    view! {
        <form class="form inline-form" on:submit=submit data-testid="model-form">
            <h4>"Add a model"</h4>
            {text(name, "model-name", "Public name")}
            {text(group, "model-group", "Group (plans open groups)")}
            <label>"Kind"
                <select data-testid="model-kind" on:change=move |e| kind.set(event_target_value(&e))>
                    <option value="chat">"Chat"</option>
                    <option value="embeddings">"Embeddings"</option>
                </select>
            </label>
            {text(input, "model-input-price", "Input, $ per million tokens")}
            {text(output, "model-output-price", "Output, $ per million tokens")}
            <label>"Served by"
                <select data-testid="model-provider" on:change=move |e| provider.set(event_target_value(&e))>
                    <option value="">"(no deployment yet)"</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            providers.await.unwrap_or_default().into_iter().map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            {text(upstream, "model-upstream", "The provider's name for it")}
            <div class="buttons"><button type="submit" class="button primary" data-testid="model-add" disabled=move || save.pending().get()>"Add model"</button></div>
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </form>
    }
}
