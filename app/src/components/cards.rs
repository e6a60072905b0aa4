//! Saved cards: the list (brand, last four digits, expiry, which is the default), adding one
//! with Stripe.js's card field against a SetupIntent (the number goes to Stripe, never here),
//! making one the default, removing one, and Stripe's customer portal.

use leptos::prelude::*;
use ops_types::{CardSaved, PaymentMethod};

use crate::browser::{card_call, confirm, go_to};
use crate::components::alert::ErrorBox;
use crate::server::payments::{
    CardPortal, DefaultCard, RemoveCard, SaveCard, StartCardSetup, list_cards,
};

const FIELD: &str = "card-element";

#[component]
pub fn CardsCard(org_id: Option<String>) -> impl IntoView {
    let saved = ServerAction::<SaveCard>::new();
    let made_default = ServerAction::<DefaultCard>::new();
    let removed = ServerAction::<RemoveCard>::new();
    let o = org_id.clone();
    let cards = Resource::new(
        move || {
            (
                saved.version().get(),
                made_default.version().get(),
                removed.version().get(),
            )
        },
        move |_| list_cards(o.clone()),
    );
    let o = org_id.clone();
    let make_default = Callback::new(move |id: String| {
        made_default.dispatch(DefaultCard {
            org_id: o.clone(),
            id,
        });
    });
    let o = org_id.clone();
    let remove = Callback::new(move |id: String| {
        if confirm("Remove this card? Renewals and auto top-ups will use another card, or stop.") {
            removed.dispatch(RemoveCard {
                org_id: o.clone(),
                id,
            });
        }
    });
    // Adding a card and the portal are offered only where card payments are set up (asked
    // once, not with each refresh of the list: the form keeps Stripe's field).
    let available = Resource::new(|| (), |_| crate::server::plans::payments_available());
    let portal = ServerAction::<CardPortal>::new();
    Effect::new(move |_| {
        if let Some(Ok(r)) = portal.value().get() {
            go_to(&r.url);
        }
    });
    let o = org_id.clone();
    let failure = move || {
        [
            made_default.value().get().and_then(|r| r.err()),
            removed.value().get().and_then(|r| r.err()),
            portal.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    view! {
        <section class="card" data-testid="cards">
            <h3>"Payment methods"</h3>
            <Transition fallback=|| view! { <p>"Loading cards…"</p> }>
                {move || Suspend::new(async move {
                    match cards.await {
                        Ok(p) if !p.available => view! {
                            <p class="empty" data-testid="cards-unavailable">
                                "Card payments are not set up on this server: an administrator can add Stripe's keys in Settings."
                            </p>
                        }.into_any(),
                        Ok(p) if p.methods.is_empty() => view! {
                            <p class="empty" data-testid="cards-empty">"No saved card yet. A card pays renewals and auto top-ups."</p>
                        }.into_any(),
                        Ok(p) => view! { <CardList cards=p.methods make_default remove /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
            {move || failure().map(|e| view! { <ErrorBox error=e /> })}
            <Suspense fallback=|| ()>
                {move || {
                    let (org_id, o) = (org_id.clone(), o.clone());
                    Suspend::new(async move {
                        (available.await == Ok(true)).then(|| view! {
                            <AddCard org_id saved />
                            <p class="muted">
                                "Receipts and card details are also in Stripe's billing portal. "
                                <button type="button" class="button link" data-testid="cards-portal"
                                    on:click=move |_| { portal.dispatch(CardPortal { org_id: o.clone() }); }>"Open the billing portal"</button>
                            </p>
                        })
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn CardList(
    cards: Vec<PaymentMethod>,
    make_default: Callback<String>,
    remove: Callback<String>,
) -> impl IntoView {
    view! {
        <table class="table" data-testid="card-list">
            <thead><tr><th>"Card"</th><th>"Expires"</th><th></th><th></th></tr></thead>
            <tbody>
                {cards.into_iter().map(|c| {
                    let (a, b) = (c.id.clone(), c.id.clone());
                    view! {
                        <tr data-testid="card-row" data-last4=c.last4.clone()>
                            <td>{format!("{} •••• {}", title(&c.brand), c.last4)}</td>
                            <td>{format!("{:02}/{}", c.exp_month, c.exp_year)}</td>
                            <td>{if c.default {
                                view! { <span class="badge ok" data-testid="card-default">"Default"</span> }.into_any()
                            } else {
                                view! { <button type="button" class="button" data-testid="card-make-default"
                                    on:click=move |_| make_default.run(a.clone())>"Make default"</button> }.into_any()
                            }}</td>
                            <td><button type="button" class="button danger" data-testid="card-remove"
                                on:click=move |_| remove.run(b.clone())>"Remove"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn title(brand: &str) -> String {
    let mut c = brand.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// "Add a card": Stripe.js's field in a form, confirmed against a fresh SetupIntent.
#[component]
fn AddCard(org_id: Option<String>, saved: ServerAction<SaveCard>) -> impl IntoView {
    let open = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let setup = ServerAction::<StartCardSetup>::new();
    Effect::new(move |_| {
        if let Some(Ok(s)) = setup.value().get() {
            let args = vec![s.js_url, s.publishable_key, FIELD.into()];
            card_call("mount", args, move |r| {
                if let Err(m) = r {
                    problem.set(Some(m));
                }
            });
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = saved.value().get() {
            open.set(false);
        }
    });
    let o = org_id.clone();
    let start = move |_| {
        open.set(true);
        problem.set(None);
        setup.value().set(None);
        saved.value().set(None);
        setup.dispatch(StartCardSetup { org_id: o.clone() });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Ok(s)) = setup.value().get_untracked() else {
            return;
        };
        confirming.set(true);
        let o = org_id.clone();
        card_call("confirm", vec![s.client_secret], move |r| {
            confirming.set(false);
            match r {
                Ok(seti) => {
                    saved.dispatch(SaveCard {
                        input: CardSaved {
                            org_id: o,
                            setup_intent: seti,
                        },
                    });
                }
                Err(m) => problem.set(Some(m)),
            }
        });
    };
    let busy = move || confirming.get() || saved.pending().get();
    let ready = move || matches!(setup.value().get(), Some(Ok(_)));
    // The form stays in the page, hidden while closed: Stripe.js owns the nodes inside the card
    // field, and the view never takes them out from under it.
    let shown = move |yes: bool| if open.get() == yes { "" } else { "none" };
    view! {
        <div>
            <button type="button" class="button primary" data-testid="card-add" style:display=move || shown(false)
                on:click=start>"Add a card"</button>
            <form class="form" on:submit=submit data-testid="card-form" style:display=move || shown(true)>
                <label>"Card"</label>
                <div id=FIELD class="card-field" data-testid="card-field"></div>
                <div class="buttons">
                    <button type="submit" class="button primary" data-testid="card-save" disabled=move || busy() || !ready()>
                        {move || if busy() { "Saving…" } else { "Save card" }}
                    </button>
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
            {move || problem.get().map(|m| view! { <div class="alert error" role="alert" data-testid="card-problem">{m}</div> })}
            {move || setup.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            {move || saved.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        </div>
    }
}
