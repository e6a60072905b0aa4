//! An account's credits: balance (paid, granted, next expiry), the ledger page by page, and
//! for administrators with `billing_manage` a form to grant or deduct with a reason. Used on
//! `/account/credits` (your own) and on a user's admin page.

use leptos::prelude::*;
use ops_types::{
    ApiError, CreditBalance, CreditBucket, CreditDeduct, CreditGrant, LedgerEntry, LedgerQuery,
    day_of_date, format_amount, parse_amount,
};

use crate::browser::request_key;
use crate::components::alert::ErrorBox;
use crate::components::format::{datetime, opt_datetime};
use crate::components::pager::OlderPager;
use crate::components::redeem::RedeemCard;
use crate::server::billing::{
    DeductCredits, GrantCredits, RedeemCode, get_credit_balance, get_credit_history,
};

#[component]
pub fn CreditsCard(
    /// Whose account (empty: the caller's own).
    query: LedgerQuery,
    /// Show the grant/deduct form.
    #[prop(optional)]
    manage: bool,
    /// Show "Redeem a code" (for the account's own holders).
    #[prop(optional)]
    redeem: bool,
) -> impl IntoView {
    let grant = ServerAction::<GrantCredits>::new();
    let deduct = ServerAction::<DeductCredits>::new();
    let redeemed = ServerAction::<RedeemCode>::new();
    let paid = crate::components::buy::checkout_done();
    let moved = move || {
        (
            grant.version().get(),
            deduct.version().get(),
            redeemed.version().get(),
            paid(),
        )
    };
    let before = RwSignal::new(None::<i64>);
    let q = query.clone();
    let balance = Resource::new(moved, move |_| get_credit_balance(q.clone()));
    let q = query.clone();
    let history = Resource::new(
        move || (moved(), before.get()),
        move |(_, before)| {
            get_credit_history(LedgerQuery {
                before,
                ..q.clone()
            })
        },
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading credits…"</p> }>
            {move || Suspend::new(async move {
                match balance.await {
                    Ok(b) => view! { <Balance b=b /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        {redeem.then(|| view! { <RedeemCard org_id=query.org_id.clone() redeem=redeemed /> })}
        {manage.then(|| view! { <MoveForm query=query.clone() grant deduct /> })}
        <section class="card">
            <h3>"History"</h3>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(p) if p.entries.is_empty() => view! {
                            <p class="empty" data-testid="credits-empty">"No credits yet. Grants, purchases and usage will show here."</p>
                        }.into_any(),
                        Ok(p) => {
                            let next = p.next_before;
                            view! {
                                <Entries entries=p.entries />
                                <OlderPager before next testid="credits-older" />
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Says so when card payments cannot be taken here, so that nobody looks for a "Buy" button.
#[component]
pub fn PaymentNotice() -> impl IntoView {
    let available = Resource::new(|| (), |_| crate::server::plans::payments_available());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                (available.await == Ok(false)).then(|| view! {
                    <div class="alert warning" data-testid="payments-unavailable">
                        "Buying credits by card is unavailable on this server: an administrator has not set up Stripe.                          Credits can still be granted by an administrator, or come from a redemption code."
                    </div>
                })
            })}
        </Suspense>
    }
}

#[component]
fn Balance(b: CreditBalance) -> impl IntoView {
    let cur = b.currency.clone();
    let money = move |m: i64| format_amount(m, &cur);
    let expiry = b.next_expiry.clone().map(|e| {
        format!(
            "{} expire {}",
            format_amount(e.amount, &b.currency),
            datetime(e.at)
        )
    });
    view! {
        <div class="grid stats" data-testid="credit-balance">
            <section class="card stat"><p class="stat-label">"Credits"</p>
                <p class="stat-value" data-testid="credit-total">{money(b.total)}</p>
                <p class="stat-detail">{expiry.unwrap_or_else(|| "none expiring".into())}</p></section>
            <section class="card stat"><p class="stat-label">"Paid"</p>
                <p class="stat-value" data-testid="credit-paid">{money(b.paid)}</p>
                <p class="stat-detail">"bought; spent after granted credits"</p></section>
            <section class="card stat"><p class="stat-label">"Granted"</p>
                <p class="stat-value" data-testid="credit-granted">{money(b.granted)}</p>
                <p class="stat-detail">"free: allowances and gifts"</p></section>
        </div>
    }
}

#[component]
fn Entries(entries: Vec<LedgerEntry>) -> impl IntoView {
    let usd = |m: i64| format_amount(m, "USD");
    view! {
        <table class="table" data-testid="credit-history">
            <thead><tr><th>"When"</th><th>"What"</th><th>"Amount"</th><th>"Balance after"</th><th>"Reason"</th><th>"By"</th></tr></thead>
            <tbody>
                {entries.into_iter().map(|e| {
                    let delta = e.paid_delta + e.granted_delta;
                    let bucket = if e.paid_delta != 0 && e.granted_delta != 0 { "paid + granted" }
                        else if e.paid_delta != 0 { "paid" } else { "granted" };
                    view! {
                        <tr data-kind=e.kind.clone()>
                            <td>{datetime(e.created_at)}</td>
                            <td>{e.kind.clone()}<div class="hint">{bucket}</div></td>
                            <td class:ok={delta > 0} class:danger={delta < 0}>{usd(delta)}
                                {e.expires_at.map(|at| view! { <div class="hint">{format!("expires {}", opt_datetime(Some(at)))}</div> })}</td>
                            <td>{usd(e.paid_after + e.granted_after)}</td>
                            <td>{e.reason.unwrap_or_default()}</td>
                            <td>{e.actor_email.unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Grant or deduct, with a reason. Each submission has its own idempotency key, renewed after
/// it succeeds, so a double click or a retried request moves money once.
#[component]
fn MoveForm(
    query: LedgerQuery,
    grant: ServerAction<GrantCredits>,
    deduct: ServerAction<DeductCredits>,
) -> impl IntoView {
    let direction = RwSignal::new("grant".to_string());
    let amount = RwSignal::new(String::new());
    let bucket = RwSignal::new("granted".to_string());
    let reason = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    // The answer to the latest submission, grant or deduction.
    let last = RwSignal::new(None::<Result<LedgerEntry, ApiError>>);
    Effect::new(move |_| key.set(request_key()));
    let settle = move |r: Option<Result<LedgerEntry, ApiError>>| {
        if let Some(r) = r {
            if r.is_ok() {
                key.set(request_key());
                amount.set(String::new());
                reason.set(String::new());
            }
            last.set(Some(r));
        }
    };
    Effect::new(move |_| settle(grant.value().get()));
    Effect::new(move |_| settle(deduct.value().get()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let micros = match parse_amount(&amount.get_untracked()) {
            Ok(m) if m > 0 => m,
            Ok(_) => return problem.set(Some("enter an amount above zero".into())),
            Err(e) => return problem.set(Some(format!("Amount: {e}"))),
        };
        problem.set(None);
        let (user_id, org_id) = (query.user_id.clone(), query.org_id.clone());
        if direction.get_untracked() == "grant" {
            let expires_at = day_of_date(&expires.get_untracked()).map(|d| d * 86_400_000);
            grant.dispatch(GrantCredits {
                input: CreditGrant {
                    user_id,
                    org_id,
                    amount: micros,
                    bucket: if bucket.get_untracked() == "paid" {
                        CreditBucket::Paid
                    } else {
                        CreditBucket::Granted
                    },
                    reason: reason.get_untracked(),
                    expires_at,
                    priority: None,
                },
                key: key.get_untracked(),
            });
        } else {
            deduct.dispatch(DeductCredits {
                input: CreditDeduct {
                    user_id,
                    org_id,
                    amount: micros,
                    reason: reason.get_untracked(),
                    reference: None,
                },
                key: key.get_untracked(),
            });
        }
    };
    let pending = move || grant.pending().get() || deduct.pending().get();
    view! {
        <section class="card">
            <h3>"Grant or deduct credits"</h3>
            <form class="form inline" on:submit=submit data-testid="credit-move-form">
                <label class="narrow-field">"Action"
                    <select data-testid="credit-direction" on:change=move |e| direction.set(event_target_value(&e))>
                        <option value="grant">"Grant"</option>
                        <option value="deduct">"Deduct"</option>
                    </select>
                </label>
                <label class="narrow-field">"Amount (USD)"
                    <input type="text" inputmode="decimal" placeholder="10.00" data-testid="credit-amount"
                        prop:value=move || amount.get() on:input=move |e| amount.set(event_target_value(&e)) />
                </label>
                {move || (direction.get() == "grant").then(|| view! {
                    <label class="narrow-field">"Kind"
                        <select data-testid="credit-bucket" on:change=move |e| bucket.set(event_target_value(&e))>
                            <option value="granted">"Granted (free)"</option>
                            <option value="paid">"Paid"</option>
                        </select>
                    </label>
                    <label class="narrow-field">"Expires (optional)"
                        <input type="date" data-testid="credit-expires" prop:value=move || expires.get()
                            on:input=move |e| expires.set(event_target_value(&e)) />
                    </label>
                })}
                <label>"Reason"
                    <input type="text" maxlength="500" placeholder="why: shown in the history and the audit log" data-testid="credit-reason"
                        prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e)) />
                </label>
                <div class="buttons">
                    <button type="submit" class="button primary" data-testid="credit-submit" disabled=pending>
                        {move || if direction.get() == "grant" { "Grant" } else { "Deduct" }}
                    </button>
                </div>
            </form>
            {move || problem.get().map(|p| view! { <div class="alert error">{p}</div> })}
            {move || last.get().map(|r| match r {
                Ok(e) => view! {
                    <div class="alert success" data-testid="credit-moved">
                        {format!("Done: {} ({}). Balance now {}.", format_amount(e.paid_delta + e.granted_delta, "USD"), e.kind, format_amount(e.paid_after + e.granted_after, "USD"))}
                    </div>
                }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}
