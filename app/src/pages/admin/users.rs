//! `/admin/users`: search, filter, sort and page through users; select some for a bulk
//! action; create one; export the filtered list; figures and sign-ups over time.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{BulkUsers, Permission, Role, UserPage};

use super::mfa_policy::MfaPolicyCard;
use super::roles::RolesCard;
use super::user_create::CreateUserCard;
use super::user_import::ImportCard;
use super::users_filters::{Filters, MoreFilters, export_href};
use super::users_summary::Summary;
use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::components::format::{datetime, opt_datetime};
use crate::components::shell::CurrentUser;
use crate::server::admin::{ApplyBulk, list_tiers, list_users};
use crate::server::sso::sso_buttons;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsersPage() -> impl IntoView {
    let can_manage =
        use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::UsersManage));
    // `?provider=slug` and `?org=id` link straight to the people of one provider or organisation.
    let query = use_query_map().get_untracked();
    let f = Filters::default();
    f.provider.set(query.get("provider").unwrap_or_default());
    f.org.set(query.get("org").unwrap_or_default());
    let providers = Resource::new(|| (), |_| sso_buttons());
    let tiers = Resource::new(|| (), |_| list_tiers());
    let applied = RwSignal::new(f.query(1));
    let selected = RwSignal::new(Vec::<String>::new());
    let bulk = ServerAction::<ApplyBulk>::new();
    let created = RwSignal::new(0_u32);
    let page = Resource::new(
        move || (applied.get(), bulk.version().get(), created.get()),
        |(q, _, _)| list_users(q),
    );
    let go = move |n: i64| {
        selected.set(Vec::new());
        applied.set(f.query(n));
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go(1);
    };
    let bulk_role = RwSignal::new("viewer".to_string());
    let bulk_tier = RwSignal::new("free".to_string());
    let run_bulk = move |action: &'static str| {
        let ids = selected.get_untracked();
        let what = match action {
            "delete" => format!(
                "Delete {} user(s)? Their sessions and API keys go too.",
                ids.len()
            ),
            "suspend" => format!(
                "Suspend {} user(s)? They are signed out at once.",
                ids.len()
            ),
            "set_tier" => format!(
                "Put {} user(s) on the {} tier?",
                ids.len(),
                bulk_tier.get_untracked()
            ),
            _ => format!(
                "Give {} user(s) the role {}?",
                ids.len(),
                bulk_role.get_untracked()
            ),
        };
        if confirm(&what) {
            bulk.dispatch(ApplyBulk {
                action: action.into(),
                input: BulkUsers {
                    ids,
                    role: Role::parse(&bulk_role.get_untracked()),
                    tier: Some(bulk_tier.get_untracked()),
                },
            });
            selected.set(Vec::new());
        }
    };
    let field = |sig: RwSignal<String>| move |e| sig.set(event_target_value(&e));
    view! {
        <Title text="Users" />
        <div class="page-head">
            <h1>"Users"</h1>
            <div class="actions">
                <a class="button secondary" data-testid="users-export" href=move || export_href(&applied.get())>"Export CSV"</a>
            </div>
        </div>
        <Summary />
        {can_manage.then(|| view! { <CreateUserCard on_created=move || created.update(|n| *n += 1) /> })}
        {can_manage.then(|| view! { <ImportCard on_done=move || created.update(|n| *n += 1) /> })}
        <section class="card">
            <form class="form inline toolbar" on:submit=apply>
                <label>"Search"
                    <input type="text" placeholder="email or name" data-testid="users-search" on:input=field(f.q) prop:value=move || f.q.get() />
                </label>
                <label class="narrow-field">"Role"
                    <select data-testid="users-role" on:change=field(f.role)>
                        <option value="">"Any role"</option>
                        {Role::ALL.map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="narrow-field">"Status"
                    <select data-testid="users-status" on:change=field(f.status)>
                        <option value="">"Any"</option>
                        <option value="active">"Active"</option>
                        <option value="suspended">"Suspended"</option>
                    </select>
                </label>
                <label class="narrow-field">"Tier"
                    <select data-testid="users-tier" on:change=field(f.tier)>
                        <option value="">"Any"</option>
                        <Suspense>
                            {move || Suspend::new(async move {
                                tiers.await.unwrap_or_default().into_iter().map(|t| view! {
                                    <option value=t.code.clone()>{t.name}</option>
                                }).collect_view()
                            })}
                        </Suspense>
                    </select>
                </label>
                <label class="narrow-field">"Sign-in"
                    <select data-testid="users-provider" on:change=field(f.provider)>
                        <option value="">"Any"</option>
                        <option value="none" selected=f.provider.get_untracked() == "none">"Password only"</option>
                        <Suspense>
                            {move || Suspend::new(async move {
                                providers.await.unwrap_or_default().into_iter().map(|b| {
                                    let selected = f.provider.get_untracked() == b.slug;
                                    view! { <option value=b.slug.clone() selected=selected>{b.name}</option> }
                                }).collect_view()
                            })}
                        </Suspense>
                    </select>
                </label>
                <label class="narrow-field">"Sort"
                    <select data-testid="users-sort" on:change=field(f.sort)>
                        <option value="created_at:desc">"Newest"</option>
                        <option value="created_at:asc">"Oldest"</option>
                        <option value="email:asc">"Email A–Z"</option>
                        <option value="name:asc">"Name A–Z"</option>
                        <option value="last_login_at:desc">"Recently signed in"</option>
                    </select>
                </label>
                <div class="buttons"><button type="submit" class="button primary" data-testid="users-apply">"Apply"</button></div>
                <MoreFilters f=f />
            </form>
            {move || (can_manage && !selected.get().is_empty()).then(|| view! {
                <div class="bulk-bar" data-testid="bulk-bar">
                    <span>{move || format!("{} selected", selected.get().len())}</span>
                    <select on:change=move |e| bulk_role.set(event_target_value(&e)) data-testid="bulk-role">
                        {Role::ALL.map(|r| view! { <option value=r.as_str() selected=r == Role::Viewer>{r.label()}</option> }).collect_view()}
                    </select>
                    <button class="button small" on:click=move |_| run_bulk("assign_role")>"Set role"</button>
                    <select on:change=move |e| bulk_tier.set(event_target_value(&e)) data-testid="bulk-tier">
                        <Suspense>
                            {move || Suspend::new(async move {
                                tiers.await.unwrap_or_default().into_iter().map(|t| view! {
                                    <option value=t.code.clone() selected=t.code == "free">{t.name}</option>
                                }).collect_view()
                            })}
                        </Suspense>
                    </select>
                    <button class="button small" data-testid="bulk-set-tier" on:click=move |_| run_bulk("set_tier")>"Set tier"</button>
                    <button class="button small" data-testid="bulk-suspend" on:click=move |_| run_bulk("suspend")>"Suspend"</button>
                    <button class="button small danger" data-testid="bulk-delete" on:click=move |_| run_bulk("delete")>"Delete"</button>
                </div>
            })}
            {move || bulk.value().get().map(|r| match r {
                Ok(out) => {
                    let failed: Vec<String> = out.iter().filter(|o| !o.ok).map(|o| o.message.clone().unwrap_or_default()).collect();
                    let ok = out.len() - failed.len();
                    view! {
                        <div class=if failed.is_empty() { "alert success" } else { "alert warning" } data-testid="bulk-result">
                            {format!("{ok} done.")}
                            {(!failed.is_empty()).then(|| format!(" {} skipped: {}", failed.len(), failed.join("; ")))}
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            <Transition fallback=|| view! { <p>"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.users.is_empty() => view! { <p class="empty" data-testid="users-empty">"No users match."</p> }.into_any(),
                        Ok(p) => view! { <UserTable page=p selected=selected can_manage=can_manage go=go /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        {can_manage.then(|| view! { <MfaPolicyCard /> })}
        <RolesCard />
    }
}

#[component]
fn UserTable(
    page: UserPage,
    selected: RwSignal<Vec<String>>,
    can_manage: bool,
    go: impl Fn(i64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let pages = (page.total + page.per_page - 1) / page.per_page;
    let n = page.page;
    let ids: Vec<String> = page.users.iter().map(|u| u.id.clone()).collect();
    let toggle = move |id: String| {
        selected.update(|s| {
            if let Some(i) = s.iter().position(|x| *x == id) {
                s.remove(i);
            } else {
                s.push(id);
            }
        })
    };
    view! {
        <p class="muted" data-testid="users-total">{format!("{} users", page.total)}</p>
        <table class="table" data-testid="user-table">
            <thead><tr>
                {can_manage.then(|| view! { <th><input type="checkbox" aria-label="Select all"
                    on:change=move |e| selected.set(if event_target_checked(&e) { ids.clone() } else { Vec::new() }) /></th> })}
                <th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Tier"</th><th>"Status"</th><th>"Created"</th><th>"Last sign-in"</th>
            </tr></thead>
            <tbody>
                {page.users.into_iter().map(|u| {
                    let id = u.id.clone();
                    let id2 = u.id.clone();
                    view! {
                        <tr>
                            {can_manage.then(|| view! { <td><input type="checkbox" data-testid="select-user"
                                prop:checked=move || selected.get().contains(&id2) on:change=move |_| toggle(id.clone()) /></td> })}
                            <td><a href=format!("/admin/users/{}", u.id)>{if u.display_name.is_empty() { "—".to_string() } else { u.display_name }}</a></td>
                            <td>{u.email}</td>
                            <td><span class="badge">{u.role.label()}</span></td>
                            <td>{u.tier.clone()}</td>
                            <td>{if u.disabled { view! { <span class="badge danger">"suspended"</span> }.into_any() } else { "active".into_any() }}</td>
                            <td class="nowrap">{datetime(u.created_at)}</td>
                            <td class="nowrap">{opt_datetime(u.last_login_at)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <div class="pager">
            <span class="muted">{format!("Page {n} of {}", pages.max(1))}</span>
            <button class="button secondary" disabled={n <= 1} on:click=move |_| go(n - 1)>"← Previous"</button>
            <button class="button secondary" data-testid="users-next" disabled={n >= pages} on:click=move |_| go(n + 1)>"Next →"</button>
        </div>
    }
}
