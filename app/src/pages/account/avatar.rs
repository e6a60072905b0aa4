//! The profile picture: shown, replaced by choosing a file, or removed.

use leptos::prelude::*;
use ops_types::Profile;

use crate::browser::upload_chosen_file;
use crate::components::alert::ErrorBox;
use crate::server::account::RemoveAvatar;

#[component]
pub fn AvatarEditor(profile: Profile) -> impl IntoView {
    let url = RwSignal::new(profile.avatar_url.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let remove = ServerAction::<RemoveAvatar>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            url.set(None);
        }
    });
    let initial = profile
        .display_name
        .chars()
        .next()
        .or_else(|| profile.email.chars().next())
        .unwrap_or('?')
        .to_uppercase()
        .to_string();
    let choose = move |ev: leptos::ev::Event| {
        busy.set(true);
        upload_chosen_file(&ev, "/api/v1/auth/profile/avatar", move |r| {
            busy.set(false);
            match r
                .and_then(|text| serde_json::from_str::<Profile>(&text).map_err(|e| e.to_string()))
            {
                Ok(p) => {
                    error.set(None);
                    url.set(p.avatar_url);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <div class="avatar-row">
            {move || match url.get() {
                Some(src) => view! { <img class="avatar" src=src alt="Your picture" data-testid="avatar-img" /> }.into_any(),
                None => view! { <span class="avatar placeholder" aria-hidden="true">{initial.clone()}</span> }.into_any(),
            }}
            <div>
                <label class="button secondary">
                    {move || if busy.get() { "Uploading…" } else { "Choose a picture" }}
                    <input type="file" accept="image/png,image/jpeg,image/webp" class="visually-hidden"
                        data-testid="avatar-file" on:change=choose />
                </label>
                {move || url.get().is_some().then(|| view! {
                    " " <button class="button secondary" data-testid="avatar-remove" on:click=move |_| { remove.dispatch(RemoveAvatar {}); }>"Remove"</button>
                })}
                <p class="hint">"PNG, JPEG or WebP, up to 5 MiB. It is cropped square; its metadata is removed."</p>
                {move || error.get().map(|e| view! { <div class="alert error" role="alert">{e}</div> })}
                {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            </div>
        </div>
    }
}
