//! An account's plan: the subscription as it stands (status, period, what is scheduled), the
//! plans to compare (monthly or yearly), and a change shown as its exact proration before it
//! is confirmed. Used on `/account/plan` (your own) and `/org/:id/plan`.

use leptos::prelude::*;
use ops_types::{
    CancelRequest, ChangePreview, Interval, Plan, PlanChange, PlanCheckout, Subscription,
    SubscriptionEvent, SubscriptionQuery, date_of_ms, format_amount, price_label, status_label,
};

use crate::browser::request_key;
use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::server::plans::{
    CancelSubscription, ChangePlan, PreviewPlanChange, ReactivateSubscription, get_subscription,
    list_plans, subscription_history,
};

#[component]
pub fn PlanCard(
    /// Whose subscription (none: the caller's own).
    org_id: Option<String>,
) -> impl IntoView {
    let change = ServerAction::<ChangePlan>::new();
    let cancel = ServerAction::<CancelSubscription>::new();
    let reactivate = ServerAction::<ReactivateSubscription>::new();
    let paid = crate::components::buy::checkout_done();
    let changed = move || {
        (
            change.version().get(),
            cancel.version().get(),
            reactivate.version().get(),
            paid(),
        )
    };
    let query = SubscriptionQuery {
        org_id: org_id.clone(),
    };
    let q = query.clone();
    let sub = Resource::new(changed, move |_| get_subscription(q.clone()));
    let plans = Resource::new(changed, |_| list_plans());
    let q = query.clone();
    let history = Resource::new(changed, move |_| subscription_history(q.clone()));
    let whose = StoredValue::new(org_id.clone());
    let interval = RwSignal::new(Interval::Month);
    // A preview is asked for by a click (never refetched on its own: after a change, the same
    // question would be answered "already on this plan").
    let preview = ServerAction::<PreviewPlanChange>::new();
    let chosen = Callback::new({
        let org_id = org_id.clone();
        move |plan: String| {
            preview.dispatch(PreviewPlanChange {
                input: PlanChange {
                    org_id: org_id.clone(),
                    plan,
                    interval: Some(interval.get_untracked()),
                },
            });
        }
    });
    let clear = move || preview.value().set(None);
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.value().get() {
            clear();
        }
    });
    view! {
        <Suspense fallback=|| view! { <p>"Loading your plan…"</p> }>
            {move || Suspend::new(async move {
                match sub.await {
                    Ok(s) => view! { <Current s=s org_id=whose.get_value() cancel reactivate /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        {move || change.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        <section class="card">
            <div class="section-head">
                <h3>"Plans"</h3>
                <div class="segmented" role="group" aria-label="Billing interval">
                    <button type="button" class="button" class:primary=move || interval.get() == Interval::Month
                        data-testid="interval-month" on:click=move |_| { interval.set(Interval::Month); clear(); }>"Monthly"</button>
                    <button type="button" class="button" class:primary=move || interval.get() == Interval::Year
                        data-testid="interval-year" on:click=move |_| { interval.set(Interval::Year); clear(); }>"Yearly"</button>
                </div>
            </div>
            <Suspense fallback=|| view! { <p>"Loading plans…"</p> }>
                {move || Suspend::new(async move {
                    let current = sub.await.ok();
                    match plans.await {
                        Ok(list) => view! { <Catalogue plans=list current interval chosen /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        {move || preview.value().get().map(|r| match r {
            Ok(p) => view! { <Preview p=p org_id=whose.get_value() change clear /> }.into_any(),
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
        })}
        <section class="card">
            <h3>"History"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(events) => view! { <History events /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// What the account is on, until when, and what happens next.
#[component]
fn Current(
    s: Subscription,
    org_id: Option<String>,
    cancel: ServerAction<CancelSubscription>,
    reactivate: ServerAction<ReactivateSubscription>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let cur = s.plan.currency.clone();
    let next = match (&s.status[..], s.cancel_at_period_end, &s.next_plan) {
        ("trialing", _, _) => format!(
            "Trial until {}; then {} is charged from your bought credits.",
            date_of_ms(s.trial_end.unwrap_or(s.period_end)),
            format_amount(s.next_charge, &cur)
        ),
        ("past_due", _, _) => "The renewal could not be paid: buy credits, then pay now. Until then the free plan's limits apply.".into(),
        ("suspended", _, _) => "Suspended by an administrator.".into(),
        (_, true, _) => format!("Cancelled: ends on {}, then the free plan.", date_of_ms(s.period_end)),
        (_, _, Some(p)) => format!("Moves to {p} on {}.", date_of_ms(s.period_end)),
        _ if s.next_charge > 0 => format!(
            "Renews on {} for {}.",
            date_of_ms(s.period_end),
            format_amount(s.next_charge, &cur)
        ),
        _ => format!("Allowances reset on {}.", date_of_ms(s.period_end)),
    };
    let can_undo = s.cancel_at_period_end || s.next_plan.is_some() || s.status == "past_due";
    let can_cancel = s.plan.code != "free" && !s.cancel_at_period_end && s.status != "suspended";
    let undo_label = if s.status == "past_due" {
        "Pay now"
    } else {
        "Keep my plan"
    };
    let org = org_id.clone();
    let undo = move |_| {
        reactivate.dispatch(ReactivateSubscription {
            query: SubscriptionQuery {
                org_id: org.clone(),
            },
        });
    };
    let confirm_cancel = move |_| {
        let r = reason.get_untracked();
        cancel.dispatch(CancelSubscription {
            input: CancelRequest {
                org_id: org_id.clone(),
                reason: (!r.trim().is_empty()).then_some(r),
            },
        });
        asking.set(false);
    };
    let badge = if s.status == "active" {
        "badge ok"
    } else {
        "badge danger"
    };
    view! {
        <section class="card" data-testid="current-plan" data-plan=s.plan.code.clone() data-status=s.status.clone()>
            <div class="section-head">
                <h3>{format!("{} plan", s.plan.name)}
                    " " <span class=badge data-testid="plan-status">{status_label(&s.status)}</span></h3>
                <span class="muted">{price_label(&s.plan, s.interval).unwrap_or_default()}</span>
            </div>
            <p data-testid="plan-next">{next}</p>
            {s.coupon.clone().map(|c| view! { <p data-testid="plan-coupon"><span class="badge ok">"Coupon"</span>" "{c}</p> })}
            <p class="muted">{format!("Current period: {} to {}", date_of_ms(s.period_start), date_of_ms(s.period_end))}</p>
            <div class="buttons">
                {can_undo.then(|| view! {
                    <button type="button" class="button primary" data-testid="plan-reactivate"
                        disabled=move || reactivate.pending().get() on:click=undo>{undo_label}</button>
                })}
                {can_cancel.then(|| view! {
                    <button type="button" class="button" data-testid="plan-cancel" on:click=move |_| asking.set(true)>"Cancel plan"</button>
                })}
            </div>
            {move || asking.get().then(|| view! {
                <div class="form" data-testid="cancel-form">
                    <label>"Why are you leaving? (optional)"
                        <input type="text" maxlength="500" data-testid="cancel-reason" prop:value=move || reason.get()
                            on:input=move |e| reason.set(event_target_value(&e)) />
                    </label>
                    <div class="buttons">
                        <button type="button" class="button danger" data-testid="cancel-confirm" on:click=confirm_cancel.clone()>"Cancel at the period's end"</button>
                        <button type="button" class="button" on:click=move |_| asking.set(false)>"Keep it"</button>
                    </div>
                </div>
            })}
            {move || cancel.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            {move || reactivate.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        </section>
    }
}

/// The plans side by side.
#[component]
fn Catalogue(
    plans: Vec<Plan>,
    current: Option<Subscription>,
    interval: RwSignal<Interval>,
    chosen: Callback<String>,
) -> impl IntoView {
    let (cur_plan, cur_interval) = current
        .map(|s| (s.plan.code, s.interval))
        .unwrap_or_default();
    view! {
        <div class="grid plans" data-testid="plan-catalogue">
            {plans.into_iter().filter(|p| p.public || p.code == cur_plan).map(|p| {
                let code = p.code.clone();
                let is_current = {
                    let code = code.clone();
                    let cur_plan = cur_plan.clone();
                    move || code == cur_plan && interval.get() == cur_interval
                };
                let p2 = p.clone();
                let price = move || price_label(&p2, interval.get());
                let sold = {
                    let p = p.clone();
                    move || price_label(&p, interval.get()).is_some()
                };
                let pick = code.clone();
                let limit = p.request_limit.map_or("Unlimited requests".to_string(), |n| format!("{n} requests a period"));
                view! {
                    <section class="card plan" data-testid=format!("plan-{code}")>
                        <h4>{p.name.clone()}</h4>
                        <p class="plan-price">{move || price().unwrap_or_else(|| "Not sold yearly".into())}</p>
                        <p class="muted">{p.description.clone()}</p>
                        <ul class="plan-features">
                            {(p.trial_days > 0).then(|| view! { <li>{format!("{}-day free trial", p.trial_days)}</li> })}
                            <li>{format!("{} of credits included", format_amount(p.included_credits, &p.currency))}</li>
                            <li>{limit}</li>
                            {p.rate_limit_rpm.map(|n| view! { <li>{format!("{n} requests a minute")}</li> })}
                            <li>{format!("Services: {}", p.services.join(", "))}</li>
                            <li>{format!("Models: {}", p.model_groups.join(", "))}</li>
                            {(!p.features.is_empty()).then(|| view! { <li>{p.features.join(", ")}</li> })}
                        </ul>
                        {move || if is_current() {
                            view! { <button type="button" class="button" disabled=true>"Current plan"</button> }.into_any()
                        } else {
                            let pick = pick.clone();
                            let sold = sold.clone();
                            view! {
                                <button type="button" class="button primary" data-testid=format!("choose-{}", pick)
                                    disabled=move || !sold() on:click=move |_| chosen.run(pick.clone())>"Choose"</button>
                            }.into_any()
                        }}
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

/// The exact effect of the chosen change, and the button that makes it.
#[component]
fn Preview(
    p: ChangePreview,
    org_id: Option<String>,
    change: ServerAction<ChangePlan>,
    clear: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(request_key()));
    let money = {
        let cur = p.currency.clone();
        move |m: i64| format_amount(m, &cur)
    };
    let short = p.total > p.available;
    let (heading, when) = match p.kind.as_str() {
        "trial" => ("Start a free trial", "Starts now".to_string()),
        "downgrade" => (
            "Downgrade",
            format!("Takes effect on {}", date_of_ms(p.effective_at)),
        ),
        "switch" => ("Switch plan", "Takes effect now".to_string()),
        _ => ("Upgrade", "Takes effect now".to_string()),
    };
    let total_label = if p.total < 0 {
        format!("{} back to your credits", money(-p.total))
    } else {
        money(p.total)
    };
    let by_card = PlanCheckout {
        org_id: org_id.clone(),
        plan: p.to_plan.clone(),
        interval: Some(p.interval),
    };
    let input = PlanChange {
        org_id,
        plan: p.to_plan.clone(),
        interval: Some(p.interval),
    };
    let confirm = move |_| {
        change.dispatch(ChangePlan {
            input: input.clone(),
            key: key.get_untracked(),
        });
    };
    view! {
        <section class="card" data-testid="plan-preview" data-kind=p.kind.clone()>
            <h3>{format!("{heading}: {} → {}", p.from_plan, p.to_plan)}</h3>
            <p class="muted">{when}</p>
            <table class="table">
                <tbody>
                    {p.lines.iter().map(|l| view! {
                        <tr><td>{l.description.clone()}</td><td class="num">{money(l.amount)}</td></tr>
                    }).collect_view()}
                    <tr class="total"><th>"To pay now"</th><th class="num" data-testid="preview-total">{total_label}</th></tr>
                </tbody>
            </table>
            {(p.credits_granted > 0).then(|| view! {
                <p class="muted">{format!("{} of included credits are added for this period.", money(p.credits_granted))}</p>
            })}
            <p class="muted" data-testid="preview-available">{format!("Paid from your bought credits: {} available.", money(p.available))}</p>
            {short.then(|| view! {
                <div class="alert error" data-testid="preview-short">
                    {format!("You need {} more in bought credits. ", money(p.total - p.available))}
                    <a href="/account/credits">"Buy credits"</a>
                </div>
                <PayByCard input=by_card.clone() amount=money(p.total - p.available) />
            })}
            <div class="buttons">
                <button type="button" class="button primary" data-testid="preview-confirm"
                    disabled=move || short || change.pending().get() on:click=confirm>"Confirm"</button>
                <button type="button" class="button" on:click=move |_| clear()>"Not now"</button>
            </div>
        </section>
    }
}

/// "Pay by card": Stripe Checkout for what bought credits do not cover (only where card
/// payments are set up).
#[component]
fn PayByCard(input: PlanCheckout, amount: String) -> impl IntoView {
    let available = Resource::new(|| (), |_| crate::server::plans::payments_available());
    let pay = ServerAction::<crate::server::payments::CheckoutPlan>::new();
    Effect::new(move |_| {
        if let Some(Ok(r)) = pay.value().get() {
            crate::browser::go_to(&r.url);
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (input, amount) = (input.clone(), amount.clone());
                Suspend::new(async move {
                    (available.await == Ok(true)).then(|| view! {
                        <p>
                            <button type="button" class="button primary" data-testid="preview-pay-card"
                                disabled=move || pay.pending().get()
                                on:click=move |_| { pay.dispatch(crate::server::payments::CheckoutPlan { input: input.clone() }); }>
                                {format!("Pay {amount} by card and switch")}
                            </button>
                        </p>
                        {move || pay.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
                    })
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn History(events: Vec<SubscriptionEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="empty">"Nothing has happened yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="plan-history">
            <thead><tr><th>"When"</th><th>"What"</th><th>"Plan"</th><th>"Amount"</th><th>"By"</th></tr></thead>
            <tbody>
                {events.into_iter().map(|e| view! {
                    <tr data-kind=e.kind.clone()>
                        <td>{datetime(e.created_at)}</td>
                        <td>{e.kind.replace('_', " ")}{e.detail.map(|d| view! { <div class="hint">{d}</div> })}</td>
                        <td>{format!("{} → {}", e.from_plan.unwrap_or_default(), e.to_plan.unwrap_or_default())}</td>
                        <td class="num">{format_amount(e.amount, "USD")}</td>
                        <td>{e.actor_email.unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
