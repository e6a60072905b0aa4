//! Account → Security → Sign-in providers: the outside accounts linked to this one, linking
//! another (a round trip through the provider) and unlinking.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::components::format::opt_datetime;
use crate::server::sso::{UnlinkIdentity, my_identities, sso_buttons};

#[component]
pub fn LinkedCard() -> impl IntoView {
    let unlink = ServerAction::<UnlinkIdentity>::new();
    let linked = Resource::new(move || unlink.version().get(), |_| my_identities());
    let providers = Resource::new(|| (), |_| sso_buttons());
    let query = use_query_map();
    let notice = move || {
        let q = query.read();
        if let Some(code) = q.get("sso_error") {
            Some(view! { <div class="alert error" data-testid="link-error">{ops_types::sso_error_message(&code)}</div> }.into_any())
        } else {
            q.get("linked").map(|_| view! { <div class="alert success" data-testid="linked">"Linked. You can now sign in with it."</div> }.into_any())
        }
    };
    view! {
        <section class="card" data-testid="linked-identities">
            <h3>"Sign-in providers"</h3>
            {notice}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (mine, all) = (linked.await, providers.await.unwrap_or_default());
                    let mine = match mine {
                        Ok(m) => m,
                        Err(e) => return view! { <ErrorBox error=e /> }.into_any(),
                    };
                    if all.is_empty() && mine.is_empty() {
                        return view! { <p class="muted">"No single sign-on providers are set up here."</p> }.into_any();
                    }
                    let unlinked: Vec<_> = all.into_iter().filter(|b| !mine.iter().any(|m| m.provider_slug == b.slug)).collect();
                    view! {
                        {mine.is_empty().then(|| view! { <p class="muted">"None linked yet."</p> })}
                        <ul class="plain-list">
                            {mine.into_iter().map(|m| {
                                let (pid, name) = (m.provider_id.clone(), m.provider_name.clone());
                                view! {
                                    <li data-testid=format!("linked-{}", m.provider_slug)>
                                        <strong>{m.provider_name.clone()}</strong>
                                        " " <span class="hint">{m.email.clone().unwrap_or_default()}</span>
                                        " " <span class="hint">{format!("last used {}", opt_datetime(m.last_login_at))}</span>
                                        " " <button class="button small danger" on:click=move |_| {
                                            if confirm(&format!("Unlink {name}? You will no longer sign in with it.")) {
                                                unlink.dispatch(UnlinkIdentity { provider_id: pid.clone() });
                                            }
                                        }>"Unlink"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <div class="buttons">
                            {unlinked.into_iter().map(|b| view! {
                                <a class="button" rel="external" data-testid=format!("link-{}", b.slug)
                                    href=format!("/auth/login/{}?link=1", b.slug)>{format!("Link {}", b.name)}</a>
                            }).collect_view()}
                        </div>
                    }.into_any()
                })}
            </Suspense>
            {move || unlink.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </section>
    }
}
