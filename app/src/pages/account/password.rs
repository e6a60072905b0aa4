//! The "Password" card: change it, with the policy checked as you type. Other sessions end.

use leptos::prelude::*;
use ops_types::{PasswordChange, Profile, password_rules};

use crate::components::alert::ErrorBox;
use crate::components::format::opt_datetime;
use crate::server::account::ChangePassword;

#[component]
pub fn PasswordCard(profile: Profile) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let change = ServerAction::<ChangePassword>::new();
    let email = profile.email.clone();
    let rules = Memo::new(move |_| password_rules(&new.get(), Some(&email)));
    let matches = move || !confirm.get().is_empty() && confirm.get() == new.get();
    let has_password = profile.has_password;
    // Only this page knows the current password as you type; the server checks it everywhere.
    let differs = move || !has_password || (!new.get().is_empty() && new.get() != current.get());
    let ready = move || rules.get().iter().all(|r| r.ok) && differs() && matches();
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.value().get() {
            for s in [current, new, confirm] {
                s.set(String::new());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch(ChangePassword {
            input: PasswordChange {
                current_password: current.get_untracked(),
                new_password: new.get_untracked(),
            },
        });
    };
    view! {
        <section class="card">
            <h3>{if has_password { "Change password" } else { "Set a password" }}</h3>
            <p class="muted">
                {if has_password {
                    format!("Last changed: {}. Changing it signs you out everywhere else.", opt_datetime(profile.password_changed_at))
                } else {
                    "You sign in through single sign-on. A password lets you sign in without it too.".to_string()
                }}
            </p>
            <form class="form narrow" on:submit=submit data-testid="password-form">
                {has_password.then(|| view! {
                    <label>"Current password"
                        <input type="password" autocomplete="current-password" data-testid="current-password"
                            prop:value=move || current.get() on:input=move |e| current.set(event_target_value(&e)) />
                    </label>
                })}
                <label>"New password"
                    <input type="password" autocomplete="new-password" data-testid="new-password"
                        prop:value=move || new.get() on:input=move |e| new.set(event_target_value(&e)) />
                </label>
                <ul class="rules" data-testid="password-rules">
                    {move || rules.get().into_iter().map(|r| view! {
                        <li class:ok=r.ok data-rule=r.rule.clone()>{r.description}</li>
                    }).collect_view()}
                    {has_password.then(|| view! {
                        <li class:ok=differs data-rule="not_current">"different from your current password"</li>
                    })}
                </ul>
                <label>"Repeat the new password"
                    <input type="password" autocomplete="new-password" data-testid="confirm-password"
                        prop:value=move || confirm.get() on:input=move |e| confirm.set(event_target_value(&e)) />
                    {move || (!confirm.get().is_empty() && !matches()).then(|| view! {
                        <span class="field-error">"The two passwords differ."</span>
                    })}
                </label>
                {move || change.value().get().map(|r| match r {
                    Ok(r) => view! {
                        <div class="alert success" data-testid="password-changed">
                            {format!("Password changed. {} other session(s) signed out.", r.revoked)}
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                })}
                <div class="buttons">
                    <button type="submit" class="button primary" data-testid="password-save"
                        disabled=move || !ready() || change.pending().get()>
                        {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
