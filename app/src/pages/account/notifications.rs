//! `/account/notifications`: which kinds of notification reach you, and how; the webhook
//! address and its signing secret (shown once when made).

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{NotificationPref, NotificationPrefs};

use crate::browser::copy_to_clipboard;
use crate::components::alert::ErrorBox;
use crate::server::account::{NewWebhookSecret, SaveNotifications, get_notifications};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let prefs = Resource::new(|| (), |_| get_notifications());
    view! {
        <Title text="Notifications" />
        <div class="page-head"><h1>"Notifications"</h1></div>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match prefs.await {
                    Ok(p) => view! { <PrefsForm prefs=p /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PrefsForm(prefs: NotificationPrefs) -> impl IntoView {
    let webhook = RwSignal::new(prefs.webhook_url.clone().unwrap_or_default());
    let hint = RwSignal::new(prefs.webhook_secret_hint.clone());
    // A secret just made (by the first save with an address, or by "New signing secret").
    let fresh = RwSignal::new(None::<String>);
    let rows: Vec<(NotificationPref, [RwSignal<bool>; 3])> = prefs
        .prefs
        .into_iter()
        .map(|p| {
            let sigs = [
                RwSignal::new(p.email),
                RwSignal::new(p.in_app),
                RwSignal::new(p.webhook),
            ];
            (p, sigs)
        })
        .collect();
    let save = ServerAction::<SaveNotifications>::new();
    Effect::new(move |_| {
        if let Some(Ok(p)) = save.value().get() {
            hint.set(p.webhook_secret_hint.clone());
            if p.new_webhook_secret.is_some() {
                fresh.set(p.new_webhook_secret);
            }
        }
    });
    let collected = rows.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = webhook.get_untracked();
        save.dispatch(SaveNotifications {
            input: NotificationPrefs {
                webhook_url: Some(url).filter(|u| !u.trim().is_empty()),
                webhook_secret_hint: None,
                new_webhook_secret: None,
                prefs: collected
                    .iter()
                    .map(|(p, [e, i, w])| NotificationPref {
                        kind: p.kind,
                        email: e.get_untracked(),
                        in_app: i.get_untracked(),
                        webhook: w.get_untracked(),
                    })
                    .collect(),
            },
        });
    };
    let check = |sig: RwSignal<bool>, id: String| {
        view! {
            <td><input type="checkbox" data-testid=id checked=sig.get_untracked() prop:checked=move || sig.get()
                on:change=move |e| sig.set(event_target_checked(&e)) /></td>
        }
    };
    view! {
        <form class="card form" on:submit=submit data-testid="notifications-form">
            <table class="table matrix">
                <thead><tr><th>"About"</th><th>"Email"</th><th>"In the console"</th><th>"Webhook"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|(p, [e, i, w])| {
                        let k = p.kind.as_str();
                        view! {
                            <tr>
                                <td><strong>{p.kind.label()}</strong><br /><span class="muted">{p.kind.description()}</span></td>
                                {check(e, format!("notify-{k}-email"))}
                                {check(i, format!("notify-{k}-in_app"))}
                                {check(w, format!("notify-{k}-webhook"))}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <label class="narrow">"Webhook address"
                <input type="url" placeholder="https://hooks.example.com/ops" data-testid="notify-webhook-url"
                    value=webhook.get_untracked() prop:value=move || webhook.get() on:input=move |e| webhook.set(event_target_value(&e)) />
                <span class="hint">"Receives a JSON POST for each notification sent by webhook, signed as Standard Webhooks describe: check the "<code>"webhook-signature"</code>" header (HMAC-SHA256 of id.timestamp.body) with your signing secret."</span>
            </label>
            <SigningSecret hint fresh />
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="alert success" data-testid="notifications-saved">"Preferences saved."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            <div class="buttons">
                <button type="submit" class="button primary" data-testid="notifications-save"
                    disabled=move || save.pending().get()>"Save preferences"</button>
            </div>
        </form>
    }
}

/// The webhook's signing secret: its masked hint, a fresh one in full once, and "New signing
/// secret" (the old one stops signing at once).
#[component]
fn SigningSecret(hint: RwSignal<Option<String>>, fresh: RwSignal<Option<String>>) -> impl IntoView {
    let rotate = ServerAction::<NewWebhookSecret>::new();
    Effect::new(move |_| {
        if let Some(Ok(s)) = rotate.value().get() {
            hint.set(Some(s.hint));
            fresh.set(Some(s.secret));
        }
    });
    let copied = RwSignal::new(false);
    view! {
        {move || hint.get().map(|h| view! {
            <div class="narrow" data-testid="webhook-secret">
                <span>"Signing secret: "</span><code data-testid="webhook-secret-hint">{h}</code>" "
                <button type="button" class="button small" data-testid="webhook-secret-new"
                    disabled=move || rotate.pending().get()
                    on:click=move |_| { rotate.dispatch(NewWebhookSecret {}); }>"New signing secret"</button>
            </div>
        })}
        {move || rotate.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {move || fresh.get().map(|secret| {
            let copy = secret.clone();
            view! {
                <div class="alert success">
                    <p>"Your webhook signing secret. Copy it now: it is not shown again."</p>
                    <div class="secret-row">
                        <input type="text" readonly data-testid="webhook-secret-value" prop:value=secret />
                        <button type="button" class="button" on:click=move |_| { copy_to_clipboard(&copy); copied.set(true); }>
                            {move || if copied.get() { "Copied" } else { "Copy" }}
                        </button>
                    </div>
                </div>
            }
        })}
    }
}
