//! The "Credit packs" card on `/admin/settings`: what can be bought by card, for how much
//! (larger packs may carry a bonus), edited as a whole and checked on save.

use leptos::prelude::*;
use ops_types::{CreditPack, format_amount, parse_amount};

use crate::components::alert::ErrorBox;
use crate::server::payments::{SavePacks, list_packs};

#[derive(Clone, Copy)]
struct Row {
    code: RwSignal<String>,
    name: RwSignal<String>,
    price: RwSignal<String>,
    credits: RwSignal<String>,
}

impl Row {
    fn of(p: &CreditPack) -> Self {
        Row {
            code: RwSignal::new(p.code.clone()),
            name: RwSignal::new(p.name.clone()),
            price: RwSignal::new(format_amount(p.price, "USD")),
            credits: RwSignal::new(format_amount(p.credits, "USD")),
        }
    }
    fn pack(&self) -> CreditPack {
        let micros = |s: RwSignal<String>| parse_amount(&s.get_untracked()).unwrap_or(-1);
        CreditPack {
            code: self.code.get_untracked(),
            name: self.name.get_untracked(),
            price: micros(self.price),
            credits: micros(self.credits),
        }
    }
}

#[component]
pub fn PacksCard() -> impl IntoView {
    let save = ServerAction::<SavePacks>::new();
    let current = Resource::new(move || save.version().get(), |_| list_packs());
    view! {
        <section class="card" data-testid="packs-editor">
            <h3>"Credit packs"</h3>
            <p class="muted">"What users and organisations can buy by card. Prices from $0.50, in whole cents."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(p) => view! { <Editor packs=p.packs save /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="alert success" data-testid="packs-saved">"Saved."</div> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn Editor(packs: Vec<CreditPack>, save: ServerAction<SavePacks>) -> impl IntoView {
    let rows = RwSignal::new(packs.iter().map(Row::of).collect::<Vec<_>>());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let packs = rows.get_untracked().iter().map(Row::pack).collect();
        save.dispatch(SavePacks { packs });
    };
    let add = move |_| {
        rows.update(|r| {
            r.push(Row::of(&CreditPack {
                code: String::new(),
                name: String::new(),
                price: 0,
                credits: 0,
            }))
        })
    };
    let cell = |v: RwSignal<String>, id: &'static str| {
        view! {
            <td><input type="text" data-testid=id prop:value=move || v.get() on:input=move |e| v.set(event_target_value(&e)) /></td>
        }
    };
    view! {
        <form class="form" on:submit=submit>
            <table class="table">
                <thead><tr><th>"Code"</th><th>"Name"</th><th>"Price"</th><th>"Credits"</th><th></th></tr></thead>
                <tbody>
                    {move || rows.get().into_iter().enumerate().map(|(i, r)| view! {
                        <tr data-testid="pack-row">
                            {cell(r.code, "pack-code")}
                            {cell(r.name, "pack-name")}
                            {cell(r.price, "pack-price")}
                            {cell(r.credits, "pack-credits")}
                            <td><button type="button" class="button danger" on:click=move |_| rows.update(|v| { v.remove(i); })>"Remove"</button></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <div class="buttons">
                <button type="button" class="button" data-testid="pack-add" on:click=add>"Add a pack"</button>
                <button type="submit" class="button primary" data-testid="packs-save" disabled=move || save.pending().get()>"Save packs"</button>
            </div>
        </form>
    }
}
