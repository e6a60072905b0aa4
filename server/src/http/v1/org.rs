//! `/api/v1/org`: organisations — create, list, settings, logo, stats, members, invitations,
//! joining by e-mail domain — and the caller's active organisation under `/api/v1/users/me`.
//! Every operation is open to any signed-in caller (`account_read`); the organisation role
//! decides inside ([`ops_auth::orgs`]).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ops_auth::orgs::{self, invites, members};
use ops_auth::{AuthCtx, ClientIp, HttpError};
use ops_types::{
    Me, Org, OrgDelete, OrgForCreate, OrgInvite, OrgInviteForCreate, OrgInvitePreview,
    OrgInviteSignUp, OrgMember, OrgRoleChange, OrgRoleInfo, OrgSettings, OrgStats, OrgStatus,
    SwitchOrg,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::http::json::ApiJson;
use crate::state::AppState;

/// The organisation roles and what each may do.
#[utoipa::path(get, path = "/api/v1/org/roles", tag = "organisations",
    responses((status = 200, body = Vec<OrgRoleInfo>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn roles(ctx: AuthCtx) -> Result<Json<Vec<OrgRoleInfo>>, HttpError> {
    ctx.require(ops_types::Permission::AccountRead)
        .map_err(HttpError::from)?;
    Ok(Json(orgs::roles()))
}

/// Create an organisation; you become its owner.
#[utoipa::path(post, path = "/api/v1/org", tag = "organisations", request_body = OrgForCreate,
    responses((status = 201, body = Org), (status = 422)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn create(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<OrgForCreate>,
) -> Result<(StatusCode, Json<Org>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(orgs::create(&state.db, &ctx, input).await?),
    ))
}

/// Your organisations; `active` marks the one in use.
#[utoipa::path(get, path = "/api/v1/org/my-orgs", tag = "organisations",
    responses((status = 200, body = Vec<Org>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn mine(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<Org>>, HttpError> {
    Ok(Json(orgs::mine(&state.db, &ctx).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OrgSearch {
    /// Part of the name or slug.
    q: Option<String>,
}

/// Every organisation (platform administrators).
#[utoipa::path(get, path = "/api/v1/org/organizations", tag = "organisations", params(OrgSearch),
    responses((status = 200, body = Vec<Org>)), security(("session" = ["users_read"]), ("api_key" = ["users_read"])))]
pub async fn all(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Query(q): Query<OrgSearch>,
) -> Result<Json<Vec<Org>>, HttpError> {
    Ok(Json(orgs::all(&state.db, &ctx, q.q.as_deref()).await?))
}

/// Organisations you may join because they admit your verified e-mail domain.
#[utoipa::path(get, path = "/api/v1/org/joinable", tag = "organisations",
    responses((status = 200, body = Vec<Org>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn joinable(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<Org>>, HttpError> {
    Ok(Json(orgs::joinable(&state.db, &ctx).await?))
}

/// Join an organisation that admits your verified e-mail domain.
#[utoipa::path(post, path = "/api/v1/org/{org_id}/join", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, body = Org), (status = 404, description = "not open to your e-mail domain, or already a member")), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn join(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Json<Org>, HttpError> {
    Ok(Json(orgs::join(&state.db, &ctx, &org_id).await?))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/org/{org_id}", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, body = Org), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn get(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Json<Org>, HttpError> {
    Ok(Json(orgs::get(&state.db, &ctx, &org_id).await?))
}

/// Delete the organisation (owners; type its slug in `confirm`). Members keep their accounts.
#[utoipa::path(delete, path = "/api/v1/org/{org_id}", tag = "organisations", params(("org_id" = String, Path)),
    request_body = OrgDelete, responses((status = 204), (status = 403), (status = 404), (status = 422)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
    ApiJson(input): ApiJson<OrgDelete>,
) -> Result<StatusCode, HttpError> {
    orgs::delete(&state.db, &ctx, &org_id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's settings.
#[utoipa::path(get, path = "/api/v1/org/{org_id}/settings", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, body = OrgSettings), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn settings(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Json<OrgSettings>, HttpError> {
    let o = orgs::get(&state.db, &ctx, &org_id).await?;
    Ok(Json(OrgSettings {
        name: o.name,
        slug: o.slug,
        default_role: o.default_role,
        join_domain: o.join_domain,
    }))
}

/// Change name, slug, the default role of new members and the join domain (owners and admins).
#[utoipa::path(put, path = "/api/v1/org/{org_id}/settings", tag = "organisations", params(("org_id" = String, Path)),
    request_body = OrgSettings, responses((status = 200, body = Org), (status = 403), (status = 422)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn update(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
    ApiJson(input): ApiJson<OrgSettings>,
) -> Result<Json<Org>, HttpError> {
    Ok(Json(orgs::update(&state.db, &ctx, &org_id, input).await?))
}

/// Suspend or restore an organisation (platform administrators).
#[utoipa::path(put, path = "/api/v1/org/{org_id}/status", tag = "organisations", params(("org_id" = String, Path)),
    request_body = OrgStatus, responses((status = 200, body = Org), (status = 404)),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn status(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
    ApiJson(input): ApiJson<OrgStatus>,
) -> Result<Json<Org>, HttpError> {
    Ok(Json(
        orgs::set_status(&state.db, &ctx, &org_id, input).await?,
    ))
}

/// Members by role, pending invitations, API keys.
#[utoipa::path(get, path = "/api/v1/org/{org_id}/stats", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, body = OrgStats), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn stats(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Json<OrgStats>, HttpError> {
    Ok(Json(orgs::stats(&state.db, &ctx, &org_id).await?))
}

/// Upload a logo (PNG, JPEG or WebP; re-encoded, 256 px).
#[utoipa::path(post, path = "/api/v1/org/{org_id}/logo", tag = "organisations", params(("org_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = Org), (status = 413), (status = 422)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn logo_upload(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Org>, HttpError> {
    Ok(Json(
        orgs::set_logo(&state.db, &ctx, &org_id, body.to_vec()).await?,
    ))
}

/// Remove the logo.
#[utoipa::path(delete, path = "/api/v1/org/{org_id}/logo", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, body = Org)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn logo_remove(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Json<Org>, HttpError> {
    Ok(Json(orgs::remove_logo(&state.db, &ctx, &org_id).await?))
}

/// The logo.
#[utoipa::path(get, path = "/api/v1/org/{org_id}/logo", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, description = "image/png or image/jpeg"), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn logo(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Response, HttpError> {
    let (content_type, bytes) = orgs::logo(&state.db, &ctx, &org_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The members, owners first.
#[utoipa::path(get, path = "/api/v1/org/{org_id}/members", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<OrgMember>), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn members(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<OrgMember>>, HttpError> {
    Ok(Json(members::list(&state.db, &ctx, &org_id).await?))
}

/// Change a member's role. Admins cannot touch owners; the last owner stays an owner.
#[utoipa::path(put, path = "/api/v1/org/{org_id}/members/{user_id}/role", tag = "organisations",
    params(("org_id" = String, Path), ("user_id" = String, Path)), request_body = OrgRoleChange,
    responses((status = 200, body = OrgMember), (status = 403), (status = 404), (status = 409, description = "the last owner")), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn member_role(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path((org_id, user_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<OrgRoleChange>,
) -> Result<Json<OrgMember>, HttpError> {
    Ok(Json(
        members::set_role(&state.db, &ctx, &org_id, &user_id, input.role).await?,
    ))
}

/// Remove a member, or leave (your own id). The last owner cannot leave.
#[utoipa::path(delete, path = "/api/v1/org/{org_id}/members/{user_id}", tag = "organisations",
    params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "the last owner")), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn member_remove(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path((org_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    members::remove(&state.db, &ctx, &org_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pending invitations (owners and admins).
#[utoipa::path(get, path = "/api/v1/org/{org_id}/invitations", tag = "organisations", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<OrgInvite>), (status = 403)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn invitations(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<OrgInvite>>, HttpError> {
    Ok(Json(invites::list(&state.db, &ctx, &org_id).await?))
}

/// Invite someone by e-mail (valid for a week).
#[utoipa::path(post, path = "/api/v1/org/{org_id}/invitations", tag = "organisations", params(("org_id" = String, Path)),
    request_body = OrgInviteForCreate,
    responses((status = 201, body = OrgInvite), (status = 403), (status = 409, description = "already a member"), (status = 503, description = "e-mail is not set up")), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn invite(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(org_id): Path<String>,
    ApiJson(input): ApiJson<OrgInviteForCreate>,
) -> Result<(StatusCode, Json<OrgInvite>), HttpError> {
    let base = state.base_url();
    let i = invites::create(&state.db, &state.secrets, &ctx, &org_id, input, &base).await?;
    Ok((StatusCode::CREATED, Json(i)))
}

/// Send an invitation again: a new link, valid for another week.
#[utoipa::path(post, path = "/api/v1/org/{org_id}/invitations/{invite_id}/resend", tag = "organisations",
    params(("org_id" = String, Path), ("invite_id" = String, Path)),
    responses((status = 200, body = OrgInvite), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn invite_resend(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path((org_id, invite_id)): Path<(String, String)>,
) -> Result<Json<OrgInvite>, HttpError> {
    let base = state.base_url();
    Ok(Json(
        invites::resend(&state.db, &state.secrets, &ctx, &org_id, &invite_id, &base).await?,
    ))
}

/// Withdraw an invitation.
#[utoipa::path(delete, path = "/api/v1/org/{org_id}/invitations/{invite_id}", tag = "organisations",
    params(("org_id" = String, Path), ("invite_id" = String, Path)),
    responses((status = 204), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn invite_revoke(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path((org_id, invite_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    invites::revoke(&state.db, &ctx, &org_id, &invite_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invitation is for (anyone holding the e-mailed link).
#[utoipa::path(get, path = "/api/v1/org/invitations/{token}", tag = "organisations", params(("token" = String, Path)),
    responses((status = 200, body = OrgInvitePreview), (status = 422, description = "unknown, used, withdrawn or expired")))]
pub async fn invite_preview(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<OrgInvitePreview>, HttpError> {
    Ok(Json(invites::preview(&state.db, &token).await?))
}

/// Accept an invitation, signed in with the invited address.
#[utoipa::path(post, path = "/api/v1/org/invitations/{token}/accept", tag = "organisations", params(("token" = String, Path)),
    responses((status = 200, body = Org), (status = 403, description = "signed in with another address"), (status = 409), (status = 422)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn invite_accept(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(token): Path<String>,
) -> Result<Json<Org>, HttpError> {
    Ok(Json(invites::accept(&state.db, &ctx, &token).await?))
}

/// Create your account from an invitation and join (the link confirms your address); you are
/// signed in. Refused when registration is closed or the address already has an account.
#[utoipa::path(post, path = "/api/v1/org/invitations/{token}/register", tag = "organisations", params(("token" = String, Path)),
    request_body = OrgInviteSignUp,
    responses((status = 200, body = Me), (status = 403), (status = 409, description = "sign in and accept instead"), (status = 422)))]
pub async fn invite_sign_up(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(token): Path<String>,
    ApiJson(input): ApiJson<OrgInviteSignUp>,
) -> Result<Json<Me>, HttpError> {
    let user = invites::sign_up(&state.db, &state.limiter, &token, input, ip.as_deref()).await?;
    super::auth::start_session(&session, &user, ip, &headers).await
}

/// Your active organisation (`null`: personal use).
#[utoipa::path(get, path = "/api/v1/users/me/current-org", tag = "organisations",
    responses((status = 200, body = Option<Org>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn current(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Option<Org>>, HttpError> {
    Ok(Json(orgs::current(&state.db, &ctx).await?))
}

/// Switch your active organisation (`org_id: null` for personal use).
#[utoipa::path(post, path = "/api/v1/users/me/switch-org", tag = "organisations", request_body = SwitchOrg,
    responses((status = 200, body = Option<Org>), (status = 404)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn switch(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(input): ApiJson<SwitchOrg>,
) -> Result<Json<Option<Org>>, HttpError> {
    Ok(Json(
        orgs::switch(&state.db, &ctx, input.org_id.as_deref()).await?,
    ))
}
