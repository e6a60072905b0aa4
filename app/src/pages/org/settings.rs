//! Organisation settings (name, slug, default role, join domain, logo) and, for owners,
//! deletion after typing the slug.

use leptos::prelude::*;
use ops_types::{Org, OrgRole, OrgSettings};

use super::Powers;
use crate::browser::upload_chosen_file;
use crate::components::alert::ErrorBox;
use crate::server::org::{DeleteOrg, RemoveOrgLogo, SaveOrgSettings};

#[component]
pub fn SettingsCard(org: Org, powers: Powers) -> impl IntoView {
    let save = ServerAction::<SaveOrgSettings>::new();
    let remove_logo = ServerAction::<RemoveOrgLogo>::new();
    let delete = ServerAction::<DeleteOrg>::new();
    let name = RwSignal::new(org.name.clone());
    let slug = RwSignal::new(org.slug.clone());
    let default_role = RwSignal::new(org.default_role.as_str().to_string());
    let domain = RwSignal::new(org.join_domain.clone().unwrap_or_default());
    let logo = RwSignal::new(org.logo_url.clone());
    let logo_error = RwSignal::new(None::<String>);
    let confirm_slug = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(o)) = remove_logo.value().get() {
            logo.set(o.logo_url);
        }
    });
    let id = org.id.clone();
    let submit = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let d = domain.get_untracked();
            save.dispatch(SaveOrgSettings {
                id: id.clone(),
                settings: OrgSettings {
                    name: name.get_untracked(),
                    slug: slug.get_untracked(),
                    default_role: OrgRole::parse(&default_role.get_untracked())
                        .unwrap_or(OrgRole::Member),
                    join_domain: (!d.trim().is_empty()).then_some(d),
                },
            });
        }
    };
    let upload_url = format!("/api/v1/org/{}/logo", org.id);
    let choose = move |ev: leptos::ev::Event| {
        upload_chosen_file(&ev, &upload_url, move |r| {
            match r.and_then(|t| serde_json::from_str::<Org>(&t).map_err(|e| e.to_string())) {
                Ok(o) => {
                    logo_error.set(None);
                    logo.set(o.logo_url);
                }
                Err(e) => logo_error.set(Some(e)),
            }
        });
    };
    let text = |label: &'static str, sig: RwSignal<String>, testid: &'static str| {
        view! {
            <label>{label}
                <input type="text" data-testid=testid value=sig.get_untracked() prop:value=move || sig.get() on:input=move |e| sig.set(event_target_value(&e)) />
            </label>
        }
    };
    let current_default = org.default_role;
    let (id_logo, id_delete, real_slug) = (id.clone(), id.clone(), org.slug.clone());
    view! {
        <section class="card" data-testid="org-settings">
            <h3>"Settings"</h3>
            <form class="form" on:submit=submit>
                <div class="form inline">
                    {text("Name", name, "org-settings-name")}
                    {text("Slug", slug, "org-settings-slug")}
                </div>
                <div class="form inline">
                    <label class="narrow-field">"New members start as"
                        <select data-testid="org-default-role" on:change=move |e| default_role.set(event_target_value(&e))>
                            {OrgRole::ALL.into_iter().filter(|r| *r != OrgRole::Owner).map(|r| view! {
                                <option value=r.as_str() selected=r == current_default>{r.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    {text("Admit verified addresses of this domain without invitation (optional)", domain, "org-join-domain")}
                </div>
                {move || save.value().get().map(|r| match r {
                    Ok(_) => view! { <div class="alert success" data-testid="org-saved">"Saved."</div> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                })}
                <div class="buttons"><button type="submit" class="button primary" data-testid="org-save">"Save"</button></div>
            </form>
            <h4>"Logo"</h4>
            <div class="avatar-row">
                {move || logo.get().map(|src| view! { <img class="avatar" src=src alt="Logo" data-testid="org-logo" /> })}
                <label class="button secondary">"Choose an image"
                    <input type="file" accept="image/png,image/jpeg,image/webp" class="visually-hidden" data-testid="org-logo-file" on:change=choose />
                </label>
                {move || logo.get().is_some().then(|| {
                    let id = id_logo.clone();
                    view! { <button class="button secondary" on:click=move |_| { remove_logo.dispatch(RemoveOrgLogo { id: id.clone() }); }>"Remove"</button> }
                })}
            </div>
            {move || logo_error.get().map(|e| view! { <div class="alert error" role="alert">{e}</div> })}
            {powers.own.then(|| view! {
                <h4>"Delete the organisation"</h4>
                <p class="muted">"Members keep their accounts; invitations and the keys scoped to the organisation are deleted. Type the slug to confirm."</p>
                <form class="form inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    delete.dispatch(DeleteOrg { id: id_delete.clone(), confirm: confirm_slug.get_untracked() });
                }>
                    <label>{format!("Type {real_slug}")}
                        <input type="text" data-testid="org-delete-confirm" prop:value=move || confirm_slug.get() on:input=move |e| confirm_slug.set(event_target_value(&e)) />
                    </label>
                    <div class="buttons"><button type="submit" class="button danger" data-testid="org-delete">"Delete"</button></div>
                </form>
                {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            })}
        </section>
    }
}
