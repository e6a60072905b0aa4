//! `/api/v1/admin/users/{user_id}/impersonate/{start,stop}`: act as a user for a while.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError, impersonation};
use ops_types::{Impersonation, ImpersonationForStart};
use tower_sessions::Session;

use crate::http::json::ApiJson;
use crate::state::AppState;

/// Act as this user (never an administrator) in this browser session, with a reason, for
/// 1–60 minutes. Everything done meanwhile is attributed to both of you.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/impersonate/start", tag = "admin",
    params(("user_id" = String, Path)), request_body = ImpersonationForStart,
    responses((status = 200, body = Impersonation), (status = 403, description = "the user is an administrator"),
              (status = 409, description = "already acting as someone, or signed in with an API key"), (status = 422)),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn start(
    State(state): State<AppState>,
    ctx: AuthCtx,
    session: Session,
    Path(user_id): Path<String>,
    ApiJson(input): ApiJson<ImpersonationForStart>,
) -> Result<Json<Impersonation>, HttpError> {
    Ok(Json(
        impersonation::start(&state.db, &session, &ctx, &user_id, input).await?,
    ))
}

/// Stop acting as the user; you are yourself again.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/impersonate/stop", tag = "admin",
    params(("user_id" = String, Path)),
    responses((status = 204), (status = 409, description = "not acting as anyone")),
    security(("session" = []), ("api_key" = [])))]
pub async fn stop(
    State(state): State<AppState>,
    ctx: AuthCtx,
    session: Session,
    Path(_user_id): Path<String>,
) -> Result<StatusCode, HttpError> {
    impersonation::stop(&state.db, &session, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
