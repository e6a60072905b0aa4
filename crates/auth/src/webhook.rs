//! Signing of notification webhooks, as Standard Webhooks describe: each POST carries
//! `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64>`, the
//! HMAC-SHA256 of `"{id}.{timestamp}.{body}"` under the user's secret (`whsec_<base64 key>`).
//! The secret is sealed with the master key and shown in full only when it is created.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use ops_db::{AnyConnection, Db, Row, record_audit};
use ops_secrets::MasterKey;
use ops_types::{Permission, WebhookSecret};
use sha2::Sha256;

use crate::{AuthCtx, AuthError};

const PREFIX: &str = "whsec_";

fn context(user_id: &str) -> String {
    format!("webhook_secret:{user_id}")
}

/// Creates (or replaces) `user_id`'s signing secret and returns it, in full, this once.
pub(crate) async fn replace_secret(
    conn: &mut AnyConnection,
    key: &MasterKey,
    user_id: &str,
) -> Result<WebhookSecret, AuthError> {
    let mut raw = [0u8; 24];
    getrandom::getrandom(&mut raw).map_err(|e| AuthError::Internal(format!("rng: {e}")))?;
    let secret = format!("{PREFIX}{}", B64.encode(raw));
    let sealed = key
        .seal(&context(user_id), &secret)
        .map_err(|e| AuthError::Internal(format!("webhook secret: {e}")))?;
    let hint = ops_secrets::hint(&secret);
    sqlx::query("UPDATE users SET webhook_secret = $2, webhook_secret_hint = $3 WHERE id = $1")
        .bind(user_id)
        .bind(&sealed)
        .bind(&hint)
        .execute(&mut *conn)
        .await?;
    Ok(WebhookSecret { secret, hint })
}

/// `POST /api/v1/auth/notifications/webhook-secret`: a new signing secret for the caller's
/// webhook; the old one stops signing at once.
pub async fn rotate(db: &Db, key: &MasterKey, ctx: &AuthCtx) -> Result<WebhookSecret, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let mut tx = db.begin().await?;
    let url: Option<String> = sqlx::query("SELECT webhook_url FROM users WHERE id = $1")
        .bind(&ctx.user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("webhook_url")?;
    if url.is_none() {
        return Err(AuthError::invalid(
            "webhook_url",
            "set a webhook address first: its secret is made with it",
        ));
    }
    let out = replace_secret(&mut tx, key, &ctx.user_id).await?;
    record_audit(&mut tx, ctx.audit_self("user.webhook_secret_rotate")).await?;
    tx.commit().await?;
    Ok(out)
}

/// The `webhook-signature` header value for one delivery, or `None` if `sealed` cannot be
/// opened or is not a secret of ours (the delivery is then not sent).
pub(crate) fn signature(
    key: &MasterKey,
    user_id: &str,
    sealed: &str,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Option<String> {
    let secret = key.open(&context(user_id), sealed).ok()?;
    sign(&secret, id, timestamp, body)
}

fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let raw = B64.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&raw).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_standard_webhooks_do() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("not-ours", "id", 1, body), None);
    }
}
