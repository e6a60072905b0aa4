//! The "Credits ledger" card on `/admin/settings`: recompute every balance from the ledger and
//! show what the platform holds for its customers.

use leptos::prelude::*;
use ops_types::format_amount;

use crate::components::alert::ErrorBox;
use crate::server::billing::check_ledger;

#[component]
pub fn LedgerCard() -> impl IntoView {
    let check = Action::new(|_: &()| check_ledger());
    view! {
        <section class="card">
            <h3>"Credits ledger"</h3>
            <p class="muted">"Every balance is recomputed from the ledger's entries and lots; any disagreement is listed."</p>
            <button class="button secondary" data-testid="ledger-check" disabled=move || check.pending().get()
                on:click=move |_| { check.dispatch(()); }>
                {move || if check.pending().get() { "Checking…" } else { "Check the ledger" }}
            </button>
            {move || check.value().get().map(|r| match r {
                Ok(c) => {
                    let held = c.liability.iter().map(|l| format!("{} paid and {} granted",
                        format_amount(l.paid, &l.currency), format_amount(l.granted, &l.currency))).collect::<Vec<_>>().join("; ");
                    let held = if held.is_empty() { "nothing".to_string() } else { held };
                    if c.problems.is_empty() {
                        view! {
                            <div class="alert success" data-testid="ledger-result">
                                {format!("Consistent: {} accounts, {} entries. Held for customers: {held}.", c.accounts, c.entries)}
                            </div>
                        }.into_any()
                    } else {
                        view! {
                            <div class="alert error" data-testid="ledger-result">
                                <p>{format!("{} problem(s) in {} accounts:", c.problems.len(), c.accounts)}</p>
                                <ul>{c.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any()
                    }
                }
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}
