//! The caller's own account: profile, password, notifications, API keys and sessions.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{
    ApiError, ApiKeyCreated, ApiKeyView, NotificationPrefs, PasswordChange, Profile,
    ProfileForUpdate, Revoked, SessionView, WebhookSecret,
};

#[server(prefix = "/api/ui", endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, ApiError> {
    let ctx = ctx()?;
    ops_auth::api_keys::list(&state()?.db, &ctx)
        .await
        .map_err(ApiError::from)
}

/// `expires_in_days`: empty or absent for a key that does not expire.
#[server(prefix = "/api/ui", endpoint = "create_api_key")]
pub async fn create_api_key(
    name: String,
    expires_in_days: Option<String>,
    org_id: Option<String>,
) -> Result<ApiKeyCreated, ApiError> {
    let ctx = ctx()?;
    let expires_in_days = match expires_in_days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(d.parse().map_err(|_| {
            ApiError::field(
                ops_types::ErrorCode::Validation,
                "expires_in_days",
                "a number of days",
            )
        })?),
    };
    let input = ops_types::ApiKeyForCreate {
        name,
        expires_in_days,
        org_id: org_id.filter(|o| !o.is_empty()),
        limits: None,
    };
    Ok(ops_auth::api_keys::create(&state()?.db, &ctx, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "rotate_api_key")]
pub async fn rotate_api_key(id: String, grace_minutes: i64) -> Result<ApiKeyCreated, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    let input = ops_types::ApiKeyRotate { grace_minutes };
    let created = ops_auth::api_keys::rotate(&state.db, &ctx, &id, input).await?;
    // The gateway caches keys for a few seconds: forget them here at once.
    state.gateway.keys.clear();
    Ok(created)
}

#[server(prefix = "/api/ui", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<(), ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    ops_auth::api_keys::revoke(&state.db, &ctx, &id).await?;
    state.gateway.keys.clear();
    Ok(())
}

#[server(prefix = "/api/ui", endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<SessionView>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::devices::list_mine(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<Revoked, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::devices::revoke_mine(&state()?.db, &ctx, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<Revoked, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::devices::revoke_others(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_profile")]
pub async fn get_profile() -> Result<Profile, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::profile::get(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_profile")]
pub async fn save_profile(input: ProfileForUpdate) -> Result<Profile, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::profile::update(&state()?.db, &ctx, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "change_password")]
pub async fn change_password(input: PasswordChange) -> Result<Revoked, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::credentials::change_password(&state()?.db, &ctx, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_notifications")]
pub async fn get_notifications() -> Result<NotificationPrefs, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::notifications::get(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_notifications", input = Json)]
pub async fn save_notifications(input: NotificationPrefs) -> Result<NotificationPrefs, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::notifications::put(&st.db, &st.secrets, &ctx, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "new_webhook_secret")]
pub async fn new_webhook_secret() -> Result<WebhookSecret, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::webhook::rotate(&st.db, &st.secrets, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "remove_avatar")]
pub async fn remove_avatar() -> Result<(), ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::avatar::remove(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_inbox")]
pub async fn get_inbox() -> Result<ops_types::Inbox, ApiError> {
    Ok(ops_auth::notify::inbox(&state()?.db, &ctx()?).await?)
}

/// Marks one notification (`id`) or, without one, all of them read.
#[server(prefix = "/api/ui", endpoint = "mark_read")]
pub async fn mark_read(id: Option<String>) -> Result<(), ApiError> {
    Ok(ops_auth::notify::mark_read(&state()?.db, &ctx()?, id.as_deref()).await?)
}

/// Sets what one of your keys may do through the AI gateway.
#[server(prefix = "/api/ui", endpoint = "save_key_limits", input = Json)]
pub async fn save_key_limits(
    id: String,
    input: ops_types::ApiKeyLimits,
) -> Result<ApiKeyView, ApiError> {
    let (ctx, state) = (ctx()?, state()?);
    let view = ops_auth::key_limits::set(&state.db, &ctx, &id, &input).await?;
    state.gateway.keys.clear();
    Ok(view)
}
