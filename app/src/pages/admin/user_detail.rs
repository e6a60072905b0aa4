//! `/admin/users/:id`: one user — details, role, suspend or activate, delete, sessions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use ops_types::{AdminUserForUpdate, LedgerQuery, Permission, Role, UserDetail};

use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::components::credits::CreditsCard;
use crate::components::format::{datetime, opt_datetime};
use crate::components::pager::OlderPager;
use crate::components::shell::CurrentUser;
use crate::server::admin::{
    DeleteUser, EndUserSessions, RevokeUserApiKey, SetUserSuspended, UpdateUser, get_user_detail,
    list_tiers, user_activity, user_api_keys, user_sessions,
};
use crate::server::admin::{ResendInvite, StartImpersonation};
use crate::server::mfa::ResetUserMfa;
use crate::server::sso::AdminUnlinkIdentity;

#[component]
pub fn UserDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateUser>::new();
    let suspend = ServerAction::<SetUserSuspended>::new();
    let unlink = ServerAction::<AdminUnlinkIdentity>::new();
    let detail = Resource::new(
        move || {
            (
                id(),
                update.version().get(),
                suspend.version().get(),
                unlink.version().get(),
            )
        },
        |(id, _, _, _)| get_user_detail(id),
    );
    let tiers = Resource::new(|| (), |_| list_tiers());
    let error = move || {
        update
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| suspend.value().get().and_then(|r| r.err()))
            .or_else(|| unlink.value().get().and_then(|r| r.err()))
    };
    view! {
        <Title text="User" />
        <div class="page-head"><h1>"User"</h1><div class="actions"><a class="button secondary" href="/admin/users">"← All users"</a></div></div>
        {move || error().map(|e| view! { <ErrorBox error=e /> })}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let tiers = tiers.await.unwrap_or_default();
                match detail.await {
                    Ok(d) => view! { <Detail d=d tiers=tiers update=update suspend=suspend unlink=unlink /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        // Outside the detail's Suspense: a resource created while another resolves would be
        // missing from the server's HTML and break hydration.
        {move || {
            let can_manage = use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::UsersManage));
            let billing = use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::BillingManage));
            view! {
                <UserSessions id=id() can_manage=can_manage />
                <UserKeys id=id() can_manage=can_manage />
                {billing.then(|| view! {
                    <h2>"Credits"</h2>
                    <CreditsCard query=LedgerQuery { user_id: Some(id()), ..LedgerQuery::default() } manage=true />
                })}
                <Activity id=id() />
            }
        }}
    }
}

