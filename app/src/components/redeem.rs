//! "Redeem a code": check what a code gives, then redeem it for your account (or the
//! organisation's): credits in, or a coupon on the plan.

use leptos::prelude::*;
use ops_types::{CodeCheck, CodeKind, Redeem, date_of_ms, format_amount};

use crate::components::alert::ErrorBox;
use crate::server::billing::{CheckCode, RedeemCode};

/// What a code gives, in words.
fn gives(c: &CodeCheck) -> String {
    match c.kind {
        CodeKind::Credit => format!("{}: {} of credits", c.name, format_amount(c.amount, "USD")),
        CodeKind::Coupon => {
            let how_long = c
                .months
                .map_or("for good".to_string(), |m| format!("for {m} months"));
            let on = if c.plans.is_empty() {
                "every paid plan".to_string()
            } else {
                c.plans.join(", ")
            };
            format!("{}: {}% off {on}, {how_long}", c.name, c.percent_off)
        }
    }
}

#[component]
pub fn RedeemCard(org_id: Option<String>, redeem: ServerAction<RedeemCode>) -> impl IntoView {
    let check = ServerAction::<CheckCode>::new();
    let code = RwSignal::new(String::new());
    let ask = move |_| {
        check.dispatch(CheckCode {
            code: code.get_untracked(),
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        redeem.dispatch(RedeemCode {
            input: Redeem {
                code: code.get_untracked(),
                org_id: org_id.clone(),
            },
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = redeem.value().get() {
            code.set(String::new());
            check.value().set(None);
        }
    });
    view! {
        <section class="card">
            <h3>"Redeem a code"</h3>
            <form class="form inline" on:submit=submit data-testid="redeem-form">
                <label>"Code"
                    <input type="text" autocomplete="off" spellcheck="false" placeholder="XXXX-XXXX-XXXX-XXXX" data-testid="redeem-code"
                        prop:value=move || code.get() on:input=move |e| code.set(event_target_value(&e)) />
                </label>
                <div class="buttons">
                    <button type="button" class="button" data-testid="redeem-check" on:click=ask>"Check"</button>
                    <button type="submit" class="button primary" data-testid="redeem-submit" disabled=move || redeem.pending().get()>"Redeem"</button>
                </div>
            </form>
            {move || check.value().get().map(|r| match r {
                Ok(c) => view! { <p class="hint" data-testid="redeem-gives">{format!("This code gives {}.", gives(&c))}</p> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            {move || redeem.value().get().map(|r| match r {
                Ok(c) => {
                    let until = c.until.map(|u| format!(" (until {})", date_of_ms(u))).unwrap_or_default();
                    view! { <div class="alert success" data-testid="redeem-done">{format!("Redeemed: {}{until}.", gives(&c))}</div> }.into_any()
                }
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}
