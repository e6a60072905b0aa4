//! Providers in the console: list, create, update, delete, test. Keys are sealed with the
//! master key before they are stored and never leave the server (a masked hint only); every
//! change is audited (without the key) and reloads the catalogue.

use std::time::Instant;

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Row, new_id, now_ms, record_audit};
use ops_types::{
    ApiError, ErrorCode, LlmProvider, LlmProviderForSave, LlmProviderTest, PROVIDER_KINDS,
    Permission,
};

use crate::Gateway;
use crate::catalogue::{KEY_CONTEXT, Kind, Provider};
use crate::client::{Call, Failure, Target};

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "gateway admin");
    ApiError::internal()
}

const COLUMNS: &str = "id, name, kind, base_url, key_hint, api_version, enabled, connect_timeout_ms, \
    first_byte_timeout_ms, total_timeout_ms, created_at, updated_at, \
    (SELECT COUNT(*) FROM llm_deployments d WHERE d.provider_id = llm_providers.id) AS deployments";

fn view(r: &ops_db::AnyRow) -> Result<LlmProvider, sqlx::Error> {
    let enabled: i32 = r.try_get("enabled")?;
    let ms = |c: &str| -> Result<i64, sqlx::Error> { Ok(i64::from(r.try_get::<i32, _>(c)?)) };
    Ok(LlmProvider {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        base_url: r.try_get("base_url")?,
        key_hint: r.try_get("key_hint")?,
        api_version: r.try_get("api_version")?,
        enabled: enabled != 0,
        connect_timeout_ms: ms("connect_timeout_ms")?,
        first_byte_timeout_ms: ms("first_byte_timeout_ms")?,
        total_timeout_ms: ms("total_timeout_ms")?,
        deployments: r.try_get("deployments")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn list(gw: &Gateway, ctx: &AuthCtx) -> Result<Vec<LlmProvider>, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM llm_providers ORDER BY name"
    ))
    .fetch_all(gw.db.pool())
    .await
    .map_err(internal)?;
    rows.iter()
        .map(view)
        .collect::<Result<_, _>>()
        .map_err(internal)
}

async fn get(gw: &Gateway, id: &str) -> Result<LlmProvider, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM llm_providers WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(gw.db.pool())
    .await
    .map_err(internal)?
    .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "provider not found"))?;
    view(&row).map_err(internal)
}

/// A checked form: (name, kind, base URL, timeouts).
struct Checked {
    name: String,
    kind: String,
    base_url: String,
    timeouts: [i64; 3],
}

fn check(input: &LlmProviderForSave) -> Result<Checked, ApiError> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(invalid("name", "1 to 80 characters"));
    }
    let kind = Kind::parse(&input.kind).ok_or_else(|| {
        let kinds: Vec<&str> = PROVIDER_KINDS.iter().map(|k| k.0).collect();
        invalid("kind", format!("one of {}", kinds.join(", ")))
    })?;
    let base_url = match input
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => kind
            .default_base()
            .ok_or_else(|| invalid("base_url", "this kind of provider needs its URL"))?
            .to_string(),
    };
    if !(base_url.starts_with("http://") || base_url.starts_with("https://"))
        || base_url.len() > 500
        || base_url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid("base_url", "an http:// or https:// URL"));
    }
    if input.api_key.as_ref().is_some_and(|k| k.len() > 4096) {
        return Err(invalid("api_key", "at most 4096 characters"));
    }
    let t = |v: Option<i64>, d: i64, field: &str| match v {
        None => Ok(d),
        Some(ms) if (100..=3_600_000).contains(&ms) => Ok(ms),
        Some(_) => Err(invalid(field, "from 100 ms to one hour")),
    };
    Ok(Checked {
        name,
        kind: input.kind.clone(),
        base_url,
        timeouts: [
            t(input.connect_timeout_ms, 5_000, "connect_timeout_ms")?,
            t(input.first_byte_timeout_ms, 60_000, "first_byte_timeout_ms")?,
            t(input.total_timeout_ms, 600_000, "total_timeout_ms")?,
        ],
    })
}

