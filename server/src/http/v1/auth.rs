//! `/api/v1/auth/*`: sign in and out, who am I, how am I signed in.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ops_auth::login::LoginOutcome;
use ops_auth::{AuthCtx, ClientIp, HttpError, User, login as login_service, sessions, users};
use ops_types::{LoginForm, Me, MfaChallenge, MfaCode, SessionInfo};
use tower_sessions::Session;

use crate::http::json::ApiJson;
use crate::state::AppState;

/// Sign in with email and password; sets the session cookie. When the account has two-factor
/// sign-in, the answer is 202 and `POST /api/v1/auth/mfa/verify` completes it.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginForm,
    responses((status = 200, body = Me), (status = 202, body = MfaChallenge, description = "send the second factor"),
              (status = 401, description = "wrong email or password"),
              (status = 422, description = "a field is missing or malformed"),
              (status = 429, description = "too many failed attempts; see Retry-After")))]
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(form): ApiJson<LoginForm>,
) -> Result<Response, HttpError> {
    let outcome = login_service::login(
        &state.db,
        &state.limiter,
        &form.email,
        &form.password,
        ip.as_deref(),
    )
    .await?;
    match outcome {
        LoginOutcome::SignedIn(user) => Ok(start_session(&session, &user, ip, &headers)
            .await?
            .into_response()),
        LoginOutcome::SecondFactor(user) => {
            sessions::begin_pending(&session, &user).await?;
            let challenge = MfaChallenge {
                mfa_required: true,
                methods: vec!["totp".into(), "recovery_code".into()],
            };
            Ok((StatusCode::ACCEPTED, Json(challenge)).into_response())
        }
    }
}

/// The second step of sign-in: a code from the authenticator app, or a recovery code.
#[utoipa::path(post, path = "/api/v1/auth/mfa/verify", tag = "auth", request_body = MfaCode,
    responses((status = 200, body = Me), (status = 422, description = "wrong, expired or used code"),
              (status = 429, description = "too many attempts; see Retry-After")))]
pub async fn mfa_verify(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(input): ApiJson<MfaCode>,
) -> Result<Json<Me>, HttpError> {
    let user_id = sessions::pending_user(&session).await?;
    let user = login_service::second_step(
        &state.db,
        &state.secrets,
        &state.limiter,
        &user_id,
        &input.code,
        ip.as_deref(),
    )
    .await?;
    start_session(&session, &user, ip, &headers).await
}

/// Starts a session for a user who just proved who they are; answers with the user.
pub(super) async fn start_session(
    session: &Session,
    user: &User,
    ip: Option<String>,
    headers: &HeaderMap,
) -> Result<Json<Me>, HttpError> {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    sessions::sign_in(session, user, ip.as_deref(), ua).await?;
    Ok(Json(user.me()))
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "signed out")), security(("session" = []), ("api_key" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    ctx: AuthCtx,
    session: Session,
) -> Result<StatusCode, HttpError> {
    sessions::sign_out(&state.db, &session, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = Me)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn me(State(state): State<AppState>, ctx: AuthCtx) -> Result<Json<Me>, HttpError> {
    Ok(Json(users::me(&state.db, &ctx).await?))
}

/// How the caller is signed in, and when that ends.
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "auth",
    responses((status = 200, body = SessionInfo)), security(("session" = ["account_read"]), ("api_key" = ["account_read"])))]
pub async fn session(
    State(state): State<AppState>,
    ctx: AuthCtx,
    session: Session,
) -> Result<Json<SessionInfo>, HttpError> {
    Ok(Json(sessions::info(
        &ctx,
        Some(&session),
        state.session_absolute_ms(),
    )?))
}
