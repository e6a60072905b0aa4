//! `/api/v1/setup`: first-run creation of the administrator with the one-time token.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use ops_auth::{ClientIp, HttpError, setup};
use ops_types::{Me, SetupForm, SetupStatus};
use tower_sessions::Session;

use super::auth::start_session;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// Whether the first administrator still needs creating.
#[utoipa::path(get, path = "/api/v1/setup", tag = "setup", responses((status = 200, body = SetupStatus)))]
pub async fn status(State(state): State<AppState>) -> Result<Json<SetupStatus>, HttpError> {
    Ok(Json(SetupStatus {
        needs_admin: setup::needs_admin(&state.db).await?,
    }))
}

/// Create the first administrator with the token `serve` printed, and sign in as them.
#[utoipa::path(post, path = "/api/v1/setup/admin", tag = "setup", request_body = SetupForm,
    responses((status = 200, body = Me), (status = 403, description = "token unknown, used or expired"),
              (status = 422, description = "a field is invalid")))]
pub async fn create_admin(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(form): ApiJson<SetupForm>,
) -> Result<Json<Me>, HttpError> {
    let user = setup::create_first_admin(
        &state.db,
        &form.token,
        &form.email,
        &form.display_name,
        &form.password,
        ip.as_deref(),
    )
    .await?;
    start_session(&session, &user, ip, &headers).await
}
