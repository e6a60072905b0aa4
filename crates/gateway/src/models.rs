//! The model catalogue in the console: public names and aliases, the group plans open, prices
//! per million tokens, routing, retries, fallbacks, and the deployments (replaced as a whole on
//! each save). And what a caller may use (`GET /api/v1/llm/models`, `GET /v1/models`).

use std::collections::HashMap;

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Row, new_id, now_ms, record_audit};
use ops_types::{
    ApiError, ErrorCode, LlmDeployment, LlmModel, LlmModelForSave, LlmModelOffer, MAX_AMOUNT,
    OwnerKind, Permission, ROUTING_MODES,
};

use crate::Gateway;
use crate::admin::internal;

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

fn list_of(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

async fn deployments(gw: &Gateway) -> Result<HashMap<String, Vec<LlmDeployment>>, ApiError> {
    let rows = sqlx::query(
        "SELECT d.id, d.model_id, d.provider_id, p.name AS provider_name, d.upstream_model, d.priority, \
         d.weight, d.input_cost, d.output_cost, d.enabled FROM llm_deployments d \
         JOIN llm_providers p ON p.id = d.provider_id ORDER BY d.priority, d.id",
    )
    .fetch_all(gw.db.pool())
    .await
    .map_err(internal)?;
    let mut out: HashMap<String, Vec<LlmDeployment>> = HashMap::new();
    for r in rows {
        let read = || -> Result<(String, LlmDeployment), sqlx::Error> {
            let enabled: i32 = r.try_get("enabled")?;
            Ok((
                r.try_get("model_id")?,
                LlmDeployment {
                    id: r.try_get("id")?,
                    provider_id: r.try_get("provider_id")?,
                    provider_name: r.try_get("provider_name")?,
                    upstream_model: r.try_get("upstream_model")?,
                    priority: r.try_get("priority")?,
                    weight: r.try_get("weight")?,
                    input_cost: r.try_get("input_cost")?,
                    output_cost: r.try_get("output_cost")?,
                    enabled: enabled != 0,
                },
            ))
        };
        let (model, d) = read().map_err(internal)?;
        out.entry(model).or_default().push(d);
    }
    Ok(out)
}

fn model_of(
    r: &ops_db::AnyRow,
    deps: &mut HashMap<String, Vec<LlmDeployment>>,
) -> Result<LlmModel, sqlx::Error> {
    let id: String = r.try_get("id")?;
    let enabled: i32 = r.try_get("enabled")?;
    let max_out: i32 = r.try_get("max_output_tokens")?;
    Ok(LlmModel {
        deployments: deps.remove(&id).unwrap_or_default(),
        id,
        name: r.try_get("name")?,
        aliases: list_of(&r.try_get::<String, _>("aliases")?),
        model_group: r.try_get("model_group")?,
        kind: r.try_get("kind")?,
        input_price: r.try_get("input_price")?,
        output_price: r.try_get("output_price")?,
        max_output_tokens: i64::from(max_out),
        routing: r.try_get("routing")?,
        retries: r.try_get("retries")?,
        fallbacks: list_of(&r.try_get::<String, _>("fallbacks")?),
        enabled: enabled != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const COLUMNS: &str = "id, name, aliases, model_group, kind, input_price, output_price, max_output_tokens, \
    routing, retries, fallbacks, enabled, created_at, updated_at";

pub async fn list(gw: &Gateway, ctx: &AuthCtx) -> Result<Vec<LlmModel>, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    let mut deps = deployments(gw).await?;
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM llm_models ORDER BY name"))
        .fetch_all(gw.db.pool())
        .await
        .map_err(internal)?;
    rows.iter()
        .map(|r| model_of(r, &mut deps))
        .collect::<Result<_, _>>()
        .map_err(internal)
}

async fn get(gw: &Gateway, id: &str) -> Result<LlmModel, ApiError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM llm_models WHERE id = $1"))
        .bind(id)
        .fetch_optional(gw.db.pool())
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "model not found"))?;
    let mut deps = deployments(gw).await?;
    model_of(&row, &mut deps).map_err(internal)
}

fn name_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && s.chars().all(|c| c.is_ascii_graphic())
}

