//! Invitations: invite by e-mail with a role, and the pending list with resend and withdraw.

use leptos::prelude::*;
use ops_types::{Org, OrgRole};

use super::{Data, Powers};
use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::server::org::{InviteToOrg, ResendOrgInvite, RevokeOrgInvite};

#[component]
pub fn InvitesCard(org: Org, powers: Powers, data: Data) -> impl IntoView {
    let Data {
        invite,
        resend,
        revoke,
        invites: list,
        ..
    } = data;
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(org.default_role.as_str().to_string());
    let org_id = org.id.clone();
    let submit = {
        let org_id = org.id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            invite.dispatch(InviteToOrg {
                id: org_id.clone(),
                email: email.get_untracked(),
                role: OrgRole::parse(&role.get_untracked()),
            });
        }
    };
    let default_role = org.default_role;
    view! {
        <section class="card" data-testid="org-invites">
            <h3>"Invitations"</h3>
            <form class="form inline" on:submit=submit>
                <label>"E-mail"
                    <input type="email" data-testid="invite-email" prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e)) />
                </label>
                <label class="narrow-field">"Role"
                    <select data-testid="invite-role" on:change=move |e| role.set(event_target_value(&e))>
                        {OrgRole::ALL.into_iter().filter(|r| powers.own || *r != OrgRole::Owner).map(|r| view! {
                            <option value=r.as_str() selected=r == default_role>{r.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <div class="buttons"><button type="submit" class="button primary" data-testid="invite-send" disabled=move || invite.pending().get()>
                    {move || if invite.pending().get() { "Sending…" } else { "Invite" }}</button></div>
            </form>
            {move || invite.value().get().map(|r| match r {
                Ok(i) => view! { <div class="alert success" data-testid="invite-sent">{format!("Invitation sent to {}.", i.email)}</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            <Suspense>
                {move || {
                    let org_id = org_id.clone();
                    Suspend::new(async move {
                    match list.await {
                        Ok(is) if is.is_empty() => view! { <p class="muted">"No pending invitations."</p> }.into_any(),
                        Ok(is) => view! {
                            <table class="table" data-testid="invites-pending">
                                <thead><tr><th>"E-mail"</th><th>"Role"</th><th>"Invited by"</th><th>"Expires"</th><th></th></tr></thead>
                                <tbody>
                                    {is.into_iter().map(|i| {
                                        let (o1, o2, i1, i2) = (org_id.clone(), org_id.clone(), i.id.clone(), i.id.clone());
                                        view! {
                                            <tr>
                                                <td>{i.email.clone()} {(!i.has_account).then(|| view! { " " <span class="hint">"(new to Ops-Center)"</span> })}</td>
                                                <td>{i.role.label()}</td>
                                                <td>{i.invited_by.clone().unwrap_or_default()}</td>
                                                <td>{datetime(i.expires_at)}</td>
                                                <td class="actions">
                                                    <button class="button small" on:click=move |_| { resend.dispatch(ResendOrgInvite { id: o1.clone(), invite_id: i1.clone() }); }>"Resend"</button>
                                                    <button class="button small danger" on:click=move |_| { revoke.dispatch(RevokeOrgInvite { id: o2.clone(), invite_id: i2.clone() }); }>"Withdraw"</button>
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
            {move || resend.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </section>
    }
}
