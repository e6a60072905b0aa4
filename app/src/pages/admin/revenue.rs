//! `/admin/revenue`: MRR, ARR, ARPU, subscribers by status and credit liability; revenue per
//! month, new and churned subscriptions, and MRR by plan as charts; the months as CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{RevenueOverview, format_amount};

use crate::components::alert::ErrorBox;
use crate::components::chart::{LiveChart, Series, bar_chart, line_chart};
use crate::server::plans::revenue_overview;

#[component]
pub fn RevenuePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| revenue_overview());
    view! {
        <Title text="Revenue" />
        <div class="page-head">
            <h1>"Revenue"</h1>
            <div class="actions">
                <a class="button secondary" href="/admin/subscriptions">"Subscriptions"</a>
                <a class="button secondary" rel="external" href="/api/v1/admin/subscriptions/analytics/export" data-testid="revenue-export">"Download CSV"</a>
            </div>
        </div>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => view! { <Overview o=o /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(o: RevenueOverview) -> impl IntoView {
    let money = |m: i64| format_amount(m, "USD");
    let stat = |label: &'static str, value: String, detail: String, testid: &'static str| {
        view! {
            <section class="card stat"><p class="stat-label">{label}</p>
                <p class="stat-value" data-testid=testid>{value}</p>
                <p class="stat-detail">{detail}</p></section>
        }
    };
    let labels: Vec<String> = o.months.iter().map(|m| m.month.clone()).collect();
    let dollars: Vec<i64> = o.months.iter().map(|m| m.revenue / 1_000_000).collect();
    let new: Vec<f64> = o.months.iter().map(|m| m.new as f64).collect();
    let churned: Vec<f64> = o.months.iter().map(|m| m.churned as f64).collect();
    let plan_names: Vec<String> = o.by_plan.iter().map(|p| p.name.clone()).collect();
    let plan_mrr: Vec<i64> = o.by_plan.iter().map(|p| p.mrr / 1_000_000).collect();
    let l2 = labels.clone();
    let revenue = Signal::derive(move || bar_chart(&labels, &dollars, "revenue (USD)"));
    let moves = Signal::derive(move || {
        line_chart(
            &l2,
            &[
                Series {
                    name: "new",
                    values: new.clone(),
                },
                Series {
                    name: "churned",
                    values: churned.clone(),
                },
            ],
            None,
            "subscriptions",
        )
    });
    let by_plan = Signal::derive(move || bar_chart(&plan_names, &plan_mrr, "MRR (USD)"));
    let twelve = Signal::derive(|| 12);
    let plans = Signal::derive({
        let n = o.by_plan.len();
        move || n
    });
    view! {
        <div class="grid stats">
            {stat("MRR", money(o.mrr), format!("{} paying", o.paying), "revenue-mrr")}
            {stat("ARR", money(o.arr), "MRR × 12".into(), "revenue-arr")}
            {stat("ARPU", money(o.arpu), "a month per paying account".into(), "revenue-arpu")}
            {stat("Trials", o.trialing.to_string(), format!("{} cancelling", o.cancelling), "revenue-trials")}
            {stat("Overdue", o.past_due.to_string(), "renewals not paid".into(), "revenue-overdue")}
            {stat("Credit liability", money(o.liability_paid), format!("{} granted free", money(o.liability_granted)), "revenue-liability")}
        </div>
        <div class="grid charts">
            <LiveChart id="revenue-chart" title="Revenue collected per month (USD)" chart=revenue samples=twelve />
            <LiveChart id="moves-chart" title="New and churned subscriptions" chart=moves samples=twelve />
            <LiveChart id="plan-mrr-chart" title="MRR by plan (USD)" chart=by_plan samples=plans />
        </div>
        <section class="card">
            <h3>"By plan"</h3>
            <table class="table" data-testid="revenue-plans">
                <thead><tr><th>"Plan"</th><th class="num">"Subscribers"</th><th class="num">"Paying"</th><th class="num">"MRR"</th></tr></thead>
                <tbody>
                    {o.by_plan.into_iter().map(|p| view! {
                        <tr><td>{p.name}</td><td class="num">{p.subscribers}</td><td class="num">{p.paying}</td><td class="num">{money(p.mrr)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
