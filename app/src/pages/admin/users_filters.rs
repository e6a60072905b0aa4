//! The user list's filters: the form's fields as typed, the query they make, the export link
//! that honours them, and the "More filters" part (organisation, sign-up and last sign-in
//! dates, never signed in).

use leptos::prelude::*;
use ops_types::{Role, UserQuery, day_of_date};

use crate::components::format::query_string;
use crate::server::org::all_orgs;

pub const PER_PAGE: i64 = 50;
const DAY_MS: i64 = 86_400_000;

#[derive(Clone, Copy)]
pub struct Filters {
    pub q: RwSignal<String>,
    pub role: RwSignal<String>,
    pub status: RwSignal<String>,
    pub provider: RwSignal<String>,
    pub tier: RwSignal<String>,
    pub sort: RwSignal<String>,
    pub org: RwSignal<String>,
    /// Dates as the date inputs give them (`YYYY-MM-DD`); the "to" dates are inclusive.
    pub created_from: RwSignal<String>,
    pub created_to: RwSignal<String>,
    pub login_from: RwSignal<String>,
    pub login_to: RwSignal<String>,
    pub never: RwSignal<bool>,
}

impl Default for Filters {
    fn default() -> Filters {
        let text = || RwSignal::new(String::new());
        Filters {
            q: text(),
            role: text(),
            status: text(),
            provider: text(),
            tier: text(),
            sort: RwSignal::new("created_at:desc".into()),
            org: text(),
            created_from: text(),
            created_to: text(),
            login_from: text(),
            login_to: text(),
            never: RwSignal::new(false),
        }
    }
}

impl Filters {
    pub fn query(&self, page: i64) -> UserQuery {
        let text = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.is_empty());
        let day = |s: RwSignal<String>| day_of_date(&s.get_untracked()).map(|d| d * DAY_MS);
        let sort = self.sort.get_untracked();
        let (col, dir) = sort.split_once(':').unwrap_or(("created_at", "desc"));
        UserQuery {
            q: text(self.q),
            role: Role::parse(&self.role.get_untracked()),
            status: text(self.status),
            provider: text(self.provider),
            tier: text(self.tier),
            org: text(self.org),
            created_from: day(self.created_from),
            created_to: day(self.created_to).map(|t| t + DAY_MS),
            login_from: day(self.login_from),
            login_to: day(self.login_to).map(|t| t + DAY_MS),
            never_signed_in: self.never.get_untracked().then_some(true),
            sort: Some(col.into()),
            dir: Some(dir.into()),
            page: Some(page),
            per_page: Some(PER_PAGE),
        }
    }
}

/// `/api/v1/admin/users/export` with the filters of `q` (not its paging).
pub fn export_href(q: &UserQuery) -> String {
    let t = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    format!(
        "/api/v1/admin/users/export{}",
        query_string(&[
            ("q", t(&q.q)),
            (
                "role",
                q.role.map(|r| r.as_str().to_string()).unwrap_or_default()
            ),
            ("status", t(&q.status)),
            ("provider", t(&q.provider)),
            ("tier", t(&q.tier)),
            ("org", t(&q.org)),
            ("created_from", n(q.created_from)),
            ("created_to", n(q.created_to)),
            ("login_from", n(q.login_from)),
            ("login_to", n(q.login_to)),
            (
                "never_signed_in",
                q.never_signed_in.map(|b| b.to_string()).unwrap_or_default()
            ),
            ("sort", t(&q.sort)),
            ("dir", t(&q.dir)),
        ])
    )
}

/// Organisation, date ranges and "never signed in", folded away until opened (open when a
/// link brought one of them).
#[component]
pub fn MoreFilters(f: Filters) -> impl IntoView {
    let orgs = Resource::new(|| (), |_| all_orgs(String::new()));
    let open = !f.org.get_untracked().is_empty();
    let date = |label: &'static str, sig: RwSignal<String>, id: &'static str| {
        view! {
            <label class="narrow-field">{label}
                <input type="date" data-testid=id prop:value=move || sig.get()
                    on:input=move |e| sig.set(event_target_value(&e)) />
            </label>
        }
    };
    view! {
        <details class="more-filters" open=open data-testid="users-more-filters">
            <summary>"More filters"</summary>
            <div class="form inline">
                <label class="narrow-field">"Organisation"
                    <select data-testid="users-org" on:change=move |e| f.org.set(event_target_value(&e))>
                        <option value="">"Any"</option>
                        <Suspense>
                            {move || Suspend::new(async move {
                                orgs.await.unwrap_or_default().into_iter().map(|o| {
                                    let selected = f.org.get_untracked() == o.id;
                                    view! { <option value=o.id.clone() selected=selected>{o.name}</option> }
                                }).collect_view()
                            })}
                        </Suspense>
                    </select>
                </label>
                {date("Signed up from", f.created_from, "users-created-from")}
                {date("Signed up to", f.created_to, "users-created-to")}
                {date("Last sign-in from", f.login_from, "users-login-from")}
                {date("Last sign-in to", f.login_to, "users-login-to")}
                <label class="check">
                    <input type="checkbox" data-testid="users-never" prop:checked=move || f.never.get()
                        on:change=move |e| f.never.set(event_target_checked(&e)) />
                    "Never signed in"
                </label>
            </div>
        </details>
    }
}
