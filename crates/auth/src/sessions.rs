//! Browser sessions on top of tower-sessions: sign-in (with id rotation), sign-out, and
//! resolving the cookie to an `AuthCtx` with idle and absolute expiry.

use ops_db::{AuditRecord, Db, now_ms, record_audit};
use ops_types::{Permission, SessionInfo};
use tower_sessions::Session;

use crate::{AuthCtx, AuthError, AuthMethod, User, users};

pub const USER_ID: &str = "user_id";
pub const AUTH_AT: &str = "auth_at";
pub const IP: &str = "ip";
pub const USER_AGENT: &str = "user_agent";

fn internal(e: impl std::fmt::Display) -> AuthError {
    AuthError::Internal(format!("session: {e}"))
}

/// Starts a session for `user`: a new session id (no fixation), then the identity.
pub async fn sign_in(
    session: &Session,
    user: &User,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(), AuthError> {
    session.cycle_id().await.map_err(internal)?;
    session.insert(USER_ID, &user.id).await.map_err(internal)?;
    session.insert(AUTH_AT, now_ms()).await.map_err(internal)?;
    if let Some(ip) = ip {
        session.insert(IP, ip).await.map_err(internal)?;
    }
    if let Some(ua) = user_agent {
        session.insert(USER_AGENT, ua).await.map_err(internal)?;
    }
    Ok(())
}

/// Ends the current session (its row is deleted) and audits it.
pub async fn sign_out(db: &Db, session: &Session, ctx: Option<&AuthCtx>) -> Result<(), AuthError> {
    if let Some(ctx) = ctx {
        let mut tx = db.begin().await?;
        record_audit(
            &mut tx,
            AuditRecord {
                actor_id: Some(&ctx.user_id),
                action: "auth.logout",
                target: Some(&ctx.user_id),
                ip: ctx.ip.as_deref(),
                detail: None,
            },
        )
        .await?;
        tx.commit().await?;
    }
    session.flush().await.map_err(internal)?;
    Ok(())
}

/// Resolves a session cookie. `Unauthenticated` when there is no signed-in user;
/// `SessionExpired` past the absolute lifetime (the session is then ended).
pub async fn resolve(
    db: &Db,
    session: &Session,
    absolute_ms: i64,
    ip: Option<&str>,
) -> Result<AuthCtx, AuthError> {
    let Some(user_id) = session.get::<String>(USER_ID).await.map_err(internal)? else {
        return Err(AuthError::Unauthenticated);
    };
    let auth_at = session
        .get::<i64>(AUTH_AT)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    if now_ms() - auth_at > absolute_ms {
        session.flush().await.map_err(internal)?;
        return Err(AuthError::SessionExpired);
    }
    let user = users::find_by_id(db, &user_id)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    if user.disabled {
        session.flush().await.map_err(internal)?;
        return Err(AuthError::Unauthenticated);
    }
    Ok(AuthCtx {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        role: user.role,
        method: AuthMethod::Session { auth_at },
        ip: ip.map(str::to_string),
    })
}

/// Describes how the caller is signed in.
pub fn info(
    ctx: &AuthCtx,
    session: Option<&Session>,
    absolute_ms: i64,
) -> Result<SessionInfo, AuthError> {
    ctx.require(Permission::AccountRead)?;
    Ok(match &ctx.method {
        AuthMethod::Session { auth_at } => SessionInfo {
            method: "session".into(),
            user_id: ctx.user_id.clone(),
            created_at: Some(*auth_at),
            idle_expires_at: session.map(|s| s.expiry_date().unix_timestamp() * 1000),
            absolute_expires_at: Some(auth_at + absolute_ms),
        },
        AuthMethod::ApiKey { .. } => SessionInfo {
            method: "api_key".into(),
            user_id: ctx.user_id.clone(),
            created_at: None,
            idle_expires_at: None,
            absolute_expires_at: None,
        },
    })
}
