//! Sessions as devices: listing and revoking one's own, and an administrator doing the same
//! for any user. Rows are identified to clients by a hash of the session id, so neither an
//! owner's page nor an administrator ever sees a usable cookie value. Deleting the row ends
//! the session on its next request.

use ops_db::{AnyConnection, AuditRecord, Db, Row, now_ms, record_audit};
use ops_types::{Permission, Revoked, SessionView};
use sha2::{Digest, Sha256};

use crate::{AuthCtx, AuthError, AuthMethod, users};

/// The public handle of a session id.
pub fn handle(session_id: &str) -> String {
    let digest = Sha256::digest(session_id.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// "Firefox on Linux" from a user agent string; "Unknown device" when nothing matches.
pub fn device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests", "Python"),
        ("reqwest", "reqwest"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => format!("Browser on {o}"),
        (None, None) => "Unknown device".into(),
    }
}

/// Remembers that `user_id` signed in from `user_agent`'s kind of device; the first time for
/// a person who has signed in before, they are told (a security notice).
pub async fn remember(
    db: &Db,
    user_id: &str,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<(), AuthError> {
    let Some(ua) = user_agent else {
        return Ok(());
    };
    let label = device(Some(ua));
    let now = now_ms();
    let mut tx = db.begin().await?;
    let seen = sqlx::query(
        "UPDATE known_devices SET last_seen_at = $3 WHERE user_id = $1 AND device = $2",
    )
    .bind(user_id)
    .bind(&label)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if seen > 0 {
        tx.commit().await?;
        return Ok(());
    }
    let others: i64 = sqlx::query("SELECT COUNT(*) AS n FROM known_devices WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    let res = sqlx::query(
        "INSERT INTO known_devices (user_id, device, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(user_id)
    .bind(&label)
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = res {
        let e = ops_db::DbError::from(e);
        // Two first requests of one sign-in raced; the other one told them.
        return if e.is_unique_violation() {
            Ok(())
        } else {
            Err(e.into())
        };
    }
    if others > 0 {
        let notice = crate::notify::Notice::new(
            ops_types::NotificationKind::Security,
            format!("New sign-in from {label}"),
            format!(
                "Your Ops-Center account was signed in from {label}{}. If this was not you, change your password and end that session under Account → Security.",
                ip.map(|i| format!(" (IP {i})")).unwrap_or_default()
            ),
        )
        .link("/account/security");
        crate::notify::queue(&mut tx, user_id, notice).await?;
    }
    tx.commit().await?;
    Ok(())
}

struct Listed {
    id: String,
    view: SessionView,
}

async fn rows(db: &Db, user_id: &str, current: Option<&str>) -> Result<Vec<Listed>, AuthError> {
    let rows = sqlx::query(
        "SELECT id, ip, user_agent, created_at, last_seen_at, expires_at FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .bind(now_ms())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let user_agent: Option<String> = r.try_get("user_agent")?;
            Ok(Listed {
                view: SessionView {
                    id: handle(&id),
                    device: device(user_agent.as_deref()),
                    ip: r.try_get("ip")?,
                    user_agent,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    expires_at: r.try_get("expires_at")?,
                    current: current == Some(id.as_str()),
                },
                id,
            })
        })
        .collect()
}

fn current_id(ctx: &AuthCtx) -> Option<&str> {
    match &ctx.method {
        AuthMethod::Session { session_id, .. } => Some(session_id),
        AuthMethod::ApiKey { .. } => None,
    }
}

/// Deletes sessions of `user_id` (all, or those in `only`, never `except`) and audits it.
async fn end(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: &[String],
    rec: AuditRecord<'_>,
) -> Result<u64, AuthError> {
    let mut n = 0;
    for id in ids {
        n += sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    if n > 0 {
        let detail = format!("sessions={n}");
        record_audit(
            conn,
            AuditRecord {
                detail: Some(&detail),
                ..rec
            },
        )
        .await?;
    }
    Ok(n)
}

/// Ends every session of `user_id` except `except`, inside the caller's transaction
/// (password change, suspension, role change). Audited by the caller's own event.
pub async fn end_all(
    conn: &mut AnyConnection,
    user_id: &str,
    except: Option<&str>,
) -> Result<u64, AuthError> {
    let res = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(except.unwrap_or(""))
        .execute(&mut *conn)
        .await?;
    Ok(res.rows_affected())
}

/// The caller's own sessions, the current one marked.
pub async fn list_mine(db: &Db, ctx: &AuthCtx) -> Result<Vec<SessionView>, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let rows = rows(db, &ctx.user_id, current_id(ctx)).await?;
    Ok(rows.into_iter().map(|r| r.view).collect())
}

/// Ends one of the caller's sessions (possibly the current one).
pub async fn revoke_mine(db: &Db, ctx: &AuthCtx, handle_: &str) -> Result<Revoked, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let ids: Vec<String> = rows(db, &ctx.user_id, None)
        .await?
        .into_iter()
        .filter(|r| r.view.id == handle_)
        .map(|r| r.id)
        .collect();
    if ids.is_empty() {
        return Err(AuthError::NotFound("session"));
    }
    let mut tx = db.begin().await?;
    let rec = ctx.audit_self("session.revoke");
    let revoked = end(&mut tx, &ctx.user_id, &ids, rec).await?;
    tx.commit().await?;
    Ok(Revoked { revoked })
}

/// "Sign out everywhere else": ends all the caller's sessions but the current one.
pub async fn revoke_others(db: &Db, ctx: &AuthCtx) -> Result<Revoked, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let current = current_id(ctx);
    let ids: Vec<String> = rows(db, &ctx.user_id, None)
        .await?
        .into_iter()
        .map(|r| r.id)
        .filter(|id| Some(id.as_str()) != current)
        .collect();
    let mut tx = db.begin().await?;
    let rec = ctx.audit_self("session.revoke_others");
    let revoked = end(&mut tx, &ctx.user_id, &ids, rec).await?;
    tx.commit().await?;
    Ok(Revoked { revoked })
}

