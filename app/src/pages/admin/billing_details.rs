//! The "Invoices" card on `/admin/settings`: who issues invoices (name, address, tax ID), the
//! tax they carry (prices include it) and the number prefix. Applies to invoices issued from
//! then on.

use leptos::prelude::*;
use ops_types::BillingSettings;

use crate::components::alert::ErrorBox;
use crate::components::field::TextField;
use crate::server::plans::{SaveBillingSettings, get_billing_settings};

#[component]
pub fn BillingDetailsCard() -> impl IntoView {
    let current = Resource::new(|| (), |_| get_billing_settings());
    view! {
        <section class="card">
            <h3>"Invoices"</h3>
            <p class="muted">"Printed on every invoice issued from now on. Prices include the tax; invoices show its share."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(s) => view! { <Form s=s /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Form(s: BillingSettings) -> impl IntoView {
    let save = ServerAction::<SaveBillingSettings>::new();
    let name = RwSignal::new(s.seller_name);
    let address = RwSignal::new(s.seller_address);
    let tax_id = RwSignal::new(s.tax_id);
    let tax_name = RwSignal::new(s.tax_name);
    let rate = RwSignal::new(format!(
        "{}.{:02}",
        s.tax_rate_bp / 100,
        s.tax_rate_bp % 100
    ));
    let prefix = RwSignal::new(s.invoice_prefix);
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // "20" or "7.5" percent → basis points.
        let r = rate.get_untracked();
        let (whole, frac) = r.trim().split_once('.').unwrap_or((r.trim(), ""));
        let bp = whole
            .parse::<i32>()
            .ok()
            .zip(
                format!("{frac:0<2}")
                    .get(..2)
                    .and_then(|f| f.parse::<i32>().ok()),
            )
            .filter(|_| frac.len() <= 2)
            .map(|(w, f)| w * 100 + f);
        let Some(bp) = bp else {
            return problem.set(Some("Tax rate: a percentage such as 20 or 7.25".into()));
        };
        problem.set(None);
        save.dispatch(SaveBillingSettings {
            input: BillingSettings {
                seller_name: name.get_untracked(),
                seller_address: address.get_untracked(),
                tax_id: tax_id.get_untracked(),
                tax_name: tax_name.get_untracked(),
                tax_rate_bp: bp,
                invoice_prefix: prefix.get_untracked(),
            },
        });
    };
    view! {
        <form class="form" on:submit=submit data-testid="billing-details-form">
            <div class="form inline">
                <TextField label="Business name" testid="billing-name" value=name />
                <TextField label="Tax ID" testid="billing-tax-id" value=tax_id />
                <TextField label="Tax name" testid="billing-tax-name" value=tax_name />
                <TextField label="Tax rate (%)" testid="billing-tax-rate" value=rate />
                <TextField label="Number prefix" testid="billing-prefix" value=prefix />
            </div>
            <label>"Address"
                <textarea rows="3" data-testid="billing-address" prop:value=move || address.get()
                    on:input=move |e| address.set(event_target_value(&e))></textarea>
            </label>
            <div class="buttons">
                <button type="submit" class="button primary" data-testid="billing-save" disabled=move || save.pending().get()>"Save"</button>
            </div>
        </form>
        {move || problem.get().map(|p| view! { <div class="alert error">{p}</div> })}
        {move || save.value().get().map(|r| match r {
            Ok(_) => view! { <div class="alert success" data-testid="billing-saved">"Saved."</div> }.into_any(),
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
        })}
    }
}
