//! SSO providers as stored: the console's create/update/delete (client secrets sealed, shown
//! only as hints), the sign-in buttons, and the providers the config file defines.

use ops_db::{AuditRecord, Db, Row, Tx, new_id, now_ms, record_audit};
use ops_secrets::MasterKey;
use ops_types::{
    Permission, Role, RoleMapping, SsoButton, SsoCheck, SsoKind, SsoProvider, SsoProviderForm,
};

use crate::{AuthCtx, AuthError};

/// A provider with its secret opened, for the sign-in flow only.
#[derive(Clone)]
pub struct Provider {
    pub view: SsoProvider,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("slug", &self.view.slug)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "p.id, p.slug, p.name, p.kind, p.issuer, p.client_id, p.client_secret, p.scopes, \
    p.enabled, p.create_users, p.allowed_domains, p.role_claim, p.role_map, p.default_role, p.sync_role, \
    p.source, p.created_at, p.updated_at, \
    (SELECT COUNT(*) FROM user_identities i WHERE i.provider_id = p.id) AS linked_users";

fn secret_context(id: &str) -> String {
    format!("sso_provider:{id}")
}

fn from_row(row: &ops_db::AnyRow, key: &MasterKey) -> Result<Provider, AuthError> {
    let id: String = row.try_get("id")?;
    let sealed: Option<String> = row.try_get("client_secret")?;
    let secret = sealed
        .map(|s| key.open(&secret_context(&id), &s))
        .transpose()
        .map_err(|e| AuthError::Internal(format!("client secret of {id}: {e}")))?;
    let domains: String = row.try_get("allowed_domains")?;
    let role_map: String = row.try_get("role_map")?;
    let default_role: String = row.try_get("default_role")?;
    let view = SsoProvider {
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        issuer: row.try_get("issuer")?,
        client_id: row.try_get("client_id")?,
        client_secret_hint: secret.as_deref().map(ops_secrets::hint),
        scopes: row.try_get("scopes")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        create_users: row.try_get::<i64, _>("create_users")? != 0,
        allowed_domains: domains
            .split(',')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        role_claim: row.try_get("role_claim")?,
        role_map: serde_json::from_str(&role_map).unwrap_or_default(),
        default_role: Role::parse(&default_role).unwrap_or(Role::Viewer),
        sync_role: row.try_get::<i64, _>("sync_role")? != 0,
        source: row.try_get("source")?,
        linked_users: row.try_get("linked_users")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        id,
    };
    Ok(Provider {
        view,
        client_secret: secret,
    })
}

async fn select(
    db: &Db,
    key: &MasterKey,
    filter: &str,
    arg: Option<&str>,
) -> Result<Vec<Provider>, AuthError> {
    let sql = format!("SELECT {COLUMNS} FROM sso_providers p {filter} ORDER BY p.name, p.slug");
    let mut q = sqlx::query(&sql);
    if let Some(arg) = arg {
        q = q.bind(arg);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter().map(|r| from_row(r, key)).collect()
}

/// Every provider (console).
pub async fn list(db: &Db, key: &MasterKey, ctx: &AuthCtx) -> Result<Vec<SsoProvider>, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    Ok(select(db, key, "", None)
        .await?
        .into_iter()
        .map(|p| p.view)
        .collect())
}

pub async fn get(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    id: &str,
) -> Result<SsoProvider, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    Ok(by_id(db, key, id).await?.view)
}

pub(crate) async fn by_id(db: &Db, key: &MasterKey, id: &str) -> Result<Provider, AuthError> {
    select(db, key, "WHERE p.id = $1", Some(id))
        .await?
        .pop()
        .ok_or(AuthError::NotFound("provider"))
}

/// An enabled provider by its slug, for the sign-in flow.
pub(crate) async fn enabled_by_slug(
    db: &Db,
    key: &MasterKey,
    slug: &str,
) -> Result<Provider, AuthError> {
    select(db, key, "WHERE p.slug = $1 AND p.enabled = 1", Some(slug))
        .await?
        .pop()
        .ok_or(AuthError::NotFound("provider"))
}

/// The sign-in buttons: enabled providers, for anyone.
pub async fn buttons(db: &Db) -> Result<Vec<SsoButton>, AuthError> {
    let rows = sqlx::query(
        "SELECT slug, name, kind FROM sso_providers WHERE enabled = 1 ORDER BY name, slug",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SsoButton {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
            })
        })
        .collect()
}

