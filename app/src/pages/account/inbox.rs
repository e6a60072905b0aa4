//! `/account/inbox`: in-app notifications, newest first; opening one marks it read.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::components::shell::InboxChanged;
use crate::server::account::{MarkRead, get_inbox};

#[component]
pub fn InboxPage() -> impl IntoView {
    let mark = ServerAction::<MarkRead>::new();
    let inbox = Resource::new(move || mark.version().get(), |_| get_inbox());
    let changed = use_context::<InboxChanged>();
    Effect::new(move |_| {
        if mark.version().get() > 0
            && let Some(c) = changed
        {
            c.0.update(|n| *n += 1);
        }
    });
    view! {
        <Title text="Notifications" />
        <div class="page-head">
            <h1>"Notifications"</h1>
            <div class="actions">
                <a class="button secondary" href="/account/notifications">"Choose what you receive"</a>
                <button class="button" data-testid="inbox-read-all" on:click=move |_| { mark.dispatch(MarkRead { id: None }); }>"Mark all read"</button>
            </div>
        </div>
        <section class="card" data-testid="inbox">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match inbox.await {
                        Ok(i) if i.items.is_empty() => view! { <p class="muted" data-testid="inbox-empty">"Nothing yet. Security and account events appear here."</p> }.into_any(),
                        Ok(i) => view! {
                            <ul class="plain-list inbox">
                                {i.items.into_iter().map(|n| {
                                    let id = n.id.clone();
                                    let unread = !n.read;
                                    view! {
                                        <li class:unread=unread data-testid="inbox-item">
                                            <div><strong>{n.title.clone()}</strong> " " <span class="badge">{n.kind.clone()}</span>
                                                " " <span class="hint">{datetime(n.created_at)}</span></div>
                                            <p>{n.body.clone()}</p>
                                            <div class="buttons">
                                                {n.link.clone().map(|l| view! { <a class="button small" href=l>"Open"</a> })}
                                                {unread.then(|| view! {
                                                    <button class="button small" on:click=move |_| { mark.dispatch(MarkRead { id: Some(id.clone()) }); }>"Mark read"</button>
                                                })}
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
