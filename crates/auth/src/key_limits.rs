//! API keys as the AI gateway sees them: each key's limits (models it may call, a budget per
//! UTC day, week or month, requests and tokens per minute), set by the key's owner, and the
//! record the gateway caches to check keys without reading the database on every request.

use ops_db::{AnyConnection, AuditRecord, Db, Row, now_ms, record_audit};
use ops_types::{ApiKeyLimits, ApiKeyView, MAX_AMOUNT, Permission, Role, budget_window};
use sqlx::any::AnyRow;

use crate::token::{same, sha256_hex};
use crate::{AuthCtx, AuthError};

/// The limit columns, as `view` and [`limits_of`] read them.
pub(crate) const COLUMNS: &str = "allowed_models, budget, budget_period, rpm_limit, tpm_limit";

pub(crate) fn limits_of(r: &AnyRow) -> Result<ApiKeyLimits, AuthError> {
    let models: Option<String> = r.try_get("allowed_models")?;
    Ok(ApiKeyLimits {
        allowed_models: models.and_then(|m| serde_json::from_str(&m).ok()),
        budget: r.try_get("budget")?,
        budget_period: r.try_get("budget_period")?,
        rpm_limit: r.try_get("rpm_limit")?,
        tpm_limit: r.try_get("tpm_limit")?,
    })
}

/// Checks limits as a key's owner sent them; answers them tidied (empty lists and zero-less
/// fields kept as sent, a budget period only with a budget).
pub fn check(l: &ApiKeyLimits) -> Result<ApiKeyLimits, AuthError> {
    let mut out = l.clone();
    if let Some(models) = &mut out.allowed_models {
        models.iter_mut().for_each(|m| *m = m.trim().to_string());
        models.retain(|m| !m.is_empty());
        models.sort();
        models.dedup();
        if models.len() > 100 || models.iter().any(|m| m.len() > 200) {
            return Err(AuthError::invalid(
                "allowed_models",
                "at most 100 model names",
            ));
        }
    }
    match (out.budget, out.budget_period.as_deref()) {
        (None, _) => out.budget_period = None,
        (Some(b), _) if !(1..=MAX_AMOUNT).contains(&b) => {
            return Err(AuthError::invalid(
                "budget",
                "a positive amount in micro-units",
            ));
        }
        (Some(_), Some("day" | "week" | "month")) => {}
        (Some(_), _) => {
            return Err(AuthError::invalid("budget_period", "day, week or month"));
        }
    }
    if out.rpm_limit.is_some_and(|r| !(1..=1_000_000).contains(&r)) {
        return Err(AuthError::invalid(
            "rpm_limit",
            "from 1 to 1,000,000 requests a minute",
        ));
    }
    if out
        .tpm_limit
        .is_some_and(|t| !(1..=2_000_000_000).contains(&t))
    {
        return Err(AuthError::invalid(
            "tpm_limit",
            "a positive number of tokens a minute",
        ));
    }
    Ok(out)
}

/// Writes `l` on key `id`.
pub(crate) async fn store(
    conn: &mut AnyConnection,
    id: &str,
    l: &ApiKeyLimits,
) -> Result<(), AuthError> {
    sqlx::query(
        "UPDATE api_keys SET allowed_models = $2, budget = $3, budget_period = $4, rpm_limit = $5, \
         tpm_limit = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(
        l.allowed_models
            .as_ref()
            .map(|m| serde_json::to_string(m).unwrap_or_default()),
    )
    .bind(l.budget)
    .bind(l.budget_period.clone())
    .bind(l.rpm_limit)
    .bind(l.tpm_limit)
    .execute(conn)
    .await?;
    Ok(())
}

/// What key `key_id` spent through the gateway in the window `(start, end)` (daily rollups).
pub async fn spent(db: &Db, key_id: &str, window: (i64, i64)) -> Result<i64, AuthError> {
    let mut conn = db.pool().acquire().await?;
    spent_in(&mut conn, key_id, window).await
}

