//! `/admin/audit`: who changed what, newest first, with a text filter.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::ErrorBox;
use crate::components::format::datetime;
use crate::server::admin::list_audit;

const LIMITS: [i64; 3] = [100, 250, 500];

#[component]
pub fn AuditPage() -> impl IntoView {
    let limit = RwSignal::new(LIMITS[0]);
    let filter = RwSignal::new(String::new());
    let events = Resource::new(move || limit.get(), list_audit);
    view! {
        <Title text="Audit log" />
        <div class="page-head"><h1>"Audit log"</h1></div>
        <section class="card">
            <div class="form inline toolbar">
                <label>"Filter"
                    <input type="text" placeholder="action, actor, target or IP" data-testid="audit-filter"
                        on:input=move |e| filter.set(event_target_value(&e)) prop:value=move || filter.get() />
                </label>
                <label class="narrow-field">"Show"
                    <select on:change=move |e| limit.set(event_target_value(&e).parse().unwrap_or(LIMITS[0]))>
                        {LIMITS.map(|n| view! { <option value=n.to_string() selected=move || limit.get() == n>{format!("last {n}")}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <Transition fallback=|| view! { <p>"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) => {
                            let needle = filter.get().to_lowercase();
                            let shown: Vec<_> = list
                                .into_iter()
                                .filter(|e| needle.is_empty() || [Some(&e.action), e.actor_email.as_ref(), e.target.as_ref(), e.ip.as_ref(), e.detail.as_ref()]
                                    .into_iter()
                                    .flatten()
                                    .any(|f| f.to_lowercase().contains(&needle)))
                                .collect();
                            if shown.is_empty() {
                                view! { <p class="empty">"No matching events."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table" data-testid="audit-table">
                                        <thead><tr><th>"When"</th><th>"Action"</th><th>"Actor"</th><th>"Target"</th><th>"IP"</th><th>"Detail"</th></tr></thead>
                                        <tbody>
                                            {shown.into_iter().map(|e| view! {
                                                <tr>
                                                    <td class="nowrap">{datetime(e.at)}</td>
                                                    <td><code>{e.action}</code></td>
                                                    <td>{e.actor_email.or(e.actor_id).unwrap_or_else(|| "system".into())}</td>
                                                    <td class="id">{e.target.unwrap_or_default()}</td>
                                                    <td>{e.ip.unwrap_or_default()}</td>
                                                    <td>{e.detail.unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
