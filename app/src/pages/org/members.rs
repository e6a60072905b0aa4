//! The member list: role changes and removal for those allowed, "Leave" for oneself.

use leptos::prelude::*;
use ops_types::{Org, OrgRole};

use super::{Data, Powers};
use crate::browser::{confirm, go_to};
use crate::components::alert::ErrorBox;
use crate::components::format::opt_datetime;
use crate::components::shell::CurrentUser;
use crate::server::org::{RemoveMember, SetMemberRole};

#[component]
pub fn MembersCard(org: Org, powers: Powers, data: Data) -> impl IntoView {
    let Data {
        set_role,
        remove,
        members: list,
        ..
    } = data;
    let me = use_context::<CurrentUser>()
        .map(|u| u.0.id)
        .unwrap_or_default();
    let leaving = RwSignal::new(false);
    Effect::new(move |_| {
        if leaving.get_untracked() && matches!(remove.value().get(), Some(Ok(()))) {
            go_to("/account/organizations");
        }
    });
    let org_id = org.id.clone();
    view! {
        <section class="card" data-testid="org-members">
            <h3>"Members"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (org_id, me) = (org_id.clone(), me.clone());
                    Suspend::new(async move {
                    match list.await {
                        Ok(ms) => view! {
                            <table class="table">
                                <thead><tr><th>"Person"</th><th>"Role"</th><th>"Joined"</th><th>"Last sign-in"</th><th></th></tr></thead>
                                <tbody>
                                    {ms.into_iter().map(|m| {
                                        let (org_a, org_b, uid_a, uid_b) = (org_id.clone(), org_id.clone(), m.user_id.clone(), m.user_id.clone());
                                        let is_me = m.user_id == me;
                                        // Admins do not touch owners; only owners make owners.
                                        let may_change = powers.manage && (powers.own || m.role != OrgRole::Owner);
                                        let current = m.role;
                                        let label = if m.display_name.is_empty() { m.email.clone() } else { m.display_name.clone() };
                                        view! {
                                            <tr data-testid=format!("member-{}", m.email)>
                                                <td><strong>{label}</strong><div class="hint">{m.email.clone()}</div></td>
                                                <td>
                                                    {if may_change {
                                                        view! {
                                                            <select data-testid="member-role" on:change=move |e| {
                                                                if let Some(role) = OrgRole::parse(&event_target_value(&e)) {
                                                                    set_role.dispatch(SetMemberRole { id: org_a.clone(), user_id: uid_a.clone(), role });
                                                                }
                                                            }>
                                                                {OrgRole::ALL.into_iter().filter(|r| powers.own || *r != OrgRole::Owner).map(|r| view! {
                                                                    <option value=r.as_str() selected=r == current>{r.label()}</option>
                                                                }).collect_view()}
                                                            </select>
                                                        }.into_any()
                                                    } else {
                                                        view! { <span>{current.label()}</span> }.into_any()
                                                    }}
                                                </td>
                                                <td>{opt_datetime(Some(m.joined_at))}</td>
                                                <td>{opt_datetime(m.last_login_at)}</td>
                                                <td class="actions">
                                                    {(is_me || may_change).then(|| view! {
                                                        <button class="button small danger" data-testid=if is_me { "org-leave" } else { "member-remove" } on:click=move |_| {
                                                            let what = if is_me { "Leave this organisation? Your keys scoped to it stop working.".to_string() } else { "Remove this member? Their keys scoped to the organisation stop working.".to_string() };
                                                            if confirm(&what) {
                                                                leaving.set(is_me);
                                                                remove.dispatch(RemoveMember { id: org_b.clone(), user_id: uid_b.clone() });
                                                            }
                                                        }>{if is_me { "Leave" } else { "Remove" }}</button>
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
                })}}
            </Suspense>
            {move || set_role.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </section>
    }
}
