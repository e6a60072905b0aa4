//! `/admin/subscriptions/:id`: one subscription in full (plan, period, allowances, history)
//! with the administrator's actions: suspend, reactivate, reset this period's usage, each with
//! a reason.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use ops_types::{
    AdminSubscriptionDetail, InvoiceSummary, RefundRequest, date_of_ms, format_amount,
    parse_amount, price_label, status_label,
};

use crate::components::alert::ErrorBox;
use crate::components::invoices::Table;
use crate::components::plan::History;
use crate::components::usage::LimitBar;
use crate::server::plans::{ActOnSubscription, RefundInvoice, admin_subscription};

#[component]
pub fn SubscriptionDetailPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .unwrap_or_default();
    let act = ServerAction::<ActOnSubscription>::new();
    let sid = id.clone();
    let detail = Resource::new(
        move || act.version().get(),
        move |_| admin_subscription(sid.clone()),
    );
    view! {
        <Title text="Subscription" />
        <div class="page-head">
            <h1>"Subscription"</h1>
            <div class="actions"><a class="button secondary" href="/admin/subscriptions">"← Subscriptions"</a></div>
        </div>
        {move || act.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <Detail d=d act /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Detail(d: AdminSubscriptionDetail, act: ServerAction<ActOnSubscription>) -> impl IntoView {
    let s = d.subscription;
    let reason = RwSignal::new(String::new());
    let id = s.id.clone();
    let run = move |what: &'static str| {
        let id = id.clone();
        move |_| {
            act.dispatch(ActOnSubscription {
                id: id.clone(),
                act: what.into(),
                reason: reason.get_untracked(),
            });
        }
    };
    let suspended = s.status == "suspended";
    view! {
        <section class="card" data-testid="sub-detail" data-status=s.status.clone()>
            <div class="section-head">
                <h3>{format!("{}: {} plan", d.owner_name, s.plan.name)}</h3>
                <span class="badge">{status_label(&s.status)}</span>
            </div>
            <p>{price_label(&s.plan, s.interval).unwrap_or_default()}
                {format!(" · period {} to {}", date_of_ms(s.period_start), date_of_ms(s.period_end))}
                {s.cancel_at_period_end.then_some(" · cancels at the period's end")}</p>
            <p class="muted">{format!("Next charge: {}", format_amount(s.next_charge, &s.plan.currency))}
                {s.cancel_reason.clone().map(|r| format!(" · reason given: {r}"))}</p>
            {s.access.limits.into_iter().map(|l| view! { <LimitBar l=l /> }).collect_view()}
            <div class="form inline">
                <label>"Reason"
                    <input type="text" maxlength="500" data-testid="sub-reason" placeholder="why: kept in the history and the audit log"
                        prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e)) />
                </label>
                <div class="buttons">
                    {if suspended {
                        view! { <button type="button" class="button primary" data-testid="sub-resume" on:click=run("resume")>"Reactivate"</button> }.into_any()
                    } else {
                        view! { <button type="button" class="button danger" data-testid="sub-suspend" on:click=run("suspend")>"Suspend"</button> }.into_any()
                    }}
                    <button type="button" class="button" data-testid="sub-reset" on:click=run("reset_usage")>"Reset this period's usage"</button>
                </div>
            </div>
        </section>
        <section class="card">
            <h3>"Invoices"</h3>
            {if d.invoices.is_empty() {
                view! { <p class="empty">"No invoices yet."</p> }.into_any()
            } else {
                let list = d.invoices.clone();
                view! { <Table list /> <RefundForm sub=s.id.clone() invoices=d.invoices /> }.into_any()
            }}
        </section>
        <section class="card">
            <h3>"History"</h3>
            <History events=d.history />
        </section>
    }
}

/// A refund: a credit note on one invoice, the amount back into the account's bought credits.
#[component]
fn RefundForm(sub: String, invoices: Vec<InvoiceSummary>) -> impl IntoView {
    let refund = ServerAction::<RefundInvoice>::new();
    let invoice = RwSignal::new(invoices.first().map(|i| i.id.clone()).unwrap_or_default());
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let a = amount.get_untracked();
        let amount = if a.trim().is_empty() {
            None
        } else {
            match parse_amount(&a) {
                Ok(m) => Some(m),
                Err(e) => return problem.set(Some(format!("Amount: {e}"))),
            }
        };
        problem.set(None);
        refund.dispatch(RefundInvoice {
            subscription: sub.clone(),
            input: RefundRequest {
                invoice_id: invoice.get_untracked(),
                amount,
                reason: reason.get_untracked(),
            },
        });
    };
    view! {
        <form class="form inline" on:submit=submit data-testid="refund-form">
            <label class="narrow-field">"Invoice"
                <select data-testid="refund-invoice" on:change=move |e| invoice.set(event_target_value(&e))>
                    {invoices.into_iter().map(|i| view! {
                        <option value=i.id.clone()>{format!("{} ({})", i.number, format_amount(i.total - i.credited, &i.currency))}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="narrow-field">"Amount (USD)"
                <input type="text" placeholder="all that is left" data-testid="refund-amount" prop:value=move || amount.get()
                    on:input=move |e| amount.set(event_target_value(&e)) />
            </label>
            <label>"Reason"
                <input type="text" maxlength="500" data-testid="refund-reason" prop:value=move || reason.get()
                    on:input=move |e| reason.set(event_target_value(&e)) />
            </label>
            <div class="buttons">
                <button type="submit" class="button danger" data-testid="refund-submit" disabled=move || refund.pending().get()>"Refund"</button>
            </div>
        </form>
        {move || problem.get().map(|p| view! { <div class="alert error">{p}</div> })}
        {move || refund.value().get().map(|r| match r {
            Ok(n) => view! { <div class="alert success" data-testid="refund-done">
                {format!("Credit note {} for {}: back into the account's bought credits.", n.number, format_amount(n.amount, "USD"))}
            </div> }.into_any(),
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
        })}
    }
}
