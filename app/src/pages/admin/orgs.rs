//! `/admin/organizations`: every organisation, searchable; open, suspend or restore one.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::Permission;

use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::components::shell::CurrentUser;
use crate::server::org::{SetOrgSuspended, all_orgs};

#[component]
pub fn AllOrgsPage() -> impl IntoView {
    let can_manage =
        use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::UsersManage));
    let status = ServerAction::<SetOrgSuspended>::new();
    let q = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    let list = Resource::new(
        move || (applied.get(), status.version().get()),
        |(q, _)| all_orgs(q),
    );
    view! {
        <Title text="Organisations" />
        <div class="page-head"><h1>"Organisations"</h1></div>
        <section class="card" data-testid="all-orgs">
            <form class="form inline toolbar" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); applied.set(q.get_untracked()); }>
                <label>"Search"
                    <input type="text" placeholder="name or slug" data-testid="orgs-search" prop:value=move || q.get() on:input=move |e| q.set(event_target_value(&e)) />
                </label>
                <div class="buttons"><button type="submit" class="button primary">"Search"</button></div>
            </form>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(orgs) if orgs.is_empty() => view! { <p class="muted">"No organisations match."</p> }.into_any(),
                        Ok(orgs) => view! {
                            <table class="table">
                                <thead><tr><th>"Name"</th><th>"Members"</th><th>"Created"</th><th>"Status"</th><th></th></tr></thead>
                                <tbody>
                                    {orgs.into_iter().map(|o| {
                                        let (id, name, suspended) = (o.id.clone(), o.name.clone(), o.suspended);
                                        view! {
                                            <tr data-testid=format!("all-org-{}", o.slug)>
                                                <td><a href=format!("/org/{}", o.id)><strong>{o.name.clone()}</strong></a><div class="hint">{o.slug.clone()}</div></td>
                                                <td><a href=format!("/admin/users?org={}", o.id) title="These members in the user list">{o.members}</a></td>
                                                <td>{datetime(o.created_at)}</td>
                                                <td>{if suspended { "suspended" } else { "active" }}</td>
                                                <td class="actions">
                                                    {can_manage.then(|| view! {
                                                        <button class="button small" class:danger=!suspended on:click=move |_| {
                                                            let what = if suspended { format!("Restore {name}?") } else { format!("Suspend {name}? Its members cannot use it until it is restored.") };
                                                            if confirm(&what) {
                                                                status.dispatch(SetOrgSuspended { id: id.clone(), suspended: !suspended });
                                                            }
                                                        }>{if suspended { "Restore" } else { "Suspend" }}</button>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || status.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </section>
    }
}
