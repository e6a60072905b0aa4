//! The routing editor of `/admin/gateway`: one model's names, prices, routing mode, retries
//! and fallbacks, and its deployments (provider, upstream name, priority tier, weight, costs).
//! Saving replaces the deployments as a whole; the server checks everything and its error is
//! shown as is.

use leptos::prelude::*;
use ops_types::{
    LlmDeployment, LlmModel, LlmModelForSave, LlmProvider, ROUTING_MODES, parse_amount,
    plain_amount,
};

use crate::components::alert::ErrorBox;
use crate::components::field::comma_list;
use crate::server::gateway::{SaveLlmModel, list_llm_providers};

/// A model being edited, with the names of the other models (the fallback candidates).
pub type Editing = Option<(LlmModel, Vec<String>)>;

/// A number typed in a field; what does not parse becomes `bad`, which the server refuses
/// with the field's rule.
fn number<T: std::str::FromStr>(s: RwSignal<String>, bad: T) -> T {
    s.get_untracked().trim().parse().unwrap_or(bad)
}

fn price(s: RwSignal<String>) -> i64 {
    parse_amount(&s.get_untracked()).unwrap_or(-1)
}

/// One deployment row of the form.
#[derive(Clone, Copy)]
struct Dep {
    id: StoredValue<String>,
    provider: RwSignal<String>,
    upstream: RwSignal<String>,
    priority: RwSignal<String>,
    weight: RwSignal<String>,
    input_cost: RwSignal<String>,
    output_cost: RwSignal<String>,
    enabled: RwSignal<bool>,
}

impl Dep {
    fn new(d: &LlmDeployment) -> Self {
        Dep {
            id: StoredValue::new(d.id.clone()),
            provider: RwSignal::new(d.provider_id.clone()),
            upstream: RwSignal::new(d.upstream_model.clone()),
            priority: RwSignal::new(d.priority.to_string()),
            weight: RwSignal::new(d.weight.to_string()),
            input_cost: RwSignal::new(plain_amount(d.input_cost)),
            output_cost: RwSignal::new(plain_amount(d.output_cost)),
            enabled: RwSignal::new(d.enabled),
        }
    }

    fn read(&self) -> LlmDeployment {
        LlmDeployment {
            id: self.id.get_value(),
            provider_id: self.provider.get_untracked(),
            provider_name: String::new(),
            upstream_model: self.upstream.get_untracked().trim().to_string(),
            priority: number(self.priority, -1),
            weight: number(self.weight, -1),
            input_cost: price(self.input_cost),
            output_cost: price(self.output_cost),
            enabled: self.enabled.get_untracked(),
        }
    }
}

