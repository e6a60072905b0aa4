//! The "Where you're signed in" card: every session of the caller, the current one marked,
//! with "Sign out" per session and "Sign out everywhere else".

use leptos::prelude::*;

use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::server::account::{EndOtherSessions, EndSession, list_sessions};

#[component]
pub fn SessionsCard() -> impl IntoView {
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(
        move || (end_one.version().get(), end_others.version().get()),
        |_| list_sessions(),
    );
    let error = move || {
        end_one
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| end_others.value().get().and_then(|r| r.err()))
    };
    view! {
        <section class="card" data-testid="sessions">
            <div class="page-head">
                <h3>"Where you're signed in"</h3>
                <div class="actions">
                    <button class="button secondary" data-testid="end-other-sessions"
                        on:click=move |_| {
                            if confirm("Sign out of every other browser and device?") {
                                end_others.dispatch(EndOtherSessions {});
                            }
                        }>"Sign out everywhere else"</button>
                </div>
            </div>
            {move || error().map(|e| view! { <ErrorBox error=e /> })}
            {move || end_others.value().get().and_then(|r| r.ok()).map(|r| view! {
                <div class="alert success" data-testid="sessions-ended">
                    {format!("Signed out of {} other session(s).", r.revoked)}
                </div>
            })}
            <Transition fallback=|| view! { <p>"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No browser sessions: you are signed in with an API key."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="table" data-testid="session-table">
                                <thead><tr><th>"Device"</th><th>"IP"</th><th>"Signed in"</th><th>"Last active"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| {
                                        let id = s.id.clone();
                                        let device = s.device.clone();
                                        view! {
                                            <tr data-current=s.current.to_string()>
                                                <td title=s.user_agent.unwrap_or_default()>
                                                    {s.device}
                                                    {s.current.then(|| view! { " " <span class="badge">"this browser"</span> })}
                                                </td>
                                                <td>{s.ip.unwrap_or_else(|| "—".into())}</td>
                                                <td class="nowrap">{datetime(s.created_at)}</td>
                                                <td class="nowrap">{datetime(s.last_seen_at)}</td>
                                                <td class="actions">
                                                    <button class="button danger small" data-testid="end-session"
                                                        on:click=move |_| {
                                                            if confirm(&format!("Sign out of {device}?")) {
                                                                end_one.dispatch(EndSession { id: id.clone() });
                                                            }
                                                        }>"Sign out"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
