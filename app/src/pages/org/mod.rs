//! `/org/:id`: one organisation — figures, members, invitations, settings and a link to its
//! credits (`/org/:id/credits`). What is shown
//! follows the caller's organisation role; the services enforce the same rules.

pub mod credits;
mod invites;
mod members;
pub mod plan;
mod settings;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use ops_types::{Org, OrgRole, Permission};

use crate::components::alert::ErrorBox;
use crate::components::chart::{LiveChart, bar_chart};
use crate::components::shell::CurrentUser;
use crate::server::org::{
    InviteToOrg, RemoveMember, ResendOrgInvite, RevokeOrgInvite, SetMemberRole, get_org,
    get_org_stats, org_invites, org_members,
};

/// The page's data and the actions that change it, made at the top of the page (resources
/// made inside another resource's `Suspend` break hydration on a full load).
#[derive(Clone, Copy)]
pub(crate) struct Data {
    members: Resource<Result<Vec<ops_types::OrgMember>, ops_types::ApiError>>,
    invites: Resource<Result<Vec<ops_types::OrgInvite>, ops_types::ApiError>>,
    stats: Resource<Result<ops_types::OrgStats, ops_types::ApiError>>,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
    invite: ServerAction<InviteToOrg>,
    resend: ServerAction<ResendOrgInvite>,
    revoke: ServerAction<RevokeOrgInvite>,
}

/// What the caller may do here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Powers {
    /// Settings, members and invitations.
    manage: bool,
    /// Delete, and change owners.
    own: bool,
}

fn powers(org: &Org, platform_admin: bool) -> Powers {
    let role = if platform_admin {
        Some(OrgRole::Owner)
    } else {
        org.my_role
    };
    Powers {
        manage: role.is_some_and(|r| r.manages()),
        own: role == Some(OrgRole::Owner),
    }
}

#[component]
pub fn OrgPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let org = Resource::new(id, get_org);
    let (set_role, remove) = (
        ServerAction::<SetMemberRole>::new(),
        ServerAction::<RemoveMember>::new(),
    );
    let (invite, resend, revoke) = (
        ServerAction::<InviteToOrg>::new(),
        ServerAction::<ResendOrgInvite>::new(),
        ServerAction::<RevokeOrgInvite>::new(),
    );
    let changed = move || {
        (
            set_role.version().get(),
            remove.version().get(),
            invite.version().get(),
            resend.version().get(),
            revoke.version().get(),
        )
    };
    let data = Data {
        members: Resource::new(move || (id(), changed()), |(id, _)| org_members(id)),
        invites: Resource::new(move || (id(), changed()), |(id, _)| org_invites(id)),
        stats: Resource::new(move || (id(), changed()), |(id, _)| get_org_stats(id)),
        set_role,
        remove,
        invite,
        resend,
        revoke,
    };
    let platform_admin =
        use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::UsersManage));
    view! {
        <Title text="Organisation" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match org.await {
                    Ok(o) => {
                        let p = powers(&o, platform_admin);
                        view! {
                            <div class="page-head">
                                <h1 class="org-title">
                                    {o.logo_url.clone().map(|src| view! { <img class="org-logo" src=src alt="" /> })}
                                    {o.name.clone()}
                                </h1>
                                <div class="actions">
                                    {(p.own || o.my_role == Some(OrgRole::BillingAdmin)).then(|| view! {
                                        <a class="button secondary" data-testid="org-plan" href=format!("/org/{}/plan", o.id)>"Plan"</a>
                                        <a class="button secondary" data-testid="org-credits" href=format!("/org/{}/credits", o.id)>"Credits"</a>
                                    })}
                                    <span class="badge">{o.my_role.map(|r| r.label()).unwrap_or("platform administrator")}</span>
                                </div>
                            </div>
                            {o.suspended.then(|| view! { <div class="alert warning">"Suspended by a platform administrator: members cannot use it."</div> })}
                            <Figures data=data />
                            <members::MembersCard org=o.clone() powers=p data=data />
                            {p.manage.then(|| view! { <invites::InvitesCard org=o.clone() powers=p data=data /> })}
                            {p.manage.then(|| view! { <settings::SettingsCard org=o.clone() powers=p /> })}
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e /> <a href="/account/organizations">"Your organisations"</a> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Figures(data: Data) -> impl IntoView {
    let stats = data.stats;
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                stats.await.ok().map(|s| {
                    let labels: Vec<String> = s.by_role.iter().map(|c| OrgRole::parse(&c.key).map(|r| r.label().to_string()).unwrap_or(c.key.clone())).collect();
                    let values: Vec<i64> = s.by_role.iter().map(|c| c.count).collect();
                    let n = values.len();
                    let chart = Signal::derive(move || bar_chart(&labels, &values, "members"));
                    view! {
                        <div class="grid stats" data-testid="org-stats">
                            <section class="card stat"><p class="stat-label">"Members"</p><p class="stat-value" data-testid="org-members-count">{s.members}</p></section>
                            <section class="card stat"><p class="stat-label">"Pending invitations"</p><p class="stat-value">{s.pending_invites}</p></section>
                            <section class="card stat"><p class="stat-label">"API keys"</p><p class="stat-value">{s.api_keys}</p></section>
                        </div>
                        <LiveChart id="org-members-by-role" title="Members by role" chart=chart samples=Signal::derive(move || n) />
                    }
                })
            })}
        </Suspense>
    }
}
