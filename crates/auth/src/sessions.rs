//! Browser sessions on top of tower-sessions: sign-in (with id rotation), sign-out, and
//! resolving the cookie to an `AuthCtx` with idle and absolute expiry.

use ops_db::{Db, now_ms, record_audit};
use ops_types::{Permission, SessionInfo};
use tower_sessions::Session;

use crate::{AuthCtx, AuthError, AuthMethod, User, users};

pub const USER_ID: &str = "user_id";
pub const AUTH_AT: &str = "auth_at";
pub const IP: &str = "ip";
pub const USER_AGENT: &str = "user_agent";
/// A user who gave the right password and still owes the second factor, and since when.
const PENDING_USER: &str = "pending_user";
const PENDING_AT: &str = "pending_at";
/// How long the second step may take.
const PENDING_MS: i64 = 5 * 60_000;
/// When the session was last marked active; refreshed at most once a minute, which also
/// pushes the idle expiry forward (the store writes the row only when the session changes).
pub const SEEN_AT: &str = "seen_at";
const SEEN_GRANULARITY_MS: i64 = 60_000;

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
    clear_pending(session).await?;
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

/// Marks the session as waiting for `user`'s second factor (a new id; nobody is signed in yet).
pub async fn begin_pending(session: &Session, user: &User) -> Result<(), AuthError> {
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(PENDING_USER, &user.id)
        .await
        .map_err(internal)?;
    session
        .insert(PENDING_AT, now_ms())
        .await
        .map_err(internal)?;
    Ok(())
}

/// The user waiting for their second factor in this session, if the wait has not expired.
pub async fn pending_user(session: &Session) -> Result<String, AuthError> {
    let user = session
        .get::<String>(PENDING_USER)
        .await
        .map_err(internal)?;
    let at = session
        .get::<i64>(PENDING_AT)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    match user {
        Some(u) if now_ms() - at < PENDING_MS => Ok(u),
        _ => Err(AuthError::invalid(
            "code",
            "the sign-in has expired; enter your password again",
        )),
    }
}

async fn clear_pending(session: &Session) -> Result<(), AuthError> {
    session.remove_value(PENDING_USER).await.map_err(internal)?;
    session.remove_value(PENDING_AT).await.map_err(internal)?;
    Ok(())
}

/// Ends the current session (its row is deleted), then audits it. A caller signed in with an
/// API key has no session to end: nothing changes and nothing is audited.
pub async fn sign_out(db: &Db, session: &Session, ctx: &AuthCtx) -> Result<(), AuthError> {
    if !matches!(ctx.method, AuthMethod::Session { .. }) {
        return Ok(());
    }
    session.flush().await.map_err(internal)?;
    let mut tx = db.begin().await?;
    record_audit(&mut tx, ctx.audit_self("auth.logout")).await?;
    tx.commit().await?;
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
    let now = now_ms();
    let seen = session
        .get::<i64>(SEEN_AT)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    if now - seen >= SEEN_GRANULARITY_MS {
        session.insert(SEEN_AT, now).await.map_err(internal)?;
    }
    if seen == 0 {
        // The session's first request: is this a device they have not used before?
        let ua = session.get::<String>(USER_AGENT).await.map_err(internal)?;
        crate::devices::remember(db, &user.id, ua.as_deref(), ip).await?;
    }
    let session_id = session.id().map(|id| id.to_string()).unwrap_or_default();
    let mfa_missing = crate::mfa::enrolment_missing(db, &user).await?;
    let ctx = AuthCtx {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        role: user.role,
        method: AuthMethod::Session {
            auth_at,
            session_id,
        },
        ip: ip.map(str::to_string),
        impersonation: None,
        mfa_missing,
    };
    if mfa_missing {
        return Ok(ctx);
    }
    crate::impersonation::apply(db, session, ctx).await
}

/// Describes how the caller is signed in.
pub fn info(
    ctx: &AuthCtx,
    session: Option<&Session>,
    absolute_ms: i64,
) -> Result<SessionInfo, AuthError> {
    ctx.require(Permission::AccountRead)?;
    Ok(match &ctx.method {
        AuthMethod::Session { auth_at, .. } => SessionInfo {
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

/// Whether the caller is still who they were: the session row or the API key still exists
/// and the user is still enabled. Long-lived streams ask this now and then.
pub async fn still_valid(db: &Db, ctx: &AuthCtx) -> Result<bool, AuthError> {
    let query = match &ctx.method {
        AuthMethod::Session { session_id, .. } => sqlx::query(
            "SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(session_id)
        .bind(now_ms()),
        AuthMethod::ApiKey { key_id } => sqlx::query(
            "SELECT COUNT(*) AS n FROM api_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.key_id = $1 AND k.revoked_at IS NULL AND u.disabled = 0 \
             AND (k.expires_at IS NULL OR k.expires_at > $2)",
        )
        .bind(key_id)
        .bind(now_ms()),
    };
    let row = query.fetch_one(db.pool()).await?;
    Ok(ops_db::Row::try_get::<i64, _>(&row, "n")? == 1)
}
