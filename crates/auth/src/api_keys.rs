//! API keys: `opc_<key id>_<secret>`. The key id is stored in clear and indexed; the secret
//! only as a SHA-256 hash (it is 256 random bits, so a slow hash adds nothing). The secret
//! is shown once, at creation. Keys may expire; rotating one issues a new secret and lets the
//! old one work through a grace period.

use ops_db::{AuditRecord, Db, Row, new_id, now_ms, record_audit};
use ops_types::{ApiKeyCreated, ApiKeyForCreate, ApiKeyRotate, ApiKeyView, Permission, Role};
use sqlx::any::AnyRow;

use crate::token::{random_hex, same, sha256_hex};
use crate::{AuthCtx, AuthError, AuthMethod};

const PREFIX: &str = "opc_";
/// `last_used_at` is written at most this often per key, to keep reads cheap.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

fn view(r: &AnyRow) -> Result<ApiKeyView, AuthError> {
    let key_id: String = r.try_get("key_id")?;
    let expires_at: Option<i64> = r.try_get("expires_at")?;
    let replaced_by: Option<String> = r.try_get("replaced_by")?;
    Ok(ApiKeyView {
        status: status(expires_at, replaced_by.is_some()),
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        prefix: format!("{PREFIX}{key_id}"),
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        expires_at,
        replaced_by,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        limits: crate::key_limits::limits_of(r)?,
        spent: 0,
        budget_resets_at: None,
    })
}

fn status(expires_at: Option<i64>, replaced: bool) -> String {
    if expires_at.is_some_and(|t| t <= now_ms()) {
        "expired"
    } else if replaced {
        "replaced"
    } else {
        "active"
    }
    .into()
}

const COLUMNS: &str = "id, name, key_id, created_at, last_used_at, expires_at, replaced_by, org_id, \
    allowed_models, budget, budget_period, rpm_limit, tpm_limit, \
    (SELECT o.name FROM orgs o WHERE o.id = api_keys.org_id) AS org_name";

fn check_name(name: &str) -> Result<(), AuthError> {
    if name.is_empty() {
        return Err(AuthError::invalid("name", "give the key a name"));
    }
    if name.chars().count() > 80 {
        return Err(AuthError::invalid("name", "use at most 80 characters"));
    }
    Ok(())
}

/// Inserts a key for `user_id`; answers its view and the full secret.
async fn insert(
    tx: &mut ops_db::Tx,
    user_id: &str,
    name: &str,
    now: i64,
    expires_at: Option<i64>,
    org: Option<(&str, &str)>,
) -> Result<ApiKeyCreated, AuthError> {
    let key_id = random_hex(8)?;
    let secret = random_hex(32)?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO api_keys (id, user_id, name, key_id, secret_hash, created_at, expires_at, org_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(name)
    .bind(&key_id)
    .bind(sha256_hex(&secret))
    .bind(now)
    .bind(expires_at)
    .bind(org.map(|o| o.0))
    .execute(&mut **tx)
    .await?;
    Ok(ApiKeyCreated {
        key: ApiKeyView {
            id,
            name: name.to_string(),
            prefix: format!("{PREFIX}{key_id}"),
            created_at: now,
            last_used_at: None,
            expires_at,
            replaced_by: None,
            status: status(expires_at, false),
            org_id: org.map(|o| o.0.to_string()),
            org_name: org.map(|o| o.1.to_string()),
            limits: Default::default(),
            spent: 0,
            budget_resets_at: None,
        },
        secret: format!("{PREFIX}{key_id}_{secret}"),
    })
}

pub async fn create(
    db: &Db,
    ctx: &AuthCtx,
    input: ApiKeyForCreate,
) -> Result<ApiKeyCreated, AuthError> {
    ctx.require(Permission::AccountWrite)?;
    ctx.not_impersonated("create API keys")?;
    let name = input.name.trim().to_string();
    check_name(&name)?;
    let now = now_ms();
    let expires_at = match input.expires_in_days {
        None => None,
        Some(d) if (1..=3650).contains(&d) => Some(now + d * 86_400_000),
        Some(_) => {
            return Err(AuthError::invalid(
                "expires_in_days",
                "between 1 and 3650 days, or none",
            ));
        }
    };
    let org = match input.org_id.as_deref().filter(|o| !o.is_empty()) {
        Some(org_id) => match crate::orgs::access(db, ctx, org_id).await {
            Ok(a) if a.role.is_some() => Some(a.org),
            _ => {
                return Err(AuthError::invalid(
                    "org_id",
                    "not an organisation you are a member of",
                ));
            }
        },
        None => None,
    };
    let limits = input
        .limits
        .as_ref()
        .map(crate::key_limits::check)
        .transpose()?;
    let mut tx = db.begin().await?;
    let scope = org.as_ref().map(|o| (o.id.as_str(), o.name.as_str()));
    let mut created = insert(&mut tx, &ctx.user_id, &name, now, expires_at, scope).await?;
    if let Some(l) = limits {
        crate::key_limits::store(&mut tx, &created.key.id, &l).await?;
        created.key.limits = l;
    }
    let detail = format!(
        "name={name} prefix={} expires_at={}",
        created.key.prefix,
        expires_at
            .map(|t| t.to_string())
            .unwrap_or_else(|| "never".into())
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&created.key.id),
            target_label: Some(&name),
            detail: Some(&detail),
            ..ctx.audit("api_key.create")
        },
    )
    .await?;
    let notice = crate::notify::Notice::new(
        ops_types::NotificationKind::Account,
        format!("New API key \"{name}\""),
        format!(
            "The API key {} was created for your account. If this was not you, revoke it.",
            created.key.prefix
        ),
    )
    .link("/account/api-keys");
    crate::notify::queue(&mut tx, &ctx.user_id, notice).await?;
    tx.commit().await?;
    Ok(created)
}

