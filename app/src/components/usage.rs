//! An account's usage: each allowance as a bar (used of limit, when it resets, when the pace
//! reaches it), requests and cost per day as charts, this period by service, and the CSV
//! export. Used on `/account/usage` and `/org/:id/plan`.

use leptos::prelude::*;
use ops_types::{
    Limit, UsageCurrent, UsageDay, UsageQuery, date_of_ms, format_amount, limit_label, limit_value,
};

use crate::components::alert::ErrorBox;
use crate::components::chart::{LiveChart, bar_chart};
use crate::components::format::query_string;
use crate::server::plans::{get_usage, usage_days};

#[component]
pub fn UsageCard(
    /// Whose usage (none: the caller's own).
    org_id: Option<String>,
) -> impl IntoView {
    let query = UsageQuery {
        org_id: org_id.clone(),
        days: Some(30),
        service: None,
    };
    let q = query.clone();
    let current = Resource::new(|| (), move |_| get_usage(q.clone()));
    let q = query.clone();
    let days = Resource::new(|| (), move |_| usage_days(q.clone()));
    let mut pairs = vec![("days", "30".to_string())];
    if let Some(o) = &org_id {
        pairs.push(("org_id", o.clone()));
    }
    let export = format!("/api/v1/usage/export{}", query_string(&pairs));
    view! {
        <Suspense fallback=|| view! { <p>"Loading usage…"</p> }>
            {move || Suspend::new(async move {
                match current.await {
                    Ok(u) => view! { <Period u=u /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p>"Loading history…"</p> }>
            {move || Suspend::new(async move {
                match days.await {
                    Ok(d) => view! { <Daily days=d /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <p><a class="button" href=export rel="external" data-testid="usage-export">"Download the last 30 days (CSV)"</a></p>
    }
}

#[component]
fn Period(u: UsageCurrent) -> impl IntoView {
    let resets = format!(
        "Resets in {} day{} ({}).",
        u.resets_in_days,
        if u.resets_in_days == 1 { "" } else { "s" },
        date_of_ms(u.period_end)
    );
    view! {
        <section class="card" data-testid="usage-limits">
            <div class="section-head">
                <h3>{format!("This period, on the {} plan", u.plan)}</h3>
                <span class="muted" data-testid="usage-resets">{resets}</span>
            </div>
            {u.limits.into_iter().map(|l| view! { <LimitBar l=l /> }).collect_view()}
        </section>
        <section class="card">
            <h3>"By service"</h3>
            {if u.services.is_empty() {
                view! { <p class="empty" data-testid="usage-empty">"No usage this period yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="usage-services">
                        <thead><tr><th>"Service"</th><th class="num">"Requests"</th><th class="num">"Quantity"</th><th class="num">"Cost"</th></tr></thead>
                        <tbody>
                            {u.services.into_iter().map(|s| view! {
                                <tr><td>{s.service}</td><td class="num">{s.requests}</td><td class="num">{s.quantity}</td>
                                    <td class="num">{format_amount(s.cost, "USD")}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn LimitBar(l: Limit) -> impl IntoView {
    let label = limit_label(&l.name);
    let used = limit_value(&l.name, l.used);
    let (text, pct) = match l.limit {
        Some(max) if max > 0 => (
            format!("{used} of {}", limit_value(&l.name, max)),
            (l.used.min(max) * 100 / max) as u8,
        ),
        Some(_) => (format!("{used} of none"), 100),
        None => (format!("{used}, unlimited"), 0),
    };
    let pace = l
        .projected_at
        .filter(|_| l.name != "rate")
        .map(|at| format!("At this pace the limit is reached on {}.", date_of_ms(at)));
    view! {
        <div class="limit" data-testid=format!("limit-{}", l.name)>
            <div class="section-head"><span>{label}</span><span class="muted">{text}</span></div>
            <div class="progress" role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct.to_string()>
                <div class="progress-bar" class:danger={pct >= 90} style=format!("width: {pct}%")></div>
            </div>
            {pace.map(|p| view! { <p class="hint">{p}</p> })}
        </div>
    }
}

#[component]
fn Daily(days: Vec<UsageDay>) -> impl IntoView {
    let labels: Vec<String> = days.iter().map(|d| d.day[5..].to_string()).collect();
    let requests: Vec<i64> = days.iter().map(|d| d.requests).collect();
    // Cents, so that the bars stay whole numbers.
    let cents: Vec<i64> = days.iter().map(|d| d.cost / 10_000).collect();
    let n = days.len();
    let (l2, c2) = (labels.clone(), cents);
    let by_requests = Signal::derive(move || bar_chart(&labels, &requests, "requests"));
    let by_cost = Signal::derive(move || bar_chart(&l2, &c2, "cost (cents)"));
    let samples = Signal::derive(move || n);
    view! {
        <div class="grid charts">
            <LiveChart id="usage-requests-chart" title="Requests per day" chart=by_requests samples />
            <LiveChart id="usage-cost-chart" title="Cost per day (cents)" chart=by_cost samples />
        </div>
    }
}
