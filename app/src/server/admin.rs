//! Administration: the user list and the audit log.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use ops_types::{ApiError, AuditEvent, UserView};

#[server(prefix = "/api/ui", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, ApiError> {
    let ctx = ctx()?;
    ops_auth::users::list(&state()?.db, &ctx)
        .await
        .map_err(ApiError::from)
}

#[server(prefix = "/api/ui", endpoint = "list_audit")]
pub async fn list_audit(limit: i64) -> Result<Vec<AuditEvent>, ApiError> {
    let ctx = ctx()?;
    ops_auth::audit::list(&state()?.db, &ctx, limit)
        .await
        .map_err(ApiError::from)
}
