//! `/account/profile`: who you are, what your role allows, how you are signed in.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::ErrorBox;
use crate::components::format::{datetime, opt_datetime};
use crate::components::shell::CurrentUser;
use crate::server::auth::get_session_info;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let user = use_context::<CurrentUser>().map(|u| u.0);
    let session = Resource::new(|| (), |_| get_session_info());
    view! {
        <Title text="Profile" />
        <div class="page-head"><h1>"Profile"</h1></div>
        {user.map(|u| view! {
            <section class="card">
                <dl class="facts" data-testid="profile">
                    <dt>"Name"</dt><dd>{if u.display_name.is_empty() { "—".to_string() } else { u.display_name.clone() }}</dd>
                    <dt>"Email"</dt><dd>{u.email.clone()}</dd>
                    <dt>"Role"</dt><dd>{u.role.label()}</dd>
                    <dt>"Member since"</dt><dd>{datetime(u.created_at)}</dd>
                    <dt>"Last sign-in"</dt><dd>{opt_datetime(u.last_login_at)}</dd>
                </dl>
            </section>
            <section class="card">
                <h3>"What your role allows"</h3>
                <ul class="chips">
                    {u.permissions.iter().map(|p| view! { <li class="chip">{p.replace('_', " ")}</li> }).collect_view()}
                </ul>
            </section>
        })}
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
