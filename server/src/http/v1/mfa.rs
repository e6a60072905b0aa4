//! `/api/v1/auth/mfa/*`: the caller's two-factor sign-in; `/api/v1/admin/mfa-policy` and the
//! administrator's reset.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError, mfa};
use ops_types::{MfaCode, MfaPolicy, MfaStatus, RecoveryCodes, TotpSetup};

use crate::http::json::ApiJson;
use crate::state::AppState;

/// Whether two-factor sign-in is on, how many recovery codes are left, whether it is required.
#[utoipa::path(get, path = "/api/v1/auth/mfa", tag = "account",
    responses((status = 200, body = MfaStatus)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn status(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<MfaStatus>, HttpError> {
    Ok(Json(mfa::status(&state.db, &ctx).await?))
}

/// Start enrolling an authenticator app: a new secret and its QR code.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/setup", tag = "account",
    responses((status = 200, body = TotpSetup), (status = 409, description = "already on")),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn setup(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<TotpSetup>, HttpError> {
    Ok(Json(mfa::setup(&state.db, &state.secrets, &ctx).await?))
}

/// Confirm enrolment with a code from the app; answers the recovery codes, shown once.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/enable", tag = "account", request_body = MfaCode,
    responses((status = 200, body = RecoveryCodes), (status = 422)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn enable(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<MfaCode>,
) -> Result<Json<RecoveryCodes>, HttpError> {
    Ok(Json(
        mfa::enable(&state.db, &state.secrets, &ctx, &input.code).await?,
    ))
}

/// Turn two-factor sign-in off (a current code or a recovery code is needed).
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/disable", tag = "account", request_body = MfaCode,
    responses((status = 204), (status = 409, description = "required by your role"), (status = 422)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn disable(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<MfaCode>,
) -> Result<StatusCode, HttpError> {
    mfa::disable(&state.db, &state.secrets, &ctx, &input.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the recovery codes (a current code is needed).
#[utoipa::path(post, path = "/api/v1/auth/mfa/recovery-codes", tag = "account", request_body = MfaCode,
    responses((status = 200, body = RecoveryCodes), (status = 422)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn recovery_codes(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<MfaCode>,
) -> Result<Json<RecoveryCodes>, HttpError> {
    Ok(Json(
        mfa::regenerate(&state.db, &state.secrets, &ctx, &input.code).await?,
    ))
}

/// Remove a user's second factor (lost device); their sessions end.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/mfa/reset", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "no second factor")),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn admin_reset(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<StatusCode, HttpError> {
    mfa::admin_reset(&state.db, &ctx, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which roles must use two-factor sign-in.
#[utoipa::path(get, path = "/api/v1/admin/mfa-policy", tag = "admin",
    responses((status = 200, body = MfaPolicy)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn policy(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<MfaPolicy>, HttpError> {
    Ok(Json(mfa::policy(&state.db, &ctx).await?))
}

/// Require two-factor sign-in for these roles (members without it must set it up next).
#[utoipa::path(put, path = "/api/v1/admin/mfa-policy", tag = "admin", request_body = MfaPolicy,
    responses((status = 200, body = MfaPolicy)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn set_policy(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<MfaPolicy>,
) -> Result<Json<MfaPolicy>, HttpError> {
    Ok(Json(mfa::set_policy(&state.db, &ctx, input).await?))
}
