//! `/admin/audit`: the audit log with server-side filters, figures, a per-day chart, paging,
//! export (CSV, JSON Lines) and the hash-chain check.

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::{AuditEvent, AuditQuery, AuditStats, day_of_date};

use crate::components::alert::ErrorBox;
use crate::components::chart::{LiveChart, bar_chart};
use crate::components::format::{datetime, query_string};
use crate::components::pager::OlderPager;
use crate::server::audit::{audit_actions, audit_check, audit_events, audit_figures, audit_orgs};

const PAGE: i64 = 100;

/// The filter form's fields, as typed.
#[derive(Clone, Default)]
struct Form {
    actor: RwSignal<String>,
    action: RwSignal<String>,
    target: RwSignal<String>,
    ip: RwSignal<String>,
    org: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl Form {
    fn query(&self) -> AuditQuery {
        let text = |s: RwSignal<String>| {
            Some(s.get_untracked().trim().to_string()).filter(|s| !s.is_empty())
        };
        let day = |s: RwSignal<String>| day_of_date(&s.get_untracked()).map(|d| d * 86_400_000);
        AuditQuery {
            actor: text(self.actor),
            action: text(self.action),
            target: text(self.target),
            ip: text(self.ip),
            org_id: text(self.org),
            subject: None,
            from: day(self.from),
            // The "to" date is inclusive in the form: up to the end of that day.
            to: day(self.to).map(|t| t + 86_400_000),
            before: None,
            limit: Some(PAGE),
        }
    }
}

fn export_href(q: &AuditQuery, format: &str) -> String {
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    format!(
        "/api/v1/audit/export{}",
        query_string(&[
            ("format", format.to_string()),
            ("actor", text(&q.actor)),
            ("action", text(&q.action)),
            ("target", text(&q.target)),
            ("ip", text(&q.ip)),
            ("org_id", text(&q.org_id)),
            ("from", num(q.from)),
            ("to", num(q.to)),
        ])
    )
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let form = Form::default();
    let applied = RwSignal::new(form.query());
    let before = RwSignal::new(None::<i64>);
    let page = Resource::new(
        move || (applied.get(), before.get()),
        |(q, before)| audit_events(AuditQuery { before, ..q }),
    );
    let stats = Resource::new(move || applied.get(), audit_figures);
    let actions = Resource::new(|| (), |_| audit_actions());
    let orgs = Resource::new(|| (), |_| audit_orgs());
    let verify = Action::new(|_: &()| audit_check());
    let apply = {
        let form = form.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            before.set(None);
            applied.set(form.query());
        }
    };
    let reset = {
        let form = form.clone();
        move |_| {
            for s in [
                form.actor,
                form.action,
                form.target,
                form.ip,
                form.org,
                form.from,
                form.to,
            ] {
                s.set(String::new());
            }
            before.set(None);
            applied.set(form.query());
        }
    };
    let text_field = |label: &'static str,
                      placeholder: &'static str,
                      sig: RwSignal<String>,
                      id: &'static str| {
        view! {
            <label>{label}
                <input type="text" placeholder=placeholder data-testid=id
                    on:input=move |e| sig.set(event_target_value(&e)) prop:value=move || sig.get() />
            </label>
        }
    };
    let date_field = |label: &'static str, sig: RwSignal<String>, id: &'static str| {
        view! {
            <label class="narrow-field">{label}
                <input type="date" data-testid=id on:input=move |e| sig.set(event_target_value(&e)) prop:value=move || sig.get() />
            </label>
        }
    };
    view! {
        <Title text="Audit log" />
        <div class="page-head">
            <h1>"Audit log"</h1>
            <div class="actions">
                <a class="button secondary" data-testid="audit-export-csv" href=move || export_href(&applied.get(), "csv")>"Export CSV"</a>
                <a class="button secondary" data-testid="audit-export-jsonl" href=move || export_href(&applied.get(), "jsonl")>"Export JSON Lines"</a>
                <button class="button secondary" data-testid="audit-verify" on:click=move |_| { verify.dispatch(()); }
                    disabled=move || verify.pending().get()>
                    {move || if verify.pending().get() { "Checking…" } else { "Verify integrity" }}
                </button>
            </div>
        </div>
        {move || verify.value().get().map(|r| match r {
            Ok(v) if v.intact => view! {
                <div class="alert success" data-testid="audit-verify-result">
                    {format!("The log is intact: {} events checked, each linked to the one before.", v.checked)}
                </div>
            }.into_any(),
            Ok(v) => view! {
                <div class="alert error" data-testid="audit-verify-result">
                    {format!("The log was tampered with at event #{}: {}. The {} events before it are intact.",
                        v.broken_at_seq.unwrap_or_default(), v.reason.unwrap_or_default(), v.checked)}
                </div>
            }.into_any(),
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
        })}
        <section class="card">
            <form class="form inline toolbar" on:submit=apply>
                {text_field("Actor", "email or user id", form.actor, "audit-actor")}
                <label>"Action"
                    <select data-testid="audit-action" on:change=move |e| form.action.set(event_target_value(&e))>
                        <option value="">"Any action"</option>
                        <Suspense>
                            {move || Suspend::new(async move {
                                actions.await.unwrap_or_default().into_iter().map(|a| {
                                    let label = a.clone();
                                    view! { <option value=a>{label}</option> }
                                }).collect_view()
                            })}
                        </Suspense>
                    </select>
                </label>
                {text_field("Target", "id or name", form.target, "audit-target")}
                {text_field("IP", "address", form.ip, "audit-ip")}
                <label class="narrow-field">"Organisation"
                    <select data-testid="audit-org" prop:value=move || form.org.get()
                        on:change=move |e| form.org.set(event_target_value(&e))>
                        <option value="">"Any"</option>
                        <Suspense>
                            {move || Suspend::new(async move {
                                orgs.await.unwrap_or_default().into_iter().map(|o| {
                                    let label = o.name.clone().unwrap_or_else(|| format!("{} (deleted)", o.id));
                                    view! { <option value=o.id>{label}</option> }
                                }).collect_view()
                            })}
                        </Suspense>
                    </select>
                </label>
                {date_field("From", form.from, "audit-from")}
                {date_field("To", form.to, "audit-to")}
                <div class="buttons">
                    <button type="submit" class="button primary" data-testid="audit-apply">"Apply"</button>
                    <button type="button" class="button secondary" on:click=reset>"Reset"</button>
                </div>
            </form>
        </section>
        <Suspense>
            {move || Suspend::new(async move {
                match stats.await {
                    Ok(s) => view! { <Figures stats=s /> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <section class="card">
            <Transition fallback=|| view! { <p>"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.events.is_empty() => view! {
                            <p class="empty" data-testid="audit-empty">"No events match these filters."</p>
                        }.into_any(),
                        Ok(p) => {
                            let next = p.next_before;
                            view! {
                                <EventTable events=p.events />
                                <OlderPager before next testid="audit-older" />
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Totals, top actions and the per-day chart.
#[component]
fn Figures(stats: AuditStats) -> impl IntoView {
    let labels: Vec<String> = stats.by_day.iter().map(|c| c.key.clone()).collect();
    let values: Vec<i64> = stats.by_day.iter().map(|c| c.count).collect();
    let samples = values.len();
    let chart = Signal::derive(move || bar_chart(&labels, &values, "events"));
    view! {
        <div class="grid stats">
            <section class="card stat"><p class="stat-label">"Events"</p><p class="stat-value" data-testid="audit-total">{stats.total}</p></section>
            <section class="card stat"><p class="stat-label">"Failed sign-ins"</p><p class="stat-value">{stats.failed_logins}</p></section>
            <section class="card stat"><p class="stat-label">"Distinct actors"</p><p class="stat-value">{stats.distinct_actors}</p></section>
        </div>
        <div class="grid two">
            <LiveChart id="audit-per-day" title="Events per day" chart=chart samples=Signal::derive(move || samples) />
            <section class="card">
                <h3>"Top actions"</h3>
                <table class="table compact">
                    <tbody>
                        {stats.by_action.into_iter().map(|c| view! {
                            <tr><td><code>{c.key}</code></td><td class="num">{c.count}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </div>
    }
}

#[component]
fn EventTable(events: Vec<AuditEvent>) -> impl IntoView {
    view! {
        <table class="table" data-testid="audit-table">
            <thead><tr><th>"#"</th><th>"When"</th><th>"Action"</th><th>"Actor"</th><th>"Target"</th><th>"IP"</th><th>"Detail"</th></tr></thead>
            <tbody>
                {events.into_iter().map(|e| {
                    let actor = e.actor_email.clone().or(e.actor_id.clone()).unwrap_or_else(|| "system".into());
                    let by = e.impersonator_email.clone().or(e.impersonator_id.clone()).map(|i| format!(" (by {i})"));
                    let target = e.target_label.clone().or(e.target.clone()).unwrap_or_default();
                    view! {
                        <tr>
                            <td class="num muted">{e.seq}</td>
                            <td class="nowrap">{datetime(e.at)}</td>
                            <td><code>{e.action}</code></td>
                            <td title=e.actor_id.unwrap_or_default()>{actor}{by}</td>
                            <td title=e.target.unwrap_or_default()>{target}</td>
                            <td>{e.ip.unwrap_or_default()}</td>
                            <td>{e.detail.unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