fn conflict(e: sqlx::Error) -> ApiError {
    if ops_db::DbError::from(e).is_unique_violation() {
        invalid("name", "another provider has this name")
    } else {
        ApiError::internal()
    }
}

pub async fn create(
    gw: &Gateway,
    ctx: &AuthCtx,
    input: &LlmProviderForSave,
) -> Result<LlmProvider, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    let c = check(input)?;
    let key = input
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let sealed = key
        .map(|k| gw.secrets.seal(KEY_CONTEXT, k))
        .transpose()
        .map_err(internal)?;
    let id = new_id();
    let now = now_ms();
    let mut tx = gw.db.begin().await.map_err(internal)?;
    sqlx::query(
        "INSERT INTO llm_providers (id, name, kind, base_url, api_key_sealed, key_hint, api_version, enabled, \
         connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.base_url)
    .bind(sealed)
    .bind(key.map(ops_secrets::hint))
    .bind(input.api_version.clone().filter(|v| !v.trim().is_empty()))
    .bind(i32::from(input.enabled))
    .bind(c.timeouts[0] as i32)
    .bind(c.timeouts[1] as i32)
    .bind(c.timeouts[2] as i32)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(conflict)?;
    let detail = format!(
        "kind={} base_url={} key={}",
        c.kind,
        c.base_url,
        key.is_some()
    );
    audit(&mut tx, ctx, "llm_provider.create", &id, &c.name, &detail).await?;
    tx.commit().await.map_err(internal)?;
    gw.reload().await.map_err(internal)?;
    get(gw, &id).await
}

async fn audit(
    tx: &mut ops_db::Tx,
    ctx: &AuthCtx,
    action: &str,
    id: &str,
    name: &str,
    detail: &str,
) -> Result<(), ApiError> {
    record_audit(
        tx,
        AuditRecord {
            target: Some(id),
            target_label: Some(name),
            detail: Some(detail),
            ..ctx.audit(action)
        },
    )
    .await
    .map_err(internal)
}

pub async fn update(
    gw: &Gateway,
    ctx: &AuthCtx,
    id: &str,
    input: &LlmProviderForSave,
) -> Result<LlmProvider, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    let c = check(input)?;
    get(gw, id).await?;
    let key = input
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let mut tx = gw.db.begin().await.map_err(internal)?;
    sqlx::query(
        "UPDATE llm_providers SET name = $2, kind = $3, base_url = $4, api_version = $5, enabled = $6, \
         connect_timeout_ms = $7, first_byte_timeout_ms = $8, total_timeout_ms = $9, updated_at = $10 WHERE id = $1",
    )
    .bind(id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.base_url)
    .bind(input.api_version.clone().filter(|v| !v.trim().is_empty()))
    .bind(i32::from(input.enabled))
    .bind(c.timeouts[0] as i32)
    .bind(c.timeouts[1] as i32)
    .bind(c.timeouts[2] as i32)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(conflict)?;
    let key_change = if let Some(k) = key {
        let sealed = gw.secrets.seal(KEY_CONTEXT, k).map_err(internal)?;
        sqlx::query("UPDATE llm_providers SET api_key_sealed = $2, key_hint = $3 WHERE id = $1")
            .bind(id)
            .bind(sealed)
            .bind(ops_secrets::hint(k))
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        "replaced"
    } else if input.clear_key {
        sqlx::query(
            "UPDATE llm_providers SET api_key_sealed = NULL, key_hint = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        "removed"
    } else {
        "kept"
    };
    let detail = format!(
        "kind={} base_url={} enabled={} key={key_change}",
        c.kind, c.base_url, input.enabled
    );
    audit(&mut tx, ctx, "llm_provider.update", id, &c.name, &detail).await?;
    tx.commit().await.map_err(internal)?;
    gw.reload().await.map_err(internal)?;
    get(gw, id).await
}

