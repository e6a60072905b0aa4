//! The "Credits ledger" card on `/admin/settings`: the accounts holding credits (each linked to
//! where it can be managed), and a check that recomputes every balance from the ledger and
//! shows what the platform holds for its customers.

use leptos::prelude::*;
use ops_types::{CreditAccount, OwnerKind, format_amount};

use crate::components::alert::ErrorBox;
use crate::server::billing::{check_ledger, credit_accounts};

#[component]
pub fn LedgerCard() -> impl IntoView {
    let check = Action::new(|_: &()| check_ledger());
    let accounts = Resource::new(|| (), |_| credit_accounts());
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
            <Suspense fallback=|| view! { <p>"Loading accounts…"</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No account has held credits yet. Grant some from a user's page or an organisation's credits page."</p>
                        }.into_any(),
                        Ok(list) => view! { <Accounts list=list /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Accounts(list: Vec<CreditAccount>) -> impl IntoView {
    view! {
        <table class="table" data-testid="credit-accounts">
            <thead><tr><th>"Account"</th><th>"Paid"</th><th>"Granted"</th><th>"Entries"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|a| {
                    let href = match a.owner_kind {
                        OwnerKind::User => format!("/admin/users/{}", a.owner_id),
                        OwnerKind::Org => format!("/org/{}/credits", a.owner_id),
                    };
                    let kind = match a.owner_kind { OwnerKind::User => "user", OwnerKind::Org => "organisation" };
                    view! {
                        <tr>
                            <td><a href=href>{a.name}</a><div class="hint">{kind}</div></td>
                            <td>{format_amount(a.paid, &a.currency)}</td>
                            <td>{format_amount(a.granted, &a.currency)}</td>
                            <td>{a.entries}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
