//! Managing one's own provider keys: list, save (after a probe), test, policy, delete, stats.

use std::time::Duration;

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Row, new_id, now_ms, record_audit};
use ops_types::{
    ApiError, BYOK_POLICIES, BYOK_PROVIDERS, ByokKey, ByokKeyForSave, ByokProvider, ByokStat,
    ErrorCode, LlmProviderTest, OwnerKind, Permission,
};

use super::{CONTEXT, kind_name, label};
use crate::Gateway;
use crate::admin::internal;
use crate::catalogue::{Kind, Provider};
use crate::meter::Owner;

/// Whose keys: the caller's, or an organisation's they manage billing of.
async fn owner(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    write: bool,
) -> Result<Owner, ApiError> {
    if write {
        ctx.require(Permission::AccountWrite)?;
        ctx.not_impersonated("change provider keys")?;
    }
    ops_billing::account::readable(&gw.db, ctx, None, org_id)
        .await
        .map_err(ApiError::from)
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

/// `GET /api/v1/byok/providers`.
pub fn providers(gw: &Gateway) -> Vec<ByokProvider> {
    let cat = gw.catalogue();
    BYOK_PROVIDERS
        .iter()
        .map(|(p, l)| ByokProvider {
            provider: (*p).into(),
            label: (*l).into(),
            served: cat
                .models
                .iter()
                .flat_map(|m| &m.deployments)
                .any(|d| kind_name(d.provider.kind) == *p),
        })
        .collect()
}

/// `GET /api/v1/byok/keys`.
pub async fn list(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
) -> Result<Vec<ByokKey>, ApiError> {
    let owner = owner(gw, ctx, org_id, false).await?;
    let rows = sqlx::query(
        "SELECT provider, key_hint, policy, status, last_error, last_error_at, created_at, updated_at \
         FROM byok_keys WHERE owner_kind = $1 AND owner_id = $2 ORDER BY provider",
    )
    .bind(owner.0.as_str())
    .bind(&owner.1)
    .fetch_all(gw.db.pool())
    .await
    .map_err(internal)?;
    rows.iter()
        .map(|r| -> Result<ByokKey, sqlx::Error> {
            let provider: String = r.try_get("provider")?;
            Ok(ByokKey {
                label: label(&provider),
                provider,
                key_hint: r.try_get("key_hint")?,
                policy: r.try_get("policy")?,
                status: r.try_get("status")?,
                last_error: r.try_get("last_error")?,
                last_error_at: r.try_get("last_error_at")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(internal)
}

/// Where keys for `provider` are tried: the platform's provider of that kind, or its public API.
fn probe_target(gw: &Gateway, provider: &str, key: &str) -> Option<Provider> {
    let kind = Kind::parse(provider)?;
    let cat = gw.catalogue();
    let platform = cat
        .models
        .iter()
        .flat_map(|m| &m.deployments)
        .find(|d| d.provider.kind == kind)
        .map(|d| d.provider.clone());
    Some(Provider {
        id: String::new(),
        name: label(provider),
        kind,
        base_url: match &platform {
            Some(p) => p.base_url.clone(),
            None => kind.default_base()?.to_string(),
        },
        api_key: Some(key.to_string()),
        api_version: platform.as_ref().and_then(|p| p.api_version.clone()),
        connect_timeout: Duration::from_secs(5),
        first_byte_timeout: Duration::from_secs(20),
        total_timeout: Duration::from_secs(20),
    })
}

fn check_policy(policy: &str) -> Result<(), ApiError> {
    if BYOK_POLICIES.iter().any(|p| p.0 == policy) {
        Ok(())
    } else {
        Err(invalid("policy", "prioritized, fallback or always"))
    }
}

async fn audit(
    tx: &mut ops_db::Tx,
    ctx: &AuthCtx,
    action: &str,
    owner: &Owner,
    detail: &str,
) -> Result<(), ApiError> {
    record_audit(
        tx,
        AuditRecord {
            target: Some(&owner.1),
            detail: Some(detail),
            org_id: (owner.0 == OwnerKind::Org).then_some(owner.1.as_str()),
            ..ctx.audit(action)
        },
    )
    .await
    .map_err(internal)
}

/// `POST /api/v1/byok/keys/add`: tries the key, then keeps it (replacing one for the same
/// provider).
pub async fn save(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    input: &ByokKeyForSave,
) -> Result<ByokKey, ApiError> {
    let owner = owner(gw, ctx, org_id, true).await?;
    if !BYOK_PROVIDERS.iter().any(|p| p.0 == input.provider) {
        return Err(invalid(
            "provider",
            "openai, anthropic, gemini or openrouter",
        ));
    }
    let key = input.api_key.trim();
    if key.is_empty() || key.len() > 4096 || key.chars().any(char::is_whitespace) {
        return Err(invalid("api_key", "paste the whole key, without spaces"));
    }
    let policy = input.policy.clone().unwrap_or_else(|| "prioritized".into());
    check_policy(&policy)?;
    let target = probe_target(gw, &input.provider, key)
        .ok_or_else(|| invalid("provider", "unknown provider"))?;
    let probe = crate::admin::probe(gw, &target).await;
    if !probe.ok {
        return Err(invalid(
            "api_key",
            format!(
                "{} did not accept this key: {}",
                target.name,
                probe.error.unwrap_or_default()
            ),
        ));
    }
    let sealed = gw.secrets.seal(CONTEXT, key).map_err(internal)?;
    let now = now_ms();
    let mut tx = gw.db.begin().await.map_err(internal)?;
    sqlx::query(
        "INSERT INTO byok_keys (id, owner_kind, owner_id, provider, key_sealed, key_hint, policy, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'ok', $8, $8) ON CONFLICT (owner_kind, owner_id, provider) DO UPDATE SET \
         key_sealed = excluded.key_sealed, key_hint = excluded.key_hint, policy = excluded.policy, status = 'ok', \
         last_error = NULL, last_error_at = NULL, updated_at = excluded.updated_at",
    )
    .bind(new_id())
    .bind(owner.0.as_str())
    .bind(&owner.1)
    .bind(&input.provider)
    .bind(sealed)
    .bind(ops_secrets::hint(key))
    .bind(&policy)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let detail = format!("provider={} policy={policy}", input.provider);
    audit(&mut tx, ctx, "byok.save", &owner, &detail).await?;
    tx.commit().await.map_err(internal)?;
    gw.byok.forget(&owner);
    find(gw, ctx, org_id, &input.provider).await
}

async fn find(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    provider: &str,
) -> Result<ByokKey, ApiError> {
    list(gw, ctx, org_id)
        .await?
        .into_iter()
        .find(|k| k.provider == provider)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no key stored for this provider"))
}

/// `POST /api/v1/byok/keys/test/{provider}`: tries the stored key again.
pub async fn test(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    provider: &str,
) -> Result<LlmProviderTest, ApiError> {
    let owner = owner(gw, ctx, org_id, false).await?;
    find(gw, ctx, org_id, provider).await?;
    let keys = gw.byok.of(gw, &owner).await?;
    let own = keys
        .iter()
        .find(|k| k.provider == provider)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no key stored for this provider"))?;
    let target = probe_target(gw, provider, &own.key)
        .ok_or_else(|| invalid("provider", "unknown provider"))?;
    let probe = crate::admin::probe(gw, &target).await;
    gw.byok.report(
        gw,
        &owner,
        own,
        (!probe.ok).then(|| probe.error.clone().unwrap_or_default()),
    );
    Ok(probe)
}

/// `PUT /api/v1/byok/keys/{provider}/policy`.
pub async fn set_policy(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    provider: &str,
    policy: &str,
) -> Result<ByokKey, ApiError> {
    let owner = owner(gw, ctx, org_id, true).await?;
    check_policy(policy)?;
    let sql = "UPDATE byok_keys SET policy = $4, updated_at = $5 WHERE owner_kind = $1 AND owner_id = $2 AND provider = $3";
    let detail = format!("provider={provider} policy={policy}");
    change(
        gw,
        ctx,
        &owner,
        (provider, Some(policy)),
        sql,
        ("byok.policy", &detail),
    )
    .await?;
    find(gw, ctx, org_id, provider).await
}

/// `DELETE /api/v1/byok/keys/{provider}`.
pub async fn delete(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    provider: &str,
) -> Result<(), ApiError> {
    let owner = owner(gw, ctx, org_id, true).await?;
    let sql = "DELETE FROM byok_keys WHERE owner_kind = $1 AND owner_id = $2 AND provider = $3";
    let detail = format!("provider={provider}");
    change(
        gw,
        ctx,
        &owner,
        (provider, None),
        sql,
        ("byok.delete", &detail),
    )
    .await
}

/// Runs `sql` on the owner's key for `provider` (`$1`–`$3`: owner kind, owner, provider; with a
/// policy, `$4` and `$5`: the policy and now), audited; 404 when there is no such key.
async fn change(
    gw: &Gateway,
    ctx: &AuthCtx,
    owner: &Owner,
    (provider, policy): (&str, Option<&str>),
    sql: &str,
    (action, detail): (&str, &str),
) -> Result<(), ApiError> {
    let mut tx = gw.db.begin().await.map_err(internal)?;
    let mut q = sqlx::query(sql)
        .bind(owner.0.as_str())
        .bind(&owner.1)
        .bind(provider);
    if let Some(p) = policy {
        q = q.bind(p).bind(now_ms());
    }
    let n = q.execute(&mut *tx).await.map_err(internal)?.rows_affected();
    if n == 0 {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "no key stored for this provider",
        ));
    }
    audit(&mut tx, ctx, action, owner, detail).await?;
    tx.commit().await.map_err(internal)?;
    gw.byok.forget(owner);
    Ok(())
}

/// `GET /api/v1/byok/stats`: requests served by one's own keys, per provider, all time.
pub async fn stats(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
) -> Result<Vec<ByokStat>, ApiError> {
    let owner = owner(gw, ctx, org_id, false).await?;
    let rows = sqlx::query(
        "SELECT provider, CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(input_tokens) AS BIGINT) AS input_tokens, \
         CAST(SUM(output_tokens) AS BIGINT) AS output_tokens, CAST(SUM(list_cost) AS BIGINT) AS list_cost, \
         CAST(SUM(cost) AS BIGINT) AS cost FROM llm_daily \
         WHERE owner_kind = $1 AND owner_id = $2 AND credential = 'byok' GROUP BY provider ORDER BY provider",
    )
    .bind(owner.0.as_str())
    .bind(&owner.1)
    .fetch_all(gw.db.pool())
    .await
    .map_err(internal)?;
    rows.iter()
        .map(|r| -> Result<ByokStat, sqlx::Error> {
            Ok(ByokStat {
                provider: r.try_get("provider")?,
                requests: r.try_get("requests")?,
                input_tokens: r.try_get("input_tokens")?,
                output_tokens: r.try_get("output_tokens")?,
                list_cost: r.try_get("list_cost")?,
                charged: r.try_get("cost")?,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(internal)
}
