//! `/api/v1/audit/*`: the audit log — query, figures, export and the hash-chain check.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use ops_auth::{AuthCtx, HttpError, audit};
use ops_types::{AuditPage, AuditQuery, AuditStats, AuditVerify, date_of_ms};

use crate::http::export::{self, Format, FormatParam};
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// Events matching the filters, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/audit/logs", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage)), security(("session" = ["audit_read"]), ("api_key" = ["audit_read"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, HttpError> {
    Ok(Json(audit::list(&state.db, &ctx, &q).await?))
}

/// Totals, top actions and events per day over the matching events.
#[utoipa::path(get, path = "/api/v1/audit/stats", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditStats)), security(("session" = ["audit_read"]), ("api_key" = ["audit_read"])))]
pub async fn stats(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditStats>, HttpError> {
    Ok(Json(audit::stats(&state.db, &ctx, &q).await?))
}

/// Every action name in the log.
#[utoipa::path(get, path = "/api/v1/audit/actions", tag = "audit",
    responses((status = 200, body = Vec<String>)), security(("session" = ["audit_read"]), ("api_key" = ["audit_read"])))]
pub async fn actions(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<String>>, HttpError> {
    Ok(Json(audit::actions(&state.db, &ctx).await?))
}

/// The matching events as CSV or JSON Lines (up to 100,000 rows).
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(AuditQuery, FormatParam),
    responses((status = 200, description = "text/csv or application/x-ndjson")),
    security(("session" = ["audit_read"]), ("api_key" = ["audit_read"])))]
pub async fn export(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<AuditQuery>,
    ApiQuery(f): ApiQuery<FormatParam>,
) -> Result<Response, HttpError> {
    let events = audit::export(&state.db, &ctx, &q).await?;
    let day = date_of_ms(ops_db::now_ms());
    match f.format.unwrap_or_default() {
        Format::Jsonl => export::jsonl(&format!("audit-{day}.jsonl"), &events),
        Format::Csv => export::csv(
            &format!("audit-{day}.csv"),
            &[
                "seq",
                "at",
                "action",
                "actor_id",
                "actor_email",
                "impersonator_email",
                "target",
                "target_label",
                "org_id",
                "ip",
                "detail",
                "id",
            ],
            events.into_iter().map(|e| {
                vec![
                    e.seq.to_string(),
                    e.at.to_string(),
                    e.action,
                    e.actor_id.unwrap_or_default(),
                    e.actor_email.unwrap_or_default(),
                    e.impersonator_email.unwrap_or_default(),
                    e.target.unwrap_or_default(),
                    e.target_label.unwrap_or_default(),
                    e.org_id.unwrap_or_default(),
                    e.ip.unwrap_or_default(),
                    e.detail.unwrap_or_default(),
                    e.id,
                ]
            }),
        ),
    }
}

/// Walks the hash chain and reports the first broken link, if any.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = AuditVerify)), security(("session" = ["audit_read"]), ("api_key" = ["audit_read"])))]
pub async fn verify(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<AuditVerify>, HttpError> {
    Ok(Json(audit::verify(&state.db, &ctx).await?))
}
