//! An account's invoices: money at a glance (next charge, invoiced this year, credits) and
//! every invoice with its PDF. Used on `/account/invoices` and `/org/:id/plan`.

use leptos::prelude::*;
use ops_types::{BillingSummary, InvoiceSummary, SubscriptionQuery, date_of_ms, format_amount};

use crate::components::alert::ErrorBox;
use crate::server::plans::{billing_summary, list_invoices};

#[component]
pub fn InvoicesCard(org_id: Option<String>) -> impl IntoView {
    let q = SubscriptionQuery { org_id };
    let q2 = q.clone();
    let summary = Resource::new(|| (), move |_| billing_summary(q.clone()));
    let invoices = Resource::new(|| (), move |_| list_invoices(q2.clone()));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => view! { <Glance s=s /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <section class="card">
            <h3>"Invoices"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match invoices.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty" data-testid="invoices-empty">"No invoices yet. Paid plans are invoiced when they are charged."</p>
                        }.into_any(),
                        Ok(list) => view! { <Table list /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Glance(s: BillingSummary) -> impl IntoView {
    let money = |m: i64| format_amount(m, &s.currency);
    view! {
        <div class="grid stats">
            <section class="card stat"><p class="stat-label">"Next charge"</p>
                <p class="stat-value">{money(s.next_charge)}</p>
                <p class="stat-detail">{format!("on {}", date_of_ms(s.next_charge_at))}</p></section>
            <section class="card stat"><p class="stat-label">"Invoiced this year"</p>
                <p class="stat-value" data-testid="invoiced-year">{money(s.invoiced_this_year)}</p>
                <p class="stat-detail">{format!("{} invoice(s)", s.invoices)}</p></section>
            <section class="card stat"><p class="stat-label">"Bought credits"</p>
                <p class="stat-value">{money(s.paid_credits)}</p>
                <p class="stat-detail">{format!("{} granted", money(s.granted_credits))}</p></section>
            <section class="card stat"><p class="stat-label">"Usage this period"</p>
                <p class="stat-value">{money(s.usage_this_period)}</p>
                <p class="stat-detail">"charged to credits"</p></section>
        </div>
    }
}

#[component]
pub fn Table(list: Vec<InvoiceSummary>) -> impl IntoView {
    view! {
        <table class="table" data-testid="invoice-table">
            <thead><tr><th>"Number"</th><th>"Issued"</th><th>"For"</th><th>"Status"</th><th class="num">"Total"</th><th class="num">"Credited"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|i| view! {
                    <tr data-testid="invoice-row" data-id=i.id.clone()>
                        <td>{i.number.clone()}</td>
                        <td>{date_of_ms(i.issued_at)}</td>
                        <td>{i.kind.clone()}</td>
                        <td><span class="badge">{i.status.clone()}</span></td>
                        <td class="num">{format_amount(i.total, &i.currency)}</td>
                        <td class="num">{(i.credited > 0).then(|| format_amount(i.credited, &i.currency))}</td>
                        <td><a class="button" rel="external" data-testid="invoice-pdf"
                            href=format!("/api/v1/billing/invoices/{}/download", i.id)>"PDF"</a></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
