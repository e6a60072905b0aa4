//! `/api/v1/admin/users/{user_id}/sessions`: a user's sessions, for administrators.

use axum::Json;
use axum::extract::{Path, State};
use ops_auth::{AuthCtx, HttpError, devices};
use ops_types::{Revoked, SessionView};

use crate::state::AppState;

/// A user's active sessions.
#[utoipa::path(get, path = "/api/v1/admin/users/{user_id}/sessions", tag = "admin",
    params(("user_id" = String, Path)),
    responses((status = 200, body = Vec<SessionView>), (status = 404)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<Vec<SessionView>>, HttpError> {
    Ok(Json(
        devices::list_for_user(&state.db, &ctx, &user_id).await?,
    ))
}

/// End all of a user's sessions.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}/sessions", tag = "admin",
    params(("user_id" = String, Path)),
    responses((status = 200, body = Revoked), (status = 404)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn revoke_all(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<Revoked>, HttpError> {
    Ok(Json(
        devices::revoke_for_user(&state.db, &ctx, &user_id, None).await?,
    ))
}

/// End one of a user's sessions.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}/sessions/{session_id}", tag = "admin",
    params(("user_id" = String, Path), ("session_id" = String, Path)),
    responses((status = 200, body = Revoked), (status = 404)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn revoke(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path((user_id, session_id)): Path<(String, String)>,
) -> Result<Json<Revoked>, HttpError> {
    Ok(Json(
        devices::revoke_for_user(&state.db, &ctx, &user_id, Some(&session_id)).await?,
    ))
}
