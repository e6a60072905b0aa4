//! The "Two-factor sign-in" card: enrol an authenticator app by QR code, confirm with a code,
//! keep the recovery codes; later replace the codes or turn it off.

use leptos::prelude::*;
use ops_types::{MfaStatus, RecoveryCodes};

use crate::browser::copy_to_clipboard;
use crate::components::alert::ErrorBox;
use crate::components::format::opt_datetime;
use crate::server::mfa::{DisableTotp, EnableTotp, NewRecoveryCodes, StartTotp, get_mfa_status};

#[component]
pub fn MfaCard() -> impl IntoView {
    let start = ServerAction::<StartTotp>::new();
    let enable = ServerAction::<EnableTotp>::new();
    let disable = ServerAction::<DisableTotp>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let status = Resource::new(
        move || {
            (
                enable.version().get(),
                disable.version().get(),
                renew.version().get(),
            )
        },
        |_| get_mfa_status(),
    );
    let error = move || {
        [
            start.value().get().and_then(|r| r.err()),
            enable.value().get().and_then(|r| r.err()),
            disable.value().get().and_then(|r| r.err()),
            renew.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let codes = move || {
        enable
            .value()
            .get()
            .and_then(|r| r.ok())
            .or_else(|| renew.value().get().and_then(|r| r.ok()))
    };
    view! {
        <section class="card" data-testid="mfa">
            <h3>"Two-factor sign-in"</h3>
            {move || error().map(|e| view! { <ErrorBox error=e /> })}
            {move || codes().map(|c| view! { <Codes codes=c /> })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) if s.totp_enabled => view! { <Enabled s=s disable=disable renew=renew /> }.into_any(),
                        Ok(s) => view! { <Enrol s=s start=start enable=enable /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Enrol(
    s: MfaStatus,
    start: ServerAction<StartTotp>,
    enable: ServerAction<EnableTotp>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    view! {
        {s.required.then(|| view! {
            <div class="alert warning" data-testid="mfa-required">"Your role requires two-factor sign-in. Set it up to use the console."</div>
        })}
        <p class="muted">"Protect your account with a 6-digit code from an authenticator app (Aegis, 1Password, Google Authenticator…) each time you sign in."</p>
        {move || match start.value().get() {
            Some(Ok(setup)) => view! {
                <div class="enrol">
                    <div class="qr" data-testid="mfa-qr" inner_html=setup.qr_svg.clone()></div>
                    <div>
                        <p>"Scan the code with your app, or type this key:"</p>
                        <p><code data-testid="mfa-secret">{setup.secret.clone()}</code></p>
                        <form class="form inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            enable.dispatch(EnableTotp { code: code.get_untracked() });
                        }>
                            <label>"Code from the app"
                                <input type="text" inputmode="numeric" autocomplete="one-time-code" data-testid="mfa-enable-code"
                                    prop:value=move || code.get() on:input=move |e| code.set(event_target_value(&e)) />
                            </label>
                            <div class="buttons"><button type="submit" class="button primary" data-testid="mfa-enable">"Turn on"</button></div>
                        </form>
                    </div>
                </div>
            }.into_any(),
            _ => view! {
                <button class="button primary" data-testid="mfa-start" on:click=move |_| { start.dispatch(StartTotp {}); }>
                    "Set up an authenticator app"
                </button>
            }.into_any(),
        }}
    }
}

#[component]
fn Enabled(
    s: MfaStatus,
    disable: ServerAction<DisableTotp>,
    renew: ServerAction<NewRecoveryCodes>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    view! {
        <p data-testid="mfa-on">{format!("On since {}. {} recovery codes left.", opt_datetime(s.enabled_at), s.recovery_codes_left)}</p>
        <div class="form inline">
            <label>"Current code (or a recovery code)"
                <input type="text" autocomplete="one-time-code" data-testid="mfa-confirm-code"
                    prop:value=move || code.get() on:input=move |e| code.set(event_target_value(&e)) />
            </label>
            <div class="buttons">
                <button class="button" data-testid="mfa-renew" on:click=move |_| { renew.dispatch(NewRecoveryCodes { code: code.get_untracked() }); }>"New recovery codes"</button>
                {(!s.required).then(|| view! {
                    <button class="button danger" data-testid="mfa-disable" on:click=move |_| { disable.dispatch(DisableTotp { code: code.get_untracked() }); }>"Turn off"</button>
                })}
            </div>
        </div>
    }
}

#[component]
fn Codes(codes: RecoveryCodes) -> impl IntoView {
    let text = codes.codes.join("\n");
    view! {
        <div class="alert success" data-testid="recovery-codes">
            <p><strong>"Save these recovery codes now."</strong>" Each signs you in once if you lose your device. They are not shown again."</p>
            <ul class="codes">{codes.codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
            <button class="button small" on:click=move |_| copy_to_clipboard(&text)>"Copy"</button>
        </div>
    }
}
