//! Notification preferences: per kind, which channels (email, in-app, webhook) to use, and
//! the webhook address. Kinds without a stored row use their defaults.

use ops_db::{AnyConnection, AuditRecord, Db, Row, record_audit};
use ops_secrets::MasterKey;
use ops_types::{NotificationKind, NotificationPref, NotificationPrefs, Permission};

use crate::{AuthCtx, AuthError, webhook};

/// An absolute `https://` URL, or `http://` to a loopback host (local receivers in tests).
pub fn valid_webhook(url: &str) -> bool {
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or("");
        if !(host == "localhost" || host == "127.0.0.1" || r.starts_with("[::1]")) {
            return false;
        }
        r
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    url.len() <= 500
        && !host.is_empty()
        && !host.contains('@')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub async fn get(db: &Db, ctx: &AuthCtx) -> Result<NotificationPrefs, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let mut conn = db.pool().acquire().await?;
    prefs_in(&mut conn, &ctx.user_id).await
}

/// `user_id`'s preferences (stored ones over the defaults).
pub(crate) async fn prefs_in(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<NotificationPrefs, AuthError> {
    let user = sqlx::query("SELECT webhook_url, webhook_secret_hint FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    let webhook_url: Option<String> = user.try_get("webhook_url")?;
    let webhook_secret_hint: Option<String> = user.try_get("webhook_secret_hint")?;
    let rows = sqlx::query(
        "SELECT kind, email, in_app, webhook FROM notification_prefs WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut prefs: Vec<NotificationPref> = NotificationKind::ALL
        .into_iter()
        .map(|kind| {
            let (email, in_app, webhook) = kind.default_channels();
            NotificationPref {
                kind,
                email,
                in_app,
                webhook,
            }
        })
        .collect();
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        if let Some(p) = prefs.iter_mut().find(|p| p.kind.as_str() == kind) {
            p.email = r.try_get::<i64, _>("email")? != 0;
            p.in_app = r.try_get::<i64, _>("in_app")? != 0;
            p.webhook = r.try_get::<i64, _>("webhook")? != 0;
        }
    }
    Ok(NotificationPrefs {
        webhook_url,
        webhook_secret_hint,
        new_webhook_secret: None,
        prefs,
    })
}

/// Replaces the preferences of the kinds given (others keep theirs) and the webhook address.
/// Setting an address for the first time creates its signing secret, returned this once;
/// removing the address removes the secret.
pub async fn put(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: NotificationPrefs,
) -> Result<NotificationPrefs, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let webhook_url = input
        .webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    if let Some(url) = webhook_url
        && !valid_webhook(url)
    {
        return Err(AuthError::invalid(
            "webhook_url",
            "use an https:// address (http:// only for localhost)",
        ));
    }
    if webhook_url.is_none() && input.prefs.iter().any(|p| p.webhook) {
        return Err(AuthError::invalid(
            "webhook_url",
            "set a webhook address before choosing webhook delivery",
        ));
    }
    let mut tx = db.begin().await?;
    let had_secret = sqlx::query("SELECT webhook_secret FROM users WHERE id = $1")
        .bind(&ctx.user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get::<Option<String>, _>("webhook_secret")?
        .is_some();
    sqlx::query("UPDATE users SET webhook_url = $2 WHERE id = $1")
        .bind(&ctx.user_id)
        .bind(webhook_url)
        .execute(&mut *tx)
        .await?;
    let new_secret = match (webhook_url, had_secret) {
        (Some(_), false) => Some(webhook::replace_secret(&mut tx, key, &ctx.user_id).await?),
        (None, true) => {
            sqlx::query(
                "UPDATE users SET webhook_secret = NULL, webhook_secret_hint = NULL WHERE id = $1",
            )
            .bind(&ctx.user_id)
            .execute(&mut *tx)
            .await?;
            None
        }
        _ => None,
    };
    for p in &input.prefs {
        sqlx::query("DELETE FROM notification_prefs WHERE user_id = $1 AND kind = $2")
            .bind(&ctx.user_id)
            .bind(p.kind.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO notification_prefs (user_id, kind, email, in_app, webhook) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&ctx.user_id)
        .bind(p.kind.as_str())
        .bind(i64::from(p.email))
        .bind(i64::from(p.in_app))
        .bind(i64::from(p.webhook))
        .execute(&mut *tx)
        .await?;
    }
    let detail = format!("kinds={}", input.prefs.len());
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            ..ctx.audit_self("user.notifications_update")
        },
    )
    .await?;
    tx.commit().await?;
    let mut out = get(db, ctx).await?;
    out.new_webhook_secret = new_secret.map(|s| s.secret);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_must_be_https_or_loopback() {
        assert!(valid_webhook("https://hooks.example.com/x?y=1"));
        assert!(valid_webhook("http://127.0.0.1:9000/hook"));
        assert!(valid_webhook("http://localhost/hook"));
        for bad in [
            "http://example.com/x",
            "ftp://x",
            "https://",
            "https://user@evil.com",
            "https://a b.com",
            "javascript:alert(1)",
        ] {
            assert!(!valid_webhook(bad), "{bad}");
        }
    }
}
