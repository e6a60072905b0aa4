//! Figures over all users: totals, roles, sign-ups per day as a chart.

use leptos::prelude::*;

use crate::components::alert::ErrorBox;
use crate::components::chart::{LiveChart, bar_chart};
use crate::server::admin::users_summary;

#[component]
pub fn Summary() -> impl IntoView {
    let summary = Resource::new(|| (), |_| users_summary());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => {
                        let labels: Vec<String> = s.signups_by_day.iter().map(|c| c.key.clone()).collect();
                        let values: Vec<i64> = s.signups_by_day.iter().map(|c| c.count).collect();
                        let samples = values.len();
                        let chart = Signal::derive(move || bar_chart(&labels, &values, "sign-ups"));
                        let roles = s.by_role.iter().map(|c| format!("{} {}", c.count, c.key)).collect::<Vec<_>>().join(" · ");
                        let tiers = s.by_tier.iter().map(|c| format!("{} {}", c.count, c.key)).collect::<Vec<_>>().join(" · ");
                        let providers = s.by_provider.iter().map(|c| format!("{} {}", c.count, c.key)).collect::<Vec<_>>().join(" · ");
                        view! {
                            <div class="grid stats">
                                <section class="card stat"><p class="stat-label">"Users"</p><p class="stat-value" data-testid="users-count">{s.total}</p><p class="stat-detail">{roles}</p></section>
                                <section class="card stat"><p class="stat-label">"Active"</p><p class="stat-value">{s.active}</p><p class="stat-detail" data-testid="users-by-provider">{providers}</p></section>
                                <section class="card stat"><p class="stat-label">"Suspended"</p><p class="stat-value">{s.suspended}</p><p class="stat-detail" data-testid="users-by-tier">{tiers}</p></section>
                                <section class="card stat"><p class="stat-label">"Never signed in"</p><p class="stat-value">{s.never_signed_in}</p></section>
                            </div>
                            <LiveChart id="signups-per-day" title="Sign-ups per day (90 days)" chart=chart samples=Signal::derive(move || samples) />
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
