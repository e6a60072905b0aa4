//! `/account/notifications`: which kinds of notification reach you, and how.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{NotificationPref, NotificationPrefs};

use crate::components::alert::ErrorBox;
use crate::server::account::{SaveNotifications, get_notifications};

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
    let collected = rows.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = webhook.get_untracked();
        save.dispatch(SaveNotifications {
            input: NotificationPrefs {
                webhook_url: Some(url).filter(|u| !u.trim().is_empty()),
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
                <span class="hint">"Receives a JSON POST for each notification sent by webhook."</span>
            </label>
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
