//! `/api/v1/admin/users`: list, detail, create, update, suspend, activate, delete, bulk
//! actions, CSV export, roles and figures.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ops_auth::admin::bulk::{self, BulkAction};
use ops_auth::admin::{change, query};
use ops_auth::{AuthCtx, HttpError};
use ops_types::{
    AdminUserForCreate, AdminUserForUpdate, BulkOutcome, BulkUsers, RoleInfo, UserAnalytics,
    UserDeleted, UserDetail, UserPage, UserQuery, UserView, date_of_ms,
};

use crate::http::export;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// Users matching the filters, sorted and paged.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(UserQuery),
    responses((status = 200, body = UserPage), (status = 422)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<UserPage>, HttpError> {
    Ok(Json(query::list(&state.db, &ctx, &q).await?))
}

/// Create a user with an initial password, or without one and an e-mailed invitation
/// (`send_invite`) to choose it.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = AdminUserForCreate,
    responses((status = 201, body = UserView), (status = 422)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn create(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<AdminUserForCreate>,
) -> Result<(StatusCode, Json<UserView>), HttpError> {
    let base = state.base_url();
    let user = change::create(&state.db, &state.secrets, &ctx, input, &base).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// One user in detail.
#[utoipa::path(get, path = "/api/v1/admin/users/{user_id}", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 200, body = UserDetail), (status = 404)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn get(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<UserDetail>, HttpError> {
    Ok(Json(query::detail(&state.db, &ctx, &user_id).await?))
}

/// Change a user's display name or role (a role change ends their sessions).
#[utoipa::path(put, path = "/api/v1/admin/users/{user_id}", tag = "admin", params(("user_id" = String, Path)),
    request_body = AdminUserForUpdate,
    responses((status = 200, body = UserView), (status = 404), (status = 409, description = "self-change or last administrator")),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn update(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
    ApiJson(input): ApiJson<AdminUserForUpdate>,
) -> Result<Json<UserView>, HttpError> {
    Ok(Json(
        change::update(&state.db, &ctx, &user_id, input).await?,
    ))
}

/// Delete a user: their sessions, API keys, preferences and avatar go; audit events stay.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 200, body = UserDeleted), (status = 404), (status = 409)),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<UserDeleted>, HttpError> {
    Ok(Json(change::delete(&state.db, &ctx, &user_id).await?))
}

/// Suspend a user: they are signed out and cannot sign in or use their keys.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/suspend", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = 404), (status = 409)),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn suspend(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<UserView>, HttpError> {
    Ok(Json(
        change::set_suspended(&state.db, &ctx, &user_id, true).await?,
    ))
}

/// Re-activate a suspended user.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/activate", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = 404)),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn activate(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<UserView>, HttpError> {
    Ok(Json(
        change::set_suspended(&state.db, &ctx, &user_id, false).await?,
    ))
}

async fn run_bulk(
    state: &AppState,
    ctx: &AuthCtx,
    action: BulkAction,
    input: BulkUsers,
) -> Result<Json<Vec<BulkOutcome>>, HttpError> {
    Ok(Json(bulk::run(&state.db, ctx, action, input).await?))
}

