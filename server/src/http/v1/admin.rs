//! `/api/v1/admin/*`: user list and audit log.

use axum::Json;
use axum::extract::{Query, State};
use ops_auth::{AuthCtx, HttpError, users};
use ops_types::{AuditEvent, UserView};
use serde::Deserialize;

use crate::state::AppState;

/// All users.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    responses((status = 200, body = Vec<UserView>)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn users(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<UserView>>, HttpError> {
    Ok(Json(users::list(&state.db, &ctx).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// How many events, newest first (1–500, default 100).
    pub limit: Option<i64>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEvent>)), security(("session" = ["audit_read"]), ("api_key" = ["audit_read"])))]
pub async fn audit(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEvent>>, HttpError> {
    Ok(Json(
        ops_auth::audit::list(&state.db, &ctx, q.limit.unwrap_or(100)).await?,
    ))
}
