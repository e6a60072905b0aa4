//! The roles card on `/admin/users`: every platform role, most powerful first, and what each
//! may do. Drawn from the same table the server enforces (`ops_types::Role::permissions`), as
//! `GET /api/v1/admin/users/roles/available` returns it.

use leptos::prelude::*;
use ops_types::{Permission, Role};

#[component]
pub fn RolesCard() -> impl IntoView {
    view! {
        <section class="card">
            <details data-testid="roles-card">
                <summary><strong>"Roles and what they may do"</strong></summary>
                <p class="muted">"Roles are listed from most to least powerful. Organisation roles (owner, admin, billing admin, member) apply within each organisation."</p>
                <table class="table matrix" data-testid="roles-table">
                    <thead>
                        <tr>
                            <th>"Permission"</th>
                            {Role::ALL.map(|r| view! { <th>{r.label()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {Permission::ALL.map(|p| view! {
                            <tr>
                                <td><code>{p.as_str()}</code><br /><span class="muted">{p.description()}</span></td>
                                {Role::ALL.map(|r| {
                                    let has = r.has(p);
                                    view! { <td class:ok=has>{if has { "✓" } else { "—" }}</td> }
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
    }
}