/// A new secret for one of the caller's keys. The new key has the same name and lifetime;
/// the old one keeps working for `grace_minutes` (0: it stops now), then ends by itself.
pub async fn rotate(
    db: &Db,
    ctx: &AuthCtx,
    id: &str,
    input: ApiKeyRotate,
) -> Result<ApiKeyCreated, AuthError> {
    ctx.require(Permission::AccountWrite)?;
    ctx.not_impersonated("rotate API keys")?;
    if !(0..=10_080).contains(&input.grace_minutes) {
        return Err(AuthError::invalid(
            "grace_minutes",
            "between 0 and 10080 (a week)",
        ));
    }
    let now = now_ms();
    let old = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL \
         AND replaced_by IS NULL AND (expires_at IS NULL OR expires_at > $3)"
    ))
    .bind(id)
    .bind(&ctx.user_id)
    .bind(now)
    .fetch_optional(db.pool())
    .await?
    .ok_or(AuthError::NotFound("API key"))?;
    let old = view(&old)?;
    let lifetime = old.expires_at.map(|e| e - old.created_at);
    let mut tx = db.begin().await?;
    let scope = old
        .org_id
        .as_deref()
        .map(|id| (id, old.org_name.as_deref().unwrap_or("")));
    let mut created = insert(
        &mut tx,
        &ctx.user_id,
        &old.name,
        now,
        lifetime.map(|l| now + l),
        scope,
    )
    .await?;
    crate::key_limits::store(&mut tx, &created.key.id, &old.limits).await?;
    created.key.limits = old.limits.clone();
    let grace_end = now + input.grace_minutes * 60_000;
    let old_end = old.expires_at.map_or(grace_end, |e| e.min(grace_end));
    // Only one rotation wins if two race: the second finds `replaced_by` set.
    let res = sqlx::query(
        "UPDATE api_keys SET replaced_by = $2, expires_at = $3, revoked_at = $4 \
         WHERE id = $1 AND replaced_by IS NULL",
    )
    .bind(id)
    .bind(&created.key.id)
    .bind(old_end)
    .bind((input.grace_minutes == 0).then_some(now))
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AuthError::NotFound("API key"));
    }
    let detail = format!(
        "grace_minutes={} new={}",
        input.grace_minutes, created.key.prefix
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(id),
            target_label: Some(&old.name),
            detail: Some(&detail),
            ..ctx.audit("api_key.rotate")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// The caller's live keys, newest first.
pub async fn list(db: &Db, ctx: &AuthCtx) -> Result<Vec<ApiKeyView>, AuthError> {
    ctx.require(Permission::AccountRead)?;
    keys_of(db, &ctx.user_id).await
}

/// A user's live keys, for an administrator.
pub async fn list_for_user(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
) -> Result<Vec<ApiKeyView>, AuthError> {
    ctx.require(Permission::UsersRead)?;
    crate::admin::query::find(db, user_id).await?;
    keys_of(db, user_id).await
}

async fn keys_of(db: &Db, user_id: &str) -> Result<Vec<ApiKeyView>, AuthError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_keys \
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let mut views = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
    crate::key_limits::with_spend(db, &mut views).await?;
    Ok(views)
}

