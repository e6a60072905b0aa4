//! `/invite/:token`: an organisation invitation. Signed in with the invited address: accept.
//! Not signed in: sign in first (existing account) or create the account here (when
//! registration is not closed); the e-mailed link confirms the address.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use ops_types::{OrgInvitePreview, password_rules};

use crate::components::alert::ErrorBox;
use crate::components::format::{datetime, query_string};
use crate::server::auth::current_user;
use crate::server::org::{AcceptInvite, SignUpFromInvite, preview_invite};

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_invite);
    let me = Resource::new(|| (), |_| current_user());
    view! {
        <Title text="Invitation" />
        <div class="center-page">
            <div class="card narrow" data-testid="invite">
                <h1 class="brand-title">"Ops-Center"</h1>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let me = me.await.ok().flatten();
                        match preview.await {
                            Ok(p) => view! { <Invitation p=p token=token() signed_in=me.map(|m| m.email) /> }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> <a href="/login">"Go to sign-in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

#[component]
fn Invitation(p: OrgInvitePreview, token: String, signed_in: Option<String>) -> impl IntoView {
    let accept = ServerAction::<AcceptInvite>::new();
    let who = p.invited_by.clone().unwrap_or_else(|| "Someone".into());
    let intro = format!(
        "{who} invited {} to join {} as {}. The invitation is valid until {}.",
        p.email,
        p.org_name,
        p.role.label().to_lowercase(),
        datetime(p.expires_at)
    );
    let next = query_string(&[("next", format!("/invite/{token}"))]);
    let body = match signed_in {
        Some(email) if email.eq_ignore_ascii_case(&p.email) => {
            let token = token.clone();
            let join = format!("Join {}", p.org_name);
            view! {
                <ActionForm action=accept attr:class="form">
                    <input type="hidden" name="token" value=token />
                    {move || accept.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
                    <button type="submit" class="button primary" data-testid="invite-accept">{join}</button>
                </ActionForm>
            }
            .into_any()
        }
        Some(email) => view! {
            <div class="alert warning">{format!("You are signed in as {email}; this invitation is for {}. Sign out and sign in with that address.", p.email)}</div>
            <form method="post" action="/auth/logout"><button type="submit" class="button">"Sign out"</button></form>
        }
        .into_any(),
        None if p.has_account => view! {
            <a class="button primary" data-testid="invite-sign-in" href=format!("/login{next}")>"Sign in to accept"</a>
        }
        .into_any(),
        None if p.can_sign_up => view! { <SignUpForm token=token email=p.email.clone() /> }.into_any(),
        None => view! {
            <div class="alert warning">"Registration is closed here: ask an administrator to create your account, then open this link again."</div>
        }
        .into_any(),
    };
    view! {
        <h2>{format!("Join {}", p.org_name)}</h2>
        <p>{intro}</p>
        {body}
    }
}

#[component]
fn SignUpForm(token: String, email: String) -> impl IntoView {
    let sign_up = ServerAction::<SignUpFromInvite>::new();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let rules = Memo::new(move |_| password_rules(&password.get(), Some(&email)));
    view! {
        <form class="form" data-testid="invite-signup" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            sign_up.dispatch(SignUpFromInvite { token: token.clone(), display_name: name.get_untracked(), password: password.get_untracked() });
        }>
            <p class="muted">"Create your account to accept."</p>
            <label>"Name"
                <input type="text" data-testid="invite-name" prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
            </label>
            <label>"Password"
                <input type="password" autocomplete="new-password" data-testid="invite-password" prop:value=move || password.get()
                    on:input=move |e| password.set(event_target_value(&e)) />
            </label>
            <ul class="rules">
                {move || rules.get().into_iter().map(|r| view! { <li class:ok=r.ok>{r.description}</li> }).collect_view()}
            </ul>
            {move || sign_up.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="button primary" data-testid="invite-create"
                disabled=move || sign_up.pending().get() || !rules.get().iter().all(|r| r.ok)>"Create the account and join"</button>
        </form>
    }
}
