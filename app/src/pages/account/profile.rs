//! `/account/profile`: your details (editable), what your role allows, how you are signed in.

use leptos::prelude::*;
use leptos_meta::Title;

use super::avatar::AvatarEditor;
use super::profile_form::ProfileForm;
use crate::components::alert::ErrorBox;
use crate::components::format::{datetime, opt_datetime};
use crate::server::account::get_profile;
use crate::server::auth::get_session_info;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_profile());
    let session = Resource::new(|| (), |_| get_session_info());
    view! {
        <Title text="Profile" />
        <div class="page-head"><h1>"Profile"</h1></div>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! {
                        <section class="card">
                            <AvatarEditor profile=p.clone() />
                            <dl class="facts" data-testid="profile">
                                <dt>"Email"</dt><dd>{p.email.clone()}</dd>
                                <dt>"Role"</dt><dd>{p.role.label()}</dd>
                                <dt>"Member since"</dt><dd>{datetime(p.created_at)}</dd>
                            </dl>
                            <ProfileForm profile=p.clone() />
                        </section>
                        <section class="card">
                            <h3>"What your role allows"</h3>
                            <ul class="chips">
                                {p.role.permissions().iter().map(|perm| view! {
                                    <li class="chip">{perm.as_str().replace('_', " ")}</li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <section class="card">
            <h3>"This session"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match session.await {
                        Ok(s) => view! {
                            <dl class="facts">
                                <dt>"Signed in"</dt><dd>{opt_datetime(s.created_at)}</dd>
                                <dt>"Ends if idle until"</dt><dd>{opt_datetime(s.idle_expires_at)}</dd>
                                <dt>"Ends at the latest"</dt><dd>{opt_datetime(s.absolute_expires_at)}</dd>
                            </dl>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
