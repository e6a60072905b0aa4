//! Notifications by each person's preferences. [`queue`] writes one in the transaction of the
//! change it tells about (so it exists exactly when the change does); the in-app channel is
//! that row, shown in the console's inbox; e-mail and webhook deliveries are made by
//! [`run_sender`] in the background, retried with back-off, never undoing the change.

use std::time::Duration;

use ops_db::{Db, Row, Tx, new_id, now_ms};
use ops_secrets::MasterKey;
use ops_types::{Inbox, NotificationKind, NotificationView, Permission};

use crate::{AuthCtx, AuthError, notifications, webhook};

/// What to tell someone.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    /// A console path to open, e.g. `/account/security`.
    pub link: Option<String>,
}

impl Notice {
    pub fn new(
        kind: NotificationKind,
        title: impl Into<String>,
        body: impl Into<String>,
    ) -> Notice {
        Notice {
            kind,
            title: title.into(),
            body: body.into(),
            link: None,
        }
    }

    pub fn link(self, path: &str) -> Notice {
        Notice {
            link: Some(path.to_string()),
            ..self
        }
    }
}

/// Records `notice` for `user_id` on the channels they chose for its kind.
pub async fn queue(tx: &mut Tx, user_id: &str, n: Notice) -> Result<(), AuthError> {
    let prefs = notifications::prefs_in(tx, user_id).await?;
    let Some(p) = prefs.prefs.iter().find(|p| p.kind == n.kind) else {
        return Ok(());
    };
    let webhook = p.webhook && prefs.webhook_url.is_some();
    if !(p.in_app || p.email || webhook) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, title, body, link, in_app, email, webhook, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(n.kind.as_str())
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(i64::from(p.in_app))
    .bind(i64::from(p.email))
    .bind(i64::from(webhook))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const MAX_ATTEMPTS: i64 = 5;

/// Sends pending e-mail and webhook deliveries every `every`, forever.
pub async fn run_sender(db: Db, key: MasterKey, every: Duration) {
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    loop {
        if let Err(e) = send_pending(&db, &key, &http).await {
            tracing::warn!(error = %e, "notification sender");
        }
        tokio::time::sleep(every).await;
    }
}

struct Pending {
    id: String,
    kind: String,
    title: String,
    body: String,
    link: Option<String>,
    email: bool,
    webhook: bool,
    attempts: i64,
    to: String,
    user_id: String,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
}

async fn send_pending(
    db: &Db,
    key: &MasterKey,
    http: &openidconnect::reqwest::Client,
) -> Result<(), AuthError> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT n.id, n.kind, n.title, n.body, n.link, n.email, n.webhook, n.attempts, u.email AS addr, \
         u.id AS user_id, u.webhook_url, u.webhook_secret \
         FROM notifications n JOIN users u ON u.id = n.user_id \
         WHERE (n.email = 1 OR n.webhook = 1) AND n.next_try_at <= $1 ORDER BY n.created_at LIMIT 20",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    for r in rows {
        let p = Pending {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            link: r.try_get("link")?,
            email: r.try_get::<i64, _>("email")? == 1,
            webhook: r.try_get::<i64, _>("webhook")? == 1,
            attempts: r.try_get("attempts")?,
            to: r.try_get("addr")?,
            user_id: r.try_get("user_id")?,
            webhook_url: r.try_get("webhook_url")?,
            webhook_secret: r.try_get("webhook_secret")?,
        };
        // Claim it (another replica may be looking at the same row).
        let claimed = sqlx::query(
            "UPDATE notifications SET email = CASE WHEN email = 1 THEN 2 ELSE email END, \
             webhook = CASE WHEN webhook = 1 THEN 2 ELSE webhook END WHERE id = $1 AND (email = 1 OR webhook = 1)",
        )
        .bind(&p.id)
        .execute(db.pool())
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        let email_left = p.email && !send_mail(db, key, &p).await;
        let webhook_left = p.webhook && !post_webhook(http, key, &p).await;
        let attempts = p.attempts + 1;
        let retry = (email_left || webhook_left) && attempts < MAX_ATTEMPTS;
        let left = |l: bool| i64::from(l && retry);
        sqlx::query(
            "UPDATE notifications SET email = $2, webhook = $3, attempts = $4, next_try_at = $5 WHERE id = $1",
        )
        .bind(&p.id)
        .bind(left(email_left))
        .bind(left(webhook_left))
        .bind(attempts)
        .bind(now_ms() + 30_000 * (1 << attempts.min(8)))
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// Whether the mail is done with (sent, or there is no e-mail set up to send it with).
async fn send_mail(db: &Db, key: &MasterKey, p: &Pending) -> bool {
    match ops_mail::load(db).await {
        Ok(Some(_)) => {}
        Ok(None) => return true,
        Err(e) => {
            tracing::warn!(error = %e, "notification e-mail: settings");
            return false;
        }
    }
    let mail = ops_mail::Mail {
        to: p.to.clone(),
        subject: p.title.clone(),
        text: format!(
            "{}\n\n— Ops-Center ({} notice; choose what you receive under Account → Notifications)\n",
            p.body, p.kind
        ),
    };
    match ops_mail::send(db, key, mail).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "notification e-mail not sent");
            false
        }
    }
}