#[component]
fn Detail(
    d: UserDetail,
    tiers: Vec<ops_types::Tier>,
    update: ServerAction<UpdateUser>,
    suspend: ServerAction<SetUserSuspended>,
    unlink: ServerAction<AdminUnlinkIdentity>,
) -> impl IntoView {
    let can_manage =
        use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::UsersManage));
    let u = d.user.clone();
    let role = RwSignal::new(u.role.as_str().to_string());
    let tier = RwSignal::new(u.tier.clone());
    let id_tier = u.id.clone();
    let remove = ServerAction::<DeleteUser>::new();
    let reset_mfa = ServerAction::<ResetUserMfa>::new();
    let invite = ServerAction::<ResendInvite>::new();
    let no_password = !d.has_password;
    let id5 = u.id.clone();
    let mfa_on = d.mfa_enabled;
    let id4 = u.id.clone();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = remove.value().get() {
            navigate("/admin/users", Default::default());
        }
    });
    let (id1, id2, id3) = (u.id.clone(), u.id.clone(), u.id.clone());
    let email = u.email.clone();
    view! {
        <section class="card">
            <dl class="facts" data-testid="user-detail">
                <dt>"Name"</dt><dd>{if u.display_name.is_empty() { "—".to_string() } else { u.display_name.clone() }}</dd>
                <dt>"Email"</dt><dd>{u.email.clone()}</dd>
                <dt>"Status"</dt><dd data-testid="user-status">{if u.disabled { "suspended" } else { "active" }}</dd>
                <dt>"Role"</dt><dd>{u.role.label()}</dd>
                <dt>"Tier"</dt><dd data-testid="user-tier">{u.tier.clone()}</dd>
                <dt>"Signs in with"</dt>
                <dd data-testid="user-sign-in">
                    {d.has_password.then_some("password")}
                    {d.identities.iter().map(|i| {
                        let (user_id, provider_id, name) = (u.id.clone(), i.provider_id.clone(), i.provider_name.clone());
                        view! {
                            <span class="chip">{i.provider_name.clone()} {i.email.clone().map(|e| format!(" ({e})"))}
                                {can_manage.then(|| view! {
                                    " " <button class="button small" on:click=move |_| {
                                        if confirm(&format!("Unlink {name} from this account? They can no longer sign in with it.")) {
                                            unlink.dispatch(AdminUnlinkIdentity { user_id: user_id.clone(), provider_id: provider_id.clone() });
                                        }
                                    }>"Unlink"</button>
                                })}
                            </span>
                        }
                    }).collect_view()}
                </dd>
                <dt>"Organisations"</dt>
                <dd>
                    {d.orgs.is_empty().then_some("none")}
                    {d.orgs.iter().map(|o| view! {
                        <a class="chip" href=format!("/org/{}", o.org_id)>{format!("{} ({})", o.org_name, o.role.label())}</a>
                    }).collect_view()}
                </dd>
                <dt>"Created"</dt><dd>{datetime(u.created_at)}</dd>
                <dt>"Last sign-in"</dt><dd>{opt_datetime(u.last_login_at)}</dd>
                <dt>"Password"</dt><dd>{if d.has_password { format!("set, changed {}", opt_datetime(d.password_changed_at)) } else { "none (SSO only)".into() }}</dd>
                <dt>"Language, time zone"</dt><dd>{format!("{}, {}", d.locale, d.timezone)}</dd>
                <dt>"Active sessions"</dt><dd>{d.active_sessions}</dd>
                <dt>"Active API keys"</dt><dd>{d.active_api_keys}</dd>
                <dt>"Two-factor sign-in"</dt><dd data-testid="user-mfa">{if d.mfa_enabled { "on" } else { "off" }}</dd>
            </dl>
            <h3>"Permissions"</h3>
            <ul class="chips">{d.permissions.iter().map(|p| view! { <li class="chip">{p.replace('_', " ")}</li> }).collect_view()}</ul>
        </section>
        {can_manage.then(|| view! {
            <section class="card">
                <h3>"Manage"</h3>
                <div class="form inline">
                    <label class="narrow-field">"Role"
                        <select data-testid="user-role" on:change=move |e| role.set(event_target_value(&e))>
                            {Role::ALL.map(|r| view! { <option value=r.as_str() selected=r == u.role>{r.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <div class="buttons">
                        <button class="button primary" data-testid="user-role-save" on:click=move |_| {
                            update.dispatch(UpdateUser { id: id1.clone(), input: AdminUserForUpdate { role: Role::parse(&role.get_untracked()), ..Default::default() } });
                        }>"Change role"</button>
                    </div>
                    <label class="narrow-field">"Tier"
                        <select data-testid="user-tier-select" on:change=move |e| tier.set(event_target_value(&e))>
                            {tiers.iter().map(|t| view! { <option value=t.code.clone() selected=t.code == u.tier>{t.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <div class="buttons">
                        <button class="button" data-testid="user-tier-save" on:click=move |_| {
                            update.dispatch(UpdateUser { id: id_tier.clone(), input: AdminUserForUpdate { tier: Some(tier.get_untracked()), ..Default::default() } });
                        }>"Change tier"</button>
                        {if u.disabled {
                            view! { <button class="button" data-testid="user-activate" on:click=move |_| { suspend.dispatch(SetUserSuspended { id: id2.clone(), suspended: false }); }>"Activate"</button> }.into_any()
                        } else {
                            view! { <button class="button danger" data-testid="user-suspend" on:click=move |_| {
                                if confirm("Suspend this user? They are signed out and their API keys stop working.") {
                                    suspend.dispatch(SetUserSuspended { id: id2.clone(), suspended: true });
                                }
                            }>"Suspend"</button> }.into_any()
                        }}
                        {no_password.then(|| view! {
                            <button class="button" data-testid="user-invite" on:click=move |_| {
                                invite.dispatch(ResendInvite { id: id5.clone() });
                            }>"Send the invitation again"</button>
                        })}
                        {mfa_on.then(|| view! {
                            <button class="button" data-testid="user-mfa-reset" on:click=move |_| {
                                if confirm("Remove this user's second factor? Do this only after checking who is asking; they are signed out and can sign in with their password alone.") {
                                    reset_mfa.dispatch(ResetUserMfa { id: id4.clone() });
                                }
                            }>"Reset two-factor"</button>
                        })}
                        <button class="button danger" data-testid="user-delete" on:click=move |_| {
                            if confirm(&format!("Delete {email}? Their sessions, API keys, preferences and avatar are removed; audit events about them are kept.")) {
                                remove.dispatch(DeleteUser { id: id3.clone() });
                            }
                        }>"Delete"</button>
                    </div>
                </div>
                {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
                {move || invite.value().get().map(|r| match r {
                    Ok(()) => view! { <div class="alert success" data-testid="user-invite-sent">"Invitation sent; the previous link no longer works."</div> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                })}
                {move || reset_mfa.value().get().map(|r| match r {
                    Ok(()) => view! { <div class="alert success" data-testid="user-mfa-reset-done">"Two-factor sign-in removed; the user was signed out."</div> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                })}
            </section>
        })}
        {(can_manage && u.role != Role::Admin && !u.disabled).then(|| view! { <ImpersonateCard id=u.id.clone() /> })}

    }
}

#[component]
fn UserSessions(id: String, can_manage: bool) -> impl IntoView {
    let end = ServerAction::<EndUserSessions>::new();
    let uid = id.clone();
    let sessions = Resource::new(
        move || (uid.clone(), end.version().get()),
        |(id, _)| user_sessions(id),
    );
    let all_id = id.clone();
    view! {
        <section class="card" data-testid="user-sessions">
            <div class="page-head">
                <h3>"Sessions"</h3>
                {can_manage.then(|| view! { <div class="actions"><button class="button danger small" data-testid="end-all-user-sessions"
                    on:click=move |_| if confirm("Sign this user out everywhere?") { end.dispatch(EndUserSessions { id: all_id.clone(), session: None }); }>"Sign out everywhere"</button></div> })}
            </div>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        match sessions.await {
                            Ok(list) if list.is_empty() => view! { <p class="empty">"Not signed in anywhere."</p> }.into_any(),
                            Ok(list) => view! {
                                <table class="table">
                                    <thead><tr><th>"Device"</th><th>"IP"</th><th>"Signed in"</th><th>"Last active"</th><th></th></tr></thead>
                                    <tbody>{list.into_iter().map(|s| {
                                        let (uid, sid) = (id.clone(), s.id.clone());
                                        view! { <tr>
                                            <td title=s.user_agent.unwrap_or_default()>{s.device}</td>
                                            <td>{s.ip.unwrap_or_default()}</td>
                                            <td class="nowrap">{datetime(s.created_at)}</td>
                                            <td class="nowrap">{datetime(s.last_seen_at)}</td>
                                            <td class="actions">{can_manage.then(|| view! { <button class="button danger small"
                                                on:click=move |_| { end.dispatch(EndUserSessions { id: uid.clone(), session: Some(sid.clone()) }); }>"Sign out"</button> })}</td>
                                        </tr> }
                                    }).collect_view()}</tbody>
                                </table>
                            }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// "Act as this user": a reason and a duration, then the console as they see it.
#[component]
fn ImpersonateCard(id: String) -> impl IntoView {
    let start = ServerAction::<StartImpersonation>::new();
    let reason = RwSignal::new(String::new());
    let minutes = RwSignal::new(15_i64);
    Effect::new(move |_| {
        if let Some(Ok(())) = start.value().get() {
            // A full load: the shell and every page resolve the new identity.
            crate::browser::go_to("/");
        }
    });
    view! {
        <section class="card">
            <h3>"Act as this user"</h3>
            <p class="muted">"See the console as they do, to help them. Everything you do is recorded under both your names."</p>
            <form class="form inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                start.dispatch(StartImpersonation { id: id.clone(), reason: reason.get_untracked(), minutes: minutes.get_untracked() });
            }>
                <label>"Reason"
                    <input type="text" placeholder="ticket or request" data-testid="impersonate-reason"
                        prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e)) />
                </label>
                <label class="narrow-field">"For"
                    <select on:change=move |e| minutes.set(event_target_value(&e).parse().unwrap_or(15))>
                        {[5_i64, 15, 30, 60].map(|m| view! { <option value=m.to_string() selected=m == 15>{format!("{m} min")}</option> }).collect_view()}
                    </select>
                </label>
                <div class="buttons"><button type="submit" class="button" data-testid="impersonate">"Act as this user"</button></div>
            </form>
            {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </section>
    }
}

/// The user's timeline: their audit rows, newest first, a page at a time.
#[component]
fn Activity(id: String) -> impl IntoView {
    let before = RwSignal::new(None::<i64>);
    let page = Resource::new(
        move || (id.clone(), before.get()),
        |(id, b)| user_activity(id, b),
    );
    view! {
        <section class="card" data-testid="user-activity">
            <h3>"Activity"</h3>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.events.is_empty() => view! { <p class="empty">"Nothing recorded yet."</p> }.into_any(),
                        Ok(p) => {
                            let next = p.next_before;
                            view! {
                                <ol class="timeline">
                                    {p.events.into_iter().map(|e| {
                                        let who = e.actor_email.clone().unwrap_or_else(|| "system".into());
                                        let by = e.impersonator_email.clone().map(|i| format!(" (by {i})")).unwrap_or_default();
                                        view! {
                                            <li>
                                                <span class="muted nowrap">{datetime(e.at)}</span>
                                                " " <code>{e.action}</code>
                                                " " <span>{format!("{who}{by}")}</span>
                                                {e.ip.map(|ip| view! { " " <span class="muted">{ip}</span> })}
                                                {e.detail.map(|d| view! { " " <span class="muted">{d}</span> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                                <OlderPager before next testid="activity-older" />
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The user's API keys, each revocable by an administrator.
#[component]
fn UserKeys(id: String, can_manage: bool) -> impl IntoView {
    let revoke = ServerAction::<RevokeUserApiKey>::new();
    let uid = id.clone();
    let keys = Resource::new(
        move || (uid.clone(), revoke.version().get()),
        |(id, _)| user_api_keys(id),
    );
    view! {
        <section class="card" data-testid="user-keys">
            <h3>"API keys"</h3>
            {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        match keys.await {
                            Ok(list) if list.is_empty() => view! { <p class="empty">"No API keys."</p> }.into_any(),
                            Ok(list) => view! {
                                <table class="table">
                                    <thead><tr><th>"Name"</th><th>"Key"</th><th>"Last used"</th><th>"Expires"</th><th></th></tr></thead>
                                    <tbody>{list.into_iter().map(|k| {
                                        let (uid, kid, name) = (id.clone(), k.id.clone(), k.name.clone());
                                        view! { <tr>
                                            <td>{k.name}</td>
                                            <td><code>{format!("{}_…", k.prefix)}</code></td>
                                            <td>{opt_datetime(k.last_used_at)}</td>
                                            <td>{k.expires_at.map(datetime).unwrap_or_else(|| "never".into())}</td>
                                            <td class="actions">{can_manage.then(|| view! { <button class="button danger small"
                                                on:click=move |_| if confirm(&format!("Revoke the key \u{201c}{name}\u{201d}? Anything using it stops working.")) {
                                                    revoke.dispatch(RevokeUserApiKey { id: uid.clone(), key_id: kid.clone() });
                                                }>"Revoke"</button> })}</td>
                                        </tr> }
                                    }).collect_view()}</tbody>
                                </table>
                            }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
