//! Bring your own key: users and organisations store their own provider keys (sealed with the
//! master key, shown masked), each tried against the provider before it is kept, with a policy
//! saying when it is used. Requests it serves are logged at list price and charged only the
//! platform fee. A key the provider starts refusing is marked failing and its owner notified;
//! it is marked ok again when it next works.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ops_db::{Row, now_ms};
use ops_types::{ApiError, BYOK_PROVIDERS, NotificationKind, OwnerKind};

use crate::Gateway;
use crate::admin::internal;
use crate::catalogue::{Kind, Provider};
use crate::meter::Owner;

pub(crate) const CONTEXT: &str = "byok_keys.key";
const TTL: Duration = Duration::from_secs(5);

/// When one's own key is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Prioritized,
    Fallback,
    Always,
}

/// An owner's key for one provider kind, opened.
#[derive(Debug, Clone)]
pub struct OwnKey {
    pub provider: String,
    pub key: String,
    pub policy: Policy,
    pub failing: bool,
}

type Entry = (Instant, Arc<Vec<OwnKey>>);

#[derive(Default)]
pub struct Byok {
    cache: Mutex<HashMap<Owner, Entry>>,
}

pub(crate) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::OpenAi => "openai",
        Kind::Anthropic => "anthropic",
        Kind::Gemini => "gemini",
        Kind::OpenRouter => "openrouter",
        Kind::Azure => "azure",
        Kind::Compatible => "openai_compatible",
    }
}

impl Byok {
    pub(crate) fn forget(&self, owner: &Owner) {
        if let Ok(mut c) = self.cache.lock() {
            c.remove(owner);
        }
    }

    /// The owner's keys (cached for a few seconds).
    pub async fn of(&self, gw: &Gateway, owner: &Owner) -> Result<Arc<Vec<OwnKey>>, ApiError> {
        if let Ok(c) = self.cache.lock()
            && let Some((at, keys)) = c.get(owner)
            && at.elapsed() < TTL
        {
            return Ok(keys.clone());
        }
        let rows = sqlx::query(
            "SELECT provider, key_sealed, policy, status FROM byok_keys WHERE owner_kind = $1 AND owner_id = $2",
        )
        .bind(owner.0.as_str())
        .bind(&owner.1)
        .fetch_all(gw.db.pool())
        .await
        .map_err(internal)?;
        let mut keys = Vec::new();
        for r in rows {
            let sealed: String = r.try_get("key_sealed").map_err(internal)?;
            let policy: String = r.try_get("policy").map_err(internal)?;
            let status: String = r.try_get("status").map_err(internal)?;
            keys.push(OwnKey {
                provider: r.try_get("provider").map_err(internal)?,
                key: gw.secrets.open(CONTEXT, &sealed).map_err(internal)?,
                policy: match policy.as_str() {
                    "fallback" => Policy::Fallback,
                    "always" => Policy::Always,
                    _ => Policy::Prioritized,
                },
                failing: status == "failing",
            });
        }
        let keys = Arc::new(keys);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(owner.clone(), (Instant::now(), keys.clone()));
        }
        Ok(keys)
    }

    /// The owner's key for `p`'s kind, if any.
    pub fn for_provider<'k>(keys: &'k [OwnKey], p: &Provider) -> Option<&'k OwnKey> {
        let kind = kind_name(p.kind);
        keys.iter().find(|k| k.provider == kind)
    }

    /// Records how the provider took an owner's key: marks it failing (and tells the owner)
    /// or ok again, only when that changes.
    pub fn report(&self, gw: &Gateway, owner: &Owner, key: &OwnKey, failure: Option<String>) {
        if key.failing == failure.is_some() {
            return;
        }
        self.forget(owner);
        let (gw, owner, provider) = (gw.clone(), owner.clone(), key.provider.clone());
        tokio::spawn(async move {
            if let Err(e) = mark(&gw, &owner, &provider, failure).await {
                tracing::warn!(error = ?e, "could not record a BYOK key's status");
            }
        });
    }
}

pub(crate) fn label(provider: &str) -> String {
    BYOK_PROVIDERS
        .iter()
        .find(|p| p.0 == provider)
        .map_or(provider, |p| p.1)
        .to_string()
}

async fn mark(
    gw: &Gateway,
    owner: &Owner,
    provider: &str,
    failure: Option<String>,
) -> Result<(), ApiError> {
    let mut tx = gw.db.begin().await.map_err(internal)?;
    sqlx::query(
        "UPDATE byok_keys SET status = $4, last_error = COALESCE($5, last_error), \
         last_error_at = CASE WHEN $5 IS NULL THEN last_error_at ELSE $6 END, updated_at = $6 \
         WHERE owner_kind = $1 AND owner_id = $2 AND provider = $3",
    )
    .bind(owner.0.as_str())
    .bind(&owner.1)
    .bind(provider)
    .bind(if failure.is_some() { "failing" } else { "ok" })
    .bind(failure.clone())
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if let Some(why) = failure {
        let users: Vec<String> = match owner.0 {
            OwnerKind::User => vec![owner.1.clone()],
            OwnerKind::Org => sqlx::query_scalar(
                "SELECT user_id FROM org_members WHERE org_id = $1 AND role IN ('owner', 'billing_admin')",
            )
            .bind(&owner.1)
            .fetch_all(&mut *tx)
            .await
            .map_err(internal)?,
        };
        for user in users {
            let notice = ops_auth::notify::Notice::new(
                NotificationKind::Account,
                format!("Your {} key is failing", label(provider)),
                format!("{} refused your key: {why}. Requests use the platform's keys where your policy allows; replace the key to use yours again.", label(provider)),
            )
            .link("/account/provider-keys");
            ops_auth::notify::queue(&mut tx, &user, notice)
                .await
                .map_err(ApiError::from)?;
        }
    }
    tx.commit().await.map_err(internal)
}

mod manage;
pub use manage::*;
