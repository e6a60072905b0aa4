//! `/admin/subscriptions`: every subscription, searched by owner and filtered by plan and
//! status, with what each brings in a month; each opens its detail page.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{AdminSubscriptionQuery, date_of_ms, format_amount, status_label};

use crate::components::alert::ErrorBox;
use crate::server::plans::{admin_subscriptions, list_plans};

const PAGE: i64 = 50;

#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let q = RwSignal::new(String::new());
    let plan = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let offset = RwSignal::new(0_i64);
    let plans = Resource::new(|| (), |_| list_plans());
    let page = Resource::new(
        move || (q.get(), plan.get(), status.get(), offset.get()),
        |(q, plan, status, offset)| {
            admin_subscriptions(AdminSubscriptionQuery {
                q: Some(q),
                plan: Some(plan),
                status: Some(status),
                limit: Some(PAGE),
                offset: Some(offset),
            })
        },
    );
    let reset = move || offset.set(0);
    view! {
        <Title text="Subscriptions" />
        <div class="page-head">
            <h1>"Subscriptions"</h1>
            <div class="actions"><a class="button secondary" href="/admin/revenue">"Revenue"</a></div>
        </div>
        <div class="form inline">
            <label>"Owner"
                <input type="search" placeholder="e-mail or organisation" data-testid="subs-search"
                    prop:value=move || q.get() on:input=move |e| { q.set(event_target_value(&e)); reset(); } />
            </label>
            <label class="narrow-field">"Plan"
                <select data-testid="subs-plan" on:change=move |e| { plan.set(event_target_value(&e)); reset(); }>
                    <option value="">"Any"</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            plans.await.unwrap_or_default().into_iter().map(|p| view! {
                                <option value=p.code.clone()>{p.name}</option>
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            <label class="narrow-field">"Status"
                <select data-testid="subs-status" on:change=move |e| { status.set(event_target_value(&e)); reset(); }>
                    <option value="">"Any"</option>
                    <option value="active">"Active"</option>
                    <option value="trialing">"Trial"</option>
                    <option value="past_due">"Payment overdue"</option>
                    <option value="cancelling">"Cancelling"</option>
                    <option value="suspended">"Suspended"</option>
                </select>
            </label>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.items.is_empty() => view! { <p class="empty">"No subscriptions match."</p> }.into_any(),
                    Ok(p) => {
                        let total = p.total;
                        view! {
                            <table class="table" data-testid="subs-table">
                                <thead><tr><th>"Owner"</th><th>"Plan"</th><th>"Status"</th><th>"Period ends"</th><th class="num">"MRR"</th></tr></thead>
                                <tbody>
                                    {p.items.into_iter().map(|s| {
                                        let status = if s.cancel_at_period_end { "Cancelling".to_string() } else { status_label(&s.status).to_string() };
                                        view! {
                                            <tr data-testid="subs-row">
                                                <td><a href=format!("/admin/subscriptions/{}", s.id)>{s.owner_name}</a>
                                                    " " <span class="badge">{s.owner_kind.as_str()}</span></td>
                                                <td>{format!("{} ({}ly)", s.plan, s.interval.as_str())}
                                                    {s.next_plan.map(|n| view! { <div class="hint">{format!("→ {n}")}</div> })}</td>
                                                <td>{status}</td>
                                                <td>{date_of_ms(s.period_end)}</td>
                                                <td class="num">{format_amount(s.mrr, "USD")}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <div class="pager">
                                <span class="muted">{move || format!("{}–{} of {total}", offset.get() + 1, (offset.get() + PAGE).min(total))}</span>
                                <button class="button secondary" disabled=move || offset.get() == 0
                                    on:click=move |_| offset.update(|o| *o = (*o - PAGE).max(0))>"← Newer"</button>
                                <button class="button secondary" disabled=move || { offset.get() + PAGE >= total }
                                    on:click=move |_| offset.update(|o| *o += PAGE)>"Older →"</button>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}
