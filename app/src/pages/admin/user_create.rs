//! "New user": email, name, role and an initial password checked against the policy.

use leptos::prelude::*;
use ops_types::{AdminUserForCreate, Role, password_rules};

use crate::components::alert::ErrorBox;
use crate::server::admin::CreateUser;

#[component]
pub fn CreateUserCard(on_created: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let open = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("viewer".to_string());
    let password = RwSignal::new(String::new());
    let invite = RwSignal::new(false);
    let create = ServerAction::<CreateUser>::new();
    let rules = Memo::new(move |_| password_rules(&password.get(), Some(&email.get())));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            for s in [email, name, password] {
                s.set(String::new());
            }
            on_created();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateUser {
            input: AdminUserForCreate {
                email: email.get_untracked(),
                display_name: name.get_untracked(),
                role: Role::parse(&role.get_untracked()).unwrap_or(Role::Viewer),
                password: (!invite.get_untracked()).then(|| password.get_untracked()),
                send_invite: invite.get_untracked(),
            },
        });
    };
    let input = |label: &'static str,
                 kind: &'static str,
                 sig: RwSignal<String>,
                 id: &'static str| {
        view! {
            <label>{label}
                <input type=kind data-testid=id prop:value=move || sig.get() on:input=move |e| sig.set(event_target_value(&e)) />
            </label>
        }
    };
    view! {
        <Show when=move || open.get() fallback=move || view! {
            <p><button class="button primary" data-testid="new-user" on:click=move |_| open.set(true)>"New user"</button></p>
        }>
            <section class="card">
                <h3>"New user"</h3>
                <form class="form" on:submit=submit data-testid="create-user-form">
                    <div class="form inline">
                        {input("Email", "email", email, "new-user-email")}
                        {input("Name", "text", name, "new-user-name")}
                        <label class="narrow-field">"Role"
                            <select data-testid="new-user-role" on:change=move |e| role.set(event_target_value(&e))>
                                {Role::ALL.map(|r| view! { <option value=r.as_str() selected=r == Role::Viewer>{r.label()}</option> }).collect_view()}
                            </select>
                        </label>
                        <Show when=move || !invite.get()>
                            {input("Initial password", "password", password, "new-user-password")}
                        </Show>
                    </div>
                    <label class="check">
                        <input type="checkbox" data-testid="new-user-invite" prop:checked=move || invite.get()
                            on:change=move |e| invite.set(event_target_checked(&e)) />
                        " E-mail an invitation to choose a password instead"
                    </label>
                    <Show when=move || !invite.get()>
                        <ul class="rules">
                            {move || rules.get().into_iter().map(|r| view! { <li class:ok=r.ok>{r.description}</li> }).collect_view()}
                        </ul>
                    </Show>
                    {move || create.value().get().map(|r| match r {
                        Ok(u) => view! { <div class="alert success" data-testid="user-created">{format!("Created {}.", u.email)}</div> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    })}
                    <div class="buttons">
                        <button type="submit" class="button primary" data-testid="create-user"
                            disabled=move || create.pending().get() || !(invite.get() || rules.get().iter().all(|r| r.ok))>"Create user"</button>
                        <button type="button" class="button secondary" on:click=move |_| open.set(false)>"Close"</button>
                    </div>
                </form>
            </section>
        </Show>
    }
}
