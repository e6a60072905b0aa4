//! Stripe, the payment processor: its settings (the secret key and the webhook signing secret
//! sealed with the master key, shown only as hints) and the webhook receiver. Without both
//! secrets the product runs on free plans and administrators' credits, and says so where
//! payment would be needed.

pub mod api;
pub mod cards;
pub mod charge;
pub mod checkout;
pub mod webhook;

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AuditRecord, Db, record_audit};
use ops_secrets::MasterKey;
use ops_types::{Permission, StripeSettings, StripeSettingsInput};
use serde::{Deserialize, Serialize};

use crate::BillingError;

const KEY: &str = "billing.stripe";
const CONTEXT: &str = "settings:billing.stripe";
pub const API_BASE: &str = "https://api.stripe.com";

/// As stored: secrets sealed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    publishable_key: String,
    secret_key: Option<String>,
    secret_key_hint: Option<String>,
    webhook_secret: Option<String>,
    webhook_secret_hint: Option<String>,
    api_base: Option<String>,
}

async fn stored(conn: &mut AnyConnection) -> Result<Stored, BillingError> {
    Ok(crate::json_setting(conn, KEY).await?.unwrap_or_default())
}

fn view(s: &Stored) -> StripeSettings {
    StripeSettings {
        publishable_key: s.publishable_key.clone(),
        secret_key_hint: s.secret_key_hint.clone(),
        webhook_secret_hint: s.webhook_secret_hint.clone(),
        api_base: s.api_base.clone().unwrap_or_else(|| API_BASE.into()),
        configured: s.secret_key.is_some() && s.webhook_secret.is_some(),
    }
}

/// The processor, ready to call: its client, the publishable key for the browser and the API
/// base (Stripe.js is served from the same test server when the base is not Stripe's).
pub(crate) struct Stripe {
    pub api: api::Api,
    pub publishable_key: String,
    pub api_base: String,
}

impl Stripe {
    pub fn js_url(&self) -> String {
        if self.api_base == API_BASE {
            "https://js.stripe.com/v3/".into()
        } else {
            format!("{}/js.stripe.com/v3/", self.api_base)
        }
    }
}

/// Micro-units in one minor unit of `currency` (Stripe's amounts): a cent is 10 000, and a
/// zero-decimal currency's unit (yen, won…) is 1 000 000.
pub(crate) fn micros_per_minor(currency: &str) -> i64 {
    const ZERO_DECIMAL: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
        "XAF", "XOF", "XPF",
    ];
    if ZERO_DECIMAL.contains(&currency.to_uppercase().as_str()) {
        1_000_000
    } else {
        10_000
    }
}

/// The error for a payment asked of a server without Stripe.
pub(crate) fn unavailable() -> BillingError {
    BillingError::Conflict(
        "card payments are not set up on this server: an administrator can add Stripe's keys in Settings".into(),
    )
}

/// The processor, or [`unavailable`] when its secrets are not set.
pub(crate) async fn connect(db: &Db, key: &MasterKey) -> Result<Stripe, BillingError> {
    let mut conn = db.pool().acquire().await?;
    let s = stored(&mut conn).await?;
    drop(conn);
    let v = view(&s);
    let sealed = match (&s.secret_key, v.configured) {
        (Some(sealed), true) => sealed,
        _ => return Err(unavailable()),
    };
    let secret = key.open(CONTEXT, sealed).map_err(|_| {
        BillingError::invalid(
            "secret_key",
            "the stored Stripe key cannot be opened with this master key",
        )
    })?;
    Ok(Stripe {
        api: api::Api::new(&secret, &v.api_base)?,
        publishable_key: v.publishable_key,
        api_base: v.api_base,
    })
}

/// Whether payments can be taken (both secrets are set).
pub async fn configured(db: &Db) -> Result<bool, BillingError> {
    let mut conn = db.pool().acquire().await?;
    Ok(view(&stored(&mut conn).await?).configured)
}

