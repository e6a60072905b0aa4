//! `/admin/subscriptions/:id`: one subscription in full (plan, period, allowances, history)
//! with the administrator's actions: suspend, reactivate, reset this period's usage, each with
//! a reason.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use ops_types::{AdminSubscriptionDetail, date_of_ms, format_amount, price_label, status_label};

use crate::components::alert::ErrorBox;
use crate::components::plan::History;
use crate::components::usage::LimitBar;
use crate::server::plans::{ActOnSubscription, admin_subscription};

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
            <h3>"History"</h3>
            <History events=d.history />
        </section>
    }
}
