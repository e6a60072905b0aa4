//! `/account/organizations`: your organisations (switch the active one, open one), create
//! one, and join those that admit your e-mail domain.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::ErrorBox;
use crate::components::shell::OrgsChanged;
use crate::server::org::{CreateOrg, JoinOrg, SwitchOrg, joinable_orgs, my_orgs};

#[component]
pub fn OrgsPage() -> impl IntoView {
    let create = ServerAction::<CreateOrg>::new();
    let switch = ServerAction::<SwitchOrg>::new();
    let join = ServerAction::<JoinOrg>::new();
    let list = Resource::new(
        move || {
            (
                create.version().get(),
                switch.version().get(),
                join.version().get(),
            )
        },
        |_| my_orgs(),
    );
    let open = Resource::new(move || join.version().get(), |_| joinable_orgs());
    let name = RwSignal::new(String::new());
    let changed = use_context::<OrgsChanged>();
    Effect::new(move |_| {
        let n = create.version().get() + switch.version().get() + join.version().get();
        if n > 0
            && let Some(c) = changed
        {
            c.0.update(|v| *v += 1);
        }
    });
    view! {
        <Title text="Organisations" />
        <div class="page-head"><h1>"Organisations"</h1></div>
        <section class="card" data-testid="my-orgs">
            <h3>"Yours"</h3>
            <p class="muted">"The active organisation is the one your keys, usage and billing count against. Personal use counts against you alone."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(orgs) if orgs.is_empty() => view! { <p class="muted" data-testid="orgs-empty">"You are not in any organisation yet. Create one below, or accept an invitation."</p> }.into_any(),
                        Ok(orgs) => {
                            let none_active = !orgs.iter().any(|o| o.active);
                            view! {
                                <table class="table">
                                    <thead><tr><th>"Name"</th><th>"Your role"</th><th>"Members"</th><th></th></tr></thead>
                                    <tbody>
                                        {orgs.into_iter().map(|o| {
                                            let id = o.id.clone();
                                            view! {
                                                <tr data-testid=format!("org-{}", o.slug)>
                                                    <td><a href=format!("/org/{}", o.id)><strong>{o.name.clone()}</strong></a>
                                                        {o.active.then(|| view! { " " <span class="badge" data-testid="org-active">"active"</span> })}
                                                        {o.suspended.then(|| view! { " " <span class="badge danger">"suspended"</span> })}
                                                        <div class="hint">{o.slug.clone()}</div></td>
                                                    <td>{o.my_role.map(|r| r.label()).unwrap_or("")}</td>
                                                    <td>{o.members}</td>
                                                    <td class="actions">
                                                        {(!o.active).then(|| view! {
                                                            <button class="button small" data-testid="org-switch"
                                                                on:click=move |_| { switch.dispatch(SwitchOrg { org_id: Some(id.clone()) }); }>"Make active"</button>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {(!none_active).then(|| view! {
                                    <button class="button small" on:click=move |_| { switch.dispatch(SwitchOrg { org_id: None }); }>"Switch to personal use"</button>
                                })}
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || switch.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </section>
        <Suspense>
            {move || Suspend::new(async move {
                let orgs = open.await.unwrap_or_default();
                (!orgs.is_empty()).then(|| view! {
                    <section class="card" data-testid="joinable-orgs">
                        <h3>"Open to your e-mail domain"</h3>
                        <ul class="plain-list">
                            {orgs.into_iter().map(|o| {
                                let id = o.id.clone();
                                view! {
                                    <li>{o.name.clone()} " " <span class="hint">{format!("{} members", o.members)}</span> " "
                                        <button class="button small" on:click=move |_| { join.dispatch(JoinOrg { id: id.clone() }); }>"Join"</button></li>
                                }
                            }).collect_view()}
                        </ul>
                        {move || join.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
                    </section>
                })
            })}
        </Suspense>
        <section class="card">
            <h3>"Create an organisation"</h3>
            <form class="form inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                create.dispatch(CreateOrg { name: name.get_untracked() });
            }>
                <label>"Name"
                    <input type="text" data-testid="org-name" prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
                </label>
                <div class="buttons"><button type="submit" class="button primary" data-testid="org-create" disabled=move || create.pending().get()>"Create"</button></div>
            </form>
            {move || create.value().get().map(|r| match r {
                Ok(o) => view! { <div class="alert success" data-testid="org-created">"Created. " <a href=format!("/org/{}", o.id)>{format!("Open {}", o.name)}</a></div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}
