//! `/account/invoices`: your invoices and their PDFs, with the next charge and this year's
//! total.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::invoices::InvoicesCard;

#[component]
pub fn InvoicesPage() -> impl IntoView {
    view! {
        <Title text="Invoices" />
        <div class="page-head"><h1>"Invoices"</h1></div>
        <InvoicesCard org_id=None />
    }
}