pub async fn delete(gw: &Gateway, ctx: &AuthCtx, id: &str) -> Result<(), ApiError> {
    ctx.require(Permission::GatewayManage)?;
    let p = get(gw, id).await?;
    let mut tx = gw.db.begin().await.map_err(internal)?;
    sqlx::query("DELETE FROM llm_deployments WHERE provider_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    sqlx::query("DELETE FROM llm_providers WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let detail = format!("deployments removed={}", p.deployments);
    audit(&mut tx, ctx, "llm_provider.delete", id, &p.name, &detail).await?;
    tx.commit().await.map_err(internal)?;
    gw.reload().await.map_err(internal)
}

/// Asks the provider for its models with the stored key.
pub async fn test(gw: &Gateway, ctx: &AuthCtx, id: &str) -> Result<LlmProviderTest, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    get(gw, id).await?;
    let row = sqlx::query(
        "SELECT name, kind, base_url, api_key_sealed, api_version, connect_timeout_ms, first_byte_timeout_ms \
         FROM llm_providers WHERE id = $1",
    )
    .bind(id)
    .fetch_one(gw.db.pool())
    .await
    .map_err(internal)?;
    let sealed: Option<String> = row.try_get("api_key_sealed").map_err(internal)?;
    let kind: String = row.try_get("kind").map_err(internal)?;
    let ms = |c: &str| -> Result<std::time::Duration, ApiError> {
        let v: i32 = row.try_get(c).map_err(internal)?;
        Ok(std::time::Duration::from_millis(v.max(1) as u64))
    };
    let p = Provider {
        id: id.to_string(),
        name: row.try_get("name").map_err(internal)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Compatible),
        base_url: row.try_get("base_url").map_err(internal)?,
        api_key: sealed
            .map(|s| gw.secrets.open(KEY_CONTEXT, &s))
            .transpose()
            .map_err(internal)?,
        api_version: row.try_get("api_version").map_err(internal)?,
        connect_timeout: ms("connect_timeout_ms")?,
        first_byte_timeout: ms("first_byte_timeout_ms")?,
        total_timeout: ms("first_byte_timeout_ms")?,
    };
    Ok(probe(gw, &p).await)
}

/// Lists the provider's models with its key: whether it answers and accepts the key.
pub(crate) async fn probe(gw: &Gateway, p: &Provider) -> LlmProviderTest {
    #[derive(serde::Deserialize)]
    struct Item {
        id: String,
    }
    #[derive(serde::Deserialize)]
    struct List {
        data: Vec<Item>,
    }
    let started = Instant::now();
    let failed = |status: Option<u16>, error: String| LlmProviderTest {
        ok: false,
        status,
        latency_ms: started.elapsed().as_millis() as i64,
        models: Vec::new(),
        error: Some(error),
    };
    let url = crate::upstream::models_url(p);
    let Some(target) = Target::parse(&url) else {
        return failed(None, format!("`{url}` is not an http or https URL"));
    };
    let headers = match crate::upstream::headers(p) {
        Ok(h) => h,
        Err(f) => return failed(None, f.to_string()),
    };
    let call = Call {
        method: http::Method::GET,
        target: &target,
        headers,
        body: bytes::Bytes::new(),
        connect: p.connect_timeout,
        first_byte: p.first_byte_timeout,
        total: p.total_timeout,
    };
    let res = match gw.client.send(call).await {
        Ok(r) => r,
        Err(Failure::Connect(why)) => {
            return failed(None, format!("could not connect to {}: {why}", p.base_url));
        }
        Err(f) => return failed(None, f.to_string()),
    };
    let status = res.status;
    let bytes = match res.body.bytes().await {
        Ok(b) => b,
        Err(f) => return failed(Some(status), f.to_string()),
    };
    if !(200..300).contains(&status) {
        return failed(Some(status), crate::upstream::error_message(&bytes));
    }
    match serde_json::from_slice::<List>(&bytes) {
        Ok(list) => LlmProviderTest {
            ok: true,
            status: Some(status),
            latency_ms: started.elapsed().as_millis() as i64,
            models: list.data.into_iter().map(|i| i.id).collect(),
            error: None,
        },
        Err(_) => failed(Some(status), "the answer is not a model list".into()),
    }
}
