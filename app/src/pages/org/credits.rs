//! `/org/:id/credits`: the organisation's credits, for its owners and billing admins (and for
//! administrators, who can also grant and deduct here).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use ops_types::{LedgerQuery, Permission};

use crate::components::buy::{AutoTopupCard, BuyCredits, CheckoutGate};
use crate::components::cards::CardsCard;
use crate::components::credits::{CreditsCard, PaymentNotice};
use crate::components::shell::CurrentUser;

#[component]
pub fn OrgCreditsPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .unwrap_or_default();
    let manage =
        use_context::<CurrentUser>().is_some_and(|u| u.0.role.has(Permission::BillingManage));
    let inner = id.clone();
    view! {
        <Title text="Organisation credits" />
        <div class="page-head">
            <h1>"Organisation credits"</h1>
            <div class="actions"><a class="button secondary" href=format!("/org/{id}")>"← The organisation"</a></div>
        </div>
        <p class="muted">"Usage by members with keys scoped to this organisation is paid from here."</p>
        <PaymentNotice />
        <CheckoutGate org_id=Some(id.clone())>
            <BuyCredits org_id=Some(inner.clone()) />
            <CreditsCard query=LedgerQuery { org_id: Some(inner.clone()), ..LedgerQuery::default() } manage=manage redeem=true />
        </CheckoutGate>
        <CardsCard org_id=Some(id.clone()) />
        <AutoTopupCard org_id=Some(id.clone()) />
    }
}
