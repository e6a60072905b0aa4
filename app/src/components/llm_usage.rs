//! AI gateway usage: totals and a chart per day, a breakdown table, and the request log whose
//! every row explains its charge or its refusal. `scope` `all` (gateway managers) covers
//! everyone's traffic; `mine` the caller's (or `org_id`'s).

use leptos::prelude::*;
use ops_types::{LlmRequest, LlmRequestQuery, LlmUsage, LlmUsageQuery, format_amount};

use crate::components::alert::ErrorBox;
use crate::components::chart::{LiveChart, bar_chart};
use crate::components::format::{datetime, query_string};
use crate::server::gateway::{llm_request_log, llm_usage_report};

#[component]
pub fn LlmUsageCard(
    scope: &'static str,
    org_id: Option<String>,
    by: &'static str,
) -> impl IntoView {
    let query = LlmUsageQuery {
        days: Some(30),
        org_id: org_id.clone(),
        scope: Some(scope.to_string()),
    };
    let (q1, q2) = (query.clone(), query);
    let days = Resource::new(|| (), move |_| llm_usage_report(q1.clone(), "day".into()));
    let breakdown = Resource::new(|| (), move |_| llm_usage_report(q2.clone(), by.into()));
    let mut pairs = vec![("days", "30".to_string()), ("scope", scope.to_string())];
    if let Some(o) = &org_id {
        pairs.push(("org_id", o.clone()));
    }
    let export = format!("/api/v1/llm/usage/export{}", query_string(&pairs));
    view! {
        <Suspense fallback=|| view! { <p>"Loading AI usage…"</p> }>
            {move || Suspend::new(async move {
                match days.await {
                    Ok(u) => view! { <Totals u /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match breakdown.await {
                    Ok(u) => view! { <Breakdown u by /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <p><a class="button" href=export rel="external" data-testid="llm-usage-export">"Download the last 30 days (CSV)"</a></p>
        <RequestLog scope org_id />
    }
}

#[component]
fn Totals(u: LlmUsage) -> impl IntoView {
    let t = &u.totals;
    let labels: Vec<String> = u.rows.iter().map(|d| d.key[5..].to_string()).collect();
    let requests: Vec<i64> = u.rows.iter().map(|d| d.requests).collect();
    let cents: Vec<i64> = u.rows.iter().map(|d| d.cost / 10_000).collect();
    let n = u.rows.len();
    let (l2, c2) = (labels.clone(), cents);
    let by_requests = Signal::derive(move || bar_chart(&labels, &requests, "requests"));
    let by_cost = Signal::derive(move || bar_chart(&l2, &c2, "cost (cents)"));
    let samples = Signal::derive(move || n);
    view! {
        <section class="card" data-testid="llm-usage-totals">
            <h3>{format!("AI requests, {} to {}", u.from, u.to)}</h3>
            <div class="stats">
                <div><strong data-testid="llm-usage-requests">{t.requests}</strong><span class="muted">" requests"</span></div>
                <div><strong>{t.errors}</strong><span class="muted">" errors or refusals"</span></div>
                <div><strong>{t.input_tokens + t.output_tokens}</strong><span class="muted">" tokens"</span></div>
                <div><strong data-testid="llm-usage-cost">{format_amount(t.cost, "USD")}</strong><span class="muted">" charged"</span></div>
                <div><strong>{format!("{} ms", t.avg_latency_ms)}</strong><span class="muted">" mean latency"</span></div>
            </div>
        </section>
        <div class="grid charts">
            <LiveChart id="llm-requests-chart" title="AI requests per day" chart=by_requests samples />
            <LiveChart id="llm-cost-chart" title="AI cost per day (cents)" chart=by_cost samples />
        </div>
    }
}

#[component]
fn Breakdown(u: LlmUsage, by: &'static str) -> impl IntoView {
    view! {
        <section class="card">
            <h3>{format!("By {by}")}</h3>
            {if u.rows.is_empty() {
                view! { <p class="empty">"No AI requests in these 30 days."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="llm-usage-breakdown">
                        <thead><tr><th>{by}</th><th class="num">"Requests"</th><th class="num">"Errors"</th><th class="num">"Input tokens"</th><th class="num">"Output tokens"</th><th class="num">"Charged"</th><th class="num">"List price"</th></tr></thead>
                        <tbody>
                            {u.rows.into_iter().map(|r| view! {
                                <tr><td>{if r.label.is_empty() { r.key } else { r.label }}</td><td class="num">{r.requests}</td><td class="num">{r.errors}</td>
                                    <td class="num">{r.input_tokens}</td><td class="num">{r.output_tokens}</td>
                                    <td class="num">{format_amount(r.cost, "USD")}</td><td class="num">{format_amount(r.list_cost, "USD")}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn RequestLog(scope: &'static str, org_id: Option<String>) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let before = RwSignal::new(None::<i64>);
    let page = Resource::new(
        move || (status.get(), before.get()),
        move |(status, before)| {
            llm_request_log(LlmRequestQuery {
                limit: Some(25),
                before,
                status: Some(status).filter(|s| !s.is_empty()),
                org_id: org_id.clone(),
                scope: Some(scope.to_string()),
                ..LlmRequestQuery::default()
            })
        },
    );
    view! {
        <section class="card" data-testid="llm-request-log">
            <div class="section-head">
                <h3>"Request log"</h3>
                <select data-testid="llm-log-status" on:change=move |e| { before.set(None); status.set(event_target_value(&e)); }>
                    <option value="">"All"</option>
                    <option value="ok">"Served"</option>
                    <option value="error">"Errors and refusals"</option>
                </select>
            </div>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.requests.is_empty() => view! { <p class="empty" data-testid="llm-log-empty">"No requests."</p> }.into_any(),
                        Ok(p) => {
                            let next = p.next_before;
                            view! {
                                <table class="table">
                                    <thead><tr><th>"Time"</th><th>"Model"</th><th>"Status"</th><th>"Provider"</th><th class="num">"Tokens"</th><th class="num">"Charged"</th><th class="num">"ms"</th></tr></thead>
                                    <tbody>{p.requests.into_iter().map(|r| view! { <LogRow r /> }).collect_view()}</tbody>
                                </table>
                                {next.map(|n| view! { <button type="button" class="button" on:click=move |_| before.set(Some(n))>"Older"</button> })}
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LogRow(r: LlmRequest) -> impl IntoView {
    let open = RwSignal::new(false);
    let failed = r.status >= 400;
    let who = r.user_email.clone().unwrap_or_default();
    view! {
        <tr data-testid="llm-log-row" class="clickable" on:click=move |_| open.update(|o| *o = !*o)>
            <td title=who>{datetime(r.at)}</td>
            <td>{r.model.clone()}{r.stream.then_some(" (stream)")}</td>
            <td><span class="badge" class:danger=failed>{r.status}{r.error_code.clone().map(|c| format!(" {c}"))}</span></td>
            <td>{r.provider.clone()}{(r.credential == "byok").then_some(" (own key)")}</td>
            <td class="num">{r.input_tokens + r.output_tokens}</td>
            <td class="num">{format_amount(r.cost, "USD")}</td>
            <td class="num">{r.latency_ms}</td>
        </tr>
        <tr class="details" class:hidden=move || !open.get()>
            <td colspan="7">
                <p data-testid="llm-log-explain">{r.explain.clone()}</p>
                <p class="muted mono">{format!("Attempts: {}", r.attempts)}</p>
            </td>
        </tr>
    }
}
