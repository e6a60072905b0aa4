//! Settings → Single sign-on: the providers, a form with presets per kind, a live check of the
//! provider's discovery document, and the redirect URI to register there.

use leptos::prelude::*;
use ops_types::{Role, RoleMapping, SSO_KINDS, SsoKind, SsoProvider, SsoProviderForm};

use crate::browser::confirm;
use crate::components::alert::ErrorBox;
use crate::server::sso::{
    CheckSsoProvider, DeleteSsoProvider, SaveSsoProvider, list_sso_providers,
};

/// `None`: no form; `Some(None)`: a new provider; `Some(Some(p))`: editing `p`.
type Editing = RwSignal<Option<Option<SsoProvider>>>;

#[component]
pub fn SsoCard() -> impl IntoView {
    let save = ServerAction::<SaveSsoProvider>::new();
    let delete = ServerAction::<DeleteSsoProvider>::new();
    let check = ServerAction::<CheckSsoProvider>::new();
    let list = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| list_sso_providers(),
    );
    let editing: Editing = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
        }
    });
    view! {
        <section class="card" data-testid="sso">
            <h3>"Single sign-on"</h3>
            <p class="muted">"Sign in with Keycloak, Google, Microsoft Entra ID, any OpenID Connect provider, or GitHub. Client secrets are stored encrypted."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(ps) if ps.is_empty() => view! {
                            <p class="muted" data-testid="sso-empty">"No providers yet: people sign in with their password only."</p>
                        }.into_any(),
                        Ok(ps) => view! { <ProviderTable ps=ps editing=editing delete=delete check=check /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            {move || check.value().get().map(|r| match r {
                Ok(c) => view! {
                    <div class=if c.ok { "alert success" } else { "alert error" } data-testid="sso-check">
                        <strong>{if c.ok { "Reachable: " } else { "Not usable: " }}</strong>{c.message.clone()}
                        {c.authorization_endpoint.clone().map(|a| view! { <div class="hint">"Authorization: " {a}</div> })}
                        {c.token_endpoint.clone().map(|t| view! { <div class="hint">"Token: " {t}</div> })}
                        {c.ok.then(|| view! { <div class="hint">{format!("Signing keys: {}", c.signing_keys)}</div> })}
                        <div class="hint">"Register this redirect URI at the provider: " <code>{c.redirect_uri.clone()}</code></div>
                    </div>
                }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            {move || match editing.get() {
                None => view! {
                    <div class="buttons"><button class="button" data-testid="sso-add" on:click=move |_| editing.set(Some(None))>"Add provider"</button></div>
                }.into_any(),
                Some(p) => view! { <ProviderForm initial=p save=save editing=editing /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ProviderTable(
    ps: Vec<SsoProvider>,
    editing: Editing,
    delete: ServerAction<DeleteSsoProvider>,
    check: ServerAction<CheckSsoProvider>,
) -> impl IntoView {
    view! {
        <table class="table" data-testid="sso-table">
            <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Issuer"</th><th>"People"</th><th>"Status"</th><th></th></tr></thead>
            <tbody>
                {ps.into_iter().map(|p| {
                    let kind = SsoKind::find(&p.kind).map(|k| k.label).unwrap_or("?");
                    let status = match (p.enabled, p.source.as_str()) {
                        (false, _) => "off",
                        (true, "config") => "on (config file)",
                        _ => "on",
                    };
                    let from_file = p.source == "config";
                    let (id, id2) = (p.id.clone(), p.id.clone());
                    let name = p.name.clone();
                    let row = p.clone();
                    view! {
                        <tr data-testid=format!("sso-row-{}", p.slug)>
                            <td><strong>{p.name.clone()}</strong><div class="hint">{format!("/auth/login/{}", p.slug)}</div></td>
                            <td>{kind}</td>
                            <td class="hint">{p.issuer.clone()}</td>
                            <td>{p.linked_users}</td>
                            <td>{status}</td>
                            <td class="actions">
                                <button class="button small" on:click=move |_| { check.dispatch(CheckSsoProvider { id: id.clone() }); }>"Check"</button>
                                {(!from_file).then(|| view! {
                                    <button class="button small" data-testid="sso-edit" on:click=move |_| editing.set(Some(Some(row.clone())))>"Edit"</button>
                                    <button class="button small danger" on:click=move |_| {
                                        if confirm(&format!("Remove {name}? People who signed in with it keep their accounts but must use a password or another provider.")) {
                                            delete.dispatch(DeleteSsoProvider { id: id2.clone() });
                                        }
                                    }>"Remove"</button>
                                })}
                                {from_file.then(|| view! { <span class="hint">"edit in ops-center.toml"</span> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// "admins = admin" lines to mappings; the first bad line is the error.
fn parse_mappings(text: &str) -> Result<Vec<RoleMapping>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (value, role) = l
                .rsplit_once('=')
                .ok_or_else(|| format!("`{l}`: write value = role"))?;
            let role = Role::parse(role.trim())
                .ok_or_else(|| format!("`{l}`: {} is not a role", role.trim()))?;
            Ok(RoleMapping {
                value: value.trim().to_string(),
                role,
            })
        })
        .collect()
}

#[component]
fn ProviderForm(
    initial: Option<SsoProvider>,
    save: ServerAction<SaveSsoProvider>,
    editing: Editing,
) -> impl IntoView {
    let p = initial.clone();
    let get = |f: fn(&SsoProvider) -> String, default: &str| {
        RwSignal::new(p.as_ref().map(f).unwrap_or_else(|| default.to_string()))
    };
    let first = SSO_KINDS[0];
    let kind = get(|p| p.kind.clone(), first.id);
    let slug = get(|p| p.slug.clone(), "");
    let name = get(|p| p.name.clone(), "");
    let issuer = get(|p| p.issuer.clone(), first.issuer);
    let client_id = get(|p| p.client_id.clone(), "");
    let secret = RwSignal::new(String::new());
    let scopes = get(|p| p.scopes.clone(), first.scopes);
    let domains = get(|p| p.allowed_domains.join(", "), "");
    let role_claim = get(|p| p.role_claim.clone(), first.role_claim);
    let mappings = get(
        |p| {
            p.role_map
                .iter()
                .map(|m| format!("{} = {}", m.value, m.role.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        },
        "",
    );
    let default_role = get(|p| p.default_role.as_str().to_string(), "viewer");
    let enabled = RwSignal::new(p.as_ref().is_none_or(|p| p.enabled));
    let create_users = RwSignal::new(p.as_ref().is_some_and(|p| p.create_users));
    let sync_role = RwSignal::new(p.as_ref().is_some_and(|p| p.sync_role));
    let local_error = RwSignal::new(None::<String>);
    let id = p.as_ref().map(|p| p.id.clone());
    let hint = p.as_ref().and_then(|p| p.client_secret_hint.clone());
    let preset_hint = move || SsoKind::find(&kind.get()).map(|k| k.hint).unwrap_or("");
    let pick_kind = move |e| {
        let k = event_target_value(&e);
        if let Some(preset) = SsoKind::find(&k) {
            let was = SsoKind::find(&kind.get_untracked());
            // Replace what the previous preset filled in, keep what the person typed.
            if was.is_none_or(|w| issuer.get_untracked() == w.issuer)
                || issuer.get_untracked().is_empty()
            {
                issuer.set(preset.issuer.into());
            }
            if was.is_none_or(|w| scopes.get_untracked() == w.scopes) {
                scopes.set(preset.scopes.into());
            }
            if was.is_none_or(|w| role_claim.get_untracked() == w.role_claim) {
                role_claim.set(preset.role_claim.into());
            }
            if slug.get_untracked().is_empty() {
                slug.set(preset.id.into());
            }
        }
        kind.set(k);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let role_map = match parse_mappings(&mappings.get_untracked()) {
            Ok(m) => m,
            Err(e) => {
                local_error.set(Some(e));
                return;
            }
        };
        local_error.set(None);
        let s = secret.get_untracked();
        save.dispatch(SaveSsoProvider {
            id: id.clone(),
            form: SsoProviderForm {
                slug: slug.get_untracked(),
                name: name.get_untracked(),
                kind: kind.get_untracked(),
                issuer: issuer.get_untracked(),
                client_id: client_id.get_untracked(),
                client_secret: (!s.is_empty()).then_some(s),
                scopes: scopes.get_untracked(),
                enabled: enabled.get_untracked(),
                create_users: create_users.get_untracked(),
                allowed_domains: domains
                    .get_untracked()
                    .split([',', ' ', '\n'])
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect(),
                role_claim: role_claim.get_untracked(),
                role_map,
                default_role: Role::parse(&default_role.get_untracked()).unwrap_or(Role::Viewer),
                sync_role: sync_role.get_untracked(),
            },
        });
    };
    let text = |label: &'static str, sig: RwSignal<String>, testid: &'static str| {
        view! {
            <label>{label}
                <input type="text" data-testid=testid value=sig.get_untracked() prop:value=move || sig.get()
                    on:input=move |e| sig.set(event_target_value(&e)) />
            </label>
        }
    };
    let check = |label: &'static str, sig: RwSignal<bool>, testid: &'static str| {
        view! {
            <label class="check"><input type="checkbox" data-testid=testid checked=sig.get_untracked()
                prop:checked=move || sig.get() on:change=move |e| sig.set(event_target_checked(&e)) />{label}</label>
        }
    };
    let kind_now = kind.get_untracked();
    let role_now = default_role.get_untracked();
    view! {
        <form class="form" data-testid="sso-form" on:submit=submit>
            <h4>{if initial.is_some() { "Edit provider" } else { "New provider" }}</h4>
            <div class="form inline">
                <label class="narrow-field">"Kind"
                    <select data-testid="sso-kind" on:change=pick_kind>
                        {SSO_KINDS.iter().map(|k| view! { <option value=k.id selected=kind_now == k.id>{k.label}</option> }).collect_view()}
                    </select>
                </label>
                {text("Button label", name, "sso-name")}
                {text("Slug (in /auth/login/…)", slug, "sso-slug")}
            </div>
            <p class="hint">{preset_hint}</p>
            {text("Issuer URL (GitHub: API address)", issuer, "sso-issuer")}
            <div class="form inline">
                {text("Client ID", client_id, "sso-client-id")}
                <label>"Client secret"
                    <input type="password" autocomplete="new-password" data-testid="sso-secret"
                        placeholder=hint.map(|h| format!("stored ({h}); type to replace")).unwrap_or_default()
                        prop:value=move || secret.get() on:input=move |e| secret.set(event_target_value(&e)) />
                </label>
            </div>
            {text("Scopes", scopes, "sso-scopes")}
            {check("Create an account on first sign-in (otherwise only existing accounts, linked by verified e-mail)", create_users, "sso-create-users")}
            {text("Allowed e-mail domains (comma-separated; empty: any)", domains, "sso-domains")}
            <div class="form inline">
                {text("Role claim", role_claim, "sso-role-claim")}
                <label class="narrow-field">"Default role"
                    <select data-testid="sso-default-role" on:change=move |e| default_role.set(event_target_value(&e))>
                        {Role::ALL.map(|r| view! { <option value=r.as_str() selected=role_now == r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <label>"Claim value → role, one per line (e.g. admins = admin)"
                <textarea rows="3" data-testid="sso-mappings" prop:value=move || mappings.get()
                    on:input=move |e| mappings.set(event_target_value(&e))>{mappings.get_untracked()}</textarea>
            </label>
            {check("Set the role from the mapping at every sign-in", sync_role, "sso-sync-role")}
            {check("Enabled (shows a button on the sign-in page)", enabled, "sso-enabled")}
            {move || local_error.get().map(|e| view! { <div class="alert error">{e}</div> })}
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            <div class="buttons">
                <button type="submit" class="button primary" data-testid="sso-save" disabled=move || save.pending().get()>"Save"</button>
                <button type="button" class="button" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_mappings;

    #[test]
    fn mappings_parse() {
        let m = parse_mappings("admins = admin\n\n dev=developer ").unwrap();
        assert_eq!(
            (m[0].value.as_str(), m[1].value.as_str()),
            ("admins", "dev")
        );
        assert!(parse_mappings("x = boss").unwrap_err().contains("boss"));
        assert!(parse_mappings("nothing").is_err());
    }
}
