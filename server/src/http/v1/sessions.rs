//! `/api/v1/sessions`: the caller's signed-in browsers — list, end one, end all others.

use axum::Json;
use axum::extract::{Path, State};
use ops_auth::{AuthCtx, HttpError, devices};
use ops_types::{Revoked, SessionView};

use crate::state::AppState;

/// Your active sessions, most recently used first; `current` marks this one.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions",
    responses((status = 200, body = Vec<SessionView>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<SessionView>>, HttpError> {
    Ok(Json(devices::list_mine(&state.db, &ctx).await?))
}

/// End one of your sessions (it stops working on its next request).
#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's `id` from the list")),
    responses((status = 200, body = Revoked), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn revoke(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(session_id): Path<String>,
) -> Result<Json<Revoked>, HttpError> {
    Ok(Json(
        devices::revoke_mine(&state.db, &ctx, &session_id).await?,
    ))
}

/// Sign out everywhere else: end every session but this one.
#[utoipa::path(post, path = "/api/v1/sessions/revoke-others", tag = "sessions",
    responses((status = 200, body = Revoked)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn revoke_others(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Revoked>, HttpError> {
    Ok(Json(devices::revoke_others(&state.db, &ctx).await?))
}
