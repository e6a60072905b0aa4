//! `/admin/codes`: redemption codes and coupons. Make a batch of credit codes (shown once, to
//! copy or download as CSV) or a coupon with a chosen code; see every batch with its
//! redemptions; withdraw a batch; export how its codes were used.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{
    CodeBatch, CodeBatchCreated, CodeBatchInput, CodeKind, CreditBucket, date_of_ms, day_of_date,
    format_amount, parse_amount,
};

use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::components::field::TextField;
use crate::components::format::encode;
use crate::server::billing::{CreateCodes, WithdrawCodes, list_codes};

#[component]
pub fn CodesPage() -> impl IntoView {
    let create = ServerAction::<CreateCodes>::new();
    let withdraw = ServerAction::<WithdrawCodes>::new();
    let batches = Resource::new(
        move || (create.version().get(), withdraw.version().get()),
        |_| list_codes(),
    );
    view! {
        <Title text="Codes and coupons" />
        <div class="page-head"><h1>"Codes and coupons"</h1></div>
        <p class="muted">"Credit codes put credits into the account that redeems them; a coupon takes a percentage off plan prices. \
            Each account redeems a batch once. Generated codes are shown once, when they are made: download them then."</p>
        <CodeForm create />
        {move || create.value().get().map(|r| match r {
            Ok(made) => view! { <Made made /> }.into_any(),
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
        })}
        {move || withdraw.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        <section class="card">
            <h3>"Batches"</h3>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match batches.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No codes yet."</p> }.into_any(),
                        Ok(list) => view! { <Batches list withdraw /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn gives(b: &CodeBatch) -> String {
    match b.kind {
        CodeKind::Credit => {
            let days = b
                .credit_days
                .map(|d| format!(", expiring after {d} days"))
                .unwrap_or_default();
            format!(
                "{} {} credits{days}",
                format_amount(b.amount, "USD"),
                b.bucket.as_str()
            )
        }
        CodeKind::Coupon => {
            let how_long = b
                .months
                .map_or("for good".to_string(), |m| format!("for {m} months"));
            let on = if b.plans.is_empty() {
                "all plans".to_string()
            } else {
                b.plans.join(", ")
            };
            format!("{}% off {on}, {how_long}", b.percent_off)
        }
    }
}

#[component]
fn Batches(list: Vec<CodeBatch>, withdraw: ServerAction<WithdrawCodes>) -> impl IntoView {
    view! {
        <table class="table" data-testid="code-batches">
            <thead><tr><th>"Name"</th><th>"Gives"</th><th class="num">"Codes"</th><th class="num">"Redeemed"</th>
                <th>"Valid until"</th><th>"Made"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|b| {
                    let (id, name) = (b.id.clone(), b.name.clone());
                    let pull = move |_| {
                        if confirm(&format!("Withdraw every code of “{name}”?")) {
                            withdraw.dispatch(WithdrawCodes { id: id.clone() });
                        }
                    };
                    view! {
                        <tr data-testid=format!("batch-{}", b.name)>
                            <td>{b.name.clone()}{b.revoked.then(|| view! { " " <span class="badge danger">"withdrawn"</span> })}</td>
                            <td>{gives(&b)}</td>
                            <td class="num">{format!("{} × {}", b.codes, b.uses_per_code)}</td>
                            <td class="num" data-testid="batch-redemptions">{b.redemptions}</td>
                            <td>{b.valid_until.map_or("—".to_string(), date_of_ms)}</td>
                            <td>{date_of_ms(b.created_at)}<div class="hint">{b.created_by.clone().unwrap_or_default()}</div></td>
                            <td class="buttons">
                                <a class="button" rel="external" href=format!("/api/v1/credits/coupons/{}/codes", b.id)>"Export use"</a>
                                {(!b.revoked).then(|| view! { <button type="button" class="button danger" on:click=pull.clone()>"Withdraw"</button> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The codes just made, with a CSV download: the only time they are shown.
#[component]
fn Made(made: CodeBatchCreated) -> impl IntoView {
    let csv = std::iter::once("code".to_string())
        .chain(made.codes.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n");
    let href = format!("data:text/csv;charset=utf-8,{}", encode(&csv));
    let file = format!(
        "codes-{}.csv",
        made.batch
            .name
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    view! {
        <section class="card" data-testid="codes-made">
            <h3>{format!("{}: {} code(s) made", made.batch.name, made.codes.len())}</h3>
            <div class="alert warning">"Copy or download them now: they are not shown again."</div>
            <p><a class="button primary" href=href download=file data-testid="codes-download">"Download CSV"</a></p>
            <pre class="codes" data-testid="codes-list">{made.codes.join("\n")}</pre>
        </section>
    }
}

#[component]
fn CodeForm(create: ServerAction<CreateCodes>) -> impl IntoView {
    let kind = RwSignal::new("credit".to_string());
    let name = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let bucket = RwSignal::new("granted".to_string());
    let days = RwSignal::new(String::new());
    let count = RwSignal::new("10".to_string());
    let code = RwSignal::new(String::new());
    let percent = RwSignal::new("20".to_string());
    let months = RwSignal::new(String::new());
    let plans = RwSignal::new(String::new());
    let uses = RwSignal::new("1".to_string());
    let until = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let coupon = move || kind.get() == "coupon";
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let whole = |label: &str, s: RwSignal<String>| -> Result<Option<i32>, String> {
            let t = s.get_untracked();
            let t = t.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse()
                .map(Some)
                .map_err(|_| format!("{label}: a whole number"))
        };
        let parsed = (|| -> Result<CodeBatchInput, String> {
            let is_coupon = kind.get_untracked() == "coupon";
            Ok(CodeBatchInput {
                kind: if is_coupon {
                    CodeKind::Coupon
                } else {
                    CodeKind::Credit
                },
                name: name.get_untracked(),
                amount: if is_coupon {
                    0
                } else {
                    parse_amount(&amount.get_untracked()).map_err(|e| format!("Amount: {e}"))?
                },
                bucket: if bucket.get_untracked() == "paid" {
                    CreditBucket::Paid
                } else {
                    CreditBucket::Granted
                },
                credit_days: whole("Credits expire after", days)?,
                percent_off: whole("Percent off", percent)?.unwrap_or(0),
                months: whole("Months", months)?,
                plans: plans
                    .get_untracked()
                    .split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
                count: if is_coupon {
                    None
                } else {
                    whole("How many", count)?
                },
                code: Some(code.get_untracked()).filter(|c| !c.trim().is_empty()),
                uses_per_code: whole("Uses per code", uses)?,
                valid_until: day_of_date(until.get_untracked().trim())
                    .map(|d| (d + 1) * 86_400_000 - 1),
            })
        })();
        match parsed {
            Ok(input) => {
                problem.set(None);
                create.dispatch(CreateCodes { input });
            }
            Err(e) => problem.set(Some(e)),
        }
    };
    view! {
        <section class="card">
            <h3>"Make codes"</h3>
            <form class="form" on:submit=submit data-testid="codes-form">
                <div class="form inline">
                    <label class="narrow-field">"Kind"
                        <select data-testid="codes-kind" on:change=move |e| kind.set(event_target_value(&e))>
                            <option value="credit">"Credit codes"</option>
                            <option value="coupon">"Coupon"</option>
                        </select>
                    </label>
                    <TextField label="Name" testid="codes-name" value=name hint="shown when redeemed" />
                    <TextField label="Valid until (optional)" testid="codes-until" value=until hint="YYYY-MM-DD" />
                    <TextField label="Uses per code" testid="codes-uses" value=uses hint="1: single use" />
                </div>
                {move || if coupon() {
                    view! {
                        <div class="form inline">
                            <TextField label="Code" testid="codes-code" value=code hint="what customers type" />
                            <TextField label="Percent off" testid="codes-percent" value=percent hint="1 to 100" />
                            <TextField label="Months" testid="codes-months" value=months hint="empty: for good" />
                            <TextField label="Plans" testid="codes-plans" value=plans hint="comma-separated; empty: all" />
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="form inline">
                            <TextField label="How many" testid="codes-count" value=count hint="1 to 10 000" />
                            <TextField label="Credits each (USD)" testid="codes-amount" value=amount hint="" />
                            <label class="narrow-field">"Kind of credits"
                                <select on:change=move |e| bucket.set(event_target_value(&e))>
                                    <option value="granted">"Granted (free)"</option>
                                    <option value="paid">"Paid"</option>
                                </select>
                            </label>
                            <TextField label="Credits expire after (days)" testid="codes-days" value=days hint="empty: never" />
                        </div>
                    }.into_any()
                }}
                <div class="buttons">
                    <button type="submit" class="button primary" data-testid="codes-submit" disabled=move || create.pending().get()>"Make"</button>
                </div>
            </form>
            {move || problem.get().map(|p| view! { <div class="alert error">{p}</div> })}
        </section>
    }
}
