//! `/admin/plans`: the plan editor for billing administrators: every plan with its prices,
//! allowances and subscriber count; create, change, hide (stop selling) and delete plans.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{Overage, Plan, SERVICES, format_amount, parse_amount};

use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::components::field::{TextField, comma_list, optional_number};
use crate::server::plans::{RemovePlan, SavePlan, list_plans};

#[component]
pub fn PlansPage() -> impl IntoView {
    let save = ServerAction::<SavePlan>::new();
    let remove = ServerAction::<RemovePlan>::new();
    let plans = Resource::new(
        move || (save.version().get(), remove.version().get()),
        |_| list_plans(),
    );
    // The plan in the form (`None`: no form), and whether it is new.
    let editing = RwSignal::new(None::<(Plan, bool)>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
        }
    });
    let new_plan = move |_| {
        editing.set(Some((
            Plan {
                currency: "USD".into(),
                public: true,
                position: 10,
                services: vec!["chat".into()],
                ..Plan::default()
            },
            true,
        )))
    };
    view! {
        <Title text="Plans" />
        <div class="page-head">
            <h1>"Plans"</h1>
            <div class="actions"><button type="button" class="button primary" data-testid="plan-new" on:click=new_plan>"New plan"</button></div>
        </div>
        <p class="muted">"Price changes apply to subscribers from their next renewal. Hide a plan to stop selling it; its subscribers keep it."</p>
        {move || remove.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        <Transition fallback=|| view! { <p>"Loading plans…"</p> }>
            {move || Suspend::new(async move {
                match plans.await {
                    Ok(list) => view! { <PlanTable list editing remove /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Transition>
        {move || editing.get().map(|(plan, create)| view! { <PlanForm plan create save editing /> })}
    }
}

#[component]
fn PlanTable(
    list: Vec<Plan>,
    editing: RwSignal<Option<(Plan, bool)>>,
    remove: ServerAction<RemovePlan>,
) -> impl IntoView {
    let usd = |p: &Plan, m: i64| format_amount(m, &p.currency);
    view! {
        <table class="table" data-testid="plans-table">
            <thead><tr>
                <th>"Plan"</th><th class="num">"Monthly"</th><th class="num">"Yearly"</th><th class="num">"Trial"</th>
                <th class="num">"Included"</th><th class="num">"Requests"</th><th class="num">"Per minute"</th>
                <th>"Over the allowance"</th><th class="num">"Subscribers"</th><th></th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|p| {
                    let (edit, gone) = (p.clone(), p.code.clone());
                    let drop = move |_| {
                        if confirm(&format!("Delete the plan `{gone}`?")) {
                            remove.dispatch(RemovePlan { code: gone.clone() });
                        }
                    };
                    view! {
                        <tr data-testid=format!("plan-row-{}", p.code)>
                            <td><strong>{p.name.clone()}</strong>" "<code>{p.code.clone()}</code>
                                {(!p.public).then(|| view! { " " <span class="badge">"hidden"</span> })}</td>
                            <td class="num">{usd(&p, p.price_monthly)}</td>
                            <td class="num">{usd(&p, p.price_yearly)}</td>
                            <td class="num">{format!("{} d", p.trial_days)}</td>
                            <td class="num">{usd(&p, p.included_credits)}</td>
                            <td class="num">{p.request_limit.map_or("∞".into(), |n| n.to_string())}</td>
                            <td class="num">{p.rate_limit_rpm.map_or("∞".into(), |n| n.to_string())}</td>
                            <td>{p.overage.label()}</td>
                            <td class="num">{p.subscribers}</td>
                            <td class="buttons">
                                <button type="button" class="button" data-testid=format!("plan-edit-{}", p.code)
                                    on:click=move |_| editing.set(Some((edit.clone(), false)))>"Edit"</button>
                                <button type="button" class="button danger" on:click=drop>"Delete"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn money_text(m: i64) -> String {
    format_amount(m, "XXX").trim_end_matches(" XXX").to_string()
}

#[component]
fn PlanForm(
    plan: Plan,
    create: bool,
    save: ServerAction<SavePlan>,
    editing: RwSignal<Option<(Plan, bool)>>,
) -> impl IntoView {
    let text = |s: String| RwSignal::new(s);
    let code = text(plan.code.clone());
    let name = text(plan.name.clone());
    let description = text(plan.description.clone());
    let monthly = text(money_text(plan.price_monthly));
    let yearly = text(money_text(plan.price_yearly));
    let trial = text(plan.trial_days.to_string());
    let included = text(money_text(plan.included_credits));
    let requests = text(
        plan.request_limit
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let rpm = text(
        plan.rate_limit_rpm
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let overage = text(plan.overage.as_str().to_string());
    let features = text(plan.features.join(", "));
    let groups = text(plan.model_groups.join(", "));
    let llm_percent = text(
        plan.llm_price_percent
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let position = text(plan.position.to_string());
    let public = RwSignal::new(plan.public);
    let services = RwSignal::new(plan.services.clone());
    let problem = RwSignal::new(None::<String>);
    let base = plan.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| -> Result<Plan, String> {
            let amount = |label: &str, s: RwSignal<String>| {
                parse_amount(&s.get_untracked()).map_err(|e| format!("{label}: {e}"))
            };
            Ok(Plan {
                code: code.get_untracked().trim().to_string(),
                name: name.get_untracked(),
                description: description.get_untracked(),
                position: position
                    .get_untracked()
                    .trim()
                    .parse()
                    .map_err(|_| "Position: a whole number".to_string())?,
                price_monthly: amount("Monthly price", monthly)?,
                price_yearly: amount("Yearly price", yearly)?,
                trial_days: trial
                    .get_untracked()
                    .trim()
                    .parse()
                    .map_err(|_| "Trial: a number of days".to_string())?,
                included_credits: amount("Included credits", included)?,
                request_limit: optional_number(&requests.get_untracked())
                    .map_err(|e| format!("Requests: {e}"))?,
                rate_limit_rpm: optional_number(&rpm.get_untracked())
                    .map_err(|e| format!("Per minute: {e}"))?
                    .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
                overage: Overage::parse(&overage.get_untracked()).unwrap_or_default(),
                services: services.get_untracked(),
                features: comma_list(&features.get_untracked()),
                model_groups: comma_list(&groups.get_untracked()),
                llm_price_percent: optional_number(&llm_percent.get_untracked())
                    .map_err(|e| format!("AI price: {e}"))?,
                public: public.get_untracked(),
                ..base.clone()
            })
        })();
        match parsed {
            Ok(plan) => {
                problem.set(None);
                save.dispatch(SavePlan { plan, create });
            }
            Err(e) => problem.set(Some(e)),
        }
    };
    view! {
        <section class="card" data-testid="plan-form">
            <h3>{if create { "New plan".to_string() } else { format!("Edit {}", plan.name) }}</h3>
            <form class="form" on:submit=submit>
                <div class="form inline">
                    <label class="narrow-field">"Code"
                        <input type="text" data-testid="plan-code" disabled=!create prop:value=move || code.get()
                            on:input=move |e| code.set(event_target_value(&e)) />
                        <span class="hint">"lower-case, fixed once made"</span>
                    </label>
                    <TextField label="Name" testid="plan-name" value=name hint="" />
                    <TextField label="Position" testid="plan-position" value=position hint="order in the list" />
                </div>
                <label>"Description"
                    <input type="text" maxlength="500" prop:value=move || description.get() on:input=move |e| description.set(event_target_value(&e)) />
                </label>
                <div class="form inline">
                    <TextField label="Monthly price (USD)" testid="plan-monthly" value=monthly hint="0 with yearly 0: free" />
                    <TextField label="Yearly price (USD)" testid="plan-yearly" value=yearly hint="0: not sold yearly" />
                    <TextField label="Trial (days)" testid="plan-trial" value=trial hint="on a first paid plan" />
                    <TextField label="Included credits (USD)" testid="plan-included" value=included hint="each period" />
                    <TextField label="Requests a period" testid="plan-requests" value=requests hint="empty: unlimited" />
                    <TextField label="Requests a minute" testid="plan-rpm" value=rpm hint="empty: unlimited" />
                </div>
                <label class="narrow-field">"When the included credits run out"
                    <select data-testid="plan-overage" on:change=move |e| overage.set(event_target_value(&e)) prop:value=move || overage.get()>
                        {Overage::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
                    </select>
                </label>
                <fieldset>
                    <legend>"Services"</legend>
                    {SERVICES.iter().map(|(code, label)| {
                        let code = code.to_string();
                        let c2 = code.clone();
                        view! {
                            <label class="check">
                                <input type="checkbox" data-testid=format!("plan-service-{code}")
                                    prop:checked=move || services.get().contains(&code)
                                    on:change=move |e| {
                                        let on = event_target_checked(&e);
                                        services.update(|s| {
                                            s.retain(|x| *x != c2);
                                            if on { s.push(c2.clone()); }
                                        });
                                    } />
                                {*label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="form inline">
                    <TextField label="Model groups" testid="plan-groups" value=groups hint="comma-separated" />
                    <TextField label="AI price, % of list" testid="plan-llm-percent" value=llm_percent hint="blank: the models' list prices" />
                    <TextField label="Features" testid="plan-features" value=features hint="comma-separated" />
                </div>
                <label class="check">
                    <input type="checkbox" data-testid="plan-public" prop:checked=move || public.get()
                        on:change=move |e| public.set(event_target_checked(&e)) />
                    "Offered to customers"
                </label>
                <div class="buttons">
                    <button type="submit" class="button primary" data-testid="plan-save" disabled=move || save.pending().get()>"Save"</button>
                    <button type="button" class="button" on:click=move |_| editing.set(None)>"Close"</button>
                </div>
            </form>
            {move || problem.get().map(|p| view! { <div class="alert error">{p}</div> })}
            {move || save.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        </section>
    }
}