/// Give the selected users one role.
#[utoipa::path(post, path = "/api/v1/admin/users/bulk/assign-roles", tag = "admin", request_body = BulkUsers,
    responses((status = 200, body = Vec<BulkOutcome>)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn bulk_assign_roles(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<BulkUsers>,
) -> Result<Json<Vec<BulkOutcome>>, HttpError> {
    run_bulk(&state, &ctx, BulkAction::AssignRole, input).await
}

/// Put the selected users on one tier (plan).
#[utoipa::path(post, path = "/api/v1/admin/users/bulk/set-tier", tag = "admin", request_body = BulkUsers,
    responses((status = 200, body = Vec<BulkOutcome>), (status = 422)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn bulk_set_tier(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<BulkUsers>,
) -> Result<Json<Vec<BulkOutcome>>, HttpError> {
    run_bulk(&state, &ctx, BulkAction::SetTier, input).await
}

/// The tiers (plans) users can be on, with how many are on each.
#[utoipa::path(get, path = "/api/v1/admin/users/tiers", tag = "admin",
    responses((status = 200, body = Vec<ops_types::Tier>)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn tiers(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<ops_types::Tier>>, HttpError> {
    Ok(Json(ops_auth::admin::tiers::list(&state.db, &ctx).await?))
}

/// Suspend the selected users.
#[utoipa::path(post, path = "/api/v1/admin/users/bulk/suspend", tag = "admin", request_body = BulkUsers,
    responses((status = 200, body = Vec<BulkOutcome>)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn bulk_suspend(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<BulkUsers>,
) -> Result<Json<Vec<BulkOutcome>>, HttpError> {
    run_bulk(&state, &ctx, BulkAction::Suspend, input).await
}

/// Delete the selected users.
#[utoipa::path(post, path = "/api/v1/admin/users/bulk/delete", tag = "admin", request_body = BulkUsers,
    responses((status = 200, body = Vec<BulkOutcome>)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<BulkUsers>,
) -> Result<Json<Vec<BulkOutcome>>, HttpError> {
    run_bulk(&state, &ctx, BulkAction::Delete, input).await
}

/// The users matching the filters as CSV (up to 100,000 rows).
#[utoipa::path(get, path = "/api/v1/admin/users/export", tag = "admin", params(UserQuery),
    responses((status = 200, description = "text/csv")), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn export(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Response, HttpError> {
    ctx.require(ops_types::Permission::UsersRead)?;
    let users = query::rows(&state.db, &q, 100_000, 0).await?;
    export::csv(
        &format!("users-{}.csv", date_of_ms(ops_db::now_ms())),
        &[
            "id",
            "email",
            "display_name",
            "role",
            "tier",
            "status",
            "created_at",
            "last_login_at",
        ],
        users.into_iter().map(|u| {
            vec![
                u.id,
                u.email,
                u.display_name,
                u.role.as_str().into(),
                u.tier,
                if u.disabled { "suspended" } else { "active" }.into(),
                u.created_at.to_string(),
                u.last_login_at.map(|t| t.to_string()).unwrap_or_default(),
            ]
        }),
    )
}

/// The roles from most to least privileged, with what each grants.
#[utoipa::path(get, path = "/api/v1/admin/users/roles/available", tag = "admin",
    responses((status = 200, body = Vec<RoleInfo>)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn roles(ctx: AuthCtx) -> Result<Json<Vec<RoleInfo>>, HttpError> {
    Ok(Json(query::roles(&ctx)?))
}

/// Totals by role and status, and sign-ups per day.
#[utoipa::path(get, path = "/api/v1/admin/users/analytics/summary", tag = "admin",
    responses((status = 200, body = UserAnalytics)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn analytics(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<UserAnalytics>, HttpError> {
    Ok(Json(query::analytics(&state.db, &ctx).await?))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Only events older than this `seq` (the previous page's `next_before`).
    pub before: Option<i64>,
    /// 1–200 (default 50).
    pub limit: Option<i64>,
}

/// What the user did and what was done to them, newest first.
#[utoipa::path(get, path = "/api/v1/admin/users/{user_id}/activity", tag = "admin",
    params(("user_id" = String, Path), ActivityQuery),
    responses((status = 200, body = ops_types::AuditPage), (status = 404)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn activity(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> Result<Json<ops_types::AuditPage>, HttpError> {
    Ok(Json(
        query::activity(&state.db, &ctx, &user_id, q.before, q.limit).await?,
    ))
}

/// A user's live API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/admin/users/{user_id}/api-keys", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 200, body = Vec<ops_types::ApiKeyView>), (status = 404)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn api_keys(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<Vec<ops_types::ApiKeyView>>, HttpError> {
    Ok(Json(
        ops_auth::api_keys::list_for_user(&state.db, &ctx, &user_id).await?,
    ))
}

/// Revoke one of a user's API keys.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}/api-keys/{key_id}", tag = "admin",
    params(("user_id" = String, Path), ("key_id" = String, Path)),
    responses((status = 204), (status = 404)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path((user_id, key_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    ops_auth::api_keys::revoke_for_user(&state.db, &ctx, &user_id, &key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's role and the permissions it grants them.
#[utoipa::path(get, path = "/api/v1/admin/users/{user_id}/roles", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 200, body = RoleInfo), (status = 404)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn user_role(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<Json<RoleInfo>, HttpError> {
    Ok(Json(
        query::effective_role(&state.db, &ctx, &user_id).await?,
    ))
}

/// E-mail the user a new invitation link to choose their password (the old link stops working).
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/send-onboarding-email", tag = "admin", params(("user_id" = String, Path)),
    responses((status = 204), (status = 404), (status = 503, description = "e-mail is not set up")),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn send_invite(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(user_id): Path<String>,
) -> Result<StatusCode, HttpError> {
    let base = state.base_url();
    ops_auth::admin::invite::resend(&state.db, &state.secrets, &ctx, &user_id, &base).await?;
    Ok(StatusCode::NO_CONTENT)
}
