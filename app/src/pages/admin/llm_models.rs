//! The "Models and prices" card of `/admin/gateway`: the public model names with their group
//! (what plans open), prices per million tokens and deployments in routing order; and a form
//! to add a model served by one provider (more deployments are added over the API).

use leptos::prelude::*;
use ops_types::{LlmDeployment, LlmModel, LlmModelForSave, parse_amount};

use crate::components::alert::ErrorBox;
use crate::server::gateway::{RemoveLlmModel, SaveLlmModel, list_llm_models, list_llm_providers};

fn per_million(micros: i64) -> String {
    let d = ops_types::decimal_amount(micros);
    let d = if d.contains('.') {
        d.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        d
    };
    format!("${d}")
}

#[component]
pub fn ModelsCard(providers_changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveLlmModel>::new();
    let remove = ServerAction::<RemoveLlmModel>::new();
    let list = Resource::new(
        move || {
            (
                save.version().get(),
                remove.version().get(),
                providers_changed.get(),
            )
        },
        |_| list_llm_models(),
    );
    view! {
        <section class="card" data-testid="llm-models">
            <h3>"Models and prices"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(ms) if ms.is_empty() => view! { <p class="muted" data-testid="models-empty">"No model yet. Clients can call a model once it has a deployment."</p> }.into_any(),
                        Ok(ms) => view! { <Table models=ms remove /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            <AddForm save providers_changed />
        </section>
    }
}

#[component]
fn Table(models: Vec<LlmModel>, remove: ServerAction<RemoveLlmModel>) -> impl IntoView {
    view! {
        <table class="table">
            <thead><tr><th>"Model"</th><th>"Group"</th><th>"Input / M tokens"</th><th>"Output / M tokens"</th><th>"Routing"</th><th>"Deployments (in order)"</th><th></th></tr></thead>
            <tbody>
                {models.into_iter().map(|m| {
                    let id = m.id.clone();
                    let aliases = (!m.aliases.is_empty()).then(|| format!(" (also {})", m.aliases.join(", ")));
                    let deps = m.deployments.iter().map(|d| format!("{}: {} → {}", d.priority, d.provider_name, d.upstream_model)).collect::<Vec<_>>().join("; ");
                    view! {
                        <tr data-testid="model-row">
                            <td><strong>{m.name.clone()}</strong>{aliases}<span class="muted">{format!(" {}", m.kind)}</span></td>
                            <td>{m.model_group.clone()}</td>
                            <td>{per_million(m.input_price)}</td>
                            <td>{per_million(m.output_price)}</td>
                            <td>{format!("{}, {} retries", m.routing, m.retries)}</td>
                            <td class="mono">{if deps.is_empty() { "none: not callable".to_string() } else { deps }}</td>
                            <td><button type="button" class="button danger" on:click=move |_| { remove.dispatch(RemoveLlmModel { id: id.clone() }); }>"Remove"</button></td>
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
