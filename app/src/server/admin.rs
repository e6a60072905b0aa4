//! Administration: users.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use ops_types::{ApiError, UserView};

#[server(prefix = "/api/ui", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, ApiError> {
    let ctx = ctx()?;
    ops_auth::users::list(&state()?.db, &ctx)
        .await
        .map_err(ApiError::from)
}