/// Revokes one of the caller's keys. Someone else's key is "not found", not "forbidden",
/// so ids cannot be probed.
pub async fn revoke(db: &Db, ctx: &AuthCtx, id: &str) -> Result<(), AuthError> {
    ctx.require(Permission::AccountWrite)?;
    revoke_of(db, ctx, &ctx.user_id, id, "api_key.revoke").await
}

/// An administrator revokes one of a user's keys.
pub async fn revoke_for_user(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
    id: &str,
) -> Result<(), AuthError> {
    ctx.require(Permission::UsersManage)?;
    revoke_of(db, ctx, user_id, id, "api_key.admin_revoke").await
}

async fn revoke_of(
    db: &Db,
    ctx: &AuthCtx,
    owner: &str,
    id: &str,
    action: &str,
) -> Result<(), AuthError> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL \
         RETURNING name",
    )
    .bind(now_ms())
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AuthError::NotFound("API key"))?;
    let name: String = row.try_get("name")?;
    let detail = format!("owner={owner}");
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(id),
            target_label: Some(&name),
            detail: Some(&detail),
            ..ctx.audit(action)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves `Authorization: Bearer <key>` to its owner.
pub async fn authenticate(db: &Db, bearer: &str, ip: Option<&str>) -> Result<AuthCtx, AuthError> {
    let (key_id, secret) = parse(bearer).ok_or(AuthError::InvalidApiKey)?;
    let row = sqlx::query(
        "SELECT k.id AS kid, k.secret_hash, k.last_used_at, u.id AS uid, u.email, u.display_name, u.role \
         FROM api_keys k JOIN users u ON u.id = k.user_id \
         WHERE k.key_id = $1 AND k.revoked_at IS NULL AND u.disabled = 0 \
         AND (k.expires_at IS NULL OR k.expires_at > $2)",
    )
    .bind(key_id)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?
    .ok_or(AuthError::InvalidApiKey)?;
    let hash: String = row.try_get("secret_hash")?;
    if !same(&hash, &sha256_hex(secret)) {
        return Err(AuthError::InvalidApiKey);
    }
    let now = now_ms();
    let last: Option<i64> = row.try_get("last_used_at")?;
    let kid: String = row.try_get("kid")?;
    if last.is_none_or(|t| now - t >= LAST_USED_GRANULARITY_MS) {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&kid)
            .execute(db.pool())
            .await?;
    }
    let role: String = row.try_get("role")?;
    Ok(AuthCtx {
        user_id: row.try_get("uid")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| AuthError::Internal(format!("unknown role {role}")))?,
        method: AuthMethod::ApiKey {
            key_id: key_id.to_string(),
        },
        ip: ip.map(str::to_string),
        impersonation: None,
        mfa_missing: false,
    })
}

/// `opc_<16 hex>_<64 hex>` → (key id, secret).
pub fn parse(bearer: &str) -> Option<(&str, &str)> {
    let rest = bearer.strip_prefix(PREFIX)?;
    let (key_id, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(key_id, 16) && hex(secret, 64)).then_some((key_id, secret))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_only_well_formed_keys() {
        let good = format!("opc_{}_{}", "a".repeat(16), "b".repeat(64));
        assert_eq!(
            parse(&good),
            Some(("aaaaaaaaaaaaaaaa", &"b".repeat(64)[..]))
        );
        assert_eq!(parse("opc_short_x"), None);
        assert_eq!(parse(&good.replace("opc_", "sk_")), None);
        assert_eq!(parse(&format!("{good}0")), None);
    }
}
