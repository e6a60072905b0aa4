//! Sign-in, sign-out, first-run setup and "who am I" for the UI.

#[cfg(feature = "ssr")]
use super::ssr::{client_ip, ctx, session, state, user_agent};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use ops_auth::http::safe_next;
use ops_types::{ApiError, Me, SessionInfo};

/// The signed-in user, or `None`.
#[server(prefix = "/api/ui", endpoint = "me")]
pub async fn current_user() -> Result<Option<Me>, ApiError> {
    let Ok(ctx) = ctx() else { return Ok(None) };
    Ok(Some(ops_auth::users::me(&state()?.db, &ctx).await?))
}

/// Signs in and sends the browser on to `next` (a local path) or the dashboard; to the
/// second-factor page first when the account has one.
#[server(prefix = "/api/ui", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), ApiError> {
    use ops_auth::login::LoginOutcome;
    let st = state()?;
    let ip = client_ip();
    let session = session()?;
    match ops_auth::login::login(&st.db, &st.limiter, &email, &password, ip.as_deref()).await? {
        LoginOutcome::SignedIn(user) => {
            ops_auth::sessions::sign_in(&session, &user, ip.as_deref(), user_agent().as_deref())
                .await?;
            leptos_axum::redirect(&safe_next(next.as_deref()));
        }
        LoginOutcome::SecondFactor(user) => {
            ops_auth::sessions::begin_pending(&session, &user).await?;
            let next = safe_next(next.as_deref());
            leptos_axum::redirect(&format!(
                "/login/mfa?next={}",
                crate::components::format::encode(&next)
            ));
        }
    }
    Ok(())
}

/// The second step: a code from the app or a recovery code; then on to `next`.
#[server(prefix = "/api/ui", endpoint = "login_mfa")]
pub async fn login_mfa(code: String, next: Option<String>) -> Result<(), ApiError> {
    let st = state()?;
    let ip = client_ip();
    let session = session()?;
    let user_id = ops_auth::sessions::pending_user(&session).await?;
    let user = ops_auth::login::second_step(
        &st.db,
        &st.secrets,
        &st.limiter,
        &user_id,
        &code,
        ip.as_deref(),
    )
    .await?;
    ops_auth::sessions::sign_in(&session, &user, ip.as_deref(), user_agent().as_deref()).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// What the setup page should show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SetupState {
    /// No admin yet and the token is valid: show the form.
    Open,
    /// No admin yet, but the link is missing, used or expired.
    BadToken,
    /// An admin exists: setup is over.
    Done,
}

#[server(prefix = "/api/ui", endpoint = "setup_state")]
pub async fn get_setup_state(token: String) -> Result<SetupState, ApiError> {
    let st = state()?;
    if !ops_auth::setup::needs_admin(&st.db).await? {
        return Ok(SetupState::Done);
    }
    Ok(if ops_auth::setup::token_valid(&st.db, &token).await? {
        SetupState::Open
    } else {
        SetupState::BadToken
    })
}

/// Creates the first administrator with the one-time token and signs them in.
#[server(prefix = "/api/ui", endpoint = "create_admin")]
pub async fn create_admin(
    token: String,
    email: String,
    display_name: String,
    password: String,
    confirm: String,
) -> Result<(), ApiError> {
    if password != confirm {
        return Err(ApiError::field(
            ops_types::ErrorCode::Validation,
            "confirm",
            "the passwords differ",
        ));
    }
    let st = state()?;
    let ip = client_ip();
    let user = ops_auth::setup::create_first_admin(
        &st.db,
        &token,
        &email,
        &display_name,
        &password,
        ip.as_deref(),
    )
    .await?;
    ops_auth::sessions::sign_in(&session()?, &user, ip.as_deref(), user_agent().as_deref()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api/ui", endpoint = "session_info")]
pub async fn get_session_info() -> Result<SessionInfo, ApiError> {
    let st = state()?;
    let ctx = ctx()?;
    let session = session().ok();
    ops_auth::sessions::info(&ctx, session.as_ref(), st.session_absolute_ms).map_err(ApiError::from)
}
