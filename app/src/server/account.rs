//! The caller's API keys.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use ops_types::{ApiError, ApiKeyCreated, ApiKeyView};

#[server(prefix = "/api/ui", endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, ApiError> {
    let ctx = ctx()?;
    ops_auth::api_keys::list(&state()?.db, &ctx)
        .await
        .map_err(ApiError::from)
}

#[server(prefix = "/api/ui", endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<ApiKeyCreated, ApiError> {
    let ctx = ctx()?;
    ops_auth::api_keys::create(&state()?.db, &ctx, ops_types::ApiKeyForCreate { name })
        .await
        .map_err(ApiError::from)
}

#[server(prefix = "/api/ui", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<(), ApiError> {
    let ctx = ctx()?;
    ops_auth::api_keys::revoke(&state()?.db, &ctx, &id)
        .await
        .map_err(ApiError::from)
}