/// The editor: loads the providers, then shows the form.
#[component]
pub fn RoutingEditor(
    model: LlmModel,
    others: Vec<String>,
    save: ServerAction<SaveLlmModel>,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let providers = Resource::new(|| (), |_| list_llm_providers());
    let (model, others) = (StoredValue::new(model), StoredValue::new(others));
    view! {
        <section class="routing-editor" data-testid="routing-editor">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match providers.await {
                        Ok(ps) => view! { <RoutingForm model=model.get_value() others=others.get_value() providers=ps save editing /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RoutingForm(
    model: LlmModel,
    others: Vec<String>,
    providers: Vec<LlmProvider>,
    save: ServerAction<SaveLlmModel>,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let id = model.id.clone();
    let title = format!("Edit {}", model.name);
    let name = RwSignal::new(model.name.clone());
    let aliases = RwSignal::new(model.aliases.join(", "));
    let group = RwSignal::new(model.model_group.clone());
    let kind = RwSignal::new(model.kind.clone());
    let input = RwSignal::new(plain_amount(model.input_price));
    let output = RwSignal::new(plain_amount(model.output_price));
    let max_tokens = RwSignal::new(model.max_output_tokens.to_string());
    let routing = RwSignal::new(model.routing.clone());
    let retries = RwSignal::new(model.retries.to_string());
    let fallbacks = RwSignal::new(model.fallbacks.join(", "));
    let enabled = RwSignal::new(model.enabled);
    let deps = RwSignal::new(model.deployments.iter().map(Dep::new).collect::<Vec<_>>());
    let first_provider = providers.first().map(|p| p.id.clone()).unwrap_or_default();
    let providers = StoredValue::new(providers);
    let add = move |_| {
        let next = deps.with_untracked(|ds| {
            ds.iter()
                .filter_map(|d| d.priority.get_untracked().trim().parse::<i32>().ok())
                .max()
                .map_or(0, |p| (p + 1).min(100))
        });
        deps.update(|ds| {
            ds.push(Dep::new(&LlmDeployment {
                id: String::new(),
                provider_id: first_provider.clone(),
                provider_name: String::new(),
                upstream_model: String::new(),
                priority: next,
                weight: 1,
                input_cost: 0,
                output_cost: 0,
                enabled: true,
            }))
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let max = max_tokens.get_untracked();
        save.dispatch(SaveLlmModel {
            id: Some(id.clone()),
            input: LlmModelForSave {
                name: name.get_untracked().trim().to_string(),
                aliases: comma_list(&aliases.get_untracked()),
                model_group: group.get_untracked(),
                kind: Some(kind.get_untracked()),
                input_price: price(input),
                output_price: price(output),
                max_output_tokens: (!max.trim().is_empty()).then(|| number(max_tokens, 0)),
                routing: Some(routing.get_untracked()),
                retries: Some(number(retries, -1)),
                fallbacks: comma_list(&fallbacks.get_untracked()),
                enabled: enabled.get_untracked(),
                deployments: deps.with_untracked(|ds| ds.iter().map(Dep::read).collect()),
            },
        });
    };
    let text = |v: RwSignal<String>, testid: &'static str, label: &'static str| {
        view! {
            <label>{label}<input type="text" data-testid=testid prop:value=move || v.get() on:input=move |e| v.set(event_target_value(&e)) /></label>
        }
    };
    let others_hint = if others.is_empty() {
        "No other model yet.".to_string()
    } else {
        format!("Other models: {}", others.join(", "))
    };
    view! {
        <form class="form inline-form routing-form" on:submit=submit data-testid="routing-form">
            <h4>{title}</h4>
            {text(name, "routing-name", "Public name")}
            {text(aliases, "routing-aliases", "Aliases (comma-separated)")}
            {text(group, "routing-group", "Group (plans open groups)")}
            <label>"Kind"
                <select data-testid="routing-kind" on:change=move |e| kind.set(event_target_value(&e))>
                    {[("chat", "Chat"), ("embeddings", "Embeddings")].into_iter().map(|(v, l)| view! { <option value=v selected=move || kind.get() == v>{l}</option> }).collect_view()}
                </select>
            </label>
            {text(input, "routing-input-price", "Input, $ per million tokens")}
            {text(output, "routing-output-price", "Output, $ per million tokens")}
            <label>"Max output tokens"<input type="number" min="1" data-testid="routing-max-tokens" prop:value=move || max_tokens.get() on:input=move |e| max_tokens.set(event_target_value(&e)) /></label>
            <label>"Routing"
                <select data-testid="routing-mode" on:change=move |e| routing.set(event_target_value(&e))>
                    {ROUTING_MODES.iter().map(|(v, l)| view! { <option value=*v selected=move || routing.get() == *v>{*l}</option> }).collect_view()}
                </select>
            </label>
            <label>"Retries after a failure"<input type="number" min="0" max="10" data-testid="routing-retries" prop:value=move || retries.get() on:input=move |e| retries.set(event_target_value(&e)) /></label>
            <label>"Fallback models, in order (comma-separated)"
                <input type="text" data-testid="routing-fallbacks" prop:value=move || fallbacks.get() on:input=move |e| fallbacks.set(event_target_value(&e)) />
                <span class="muted">{others_hint}</span>
            </label>
            <label class="check"><input type="checkbox" data-testid="routing-enabled" prop:checked=move || enabled.get() on:change=move |e| enabled.set(event_target_checked(&e)) />"Enabled"</label>
            <div class="routing-deployments">
                <h4>"Deployments"</h4>
                <p class="muted">"Lower priority tiers are tried first; inside a tier, traffic is shared by weight (priority routing) or goes to the fastest or cheapest deployment."</p>
                {move || if deps.with(Vec::is_empty) {
                    view! { <p class="muted" data-testid="deployments-empty">"No deployment: clients cannot call this model."</p> }.into_any()
                } else {
                    view! {
                        <table class="table compact">
                            <thead><tr><th>"Provider"</th><th>"Upstream model"</th><th>"Priority"</th><th>"Weight"</th><th>"Cost in, $/M"</th><th>"Cost out, $/M"</th><th>"On"</th><th></th></tr></thead>
                            <tbody>{deps.get().into_iter().enumerate().map(|(i, d)| view! { <DepRow d i deps providers /> }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }}
                <div class="buttons">
                    <button type="button" class="button" data-testid="deployment-add" disabled=providers.with_value(Vec::is_empty) on:click=add>"Add deployment"</button>
                </div>
            </div>
            <div class="buttons">
                <button type="submit" class="button primary" data-testid="routing-save" disabled=move || save.pending().get()>"Save model"</button>
                <button type="button" class="button secondary" data-testid="routing-cancel" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </form>
    }
}

#[component]
fn DepRow(
    d: Dep,
    i: usize,
    deps: RwSignal<Vec<Dep>>,
    providers: StoredValue<Vec<LlmProvider>>,
) -> impl IntoView {
    let field = |v: RwSignal<String>, testid: &'static str, kind: &'static str| {
        view! { <input type=kind data-testid=testid prop:value=move || v.get() on:input=move |e| v.set(event_target_value(&e)) /> }
    };
    view! {
        <tr data-testid="deployment-row">
            <td>
                <select data-testid="deployment-provider" on:change=move |e| d.provider.set(event_target_value(&e))>
                    {providers.get_value().into_iter().map(|p| {
                        let pid = p.id.clone();
                        view! { <option value=p.id.clone() selected=move || d.provider.get() == pid>{p.name.clone()}</option> }
                    }).collect_view()}
                </select>
            </td>
            <td>{field(d.upstream, "deployment-upstream", "text")}</td>
            <td>{field(d.priority, "deployment-priority", "number")}</td>
            <td>{field(d.weight, "deployment-weight", "number")}</td>
            <td>{field(d.input_cost, "deployment-input-cost", "text")}</td>
            <td>{field(d.output_cost, "deployment-output-cost", "text")}</td>
            <td><input type="checkbox" data-testid="deployment-enabled" prop:checked=move || d.enabled.get() on:change=move |e| d.enabled.set(event_target_checked(&e)) /></td>
            <td><button type="button" class="button small danger" data-testid="deployment-remove" on:click=move |_| deps.update(|ds| { ds.remove(i); })>"Remove"</button></td>
        </tr>
    }
}
