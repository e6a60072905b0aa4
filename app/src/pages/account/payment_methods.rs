//! `/account/payment-methods`: your saved cards and the auto top-up rule that charges them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::buy::AutoTopupCard;
use crate::components::cards::CardsCard;

#[component]
pub fn PaymentMethodsPage() -> impl IntoView {
    view! {
        <Title text="Payment methods" />
        <div class="page-head">
            <h1>"Payment methods"</h1>
            <div class="actions"><a class="button secondary" href="/account/credits">"Credits"</a></div>
        </div>
        <p class="muted">"Cards are kept by Stripe; Ops-Center stores only which card is yours and which is the default."</p>
        <CardsCard org_id=None />
        <AutoTopupCard org_id=None />
    }
}