/// Checks the form against itself and the other models (`id`: the model being changed).
async fn check(gw: &Gateway, id: Option<&str>, m: &LlmModelForSave) -> Result<(), ApiError> {
    if !name_ok(&m.name) {
        return Err(invalid("name", "1 to 200 printable characters, no spaces"));
    }
    if let Some(a) = m.aliases.iter().find(|a| !name_ok(a) || **a == m.name) {
        return Err(invalid("aliases", format!("`{a}` is not a valid alias")));
    }
    let group = m.model_group.trim();
    if group.is_empty() || group.len() > 60 {
        return Err(invalid("model_group", "1 to 60 characters"));
    }
    if m.kind
        .as_deref()
        .is_some_and(|k| k != "chat" && k != "embeddings")
    {
        return Err(invalid("kind", "chat or embeddings"));
    }
    for (field, v) in [
        ("input_price", m.input_price),
        ("output_price", m.output_price),
    ] {
        if !(0..=MAX_AMOUNT).contains(&v) {
            return Err(invalid(field, "micro-USD per million tokens, from 0"));
        }
    }
    if m.max_output_tokens
        .is_some_and(|t| !(1..=2_000_000).contains(&t))
    {
        return Err(invalid("max_output_tokens", "from 1 to 2,000,000"));
    }
    if m.routing
        .as_deref()
        .is_some_and(|r| !ROUTING_MODES.iter().any(|x| x.0 == r))
    {
        return Err(invalid("routing", "priority, latency or cost"));
    }
    if m.retries.is_some_and(|r| !(0..=10).contains(&r)) {
        return Err(invalid("retries", "from 0 to 10"));
    }
    if m.fallbacks.contains(&m.name) || m.fallbacks.len() > 3 {
        return Err(invalid("fallbacks", "at most 3 other models"));
    }
    if m.deployments.len() > 50 {
        return Err(invalid("deployments", "at most 50"));
    }
    for d in &m.deployments {
        if !name_ok(&d.upstream_model) {
            return Err(invalid(
                "deployments",
                "each needs the provider's model name",
            ));
        }
        if !(0..=1000).contains(&d.weight) || !(0..=100).contains(&d.priority) {
            return Err(invalid(
                "deployments",
                "weights from 0 to 1000, priorities from 0 to 100",
            ));
        }
        if d.input_cost < 0 || d.output_cost < 0 {
            return Err(invalid("deployments", "costs from 0"));
        }
        let known = sqlx::query("SELECT 1 AS one FROM llm_providers WHERE id = $1")
            .bind(&d.provider_id)
            .fetch_optional(gw.db.pool())
            .await
            .map_err(internal)?;
        if known.is_none() {
            return Err(invalid(
                "deployments",
                format!("no provider `{}`", d.provider_id),
            ));
        }
    }
    // Names and aliases are one namespace.
    let rows = sqlx::query("SELECT id, name, aliases FROM llm_models")
        .fetch_all(gw.db.pool())
        .await
        .map_err(internal)?;
    for r in rows {
        let other: String = r.try_get("id").map_err(internal)?;
        if Some(other.as_str()) == id {
            continue;
        }
        let mut taken = list_of(&r.try_get::<String, _>("aliases").map_err(internal)?);
        taken.push(r.try_get("name").map_err(internal)?);
        if let Some(t) = taken
            .iter()
            .find(|t| **t == m.name || m.aliases.contains(t))
        {
            let field = if *t == m.name { "name" } else { "aliases" };
            return Err(invalid(
                field,
                format!("`{t}` is already used by another model"),
            ));
        }
    }
    Ok(())
}

async fn write(
    tx: &mut ops_db::Tx,
    id: &str,
    m: &LlmModelForSave,
    now: i64,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE llm_models SET name = $2, aliases = $3, model_group = $4, kind = $5, input_price = $6, \
         output_price = $7, max_output_tokens = $8, routing = $9, retries = $10, fallbacks = $11, enabled = $12, \
         updated_at = $13 WHERE id = $1",
    )
    .bind(id)
    .bind(&m.name)
    .bind(serde_json::to_string(&m.aliases).unwrap_or_else(|_| "[]".into()))
    .bind(m.model_group.trim())
    .bind(m.kind.clone().unwrap_or_else(|| "chat".into()))
    .bind(m.input_price)
    .bind(m.output_price)
    .bind(m.max_output_tokens.unwrap_or(4096) as i32)
    .bind(m.routing.clone().unwrap_or_else(|| "priority".into()))
    .bind(m.retries.unwrap_or(2))
    .bind(serde_json::to_string(&m.fallbacks).unwrap_or_else(|_| "[]".into()))
    .bind(i32::from(m.enabled))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    sqlx::query("DELETE FROM llm_deployments WHERE model_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    for d in &m.deployments {
        sqlx::query(
            "INSERT INTO llm_deployments (id, model_id, provider_id, upstream_model, priority, weight, \
             input_cost, output_cost, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(if d.id.is_empty() { new_id() } else { d.id.clone() })
        .bind(id)
        .bind(&d.provider_id)
        .bind(&d.upstream_model)
        .bind(d.priority)
        .bind(d.weight)
        .bind(d.input_cost)
        .bind(d.output_cost)
        .bind(i32::from(d.enabled))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    }
    Ok(())
}

