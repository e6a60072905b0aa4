//! `/account/provider-keys`: your own provider keys (bring your own key), or those of an
//! organisation whose owners and billing admins you are among. Each is tried before it is
//! kept, shown masked, and used as its policy says; a key the provider starts refusing is
//! flagged here (and you are notified).

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{
    BYOK_POLICIES, ByokKey, ByokKeyForSave, ByokProviders, LlmProviderTest, Org, OrgRole,
    Permission,
};

use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::components::shell::CurrentUser;
use crate::server::gateway::{
    ProbeOwnKey, RemoveOwnKey, SaveOwnKey, SetOwnKeyPolicy, list_own_keys,
};
use crate::server::org::my_orgs;

/// Whose keys the page shows: `None` for the caller's own, else an organisation's id.
type OrgId = Option<String>;

#[component]
pub fn ProviderKeysPage() -> impl IntoView {
    let save = ServerAction::<SaveOwnKey>::new();
    let remove = ServerAction::<RemoveOwnKey>::new();
    let policy = ServerAction::<SetOwnKeyPolicy>::new();
    // The selected owner: empty for mine, else an organisation's id.
    let owner = RwSignal::new(String::new());
    let data = Resource::new(
        move || {
            (
                owner.get(),
                save.version().get(),
                remove.version().get(),
                policy.version().get(),
            )
        },
        |(owner, ..)| async move {
            let org_id = Some(owner).filter(|o| !o.is_empty());
            (org_id.clone(), list_own_keys(org_id).await)
        },
    );
    let switch = Callback::new(move |id: String| {
        save.clear();
        remove.clear();
        policy.clear();
        owner.set(id);
    });
    view! {
        <Title text="Provider keys" />
        <div class="page-head"><h1>"Provider keys"</h1></div>
        <p class="muted">"Use your own OpenAI, Anthropic, Gemini or OpenRouter key for the models those providers serve. Keys are encrypted at rest and never shown again."</p>
        <OwnerPicker owner switch />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    (org_id, Ok((providers, keys))) => view! { <Keys providers=providers.clone() keys org_id=org_id.clone() remove policy /> <AddForm providers org_id save /> }.into_any(),
                    (_, Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        {move || remove.value().get().and_then(|r| r.err()).or_else(|| policy.value().get().and_then(|r| r.err())).map(|e| view! { <ErrorBox error=e /> })}
    }
}

/// Organisations whose keys the caller may manage: those they own or run billing of (the
/// platform's billing managers: any they belong to), as the server checks.
fn manageable(orgs: Vec<Org>, billing_manager: bool) -> Vec<Org> {
    orgs.into_iter()
        .filter(|o| {
            billing_manager || matches!(o.my_role, Some(OrgRole::Owner | OrgRole::BillingAdmin))
        })
        .collect()
}

/// "Whose keys": mine, or one of the organisations I manage keys for; hidden when there is
/// none.
#[component]
fn OwnerPicker(owner: RwSignal<String>, switch: Callback<String>) -> impl IntoView {
    let orgs = Resource::new(|| (), |_| my_orgs());
    let billing_manager =
        use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::BillingManage));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let orgs = manageable(orgs.await.unwrap_or_default(), billing_manager);
                (!orgs.is_empty()).then(|| view! {
                    <div class="form inline byok-owner">
                        <label>"Whose keys"
                            <select data-testid="byok-owner" on:change=move |e| switch.run(event_target_value(&e))>
                                <option value="" selected=move || owner.get().is_empty()>"Mine"</option>
                                {orgs.into_iter().map(|o| {
                                    let id = o.id.clone();
                                    view! { <option value=o.id.clone() selected=move || owner.get() == id>{o.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    </div>
                })
            })}
        </Suspense>
    }
}

#[component]
fn Keys(
    providers: ByokProviders,
    keys: Vec<ByokKey>,
    org_id: OrgId,
    remove: ServerAction<RemoveOwnKey>,
    policy: ServerAction<SetOwnKeyPolicy>,
) -> impl IntoView {
    let fee = providers.fee_percent;
    let (whose, title) = if org_id.is_some() {
        ("the organisation's", "The organisation's keys")
    } else {
        ("your", "Your keys")
    };
    let empty = if org_id.is_some() {
        "No key yet for this organisation: the platform's keys serve all its requests."
    } else {
        "No key yet: the platform's keys serve all your requests."
    };
    view! {
        <section class="card" data-testid="own-keys">
            <h3>{title}</h3>
            <p class="muted" data-testid="byok-fee-note">{if fee == 0 {
                format!("Requests {whose} keys serve are not charged by the platform.")
            } else {
                format!("Requests {whose} keys serve are charged {fee}% of the list price (the platform fee).")
            }}</p>
            {if keys.is_empty() {
                view! { <p class="muted" data-testid="own-keys-empty">{empty}</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Provider"</th><th>"Key"</th><th>"Status"</th><th>"Used"</th><th></th></tr></thead>
                        <tbody>{keys.into_iter().map(|k| view! { <KeyRow k org_id=org_id.clone() remove policy /> }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn KeyRow(
    k: ByokKey,
    org_id: OrgId,
    remove: ServerAction<RemoveOwnKey>,
    policy: ServerAction<SetOwnKeyPolicy>,
) -> impl IntoView {
    let probe = ServerAction::<ProbeOwnKey>::new();
    let (p1, p2, p3) = (k.provider.clone(), k.provider.clone(), k.provider.clone());
    let (o1, o2, o3) = (org_id.clone(), org_id.clone(), org_id);
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
                    policy.dispatch(SetOwnKeyPolicy { org_id: o1.clone(), provider: p1.clone(), policy: event_target_value(&e) });
                }>
                    {BYOK_POLICIES.iter().map(|(v, l)| view! { <option value=*v selected=current == *v>{*l}</option> }).collect_view()}
                </select>
            </td>
            <td class="buttons">
                <button type="button" class="button" data-testid="own-key-test" disabled=move || probe.pending().get()
                    on:click=move |_| { probe.dispatch(ProbeOwnKey { org_id: o2.clone(), provider: p2.clone() }); }>"Test"</button>
                <button type="button" class="button danger" on:click=move |_| { remove.dispatch(RemoveOwnKey { org_id: o3.clone(), provider: p3.clone() }); }>"Remove"</button>
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
fn AddForm(
    providers: ByokProviders,
    org_id: OrgId,
    save: ServerAction<SaveOwnKey>,
) -> impl IntoView {
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
            org_id: org_id.clone(),
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
