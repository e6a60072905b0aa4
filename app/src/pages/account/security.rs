//! `/account/security`: your password, two-factor sign-in, linked sign-in providers and
//! where you are signed in.

use leptos::prelude::*;
use leptos_meta::Title;

use super::linked::LinkedCard;
use super::mfa::MfaCard;
use super::password::PasswordCard;
use super::sessions::SessionsCard;
use crate::components::alert::ErrorBox;
use crate::server::account::get_profile;

#[component]
pub fn SecurityPage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_profile());
    view! {
        <Title text="Security" />
        <div class="page-head"><h1>"Security"</h1></div>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! { <PasswordCard profile=p /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <MfaCard />
        <LinkedCard />
        <SessionsCard />
    }
}
