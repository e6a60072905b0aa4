//! Single sign-on: the browser routes of the original (`/auth/login/{provider}`,
//! `/auth/callback`, `/auth/logout`), the sign-in buttons, the caller's linked identities and
//! the console's provider settings (`/api/v1/admin/sso/providers`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ops_auth::sso::{self, Callback, Finished, Refusal, accept, providers};
use ops_auth::{AuthCtx, ClientIp, HttpError, Resolved, sessions};
use ops_types::{LinkedIdentity, SsoButton, SsoCheck, SsoProvider, SsoProviderForm};
use serde::Deserialize;
use tower_sessions::Session;

use crate::http::json::ApiJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LoginQuery {
    /// A path on this site to open after sign-in.
    next: Option<String>,
    /// `1`: link the provider to the signed-in account instead of signing in.
    link: Option<u8>,
}

fn env<'a>(state: &'a AppState, base_url: &'a str) -> sso::Env<'a> {
    sso::Env {
        db: &state.db,
        key: &state.secrets,
        clients: &state.oidc,
        base_url,
    }
}

fn refused(refusal: Refusal, linking: bool) -> Result<Response, HttpError> {
    let page = if linking {
        "/account/security"
    } else {
        "/login"
    };
    match refusal {
        Refusal::Code(code) => {
            Ok(Redirect::to(&format!("{page}?sso_error={code}")).into_response())
        }
        Refusal::Failed(e) => Err(e.into()),
    }
}

/// Start signing in with a provider: a redirect to it (state, nonce and PKCE verifier stay
/// in this browser's session). With `link=1`, links it to the signed-in account instead.
#[utoipa::path(get, path = "/auth/login/{provider}", tag = "sso",
    params(("provider" = String, Path, description = "The provider's slug"), LoginQuery),
    responses((status = 303, description = "to the provider, or back to /login?sso_error=… when it cannot be used")))]
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    Path(provider): Path<String>,
    Query(q): Query<LoginQuery>,
    resolved: axum::Extension<Resolved>,
) -> Result<Response, HttpError> {
    let linking = q.link == Some(1);
    let ctx = match (&resolved.0.0, linking) {
        (Ok(ctx), true) => Some(ctx),
        (Err(e), true) => return Err(HttpError(e.clone())),
        _ => None,
    };
    let base = state.base_url();
    let url = sso::begin(
        env(&state, &base),
        &session,
        &provider,
        q.next.as_deref(),
        ctx,
    )
    .await;
    match url {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(r) => refused(r, linking),
    }
}

/// Where providers send the browser back: checks `state` and `iss`, exchanges the code,
/// validates the ID token and signs in (or asks for the second factor).
#[utoipa::path(get, path = "/auth/callback", tag = "sso",
    params(("code" = Option<String>, Query), ("state" = Option<String>, Query), ("iss" = Option<String>, Query), ("error" = Option<String>, Query)),
    responses((status = 303, description = "into the console, to /login/mfa, or back to /login?sso_error=…")))]
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Result<Response, HttpError> {
    let base = state.base_url();
    let done = sso::finish(env(&state, &base), &session, cb, ip.as_deref()).await;
    match done {
        Ok(Finished::SignedIn {
            user,
            provider_id,
            next,
        }) => {
            let ua = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok());
            sessions::sign_in(&session, &user, ip.as_deref(), ua).await?;
            session
                .insert(sso::SIGNED_IN_WITH, provider_id)
                .await
                .map_err(|e| ops_auth::AuthError::Internal(e.to_string()))?;
            Ok(Redirect::to(&next).into_response())
        }
        Ok(Finished::SecondFactor { user, next }) => {
            sessions::begin_pending(&session, &user).await?;
            let next = format!("/login/mfa?next={}", crate::http::mw::urlencode(&next));
            Ok(Redirect::to(&next).into_response())
        }
        Ok(Finished::Linked) => Ok(Redirect::to("/account/security?linked=1").into_response()),
        Err(r) => {
            let linking = matches!(&r, Refusal::Code("taken"));
            refused(r, linking)
        }
    }
}

/// Sign out, and out of the provider too when the session came through one that supports
/// RP-initiated logout. Works signed out as well (then only redirects).
#[utoipa::path(get, path = "/auth/logout", tag = "sso",
    responses((status = 303, description = "to the provider's end-session endpoint or to /login")))]
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    resolved: axum::Extension<Resolved>,
) -> Result<Response, HttpError> {
    let Ok(ctx) = &resolved.0.0 else {
        return Ok(Redirect::to("/login").into_response());
    };
    let via: Option<String> = session.get(sso::SIGNED_IN_WITH).await.ok().flatten();
    sessions::sign_out(&state.db, &session, ctx).await?;
    let base = state.base_url();
    let to = match via {
        Some(p) => sso::logout_url(env(&state, &base), &p).await,
        None => None,
    };
    Ok(Redirect::to(to.as_deref().unwrap_or("/login")).into_response())
}