async fn audit(
    tx: &mut ops_db::Tx,
    ctx: &AuthCtx,
    action: &str,
    id: &str,
    m: &LlmModel,
) -> Result<(), ApiError> {
    let detail = format!(
        "group={} input_price={} output_price={} deployments={}",
        m.model_group,
        m.input_price,
        m.output_price,
        m.deployments.len()
    );
    record_audit(
        tx,
        AuditRecord {
            target: Some(id),
            target_label: Some(&m.name),
            detail: Some(&detail),
            ..ctx.audit(action)
        },
    )
    .await
    .map_err(internal)
}

pub async fn create(
    gw: &Gateway,
    ctx: &AuthCtx,
    m: &LlmModelForSave,
) -> Result<LlmModel, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    check(gw, None, m).await?;
    let id = new_id();
    let now = now_ms();
    let mut tx = gw.db.begin().await.map_err(internal)?;
    sqlx::query(
        "INSERT INTO llm_models (id, name, model_group, input_price, output_price, created_at, updated_at) \
         VALUES ($1, $2, $3, 0, 0, $4, $4)",
    )
    .bind(&id)
    .bind(&m.name)
    .bind(m.model_group.trim())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|_| invalid("name", "another model has this name"))?;
    write(&mut tx, &id, m, now).await?;
    tx.commit().await.map_err(internal)?;
    let saved = get(gw, &id).await?;
    let mut tx = gw.db.begin().await.map_err(internal)?;
    audit(&mut tx, ctx, "llm_model.create", &id, &saved).await?;
    tx.commit().await.map_err(internal)?;
    gw.reload().await.map_err(internal)?;
    Ok(saved)
}

pub async fn update(
    gw: &Gateway,
    ctx: &AuthCtx,
    id: &str,
    m: &LlmModelForSave,
) -> Result<LlmModel, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    get(gw, id).await?;
    check(gw, Some(id), m).await?;
    let mut tx = gw.db.begin().await.map_err(internal)?;
    write(&mut tx, id, m, now_ms()).await?;
    let saved = LlmModel {
        deployments: m.deployments.clone(),
        ..get(gw, id).await?
    };
    audit(
        &mut tx,
        ctx,
        "llm_model.update",
        id,
        &LlmModel {
            name: m.name.clone(),
            ..saved
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    gw.reload().await.map_err(internal)?;
    get(gw, id).await
}

pub async fn delete(gw: &Gateway, ctx: &AuthCtx, id: &str) -> Result<(), ApiError> {
    ctx.require(Permission::GatewayManage)?;
    let m = get(gw, id).await?;
    let mut tx = gw.db.begin().await.map_err(internal)?;
    sqlx::query("DELETE FROM llm_deployments WHERE model_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    sqlx::query("DELETE FROM llm_models WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    audit(&mut tx, ctx, "llm_model.delete", id, &m).await?;
    tx.commit().await.map_err(internal)?;
    gw.reload().await.map_err(internal)
}

/// The enabled models `owner`'s plan opens, with their prices.
pub async fn offers(
    gw: &Gateway,
    owner: &(OwnerKind, String),
) -> Result<Vec<LlmModelOffer>, ApiError> {
    let standing = ops_billing::metered::standing(&gw.db, owner.0, &owner.1)
        .await
        .map_err(ApiError::from)?;
    let groups = &standing.plan.model_groups;
    Ok(gw
        .catalogue()
        .models
        .iter()
        .filter(|m| groups.contains(&m.group))
        .map(|m| LlmModelOffer {
            name: m.name.clone(),
            aliases: m.aliases.clone(),
            model_group: m.group.clone(),
            kind: m.kind.clone(),
            input_price: m.input_price,
            output_price: m.output_price,
        })
        .collect())
}

/// `GET /api/v1/llm/models`: what the signed-in caller (or an organisation of theirs) may use.
pub async fn mine(
    gw: &Gateway,
    ctx: &AuthCtx,
    org_id: Option<&str>,
) -> Result<Vec<LlmModelOffer>, ApiError> {
    ctx.require(Permission::AccountRead)?;
    let owner = ops_billing::account::readable(&gw.db, ctx, None, org_id)
        .await
        .map_err(ApiError::from)?;
    offers(gw, &owner).await
}
