//! The console shell shared by the admin console and the user portal: sidebar, header with
//! the signed-in user, sign-out, theme switch; the sidebar folds away on narrow screens.
//! Only sections that work are listed.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use ops_types::{Impersonation, Me, Permission};

use crate::browser::{current_theme, go_to, reload, set_theme};
use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::server::account::get_inbox;
use crate::server::admin::StopImpersonation;
use crate::server::auth::current_user;
use crate::server::org::{SwitchOrg, my_orgs};

/// The signed-in user, provided to pages inside the shell.
#[derive(Clone, Debug)]
pub struct CurrentUser(pub Me);

/// Bumped by pages that change what is unread, so the header's count follows.
#[derive(Clone, Copy)]
pub struct InboxChanged(pub RwSignal<u32>);

/// Bumped by pages that change the caller's organisations, so the header's switcher follows.
#[derive(Clone, Copy)]
pub struct OrgsChanged(pub RwSignal<u32>);

#[component]
pub fn Shell() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    let changed = RwSignal::new(0_u32);
    provide_context(InboxChanged(changed));
    let inbox = Resource::new(move || changed.get(), |_| get_inbox());
    let orgs_changed = RwSignal::new(0_u32);
    provide_context(OrgsChanged(orgs_changed));
    let orgs = Resource::new(move || orgs_changed.get(), |_| my_orgs());
    let nav_open = RwSignal::new(false);
    view! {
        <Suspense fallback=|| view! { <div class="loading-page">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(user)) => {
                        provide_context(CurrentUser(user.clone()));
                        view! {
                            <div class="layout" class:nav-open=move || nav_open.get()>
                                <Sidebar user=user.clone() on_pick=move || nav_open.set(false) />
                                <div class="main">
                                    {user.impersonation.clone().map(|imp| view! { <ImpersonationBanner user=user.clone() imp=imp /> })}
                                    <Header user=user nav_open inbox=inbox orgs=orgs />
                                    <main class="content"><Outlet /></main>
                                </div>
                            </div>
                        }.into_any()
                    }
                    Ok(None) => view! {
                        <div class="center-page"><p>"Your session has ended. "<a href="/login">"Sign in again"</a></p></div>
                    }.into_any(),
                    Err(e) => view! { <div class="center-page"><ErrorBox error=e /></div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Sidebar(user: Me, on_pick: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let pick = move |_| on_pick();
    let users = user.role.has(Permission::UsersRead);
    let audit = user.role.has(Permission::AuditRead);
    let settings = user.role.has(Permission::SettingsManage);
    let billing = user.role.has(Permission::BillingManage);
    let gateway = user.role.has(Permission::GatewayManage);
    view! {
        <aside class="sidebar">
            <a class="brand" href="/">"Ops-Center"</a>
            <nav aria-label="Main">
                <p class="nav-heading">"Console"</p>
                <A href="/" exact=true on:click=pick.clone()>"Dashboard"</A>
                <p class="nav-heading">"Account"</p>
                <A href="/account/profile" on:click=pick.clone()>"Profile"</A>
                <A href="/account/security" on:click=pick.clone()>"Security"</A>
                <A href="/account/notifications" on:click=pick.clone()>"Notifications"</A>
                <A href="/account/api-keys" on:click=pick.clone()>"API keys"</A>
                <A href="/account/provider-keys" on:click=pick.clone()>"Provider keys"</A>
                <A href="/account/organizations" on:click=pick.clone()>"Organisations"</A>
                <p class="nav-heading">"Billing"</p>
                <A href="/account/plan" on:click=pick.clone()>"Plan"</A>
                <A href="/account/usage" on:click=pick.clone()>"Usage"</A>
                <A href="/account/invoices" on:click=pick.clone()>"Invoices"</A>
                <A href="/account/credits" on:click=pick.clone()>"Credits"</A>
                <A href="/account/payment-methods" on:click=pick.clone()>"Payment methods"</A>
                {(users || audit || settings || billing || gateway).then(|| view! { <p class="nav-heading">"Administration"</p> })}
                {users.then(|| view! { <A href="/admin/users" on:click=pick.clone()>"Users"</A> })}
                {users.then(|| view! { <A href="/admin/organizations" on:click=pick.clone()>"Organisations"</A> })}
                {audit.then(|| view! { <A href="/admin/audit" on:click=pick.clone()>"Audit log"</A> })}
                {billing.then(|| view! { <A href="/admin/plans" on:click=pick.clone()>"Plans"</A> })}
                {billing.then(|| view! { <A href="/admin/subscriptions" on:click=pick.clone()>"Subscriptions"</A> })}
                {billing.then(|| view! { <A href="/admin/revenue" on:click=pick.clone()>"Revenue"</A> })}
                {billing.then(|| view! { <A href="/admin/codes" on:click=pick.clone()>"Codes and coupons"</A> })}
                {gateway.then(|| view! { <A href="/admin/gateway" on:click=pick.clone()>"AI gateway"</A> })}
                {gateway.then(|| view! { <A href="/admin/ai-usage" on:click=pick.clone()>"AI usage"</A> })}
                {settings.then(|| view! { <A href="/admin/settings" on:click=pick.clone()>"Settings"</A> })}
                <p class="nav-heading">"Developers"</p>
                <a href="/api/docs" rel="external">"API reference"</a>
            </nav>
            <p class="sidebar-foot">{user.role.label()}</p>
        </aside>
    }
}

#[component]
fn Header(
    user: Me,
    nav_open: RwSignal<bool>,
    inbox: Resource<Result<ops_types::Inbox, ops_types::ApiError>>,
    orgs: Resource<Result<Vec<ops_types::Org>, ops_types::ApiError>>,
) -> impl IntoView {
    let switch = ServerAction::<SwitchOrg>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = switch.value().get() {
            // A full load: every page reads the active organisation afresh.
            reload();
        }
    });
    let theme = RwSignal::new(String::from("light"));
    Effect::new(move |_| theme.set(current_theme()));
    let toggle_theme = move |_| {
        let next = if theme.get_untracked() == "dark" {
            "light"
        } else {
            "dark"
        };
        set_theme(next);
        theme.set(next.to_string());
    };
    let name = if user.display_name.is_empty() {
        user.email.clone()
    } else {
        user.display_name.clone()
    };
    view! {
        <header class="topbar">
            <button class="icon-button nav-toggle" aria-label="Menu" on:click=move |_| nav_open.update(|o| *o = !*o)>"☰"</button>
            <div class="spacer"></div>
            <button class="icon-button" data-testid="theme-toggle" on:click=toggle_theme
                aria-label=move || if theme.get() == "dark" { "Switch to light theme" } else { "Switch to dark theme" }>
                {move || if theme.get() == "dark" { "☀" } else { "☾" }}
            </button>
            <Suspense>
                {move || Suspend::new(async move {
                    let list = orgs.await.unwrap_or_default();
                    (!list.is_empty()).then(|| {
                        let personal = !list.iter().any(|o| o.active);
                        view! {
                            <select class="org-switch" data-testid="org-switch" aria-label="Active organisation"
                                on:change=move |e| {
                                    let v = event_target_value(&e);
                                    switch.dispatch(SwitchOrg { org_id: (!v.is_empty()).then_some(v) });
                                }>
                                <option value="" selected=personal>"Personal"</option>
                                {list.into_iter().map(|o| view! { <option value=o.id.clone() selected=o.active>{o.name}</option> }).collect_view()}
                            </select>
                        }
                    })
                })}
            </Suspense>
            <Suspense>
                {move || Suspend::new(async move {
                    let unread = inbox.await.map(|i| i.unread).unwrap_or(0);
                    view! {
                        <a class="icon-button bell" href="/account/inbox" data-testid="inbox-bell"
                            aria-label=format!("Notifications: {unread} unread")>
                            "🔔"{(unread > 0).then(|| view! { <span class="count" data-testid="inbox-unread">{unread}</span> })}
                        </a>
                    }
                })}
            </Suspense>
            <div class="user" data-testid="current-user">
                <span class="user-name">{name}</span>
                <span class="badge">{user.role.as_str()}</span>
            </div>
            // A plain post: /auth/logout also ends the identity provider's session when
            // this one came through single sign-on.
            <form method="post" action="/auth/logout">
                <button type="submit" class="button secondary" data-testid="sign-out">"Sign out"</button>
            </form>
        </header>
    }
}

/// Shown on every page while an administrator acts as this user, with the way back.
#[component]
fn ImpersonationBanner(user: Me, imp: Impersonation) -> impl IntoView {
    let stop = ServerAction::<StopImpersonation>::new();
    Effect::new(move |_| {
        if let Some(Ok(path)) = stop.value().get() {
            // A full load, so the shell resolves the administrator again.
            go_to(&path);
        }
    });
    view! {
        <div class="impersonation" role="status" data-testid="impersonation-banner">
            <span>
                {format!("You ({}) are acting as {} — reason: {}. Ends {}.", imp.admin_email, user.email, imp.reason, datetime(imp.until))}
            </span>
            <button class="button small" data-testid="stop-impersonation"
                on:click=move |_| { stop.dispatch(StopImpersonation {}); }>"Stop acting as this user"</button>
        </div>
    }
}
