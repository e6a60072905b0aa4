//! Who is calling: the platform API key from `Authorization: Bearer` (OpenAI clients) or
//! `x-api-key` (Anthropic clients). Keys are cached for a few seconds, misses included, so a
//! busy key costs one hash per request and no database read; a revoked key stops working
//! within that time on every replica (at once on this one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::HeaderMap;
use ops_auth::api_keys;
use ops_auth::key_limits::{self, KeyRecord};
use ops_db::{Db, now_ms};
use ops_types::{OwnerKind, Permission};

use crate::GatewayError;

const TTL: Duration = Duration::from_secs(5);
/// Past this many entries the cache is cleared (a flood of made-up key ids cannot grow it).
const MAX_ENTRIES: usize = 100_000;

/// The caller of one gateway request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: Arc<KeyRecord>,
    /// Whose account pays: the key's organisation, or its user.
    pub owner: (OwnerKind, String),
}

/// A key id's record (none: no such live key) and when it was read.
type Entry = (Instant, Option<Arc<KeyRecord>>);

#[derive(Default)]
pub struct Keys {
    cache: Mutex<HashMap<String, Entry>>,
}

fn presented(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(http::header::AUTHORIZATION)
        && let Ok(v) = v.to_str()
    {
        let (scheme, token) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim());
    }
    headers.get("x-api-key").and_then(|v| v.to_str().ok())
}

impl Keys {
    fn cached(&self, key_id: &str) -> Option<Option<Arc<KeyRecord>>> {
        let cache = self.cache.lock().ok()?;
        let (at, rec) = cache.get(key_id)?;
        (at.elapsed() < TTL).then(|| rec.clone())
    }

    /// Forgets everything (after a key is revoked here).
    pub fn clear(&self) {
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
    }

    pub async fn resolve(&self, db: &Db, headers: &HeaderMap) -> Result<Caller, GatewayError> {
        let bad = || {
            GatewayError::Unauthenticated(
                "invalid API key: send a platform key as `Authorization: Bearer opc_…`".into(),
            )
        };
        let Some(token) = presented(headers) else {
            return Err(GatewayError::Unauthenticated(
                "no API key: send `Authorization: Bearer opc_…` (or `x-api-key`)".into(),
            ));
        };
        let (key_id, secret) = api_keys::parse(token).ok_or_else(bad)?;
        let rec = match self.cached(key_id) {
            Some(rec) => rec,
            None => {
                let rec = key_limits::record(db, key_id).await?.map(Arc::new);
                if let Ok(mut c) = self.cache.lock() {
                    if c.len() >= MAX_ENTRIES {
                        c.clear();
                    }
                    c.insert(key_id.to_string(), (Instant::now(), rec.clone()));
                }
                rec
            }
        };
        let rec = rec.ok_or_else(bad)?;
        if !rec.matches(secret) {
            return Err(bad());
        }
        if rec.expires_at.is_some_and(|t| t <= now_ms()) {
            return Err(GatewayError::Unauthenticated(
                "this API key has expired".into(),
            ));
        }
        if !rec.role.has(Permission::GatewayUse) {
            return Err(GatewayError::Forbidden(
                "this account's role may not call the models".into(),
            ));
        }
        let owner = match &rec.org_id {
            Some(org) => (OwnerKind::Org, org.clone()),
            None => (OwnerKind::User, rec.user_id.clone()),
        };
        Ok(Caller { key: rec, owner })
    }
}
