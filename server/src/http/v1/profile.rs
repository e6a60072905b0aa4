//! `/api/v1/auth/profile`, `/api/v1/auth/change-password`, `/api/v1/auth/password-policy`,
//! `/api/v1/auth/notifications[/webhook-secret]`: the caller's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ops_auth::{AuthCtx, HttpError, avatar, credentials, notifications, profile};
use ops_types::{
    NotificationPrefs, PASSWORD_MAX_LEN, PASSWORD_MIN_LEN, PasswordChange, PasswordRule, Profile,
    ProfileForUpdate, Revoked, WebhookSecret, password_rules,
};
use serde::Serialize;

use crate::http::json::ApiJson;
use crate::state::AppState;

/// Your profile.
#[utoipa::path(get, path = "/api/v1/auth/profile", tag = "account",
    responses((status = 200, body = Profile)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn get(State(state): State<AppState>, ctx: AuthCtx) -> Result<Json<Profile>, HttpError> {
    Ok(Json(profile::get(&state.db, &ctx).await?))
}

/// Change your display name, bio, locale and time zone.
#[utoipa::path(put, path = "/api/v1/auth/profile", tag = "account", request_body = ProfileForUpdate,
    responses((status = 200, body = Profile), (status = 422)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn update(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<ProfileForUpdate>,
) -> Result<Json<Profile>, HttpError> {
    Ok(Json(profile::update(&state.db, &ctx, input).await?))
}

/// Change your password; every other session of yours is ended.
#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "account", request_body = PasswordChange,
    responses((status = 200, body = Revoked, description = "how many other sessions were ended"), (status = 422)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn change_password(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<PasswordChange>,
) -> Result<Json<Revoked>, HttpError> {
    Ok(Json(
        credentials::change_password(&state.db, &ctx, input).await?,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    /// The rules a new password must pass (besides differing from the current one).
    pub rules: Vec<PasswordRule>,
}

/// The password rules, as the sign-up and change forms show them.
#[utoipa::path(get, path = "/api/v1/auth/password-policy", tag = "account",
    responses((status = 200, body = PasswordPolicy)))]
pub async fn password_policy() -> Json<PasswordPolicy> {
    Json(PasswordPolicy {
        min_length: PASSWORD_MIN_LEN,
        max_length: PASSWORD_MAX_LEN,
        rules: password_rules("", None)
            .into_iter()
            .map(|r| PasswordRule { ok: false, ..r })
            .collect(),
    })
}

/// Your notification preferences per kind, and your webhook address.
#[utoipa::path(get, path = "/api/v1/auth/notifications", tag = "account",
    responses((status = 200, body = NotificationPrefs)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn notifications_get(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<NotificationPrefs>, HttpError> {
    Ok(Json(notifications::get(&state.db, &ctx).await?))
}

/// Set notification preferences (kinds not listed keep theirs) and the webhook address.
#[utoipa::path(put, path = "/api/v1/auth/notifications", tag = "account", request_body = NotificationPrefs,
    responses((status = 200, body = NotificationPrefs), (status = 422)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn notifications_put(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<NotificationPrefs>,
) -> Result<Json<NotificationPrefs>, HttpError> {
    Ok(Json(
        notifications::put(&state.db, &state.secrets, &ctx, input).await?,
    ))
}

/// A new signing secret for your notification webhook, shown this once; the old one stops at
/// once. Needs a webhook address.
#[utoipa::path(post, path = "/api/v1/auth/notifications/webhook-secret", tag = "account",
    responses((status = 201, body = WebhookSecret), (status = 422, description = "no webhook address")),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn webhook_secret_rotate(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<(StatusCode, Json<WebhookSecret>), HttpError> {
    let out = ops_auth::webhook::rotate(&state.db, &state.secrets, &ctx).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Set your picture: the request body is a PNG, JPEG or WebP image (at most 5 MiB). It is
/// cropped square, scaled to 256 px and re-encoded without metadata.
#[utoipa::path(post, path = "/api/v1/auth/profile/avatar", tag = "account",
    request_body(content = Vec<u8>, content_type = "image/*"),
    responses((status = 200, body = Profile), (status = 413), (status = 422, description = "not a PNG, JPEG or WebP image")),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn avatar_upload(
    State(state): State<AppState>,
    ctx: AuthCtx,
    body: axum::body::Bytes,
) -> Result<Json<Profile>, HttpError> {
    Ok(Json(avatar::upload(&state.db, &ctx, body.to_vec()).await?))
}

/// Remove your picture.
#[utoipa::path(delete, path = "/api/v1/auth/profile/avatar", tag = "account",
    responses((status = 204)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn avatar_remove(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<axum::http::StatusCode, HttpError> {
    avatar::remove(&state.db, &ctx).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A user's picture.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/avatar", tag = "account", params(("user_id" = String, Path)),
    responses((status = 200, description = "image/png or image/jpeg"), (status = 404)),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn avatar_get(
    State(state): State<AppState>,
    ctx: AuthCtx,
    axum::extract::Path(user_id): axum::extract::Path<String>,
) -> Result<axum::response::Response, HttpError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (content_type, bytes) = avatar::get(&state.db, &ctx, &user_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // The URL carries `?v=<time set>`, so a changed picture has a new URL.
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
        ],
        bytes,
    )
        .into_response())
}