/// The same, for a sign-out button (a form post).
#[utoipa::path(post, path = "/auth/logout", tag = "sso",
    responses((status = 303, description = "to the provider's end-session endpoint or to /login")))]
pub async fn logout_post(
    state: State<AppState>,
    session: Session,
    resolved: axum::Extension<Resolved>,
) -> Result<Response, HttpError> {
    logout(state, session, resolved).await
}

/// The sign-in buttons: enabled providers.
#[utoipa::path(get, path = "/api/v1/auth/sso/providers", tag = "sso",
    responses((status = 200, body = Vec<SsoButton>)))]
pub async fn buttons(State(state): State<AppState>) -> Result<Json<Vec<SsoButton>>, HttpError> {
    Ok(Json(providers::buttons(&state.db).await?))
}

/// Your linked sign-in providers.
#[utoipa::path(get, path = "/api/v1/auth/identities", tag = "sso",
    responses((status = 200, body = Vec<LinkedIdentity>)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn identities(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<LinkedIdentity>>, HttpError> {
    Ok(Json(accept::identities(&state.db, &ctx).await?))
}

/// Unlink a provider from your account (refused when it is your only way to sign in).
#[utoipa::path(delete, path = "/api/v1/auth/identities/{provider_id}", tag = "sso",
    params(("provider_id" = String, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "your only way to sign in")),
    security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn unlink(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(provider_id): Path<String>,
) -> Result<StatusCode, HttpError> {
    accept::unlink(&state.db, &ctx, &provider_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every configured provider (client secrets only as hints).
#[utoipa::path(get, path = "/api/v1/admin/sso/providers", tag = "sso",
    responses((status = 200, body = Vec<SsoProvider>)), security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn list(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Json<Vec<SsoProvider>>, HttpError> {
    Ok(Json(
        providers::list(&state.db, &state.secrets, &ctx).await?,
    ))
}

/// Add a provider; the client secret is sealed at rest.
#[utoipa::path(post, path = "/api/v1/admin/sso/providers", tag = "sso", request_body = SsoProviderForm,
    responses((status = 201, body = SsoProvider), (status = 422)), security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn create(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiJson(form): ApiJson<SsoProviderForm>,
) -> Result<(StatusCode, Json<SsoProvider>), HttpError> {
    let p = providers::create(&state.db, &state.secrets, &ctx, form).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// One provider.
#[utoipa::path(get, path = "/api/v1/admin/sso/providers/{id}", tag = "sso", params(("id" = String, Path)),
    responses((status = 200, body = SsoProvider), (status = 404)), security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn get(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Json<SsoProvider>, HttpError> {
    Ok(Json(
        providers::get(&state.db, &state.secrets, &ctx, &id).await?,
    ))
}

/// Change a provider (a secret left out stays as it was).
#[utoipa::path(put, path = "/api/v1/admin/sso/providers/{id}", tag = "sso", params(("id" = String, Path)), request_body = SsoProviderForm,
    responses((status = 200, body = SsoProvider), (status = 404), (status = 409, description = "defined in the config file"), (status = 422)),
    security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn update(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<SsoProviderForm>,
) -> Result<Json<SsoProvider>, HttpError> {
    Ok(Json(
        providers::update(&state.db, &state.secrets, &ctx, &id, form).await?,
    ))
}

/// Remove a provider and its links (people keep their accounts).
#[utoipa::path(delete, path = "/api/v1/admin/sso/providers/{id}", tag = "sso", params(("id" = String, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "defined in the config file")),
    security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    providers::delete(&state.db, &state.secrets, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Try the provider's discovery document and keys now.
#[utoipa::path(post, path = "/api/v1/admin/sso/providers/{id}/check", tag = "sso", params(("id" = String, Path)),
    responses((status = 200, body = SsoCheck), (status = 404)), security(("session" = ["settings_manage"]), ("api_key" = ["settings_manage"])))]
pub async fn check(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Json<SsoCheck>, HttpError> {
    let base = state.base_url();
    Ok(Json(
        providers::check(&state.db, &state.secrets, &state.oidc, &ctx, &id, &base).await?,
    ))
}

/// Unlink one of a user's sign-in providers (administrators).
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}/identities/{provider_id}", tag = "sso",
    params(("user_id" = String, Path), ("provider_id" = String, Path)),
    responses((status = 204), (status = 404)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn admin_unlink(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path((user_id, provider_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    accept::admin_unlink(&state.db, &ctx, &user_id, &provider_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