/// Whether the webhook is done with (delivered, or no valid address or secret any more).
/// Deliveries are signed; one whose secret cannot be opened is dropped, never sent unsigned.
async fn post_webhook(http: &openidconnect::reqwest::Client, key: &MasterKey, p: &Pending) -> bool {
    let Some(url) = p
        .webhook_url
        .as_deref()
        .filter(|u| notifications::valid_webhook(u))
    else {
        return true;
    };
    let body = serde_json::json!({
        "id": p.id, "kind": p.kind, "title": p.title, "body": p.body, "link": p.link,
    })
    .to_string();
    let timestamp = now_ms() / 1000;
    let signature = p
        .webhook_secret
        .as_deref()
        .and_then(|s| webhook::signature(key, &p.user_id, s, &p.id, timestamp, &body));
    let Some(signature) = signature else {
        tracing::warn!(notification = %p.id, "webhook secret missing or unreadable: delivery dropped");
        return true;
    };
    let res = http
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "ops-center")
        .header("webhook-id", &p.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => {
            tracing::warn!(status = %r.status(), "notification webhook refused");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "notification webhook failed");
            false
        }
    }
}

/// The caller's latest in-app notifications (100 at most) and how many are unread.
pub async fn inbox(db: &Db, ctx: &AuthCtx) -> Result<Inbox, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let rows = sqlx::query(
        "SELECT id, kind, title, body, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND in_app = 1 ORDER BY created_at DESC, id DESC LIMIT 100",
    )
    .bind(&ctx.user_id)
    .fetch_all(db.pool())
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(NotificationView {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                link: r.try_get("link")?,
                created_at: r.try_get("created_at")?,
                read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
            })
        })
        .collect::<Result<Vec<_>, AuthError>>()?;
    let unread: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND in_app = 1 AND read_at IS NULL",
    )
    .bind(&ctx.user_id)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    Ok(Inbox { unread, items })
}

/// Marks one notification (`Some`) or all of them read.
pub async fn mark_read(db: &Db, ctx: &AuthCtx, id: Option<&str>) -> Result<(), AuthError> {
    ctx.require(Permission::AccountRead)?;
    let now = now_ms();
    let res = match id {
        Some(id) => {
            sqlx::query(
                "UPDATE notifications SET read_at = COALESCE(read_at, $3) \
                 WHERE id = $1 AND user_id = $2 AND in_app = 1",
            )
            .bind(id)
            .bind(&ctx.user_id)
            .bind(now)
            .execute(db.pool())
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND in_app = 1 AND read_at IS NULL",
            )
            .bind(&ctx.user_id)
            .bind(now)
            .execute(db.pool())
            .await?
        }
    };
    if id.is_some() && res.rows_affected() == 0 {
        return Err(AuthError::NotFound("notification"));
    }
    Ok(())
}
