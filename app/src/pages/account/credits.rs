//! `/account/credits`: your credits: balance, what expires when, and every movement.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::LedgerQuery;

use crate::components::buy::{BuyCredits, CheckoutGate};
use crate::components::credits::{CreditsCard, PaymentNotice};

#[component]
pub fn CreditsPage() -> impl IntoView {
    view! {
        <Title text="Credits" />
        <div class="page-head"><h1>"Credits"</h1></div>
        <p class="muted">
            "Credits pay for usage. Granted credits (plan allowances, gifts) are spent before paid ones, \
             and the soonest to expire first. Amounts are in US dollars, exact to a millionth."
        </p>
        <PaymentNotice />
        <CheckoutGate org_id=None>
            <BuyCredits org_id=None />
            <CreditsCard query=LedgerQuery::default() redeem=true />
        </CheckoutGate>
    }
}
