//! `/admin/settings`: outgoing e-mail (SMTP) with a test message, registration, single sign-on,
//! the credits ledger check.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{SmtpSettings, SmtpSettingsForUpdate};

use super::billing_details::BillingDetailsCard;
use super::ledger::LedgerCard;
use super::packs::PacksCard;
use super::sso::SsoCard;
use super::stripe_settings::StripeCard;
use crate::components::alert::ErrorBox;
use crate::server::mail::{
    SaveRegistrationMode, SaveSmtp, SendTestMail, get_smtp, registration_mode,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let smtp = Resource::new(|| (), |_| get_smtp());
    view! {
        <Title text="Settings" />
        <div class="page-head"><h1>"Settings"</h1></div>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match smtp.await {
                    Ok(s) => view! { <SmtpCard s=s /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <RegistrationCard />
        <SsoCard />
        <StripeCard />
        <PacksCard />
        <BillingDetailsCard />
        <LedgerCard />
    }
}

#[component]
fn SmtpCard(s: SmtpSettings) -> impl IntoView {
    let host = RwSignal::new(s.host.clone());
    let port = RwSignal::new(s.port.to_string());
    let security = RwSignal::new(s.security.clone());
    let username = RwSignal::new(s.username.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let from_address = RwSignal::new(s.from_address.clone());
    let from_name = RwSignal::new(s.from_name.clone());
    let test_to = RwSignal::new(String::new());
    let save = ServerAction::<SaveSmtp>::new();
    let test = ServerAction::<SendTestMail>::new();
    let hint = s.password_hint.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        save.dispatch(SaveSmtp {
            input: SmtpSettingsForUpdate {
                host: host.get_untracked(),
                port: port.get_untracked().trim().parse().unwrap_or(0),
                security: security.get_untracked(),
                username: Some(username.get_untracked()),
                password: (!pw.is_empty()).then_some(pw),
                from_address: from_address.get_untracked(),
                from_name: from_name.get_untracked(),
            },
        });
    };
    let field = |label: &'static str,
                 kind: &'static str,
                 sig: RwSignal<String>,
                 id: &'static str| {
        view! {
            <label>{label}
                <input type=kind data-testid=id value=sig.get_untracked() prop:value=move || sig.get()
                    on:input=move |e| sig.set(event_target_value(&e)) />
            </label>
        }
    };
    view! {
        <section class="card" data-testid="smtp">
            <h3>"Outgoing e-mail"</h3>
            <p class="muted">"Used for password resets and, later, invitations and billing notices. The password is stored encrypted."</p>
            {(!s.configured).then(|| view! { <div class="alert warning">"Not set up yet: password reset by e-mail is unavailable."</div> })}
            <form class="form" on:submit=submit>
                <div class="form inline">
                    {field("Server", "text", host, "smtp-host")}
                    <label class="narrow-field">"Port"
                        <input type="text" inputmode="numeric" data-testid="smtp-port" value=port.get_untracked()
                            prop:value=move || port.get() on:input=move |e| port.set(event_target_value(&e)) />
                    </label>
                    <label class="narrow-field">"Security"
                        <select data-testid="smtp-security" on:change=move |e| security.set(event_target_value(&e))>
                            {[("starttls", "STARTTLS (587)"), ("tls", "TLS (465)"), ("none", "None (local relay only)")].map(|(v, l)| {
                                let selected = s.security == v;
                                view! { <option value=v selected=selected>{l}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                <div class="form inline">
                    {field("User name", "text", username, "smtp-user")}
                    <label>"Password"
                        <input type="password" autocomplete="new-password" data-testid="smtp-password"
                            placeholder=hint.clone().map(|h| format!("stored ({h}); type to replace")).unwrap_or_default()
                            prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e)) />
                    </label>
                </div>
                <div class="form inline">
                    {field("From address", "email", from_address, "smtp-from")}
                    {field("From name", "text", from_name, "smtp-from-name")}
                </div>
                {move || save.value().get().map(|r| match r {
                    Ok(_) => view! { <div class="alert success" data-testid="smtp-saved">"Saved."</div> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                })}
                <div class="buttons"><button type="submit" class="button primary" data-testid="smtp-save">"Save"</button></div>
            </form>
            <form class="form inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                test.dispatch(SendTestMail { to: test_to.get_untracked() });
            }>
                {field("Send a test message to", "email", test_to, "smtp-test-to")}
                <div class="buttons"><button type="submit" class="button" data-testid="smtp-test"
                    disabled=move || test.pending().get()>{move || if test.pending().get() { "Sending…" } else { "Send test" }}</button></div>
            </form>
            {move || test.value().get().map(|r| match r {
                Ok(()) => view! { <div class="alert success" data-testid="smtp-test-sent">"Sent. Check the inbox."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}

/// Who may create an account.
#[component]
fn RegistrationCard() -> impl IntoView {
    let save = ServerAction::<SaveRegistrationMode>::new();
    let mode = Resource::new(move || save.version().get(), |_| registration_mode());
    view! {
        <section class="card" data-testid="registration">
            <h3>"Registration"</h3>
            <p class="muted">"Open: anyone may create a viewer account from the sign-in page and confirms it by e-mail. Invite only: people invited to an organisation create their account from the invitation. Closed: only administrators create accounts."</p>
            <Suspense>
                {move || Suspend::new(async move {
                    let current = mode.await.map(|m| m.mode).unwrap_or_else(|_| "closed".into());
                    let choice = RwSignal::new(current.clone());
                    view! {
                        <div class="form inline">
                            <label class="narrow-field">"Sign-up"
                                <select data-testid="registration-mode" on:change=move |e| choice.set(event_target_value(&e))>
                                    <option value="closed" selected=current == "closed">"Closed"</option>
                                    <option value="invite_only" selected=current == "invite_only">"Invite only"</option>
                                    <option value="open" selected=current == "open">"Open"</option>
                                </select>
                            </label>
                            <div class="buttons"><button class="button" data-testid="registration-save"
                                on:click=move |_| { save.dispatch(SaveRegistrationMode { mode: choice.get_untracked() }); }>"Save"</button></div>
                        </div>
                    }
                })}
            </Suspense>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="alert success" data-testid="registration-saved">"Saved."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}