/// [`spent`], read in the caller's transaction.
pub async fn spent_in(
    conn: &mut ops_db::AnyConnection,
    key_id: &str,
    window: (i64, i64),
) -> Result<i64, AuthError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) FROM llm_daily WHERE key_id = $1 AND day >= $2 AND day < $3",
    )
    .bind(key_id)
    .bind(ops_types::date_of_ms(window.0))
    .bind(ops_types::date_of_ms(window.1))
    .fetch_one(&mut *conn)
    .await?;
    Ok(n)
}

/// Fills in each view's spend this budget period (today's without a budget).
pub(crate) async fn with_spend(db: &Db, views: &mut [ApiKeyView]) -> Result<(), AuthError> {
    let now = now_ms();
    for v in views {
        let period = v.limits.budget_period.as_deref().unwrap_or("day");
        let Some(window) = budget_window(period, now) else {
            continue;
        };
        let key_id = v.prefix.trim_start_matches("opc_");
        v.spent = spent(db, key_id, window).await?;
        v.budget_resets_at = v.limits.budget.map(|_| window.1);
    }
    Ok(())
}

/// `PUT /api/v1/api-keys/{id}/limits`: the owner sets what one of their keys may do.
pub async fn set(
    db: &Db,
    ctx: &AuthCtx,
    id: &str,
    input: &ApiKeyLimits,
) -> Result<ApiKeyView, AuthError> {
    ctx.require(Permission::AccountWrite)?;
    let limits = check(input)?;
    let mut tx = db.begin().await?;
    let found = sqlx::query(
        "UPDATE api_keys SET name = name WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(&ctx.user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if found != 1 {
        return Err(AuthError::NotFound("API key"));
    }
    store(&mut tx, id, &limits).await?;
    let detail = format!(
        "models={} budget={:?}/{} rpm={:?} tpm={:?}",
        limits
            .allowed_models
            .as_ref()
            .map_or("all".into(), |m| m.join(",")),
        limits.budget,
        limits.budget_period.as_deref().unwrap_or("-"),
        limits.rpm_limit,
        limits.tpm_limit
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(id),
            detail: Some(&detail),
            ..ctx.audit("api_key.limits")
        },
    )
    .await?;
    tx.commit().await?;
    crate::api_keys::list(db, ctx)
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or(AuthError::NotFound("API key"))
}

/// A key as the gateway checks it: cached for a few seconds, so the hot path does not read
/// the database on every request.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub id: String,
    pub key_id: String,
    secret_hash: String,
    pub user_id: String,
    pub role: Role,
    pub org_id: Option<String>,
    pub expires_at: Option<i64>,
    pub limits: ApiKeyLimits,
}

impl KeyRecord {
    /// Whether `secret` is this key's secret (constant time).
    pub fn matches(&self, secret: &str) -> bool {
        same(&self.secret_hash, &sha256_hex(secret))
    }
}

/// The live (not revoked, owner not disabled) key with this public id.
pub async fn record(db: &Db, key_id: &str) -> Result<Option<KeyRecord>, AuthError> {
    let row = sqlx::query(&format!(
        "SELECT k.id, k.secret_hash, k.expires_at, k.org_id, u.id AS uid, u.role, {COLUMNS} \
         FROM api_keys k JOIN users u ON u.id = k.user_id \
         WHERE k.key_id = $1 AND k.revoked_at IS NULL AND u.disabled = 0"
    ))
    .bind(key_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get("role")?;
    Ok(Some(KeyRecord {
        id: row.try_get("id")?,
        key_id: key_id.to_string(),
        secret_hash: row.try_get("secret_hash")?,
        user_id: row.try_get("uid")?,
        role: Role::parse(&role)
            .ok_or_else(|| AuthError::Internal(format!("unknown role {role}")))?,
        org_id: row.try_get("org_id")?,
        expires_at: row.try_get("expires_at")?,
        limits: limits_of(&row)?,
    }))
}

/// Marks keys as used now (the gateway batches this).
pub async fn touch(conn: &mut AnyConnection, ids: &[&str], now: i64) -> Result<(), AuthError> {
    for id in ids {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