/// `GET /api/v1/admin/settings/stripe`.
pub async fn settings(db: &Db, ctx: &AuthCtx) -> Result<StripeSettings, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let mut conn = db.pool().acquire().await?;
    Ok(view(&stored(&mut conn).await?))
}

/// The webhook signing secret, opened; `None` when it is not set (webhooks are refused).
pub(crate) async fn webhook_secret(
    db: &Db,
    key: &MasterKey,
) -> Result<Option<String>, BillingError> {
    let mut conn = db.pool().acquire().await?;
    let s = stored(&mut conn).await?;
    match s.webhook_secret {
        None => Ok(None),
        Some(sealed) => key.open(CONTEXT, &sealed).map(Some).map_err(|_| {
            BillingError::invalid(
                "webhook_secret",
                "the stored secret cannot be opened with this master key",
            )
        }),
    }
}

/// `PUT /api/v1/admin/settings/stripe`: a secret left empty keeps the stored one.
pub async fn save(
    db: &Db,
    ctx: &AuthCtx,
    key: &MasterKey,
    input: &StripeSettingsInput,
) -> Result<StripeSettings, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let bad = |f: &'static str, m: &str| BillingError::invalid(f, m);
    let publishable = input.publishable_key.trim();
    if !publishable.is_empty() && !publishable.starts_with("pk_") {
        return Err(bad("publishable_key", "a publishable key starts with pk_"));
    }
    let secret = input
        .secret_key
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if secret.is_some_and(|s| !(s.starts_with("sk_") || s.starts_with("rk_")) || s.len() < 12) {
        return Err(bad(
            "secret_key",
            "a secret key starts with sk_ (or rk_ for a restricted key)",
        ));
    }
    let hook = input
        .webhook_secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if hook.is_some_and(|s| !s.starts_with("whsec_") || s.len() < 12) {
        return Err(bad(
            "webhook_secret",
            "a webhook signing secret starts with whsec_",
        ));
    }
    let base = input
        .api_base
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if base.is_some_and(|b| {
        !(b.starts_with("https://")
            || b.starts_with("http://127.0.0.1")
            || b.starts_with("http://localhost"))
    }) {
        return Err(bad(
            "api_base",
            "https://…, or http:// on this machine for a test server",
        ));
    }
    let mut tx = db.begin().await?;
    // A write first (SQLite's write lock), then the read.
    sqlx::query("UPDATE settings SET key = key WHERE key = $1")
        .bind(KEY)
        .execute(&mut *tx)
        .await?;
    let mut s = stored(&mut tx).await?;
    let seal = |v: &str| {
        key.seal(CONTEXT, v)
            .map_err(|_| bad("secret_key", "the master key could not seal it"))
    };
    s.publishable_key = publishable.to_string();
    if let Some(v) = secret {
        s.secret_key = Some(seal(v)?);
        s.secret_key_hint = Some(ops_secrets::hint(v));
    }
    if let Some(v) = hook {
        s.webhook_secret = Some(seal(v)?);
        s.webhook_secret_hint = Some(ops_secrets::hint(v));
    }
    s.api_base = base.map(|b| b.trim_end_matches('/').to_string());
    let value = serde_json::to_string(&s).map_err(|e| bad("secret_key", &e.to_string()))?;
    ops_db::put_setting(&mut tx, KEY, &value, Some(&ctx.user_id)).await?;
    // The audit names what changed, never a secret.
    let detail = format!(
        "publishable_key={} secret_key={} webhook_secret={} api_base={}",
        if publishable.is_empty() {
            "none"
        } else {
            "set"
        },
        if secret.is_some() { "replaced" } else { "kept" },
        if hook.is_some() { "replaced" } else { "kept" },
        base.unwrap_or(API_BASE)
    );
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            ..ctx.audit("billing.stripe")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view(&s))
}
