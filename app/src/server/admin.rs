//! User administration.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{
    AdminUserForCreate, AdminUserForUpdate, ApiError, BulkOutcome, BulkUsers, Revoked, SessionView,
    UserAnalytics, UserDeleted, UserDetail, UserPage, UserQuery, UserView,
};

#[server(prefix = "/api/ui", endpoint = "list_users", input = Json)]
pub async fn list_users(query: UserQuery) -> Result<UserPage, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::query::list(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "list_tiers")]
pub async fn list_tiers() -> Result<Vec<ops_types::Tier>, ApiError> {
    Ok(ops_auth::admin::tiers::list(&state()?.db, &ctx()?).await?)
}

#[server(prefix = "/api/ui", endpoint = "users_summary")]
pub async fn users_summary() -> Result<UserAnalytics, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::query::analytics(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_user_detail")]
pub async fn get_user_detail(id: String) -> Result<UserDetail, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::query::detail(&state()?.db, &ctx, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "create_user", input = Json)]
pub async fn create_user(input: AdminUserForCreate) -> Result<UserView, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::admin::change::create(&st.db, &st.secrets, &ctx, input, &st.base_url).await?)
}

#[server(prefix = "/api/ui", endpoint = "update_user", input = Json)]
pub async fn update_user(id: String, input: AdminUserForUpdate) -> Result<UserView, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::change::update(&state()?.db, &ctx, &id, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "set_user_suspended")]
pub async fn set_user_suspended(id: String, suspended: bool) -> Result<UserView, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::change::set_suspended(&state()?.db, &ctx, &id, suspended).await?)
}

#[server(prefix = "/api/ui", endpoint = "delete_user")]
pub async fn delete_user(id: String) -> Result<UserDeleted, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::change::delete(&state()?.db, &ctx, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "start_impersonation")]
pub async fn start_impersonation(id: String, reason: String, minutes: i64) -> Result<(), ApiError> {
    let ctx = ctx()?;
    let input = ops_types::ImpersonationForStart {
        reason,
        minutes: Some(minutes),
    };
    ops_auth::impersonation::start(&state()?.db, &super::ssr::session()?, &ctx, &id, input).await?;
    Ok(())
}

/// Ends the impersonation; answers the user's page in the console, to go back to.
#[server(prefix = "/api/ui", endpoint = "stop_impersonation")]
pub async fn stop_impersonation() -> Result<String, ApiError> {
    let ctx = ctx()?;
    ops_auth::impersonation::stop(&state()?.db, &super::ssr::session()?, &ctx).await?;
    Ok(format!("/admin/users/{}", ctx.user_id))
}

/// `action`: `assign_role`, `suspend` or `delete`.
#[server(prefix = "/api/ui", endpoint = "apply_bulk", input = Json)]
pub async fn apply_bulk(action: String, input: BulkUsers) -> Result<Vec<BulkOutcome>, ApiError> {
    use ops_auth::admin::bulk::{BulkAction, run};
    let ctx = ctx()?;
    let action = match action.as_str() {
        "assign_role" => BulkAction::AssignRole,
        "set_tier" => BulkAction::SetTier,
        "suspend" => BulkAction::Suspend,
        "delete" => BulkAction::Delete,
        _ => {
            return Err(ApiError::field(
                ops_types::ErrorCode::Validation,
                "action",
                "use assign_role, set_tier, suspend or delete",
            ));
        }
    };
    Ok(run(&state()?.db, &ctx, action, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "user_activity")]
pub async fn user_activity(
    id: String,
    before: Option<i64>,
) -> Result<ops_types::AuditPage, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::query::activity(&state()?.db, &ctx, &id, before, Some(50)).await?)
}

#[server(prefix = "/api/ui", endpoint = "user_sessions")]
pub async fn user_sessions(id: String) -> Result<Vec<SessionView>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::devices::list_for_user(&state()?.db, &ctx, &id).await?)
}

/// Ends one session of a user, or all of them when `session` is absent.
#[server(prefix = "/api/ui", endpoint = "end_user_sessions")]
pub async fn end_user_sessions(id: String, session: Option<String>) -> Result<Revoked, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::devices::revoke_for_user(&state()?.db, &ctx, &id, session.as_deref()).await?)
}

/// What importing this CSV would do; nothing changes.
#[server(prefix = "/api/ui", endpoint = "plan_import", input = Json)]
pub async fn plan_import(csv: String) -> Result<ops_types::ImportReport, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::import::dry_run(&state()?.db, &ctx, &csv).await?)
}

/// Starts the import; progress streams from `/api/v1/stream/imports/{id}`.
#[server(prefix = "/api/ui", endpoint = "run_import", input = Json)]
pub async fn run_import(csv: String) -> Result<ops_types::ImportJob, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::import::start(&state()?.db, &ctx, &csv).await?)
}

#[server(prefix = "/api/ui", endpoint = "import_status")]
pub async fn import_status(id: String) -> Result<ops_types::ImportJob, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::admin::import::job(&state()?.db, &ctx, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "user_api_keys")]
pub async fn user_api_keys(id: String) -> Result<Vec<ops_types::ApiKeyView>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::api_keys::list_for_user(&state()?.db, &ctx, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "revoke_user_api_key")]
pub async fn revoke_user_api_key(id: String, key_id: String) -> Result<(), ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::api_keys::revoke_for_user(&state()?.db, &ctx, &id, &key_id).await?)
}

#[server(prefix = "/api/ui", endpoint = "resend_invite")]
pub async fn resend_invite(id: String) -> Result<(), ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::admin::invite::resend(&st.db, &st.secrets, &ctx, &id, &st.base_url).await?)
}
