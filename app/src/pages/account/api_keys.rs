//! `/account/api-keys`: create (the secret is shown once, with a copy button; optionally scoped
//! to one of your organisations), list, rotate, revoke.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{ApiKeyCreated, Permission};

use crate::browser::{confirm, copy_to_clipboard};
use crate::components::alert::ErrorBox;
use crate::components::format::{datetime, opt_datetime};
use crate::components::shell::CurrentUser;
use crate::pages::account::key_limits::{LimitsCard, summary};
use crate::server::account::{
    CreateApiKey, RevokeApiKey, RotateApiKey, SaveKeyLimits, list_api_keys,
};
use crate::server::org::my_orgs;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let rotate = ServerAction::<RotateApiKey>::new();
    let rotating = RwSignal::new(None::<(String, String)>);
    let limits = ServerAction::<SaveKeyLimits>::new();
    let limiting = RwSignal::new(None::<ops_types::ApiKeyView>);
    let keys = Resource::new(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                rotate.version().get(),
                limits.version().get(),
            )
        },
        |_| list_api_keys(),
    );
    let orgs = Resource::new(|| (), |_| my_orgs());
    let can_write =
        use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::AccountWrite));
    let created = RwSignal::new(None::<ApiKeyCreated>);
    Effect::new(move |_| {
        if let Some(Ok(k)) = create.value().get() {
            created.set(Some(k));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(k)) = rotate.value().get() {
            rotating.set(None);
            created.set(Some(k));
        }
    });
    let create_error = move || create.value().get().and_then(|r| r.err());
    let revoke_error = move || {
        revoke
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| rotate.value().get().and_then(|r| r.err()))
    };

    view! {
        <Title text="API keys" />
        <div class="page-head"><h1>"API keys"</h1></div>
        <p class="muted">
            "Use a key as " <code>"Authorization: Bearer <key>"</code>
            " on any API request; it acts as you, with your role."
        </p>
        {can_write.then(|| view! {
            <section class="card">
                <h3>"New key"</h3>
                <ActionForm action=create attr:class="form inline" attr:data-testid="create-key-form">
                    <label>"Name"
                        <input type="text" name="name" placeholder="e.g. CI deploy" maxlength="80" required />
                    </label>
                    <label class="narrow-field">"Expires"
                        <select name="expires_in_days" data-testid="key-expiry">
                            <option value="">"Never"</option>
                            <option value="30">"In 30 days"</option>
                            <option value="90" selected>"In 90 days"</option>
                            <option value="365">"In a year"</option>
                        </select>
                    </label>
                    <Suspense>
                        {move || Suspend::new(async move {
                            let list = orgs.await.unwrap_or_default();
                            (!list.is_empty()).then(|| view! {
                                <label class="narrow-field">"Organisation"
                                    <select name="org_id" data-testid="key-org">
                                        <option value="">"None (personal)"</option>
                                        {list.into_iter().map(|o| view! {
                                            <option value=o.id.clone() selected=o.active>{o.name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            })
                        })}
                    </Suspense>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>"Create key"</button>
                </ActionForm>
                <p class="hint">"A key scoped to an organisation acts for it: its usage and billing go to that organisation."</p>
                {move || create_error().map(|e| view! { <ErrorBox error=e /> })}
            </section>
        })}
        {move || created.get().map(|k| view! { <SecretDialog created=k on_close=move || created.set(None) /> })}
        {move || revoke_error().map(|e| view! { <ErrorBox error=e /> })}
        {move || rotating.get().map(|(id, name)| view! { <RotateCard id=id name=name rotate=rotate on_cancel=move || rotating.set(None) /> })}
        {move || limiting.get().map(|k| view! { <LimitsCard key=k save=limits on_close=move || limiting.set(None) /> })}
        <section class="card">
            <Transition fallback=|| view! { <p>"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty" data-testid="no-keys">"No API keys yet. Create one above to call the API from scripts."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="table" data-testid="key-table">
                                <thead><tr><th>"Name"</th><th>"Key"</th><th>"Organisation"</th><th>"Created"</th><th>"Last used"</th><th>"Expires"</th><th>"AI limits"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|k| {
                                        let id = k.id.clone();
                                        let name = k.name.clone();
                                        let pick = (k.id.clone(), k.name.clone());
                                        let active = k.status == "active";
                                        let limited = summary(&k);
                                        let edit = k.clone();
                                        view! {
                                            <tr data-status=k.status.clone()>
                                                <td>{k.name}</td>
                                                <td><code>{format!("{}_…", k.prefix)}</code></td>
                                                <td data-testid="key-org-name">{k.org_name.clone().unwrap_or_else(|| "—".into())}</td>
                                                <td>{datetime(k.created_at)}</td>
                                                <td>{opt_datetime(k.last_used_at)}</td>
                                                <td>
                                                    {k.expires_at.map(datetime).unwrap_or_else(|| "never".into())}
                                                    {(!active).then(|| view! { " " <span class="badge danger">{k.status.clone()}</span> })}
                                                </td>
                                                <td data-testid="key-limits-summary">{limited}</td>
                                                <td class="actions">
                                                    {(can_write && active).then(|| view! {
                                                        <button class="button small" data-testid="limit-key"
                                                            on:click=move |_| limiting.set(Some(edit.clone()))>"Limits"</button>
                                                    })}
                                                    {(can_write && active).then(|| view! {
                                                        <button class="button small" data-testid="rotate-key"
                                                            on:click=move |_| rotating.set(Some(pick.clone()))>"Rotate"</button>
                                                    })}
                                                    {can_write.then(|| view! {
                                                        <button class="button danger small" data-testid="revoke-key"
                                                            on:click=move |_| {
                                                                if confirm(&format!("Revoke the key \u{201c}{name}\u{201d}? Anything using it stops working.")) {
                                                                    revoke.dispatch(RevokeApiKey { id: id.clone() });
                                                                }
                                                            }>"Revoke"</button>
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
                })}
            </Transition>
        </section>
    }
}

/// Shows a new key's secret once, with a copy button.
#[component]
fn SecretDialog(
    created: ApiKeyCreated,
    on_close: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let secret = created.secret.clone();
    view! {
        <div class="dialog-backdrop">
            <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="secret-title">
                <h3 id="secret-title">{format!("Key \u{201c}{}\u{201d} created", created.key.name)}</h3>
                <p>"Copy it now: this is the only time it is shown."</p>
                <div class="secret-row">
                    <input type="text" readonly data-testid="new-key-secret" prop:value=created.secret.clone() />
                    <button class="button" on:click=move |_| { copy_to_clipboard(&secret); copied.set(true); }>
                        {move || if copied.get() { "Copied" } else { "Copy" }}
                    </button>
                </div>
                <button class="button primary" data-testid="close-secret" on:click=move |_| on_close()>"I have stored it"</button>
            </div>
        </div>
    }
}

/// Rotating a key: how long the old secret keeps working.
#[component]
fn RotateCard(
    id: String,
    name: String,
    rotate: ServerAction<RotateApiKey>,
    on_cancel: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let grace = RwSignal::new(60_i64);
    view! {
        <section class="card" data-testid="rotate-card">
            <h3>{format!("Rotate \u{201c}{name}\u{201d}")}</h3>
            <p class="muted">"You get a new secret now. The old one keeps working for the grace period, so clients can switch without an outage."</p>
            <div class="form inline">
                <label class="narrow-field">"Old secret works for"
                    <select data-testid="rotate-grace" on:change=move |e| grace.set(event_target_value(&e).parse().unwrap_or(60))>
                        <option value="0">"no time (stop now)"</option>
                        <option value="60" selected>"1 hour"</option>
                        <option value="1440">"1 day"</option>
                        <option value="10080">"1 week"</option>
                    </select>
                </label>
                <div class="buttons">
                    <button class="button primary" data-testid="rotate-confirm" disabled=move || rotate.pending().get()
                        on:click=move |_| { rotate.dispatch(RotateApiKey { id: id.clone(), grace_minutes: grace.get_untracked() }); }>"Rotate"</button>
                    <button class="button secondary" on:click=move |_| on_cancel()>"Cancel"</button>
                </div>
            </div>
        </section>
    }
}
