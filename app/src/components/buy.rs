//! Buying by card: the credit packs (each opens Stripe Checkout), what happened once Stripe
//! sends the browser back (`?checkout=…`), and the auto top-up rule with its monthly cap.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use ops_types::{
    AutoTopup, AutoTopupInput, CheckoutOutcome, PackPurchase, format_amount, parse_amount,
};

use crate::browser::go_to;
use crate::components::alert::ErrorBox;
use crate::server::payments::{
    BuyPack, SaveAutoTopup, get_auto_topup, get_checkout_outcome, list_packs,
};

fn usd(m: i64) -> String {
    format_amount(m, "USD")
}

#[component]
pub fn BuyCredits(org_id: Option<String>) -> impl IntoView {
    let packs = Resource::new(|| (), |_| list_packs());
    let buy = ServerAction::<BuyPack>::new();
    Effect::new(move |_| {
        if let Some(Ok(r)) = buy.value().get() {
            go_to(&r.url);
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let org_id = org_id.clone();
                Suspend::new(async move {
                    match packs.await {
                        Ok(p) if p.available && !p.packs.is_empty() => view! {
                            <section class="card" data-testid="buy-credits">
                                <h3>"Buy credits"</h3>
                                <p class="muted">"Paid by card on Stripe's secure page; the credits are added as soon as Stripe confirms."</p>
                                <div class="grid packs">
                                    {p.packs.into_iter().map(|pack| {
                                        let input = PackPurchase { org_id: org_id.clone(), pack: pack.code.clone() };
                                        view! {
                                            <div class="pack" data-testid=format!("pack-{}", pack.code)>
                                                <p class="pack-name">{pack.name.clone()}</p>
                                                <p class="stat-value">{usd(pack.price)}</p>
                                                <p class="muted">{format!("{} of credits", usd(pack.credits))}</p>
                                                <button type="button" class="button primary" data-testid="pack-buy"
                                                    disabled=move || buy.pending().get()
                                                    on:click=move |_| { buy.dispatch(BuyPack { input: input.clone() }); }>"Buy"</button>
                                            </div>
                                        }
                                    }).collect_view()}
                                </div>
                                {move || buy.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
                            </section>
                        }.into_any(),
                        Ok(_) => ().into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

fn said(o: &CheckoutOutcome) -> (&'static str, String) {
    match (o.status.as_str(), o.purpose.as_str()) {
        ("paid", "subscription") => (
            "success",
            format!(
                "Payment received: you are on the {} plan.",
                o.plan.clone().unwrap_or_default()
            ),
        ),
        ("paid", _) => (
            "success",
            format!("Payment received: {} of credits added.", usd(o.credits)),
        ),
        ("expired", _) => (
            "warning",
            "The payment page expired; nothing was charged.".into(),
        ),
        _ => (
            "warning",
            "The payment has not gone through yet; this page shows it once Stripe confirms.".into(),
        ),
    }
}

/// Counts payments applied on this page: balances and plans read it to refresh.
#[derive(Clone, Copy)]
pub struct CheckoutDone(pub RwSignal<usize>);

/// Reads the count (tracked; 0 outside a [`CheckoutGate`]). Call it while the component is made.
pub fn checkout_done() -> impl Fn() -> usize + Copy + Send + Sync + 'static {
    let done = use_context::<CheckoutDone>();
    move || done.map_or(0, |d| d.0.get())
}

/// After Stripe Checkout: says how the payment ended, asking from the browser (which applies a
/// paid session if Stripe's notice has not arrived yet), then refreshes what `children` show.
#[component]
pub fn CheckoutGate(org_id: Option<String>, children: Children) -> impl IntoView {
    let done = RwSignal::new(0usize);
    provide_context(CheckoutDone(done));
    let id = use_query_map().with_untracked(|q| q.get("checkout"));
    let note = id.map(|id| {
        if id == "cancelled" {
            return view! { <div class="alert warning" data-testid="checkout-cancelled">"Payment cancelled: nothing was charged."</div> }.into_any();
        }
        let outcome = LocalResource::new(move || get_checkout_outcome(org_id.clone(), id.clone()));
        Effect::new(move |_| {
            if let Some(Ok(o)) = outcome.get()
                && o.status == "paid"
            {
                done.update(|n| *n += 1);
            }
        });
        view! {
            {move || match outcome.get() {
                None => view! { <p class="muted">"Checking the payment…"</p> }.into_any(),
                Some(Ok(o)) => {
                    let (class, text) = said(&o);
                    view! { <div class=format!("alert {class}") data-testid="checkout-outcome" data-status=o.status.clone()>{text}</div> }.into_any()
                }
                Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
            }}
        }
        .into_any()
    });
    view! {
        <div>{note}</div>
        {children()}
    }
}

#[component]
pub fn AutoTopupCard(org_id: Option<String>) -> impl IntoView {
    let save = ServerAction::<SaveAutoTopup>::new();
    let o = org_id.clone();
    let current = Resource::new(
        move || save.version().get(),
        move |_| get_auto_topup(o.clone()),
    );
    view! {
        <section class="card" data-testid="auto-topup">
            <h3>"Auto top-up"</h3>
            <p class="muted">"When bought credits fall below a threshold, the default card is charged. The monthly cap stops a runaway script from draining the card."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let org_id = org_id.clone();
                    Suspend::new(async move {
                        match current.await {
                            Ok(t) => view! { <TopupForm t org_id save /> }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="alert success" data-testid="auto-topup-saved">"Saved."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn TopupForm(
    t: AutoTopup,
    org_id: Option<String>,
    save: ServerAction<SaveAutoTopup>,
) -> impl IntoView {
    let enabled = RwSignal::new(t.enabled);
    let dollars = |m: i64| format_amount(m, "USD");
    let threshold = RwSignal::new(if t.enabled {
        dollars(t.threshold)
    } else {
        "5".into()
    });
    let amount = RwSignal::new(if t.enabled {
        dollars(t.amount)
    } else {
        "20".into()
    });
    let cap = RwSignal::new(if t.enabled {
        dollars(t.monthly_cap)
    } else {
        "100".into()
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let micros = |s: RwSignal<String>| parse_amount(&s.get_untracked()).unwrap_or(-1);
        save.dispatch(SaveAutoTopup {
            input: AutoTopupInput {
                org_id: org_id.clone(),
                enabled: enabled.get_untracked(),
                threshold: micros(threshold),
                amount: micros(amount),
                monthly_cap: micros(cap),
            },
        });
    };
    let field = move |label: &'static str, id: &'static str, v: RwSignal<String>| {
        view! {
            <label>{label}
                <input type="text" inputmode="decimal" data-testid=id prop:value=move || v.get()
                    on:input=move |e| v.set(event_target_value(&e)) disabled=move || !enabled.get() />
            </label>
        }
    };
    view! {
        <form class="form" on:submit=submit data-testid="auto-topup-form">
            <label class="check"><input type="checkbox" data-testid="auto-topup-enabled" prop:checked=move || enabled.get()
                on:change=move |e| enabled.set(event_target_checked(&e)) />" Top up automatically"</label>
            <div class="grid three">
                {field("Below (USD)", "auto-topup-threshold", threshold)}
                {field("Add (USD)", "auto-topup-amount", amount)}
                {field("At most a month (USD)", "auto-topup-cap", cap)}
            </div>
            <p class="muted" data-testid="auto-topup-used">{format!("Charged by auto top-up this month: {}.", usd(t.used_this_month))}</p>
            {t.last_error.map(|e| view! { <div class="alert error">{format!("The last top-up failed: {e}")}</div> })}
            <div class="buttons"><button type="submit" class="button primary" data-testid="auto-topup-save" disabled=move || save.pending().get()>"Save"</button></div>
        </form>
    }
}