/// A checked form: trimmed, lower-cased where it matters, every field within bounds.
fn validated(mut f: SsoProviderForm) -> Result<SsoProviderForm, AuthError> {
    f.slug = f.slug.trim().to_lowercase();
    if f.slug.is_empty()
        || f.slug.len() > 40
        || !f
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(AuthError::invalid(
            "slug",
            "1 to 40 lower-case letters, digits or dashes",
        ));
    }
    f.name = f.name.trim().to_string();
    if f.name.is_empty() || f.name.chars().count() > 60 {
        return Err(AuthError::invalid("name", "1 to 60 characters"));
    }
    if SsoKind::find(&f.kind).is_none() {
        return Err(AuthError::invalid(
            "kind",
            "one of keycloak, google, microsoft, oidc, github",
        ));
    }
    f.issuer = f.issuer.trim().trim_end_matches('/').to_string();
    let scheme_ok = f.issuer.starts_with("https://") || f.issuer.starts_with("http://");
    if !scheme_ok || f.issuer.len() > 300 || f.issuer.contains(['?', '#', ' ']) {
        return Err(AuthError::invalid(
            "issuer",
            "an http(s) address without query or fragment",
        ));
    }
    f.client_id = f.client_id.trim().to_string();
    if f.client_id.is_empty() || f.client_id.len() > 300 {
        return Err(AuthError::invalid("client_id", "enter the client id"));
    }
    if let Some(s) = &f.client_secret
        && s.len() > 1000
    {
        return Err(AuthError::invalid(
            "client_secret",
            "at most 1000 characters",
        ));
    }
    f.scopes = f.scopes.split_whitespace().collect::<Vec<_>>().join(" ");
    if f.scopes.len() > 500 {
        return Err(AuthError::invalid("scopes", "at most 500 characters"));
    }
    let mut domains = Vec::new();
    for d in &f.allowed_domains {
        let d = d.trim().trim_start_matches('@').to_lowercase();
        if d.is_empty() {
            continue;
        }
        if d.len() > 253
            || !d.contains('.')
            || !d
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(AuthError::invalid(
                "allowed_domains",
                format!("`{d}` is not a domain"),
            ));
        }
        domains.push(d);
    }
    f.allowed_domains = domains;
    f.role_claim = f.role_claim.trim().to_string();
    if f.role_claim.len() > 100 {
        return Err(AuthError::invalid("role_claim", "at most 100 characters"));
    }
    if f.role_map.len() > 50
        || f.role_map
            .iter()
            .any(|m| m.value.trim().is_empty() || m.value.len() > 200)
    {
        return Err(AuthError::invalid(
            "role_map",
            "up to 50 mappings, each with a value of 1 to 200 characters",
        ));
    }
    if !f.role_map.is_empty() && f.role_claim.is_empty() {
        return Err(AuthError::invalid(
            "role_claim",
            "name the claim the mappings match",
        ));
    }
    Ok(f)
}

/// Creates a provider from the console.
pub async fn create(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    form: SsoProviderForm,
) -> Result<SsoProvider, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    let form = validated(form)?;
    let id = new_id();
    let mut tx = db.begin().await?;
    write(&mut tx, key, &id, &form, None, "console").await?;
    audit(&mut tx, ctx, "sso.provider_create", &id, &form.slug).await?;
    tx.commit().await?;
    get(db, key, ctx, &id).await
}

/// Changes a provider; a secret that is not sent stays as it was.
pub async fn update(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    id: &str,
    form: SsoProviderForm,
) -> Result<SsoProvider, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    let form = validated(form)?;
    let before = by_id(db, key, id).await?;
    if before.view.source == "config" {
        return Err(AuthError::Conflict(
            "this provider is defined in the config file; change it there".into(),
        ));
    }
    let mut tx = db.begin().await?;
    write(
        &mut tx,
        key,
        id,
        &form,
        before.client_secret.as_deref(),
        "console",
    )
    .await?;
    audit(&mut tx, ctx, "sso.provider_update", id, &form.slug).await?;
    tx.commit().await?;
    get(db, key, ctx, id).await
}

/// Removes a provider and the links to it; people who signed in only through it can then
/// sign in by a password reset.
pub async fn delete(db: &Db, key: &MasterKey, ctx: &AuthCtx, id: &str) -> Result<(), AuthError> {
    ctx.require(Permission::SettingsManage)?;
    let before = by_id(db, key, id).await?;
    if before.view.source == "config" {
        return Err(AuthError::Conflict(
            "this provider is defined in the config file; remove it there".into(),
        ));
    }
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM user_identities WHERE provider_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sso_providers WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, ctx, "sso.provider_delete", id, &before.view.slug).await?;
    tx.commit().await?;
    Ok(())
}

async fn audit(
    tx: &mut Tx,
    ctx: &AuthCtx,
    action: &str,
    id: &str,
    slug: &str,
) -> Result<(), AuthError> {
    record_audit(
        tx,
        AuditRecord {
            target: Some(id),
            target_label: Some(slug),
            ..ctx.audit(action)
        },
    )
    .await?;
    Ok(())
}