/// A user's sessions, for an administrator.
pub async fn list_for_user(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
) -> Result<Vec<SessionView>, AuthError> {
    ctx.require(Permission::UsersRead)?;
    users::find_by_id(db, user_id)
        .await?
        .ok_or(AuthError::NotFound("user"))?;
    let rows = rows(db, user_id, current_id(ctx)).await?;
    Ok(rows.into_iter().map(|r| r.view).collect())
}

/// An administrator ends one session of a user (`Some(handle)`) or all of them (`None`).
pub async fn revoke_for_user(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
    handle_: Option<&str>,
) -> Result<Revoked, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let user = users::find_by_id(db, user_id)
        .await?
        .ok_or(AuthError::NotFound("user"))?;
    let ids: Vec<String> = rows(db, user_id, None)
        .await?
        .into_iter()
        .filter(|r| handle_.is_none_or(|h| r.view.id == h))
        .map(|r| r.id)
        .collect();
    if handle_.is_some() && ids.is_empty() {
        return Err(AuthError::NotFound("session"));
    }
    let mut tx = db.begin().await?;
    let rec = AuditRecord {
        target: Some(&user.id),
        target_label: Some(&user.email),
        ..ctx.audit("session.admin_revoke")
    };
    let revoked = end(&mut tx, user_id, &ids, rec).await?;
    tx.commit().await?;
    Ok(Revoked { revoked })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_read_like_people_say_them() {
        let ff = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device(Some(ff)), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome on Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device(Some(iphone)), "Safari on iOS");
        assert_eq!(device(Some("curl/8.5.0")), "curl");
        assert_eq!(device(None), "Unknown device");
    }

    #[test]
    fn handles_hide_the_cookie_value() {
        let h = handle("secret-cookie-value");
        assert_eq!(h.len(), 24);
        assert!(!h.contains("secret"));
    }
}
