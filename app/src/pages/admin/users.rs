//! `/admin/users`: everyone with an account, their role and last sign-in.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::ErrorBox;
use crate::components::format::{datetime, opt_datetime};
use crate::server::admin::list_users;

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    view! {
        <Title text="Users" />
        <div class="page-head"><h1>"Users"</h1></div>
        <section class="card">
            <Suspense fallback=|| view! { <p>"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No users."</p> }.into_any(),
                        Ok(list) => view! {
                            <p class="muted">{format!("{} accounts", list.len())}</p>
                            <table class="table" data-testid="user-table">
                                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Created"</th><th>"Last sign-in"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|u| view! {
                                        <tr>
                                            <td>{if u.display_name.is_empty() { "—".to_string() } else { u.display_name }}</td>
                                            <td>{u.email}</td>
                                            <td><span class="badge">{u.role.label()}</span></td>
                                            <td>{if u.disabled { "disabled" } else { "active" }}</td>
                                            <td>{datetime(u.created_at)}</td>
                                            <td>{opt_datetime(u.last_login_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
