//! `/api/v1/notifications`: the caller's in-app notifications (which channels a kind uses is
//! set at `/api/v1/auth/notifications`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError, notify};
use ops_types::Inbox;

use crate::state::AppState;

/// Your latest notifications (100 at most), newest first, and the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "account",
    responses((status = 200, body = Inbox)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn list(State(state): State<AppState>, ctx: AuthCtx) -> Result<Json<Inbox>, HttpError> {
    Ok(Json(notify::inbox(&state.db, &ctx).await?))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "account", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn read(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    notify::mark_read(&state.db, &ctx, Some(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark every notification read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "account",
    responses((status = 204)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn read_all(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<StatusCode, HttpError> {
    notify::mark_read(&state.db, &ctx, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