/// Inserts or replaces the row `id`. `kept_secret` is used when the form sends none.
async fn write(
    tx: &mut Tx,
    key: &MasterKey,
    id: &str,
    f: &SsoProviderForm,
    kept_secret: Option<&str>,
    source: &str,
) -> Result<(), AuthError> {
    let secret = f
        .client_secret
        .as_deref()
        .or(kept_secret)
        .filter(|s| !s.is_empty());
    let sealed = secret
        .map(|s| key.seal(&secret_context(id), s))
        .transpose()
        .map_err(|e| AuthError::Internal(format!("sealing the client secret: {e}")))?;
    let role_map =
        serde_json::to_string(&f.role_map).map_err(|e| AuthError::Internal(e.to_string()))?;
    let now = now_ms();
    let res = sqlx::query(
        "INSERT INTO sso_providers (id, slug, name, kind, issuer, client_id, client_secret, scopes, enabled, \
         create_users, allowed_domains, role_claim, role_map, default_role, sync_role, source, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) \
         ON CONFLICT (id) DO UPDATE SET slug = $2, name = $3, kind = $4, issuer = $5, client_id = $6, \
         client_secret = $7, scopes = $8, enabled = $9, create_users = $10, allowed_domains = $11, \
         role_claim = $12, role_map = $13, default_role = $14, sync_role = $15, source = $16, updated_at = $17",
    )
    .bind(id)
    .bind(&f.slug)
    .bind(&f.name)
    .bind(&f.kind)
    .bind(&f.issuer)
    .bind(&f.client_id)
    .bind(sealed)
    .bind(&f.scopes)
    .bind(i64::from(f.enabled))
    .bind(i64::from(f.create_users))
    .bind(f.allowed_domains.join(","))
    .bind(&f.role_claim)
    .bind(role_map)
    .bind(f.default_role.as_str())
    .bind(i64::from(f.sync_role))
    .bind(source)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = ops_db::DbError::from(e);
            Err(if e.is_unique_violation() {
                AuthError::invalid("slug", "another provider has this slug")
            } else {
                e.into()
            })
        }
    }
}

/// Makes the providers of the config file match it: each is stored under the id
/// `config:<slug>` (secret sealed like the console's); one removed from the file is switched off and left to the console.
pub async fn sync_from_config(
    db: &Db,
    key: &MasterKey,
    forms: Vec<SsoProviderForm>,
) -> Result<(), AuthError> {
    let mut tx = db.begin().await?;
    let mut ids = Vec::new();
    for form in forms {
        let form = validated(form)?;
        let id = format!("config:{}", form.slug);
        write(&mut tx, key, &id, &form, None, "config").await?;
        ids.push(id);
    }
    let rows = sqlx::query("SELECT id FROM sso_providers WHERE source = 'config'")
        .fetch_all(&mut *tx)
        .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        if !ids.contains(&id) {
            // Gone from the file: switched off and handed to the console, links kept.
            sqlx::query("UPDATE sso_providers SET enabled = 0, source = 'console' WHERE id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The role `claims` earn: the most powerful mapped one, or `None` when none matches.
pub fn mapped_role(map: &[RoleMapping], values: &[String]) -> Option<Role> {
    map.iter()
        .filter(|m| values.iter().any(|v| v == m.value.trim()))
        .map(|m| m.role)
        .min_by_key(|r| Role::ALL.iter().position(|x| x == r))
}

/// Fetches the provider's discovery document and keys now (bypassing the cache) and says
/// what was found, with the redirect URI to register there.
pub async fn check(
    db: &Db,
    key: &MasterKey,
    clients: &super::OidcClients,
    ctx: &AuthCtx,
    id: &str,
    base_url: &str,
) -> Result<SsoCheck, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    let p = by_id(db, key, id).await?;
    let mut out = SsoCheck {
        ok: false,
        message: String::new(),
        authorization_endpoint: None,
        token_endpoint: None,
        end_session_endpoint: None,
        signing_keys: 0,
        redirect_uri: super::redirect_uri(base_url),
    };
    if p.view.kind == "github" {
        let res = clients
            .http()
            .get(&p.view.issuer)
            .header("accept", "application/json")
            .send()
            .await;
        match super::oidc::read_json::<serde_json::Value>(res, &p.view.issuer).await {
            Ok(_) => {
                out.ok = true;
                out.message = "the GitHub API answers".into();
                out.authorization_endpoint = Some(format!(
                    "{}/login/oauth/authorize",
                    super::github::web_base(&p.view.issuer)
                ));
                out.token_endpoint = Some(format!(
                    "{}/login/oauth/access_token",
                    super::github::web_base(&p.view.issuer)
                ));
            }
            Err(e) => out.message = e.to_string(),
        }
        return Ok(out);
    }
    match clients.metadata(&p.view.issuer, true).await {
        Ok(m) => {
            out.ok = true;
            out.message = "discovery document and signing keys loaded".into();
            out.authorization_endpoint = Some(m.authorization_endpoint().as_str().to_string());
            out.token_endpoint = m.token_endpoint().map(|u| u.as_str().to_string());
            out.end_session_endpoint = m.additional_metadata().end_session_endpoint.clone();
            out.signing_keys = m.jwks().keys().len();
        }
        Err(e) => out.message = e.to_string(),
    }
    Ok(out)
}
