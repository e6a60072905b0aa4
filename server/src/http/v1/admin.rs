//! `/api/v1/admin/*`: user administration.

use axum::Json;
use axum::extract::State;
use ops_auth::{AuthCtx, HttpError, users};
use ops_types::UserView;

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
