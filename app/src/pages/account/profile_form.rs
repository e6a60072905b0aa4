//! The editable part of the profile: display name, bio, language, time zone.

use leptos::prelude::*;
use ops_types::{Profile, ProfileForUpdate};

use crate::browser::browser_timezone;
use crate::components::alert::ErrorBox;
use crate::server::account::SaveProfile;

const LOCALES: [(&str, &str); 14] = [
    ("en", "English"),
    ("en-GB", "English (UK)"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("pt-BR", "Português (Brasil)"),
    ("sv", "Svenska"),
    ("tr", "Türkçe"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("zh-CN", "中文 (简体)"),
];

const ZONES: [&str; 12] = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
];

#[component]
pub fn ProfileForm(profile: Profile) -> impl IntoView {
    let name = RwSignal::new(profile.display_name.clone());
    let bio = RwSignal::new(profile.bio.clone());
    let locale = RwSignal::new(profile.locale.clone());
    let timezone = RwSignal::new(profile.timezone.clone());
    let save = ServerAction::<SaveProfile>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveProfile {
            input: ProfileForUpdate {
                display_name: name.get_untracked(),
                bio: bio.get_untracked(),
                locale: locale.get_untracked(),
                timezone: timezone.get_untracked(),
            },
        });
    };
    let known = LOCALES.iter().any(|(tag, _)| *tag == profile.locale);
    view! {
        <form class="form narrow" on:submit=submit data-testid="profile-form">
            <label>"Display name"
                <input type="text" maxlength="100" data-testid="profile-name" value=name.get_untracked()
                    prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
            </label>
            <label>"About you"
                <textarea maxlength="500" data-testid="profile-bio" prop:value=move || bio.get()
                    on:input=move |e| bio.set(event_target_value(&e))>{bio.get_untracked()}</textarea>
                <span class="hint">{move || format!("{} / 500", bio.get().chars().count())}</span>
            </label>
            <label>"Language"
                <select data-testid="profile-locale" on:change=move |e| locale.set(event_target_value(&e))>
                    {(!known).then(|| view! { <option value=profile.locale.clone() selected>{profile.locale.clone()}</option> })}
                    {LOCALES.map(|(tag, label)| view! {
                        <option value=tag selected=move || locale.get() == tag>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Time zone"
                <div class="field-row">
                    <input type="text" list="zones" data-testid="profile-timezone" value=timezone.get_untracked()
                        prop:value=move || timezone.get() on:input=move |e| timezone.set(event_target_value(&e)) />
                    <button type="button" class="button secondary"
                        on:click=move |_| if let Some(tz) = browser_timezone() { timezone.set(tz) }>
                        "Use this browser's"
                    </button>
                </div>
                <datalist id="zones">{ZONES.map(|z| view! { <option value=z /> }).collect_view()}</datalist>
            </label>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="alert success" data-testid="profile-saved">"Profile saved."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            <div class="buttons">
                <button type="submit" class="button primary" data-testid="profile-save"
                    disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save profile" }}
                </button>
            </div>
        </form>
    }
}
