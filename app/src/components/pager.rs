//! "Newest" and "Older →" for lists paged backwards by a cursor (`before`).

use leptos::prelude::*;

#[component]
pub fn OlderPager(
    /// The cursor of the page shown (`None`: the newest).
    before: RwSignal<Option<i64>>,
    /// The cursor of the next, older page (`None`: this is the last).
    next: Option<i64>,
    /// `data-testid` of the "Older" button.
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="pager">
            <button class="button secondary" disabled=move || before.get().is_none()
                on:click=move |_| before.set(None)>"Newest"</button>
            <button class="button secondary" data-testid=testid disabled=next.is_none()
                on:click=move |_| before.set(next)>"Older →"</button>
        </div>
    }
}
