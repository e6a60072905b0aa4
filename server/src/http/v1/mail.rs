//! `/api/v1/admin/settings/smtp[/test]` and the password-reset pair
//! `/api/v1/auth/{forgot,reset}-password`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ops_auth::{AuthCtx, ClientIp, HttpError, mail_settings, recovery, registration};
use ops_types::{
    ForgotPassword, Registration, RegistrationSettings, ResetPassword, SmtpSettings,
    SmtpSettingsForUpdate, TestMail, VerifyEmail,
};

use crate::http::json::ApiJson;
use crate::state::AppState;

/// The SMTP settings (the password only as a masked hint).
#[utoipa::path(get, path = "/api/v1/admin/settings/smtp", tag = "settings",
    responses((status = 200, body = SmtpSettings)), security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn get(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<SmtpSettings>, HttpError> {
    Ok(Json(
        mail_settings::get(&state.db, &state.secrets, &ctx).await?,
    ))
}

/// Save the SMTP settings; the password is sealed at rest (absent: keep the stored one).
#[utoipa::path(put, path = "/api/v1/admin/settings/smtp", tag = "settings", request_body = SmtpSettingsForUpdate,
    responses((status = 200, body = SmtpSettings), (status = 422)), security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn put(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<SmtpSettingsForUpdate>,
) -> Result<Json<SmtpSettings>, HttpError> {
    Ok(Json(
        mail_settings::save(&state.db, &state.secrets, &ctx, input).await?,
    ))
}

/// Send a test message with the saved settings.
#[utoipa::path(post, path = "/api/v1/admin/settings/smtp/test", tag = "settings", request_body = TestMail,
    responses((status = 204), (status = 422, description = "the server refused; the message says why"), (status = 503, description = "not set up")),
    security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn test(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<TestMail>,
) -> Result<StatusCode, HttpError> {
    mail_settings::test(&state.db, &state.secrets, &ctx, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password-reset link by e-mail. The answer is the same whether or not the
/// address has an account.
#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth", request_body = ForgotPassword,
    responses((status = 202), (status = 422), (status = 429), (status = 503, description = "e-mail is not set up")))]
pub async fn forgot(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ForgotPassword>,
) -> Result<StatusCode, HttpError> {
    let base = state.base_url();
    recovery::request(
        &state.db,
        &state.secrets,
        &state.limiter,
        input,
        &base,
        ip.as_deref(),
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the link's token; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth", request_body = ResetPassword,
    responses((status = 204), (status = 422, description = "unknown, used or expired link, or a weak password")))]
pub async fn reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ResetPassword>,
) -> Result<StatusCode, HttpError> {
    recovery::reset(&state.db, input, ip.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether anyone may sign up (`open`) or only administrators create accounts (`closed`).
#[utoipa::path(get, path = "/api/v1/auth/registration", tag = "auth",
    responses((status = 200, body = RegistrationSettings)))]
pub async fn registration(
    State(state): State<AppState>,
) -> Result<Json<RegistrationSettings>, HttpError> {
    Ok(Json(registration::settings(&state.db).await?))
}

/// Open or close self-registration.
#[utoipa::path(put, path = "/api/v1/admin/settings/registration", tag = "settings", request_body = RegistrationSettings,
    responses((status = 200, body = RegistrationSettings), (status = 422)), security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn set_registration(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<RegistrationSettings>,
) -> Result<Json<RegistrationSettings>, HttpError> {
    Ok(Json(
        registration::set_settings(&state.db, &ctx, input).await?,
    ))
}

/// Create a viewer account (when registration is open); a confirmation link is mailed and the
/// account signs in once it is followed.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = Registration,
    responses((status = 201), (status = 403, description = "registration is closed"), (status = 422), (status = 429),
              (status = 503, description = "e-mail is not set up")))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<Registration>,
) -> Result<StatusCode, HttpError> {
    let base = state.base_url();
    registration::register(
        &state.db,
        &state.secrets,
        &state.limiter,
        input,
        &base,
        ip.as_deref(),
    )
    .await?;
    Ok(StatusCode::CREATED)
}

/// Confirm an address with the mailed link's token.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = VerifyEmail,
    responses((status = 204), (status = 422, description = "unknown, used or expired link")))]
pub async fn verify_email(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<VerifyEmail>,
) -> Result<StatusCode, HttpError> {
    registration::verify(&state.db, input, ip.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
