//! "Two-factor policy": the roles that must use two-factor sign-in.

use leptos::prelude::*;
use ops_types::{MfaPolicy, Role};

use crate::components::alert::ErrorBox;
use crate::server::mfa::{SaveMfaPolicy, get_mfa_policy};

#[component]
pub fn MfaPolicyCard() -> impl IntoView {
    let policy = Resource::new(|| (), |_| get_mfa_policy());
    let save = ServerAction::<SaveMfaPolicy>::new();
    view! {
        <section class="card" data-testid="mfa-policy">
            <h3>"Two-factor policy"</h3>
            <p class="muted">"Members of these roles must set up two-factor sign-in; until they do, they see only their account's security page."</p>
            <Suspense>
                {move || Suspend::new(async move {
                    match policy.await {
                        Ok(p) => {
                            let checks: Vec<(Role, RwSignal<bool>)> = Role::ALL
                                .into_iter()
                                .map(|r| (r, RwSignal::new(p.required_roles.contains(&r))))
                                .collect();
                            let picked = checks.clone();
                            let submit = move |ev: leptos::ev::SubmitEvent| {
                                ev.prevent_default();
                                let required_roles = picked.iter().filter(|(_, s)| s.get_untracked()).map(|(r, _)| *r).collect();
                                save.dispatch(SaveMfaPolicy { input: MfaPolicy { required_roles } });
                            };
                            view! {
                                <form class="form inline" on:submit=submit>
                                    {checks.into_iter().map(|(r, sig)| view! {
                                        <label class="check">
                                            <input type="checkbox" data-testid=format!("mfa-role-{}", r.as_str())
                                                checked=sig.get_untracked() prop:checked=move || sig.get()
                                                on:change=move |e| sig.set(event_target_checked(&e)) />
                                            {r.label()}
                                        </label>
                                    }).collect_view()}
                                    <div class="buttons"><button type="submit" class="button" data-testid="mfa-policy-save">"Save policy"</button></div>
                                </form>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="alert success" data-testid="mfa-policy-saved">"Policy saved."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}
