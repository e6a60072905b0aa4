//! The gateway's console settings (the BYOK fee, the request log's retention), stored as JSON
//! in the settings table and held in memory with the catalogue; and the retention job.

use std::time::Duration;

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Db, get_setting, now_ms, put_setting, record_audit};
use ops_types::{ApiError, ErrorCode, GatewaySettings, GatewayStatus, Permission};

use crate::Gateway;
use crate::admin::internal;

const KEY: &str = "gateway";

/// The stored settings, or the defaults.
pub async fn load(db: &Db) -> GatewaySettings {
    match get_setting(db, KEY).await {
        Ok(Some(v)) => serde_json::from_str(&v).unwrap_or_default(),
        _ => GatewaySettings::default(),
    }
}

pub async fn get(gw: &Gateway, ctx: &AuthCtx) -> Result<GatewaySettings, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    Ok(load(&gw.db).await)
}

pub async fn put(
    gw: &Gateway,
    ctx: &AuthCtx,
    s: &GatewaySettings,
) -> Result<GatewaySettings, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    if !(0..=100).contains(&s.byok_fee_percent) {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "byok_fee_percent",
            "from 0 to 100",
        ));
    }
    if !(1..=3650).contains(&s.log_retention_days) {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "log_retention_days",
            "from 1 to 3650 days",
        ));
    }
    let value = serde_json::to_string(s).map_err(internal)?;
    let mut tx = gw.db.begin().await.map_err(internal)?;
    put_setting(&mut tx, KEY, &value, Some(&ctx.user_id))
        .await
        .map_err(internal)?;
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&value),
            ..ctx.audit("gateway.settings")
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    gw.reload().await.map_err(internal)?;
    Ok(s.clone())
}

/// How this replica is wired: shared per-minute limits (with a live check of the Redis) and
/// the provider proxy.
pub async fn status(gw: &Gateway, ctx: &AuthCtx) -> Result<GatewayStatus, ApiError> {
    ctx.require(Permission::GatewayManage)?;
    let mut status = GatewayStatus::default();
    if let Some((shown, check)) = gw.meter.rates.check().await {
        status.shared_limits = Some(shown);
        match check {
            Ok(rtt) => status.redis_ping_us = Some(rtt.as_micros() as u64),
            Err(e) => status.redis_error = Some(e),
        }
    }
    if let Some(p) = gw.client.proxy() {
        status.proxy = Some(p.shown().to_string());
        status.no_proxy = p.skipped().to_vec();
    }
    Ok(status)
}

/// Deletes request log rows past the retention (the daily rollups stay), in slices.
pub async fn prune(db: &Db) -> Result<u64, ApiError> {
    let days = load(db).await.log_retention_days.max(1);
    let before = now_ms() - days * 86_400_000;
    let mut total = 0;
    loop {
        let n = sqlx::query(
            "DELETE FROM llm_requests WHERE (at, id) IN \
             (SELECT at, id FROM llm_requests WHERE at < $1 ORDER BY at LIMIT 5000)",
        )
        .bind(before)
        .execute(db.pool())
        .await
        .map_err(internal)?
        .rows_affected();
        total += n;
        if n < 5000 {
            return Ok(total);
        }
    }
}

/// Prunes every `every`.
pub async fn run_retention(db: Db, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = prune(&db).await {
            tracing::warn!(error = ?e, "gateway log retention failed");
        }
    }
}
