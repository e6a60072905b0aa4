//! Charging a saved card without its holder present: auto top-up (bought credits fell below the
//! account's threshold) and renewals that bought credits do not cover. Every charge is first
//! recorded as `pending` under the account's lock, with the idempotency key Stripe gets, so a
//! retry or a second replica never charges twice; auto top-ups count pending and succeeded
//! charges against the monthly cap, so a runaway loop cannot drain a card. A paid charge
//! credits the account's bought credits (key `stripe:{payment_intent}`) with an invoice; one
//! interrupted after Stripe answered is completed by the next run.

use std::time::Duration;

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Db, Row, new_id, now_ms, record_audit};
use ops_secrets::MasterKey;
use ops_types::{AutoTopup, AutoTopupInput, CreditBucket, MAX_AMOUNT, OwnerKind, format_amount};

use super::{Stripe, cards, connect};
use crate::invoice::{self, Issue};
use crate::ledger::{self, Credit, Meta};
use crate::subscription::{self, owner_of};
use crate::{BillingError, account, packs, period};

/// A pending auto top-up younger than this holds back the next one.
const PENDING_MS: i64 = 10 * 60 * 1000;

async fn used_this_month(db: &Db, account_id: &str) -> Result<i64, BillingError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM card_charges \
         WHERE account_id = $1 AND purpose = 'topup' AND status IN ('pending', 'succeeded') AND created_at >= $2",
    )
    .bind(account_id)
    .bind(period::month_start(now_ms()))
    .fetch_one(db.pool())
    .await?;
    Ok(row.try_get("n")?)
}

/// `GET /api/v1/credits/auto-topup`.
pub async fn settings(
    db: &Db,
    ctx: &AuthCtx,
    org_id: Option<&str>,
) -> Result<AutoTopup, BillingError> {
    let (kind, owner) = owner_of(db, ctx, org_id, false).await?;
    let row = sqlx::query(
        "SELECT id, topup_threshold, topup_amount, topup_monthly_cap FROM billing_accounts \
         WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(&owner)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(AutoTopup::default());
    };
    let id: String = row.try_get("id")?;
    let threshold: Option<i64> = row.try_get("topup_threshold")?;
    let last_error = sqlx::query(
        "SELECT status, error FROM card_charges WHERE account_id = $1 AND purpose = 'topup' \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(&id)
    .fetch_optional(db.pool())
    .await?
    .filter(|r| {
        r.try_get::<String, _>("status")
            .is_ok_and(|s| s == "failed")
    })
    .map(|r| r.try_get::<Option<String>, _>("error"))
    .transpose()?
    .flatten();
    Ok(AutoTopup {
        enabled: threshold.is_some(),
        threshold: threshold.unwrap_or(0),
        amount: row.try_get::<Option<i64>, _>("topup_amount")?.unwrap_or(0),
        monthly_cap: row
            .try_get::<Option<i64>, _>("topup_monthly_cap")?
            .unwrap_or(0),
        used_this_month: used_this_month(db, &id).await?,
        last_error,
    })
}

/// `PUT /api/v1/credits/auto-topup`. Turning it on needs card payments and a default card.
pub async fn save(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: &AutoTopupInput,
) -> Result<AutoTopup, BillingError> {
    let org = input.org_id.as_deref();
    let (kind, owner) = owner_of(db, ctx, org, true).await?;
    if input.enabled {
        if input.threshold < 0 || input.threshold > MAX_AMOUNT {
            return Err(BillingError::invalid(
                "threshold",
                "an amount from 0 up (micro-units)",
            ));
        }
        if input.amount < packs::MIN_PRICE
            || input.amount > MAX_AMOUNT
            || input.amount % 10_000 != 0
        {
            return Err(BillingError::invalid(
                "amount",
                format!(
                    "at least {} in whole cents",
                    format_amount(packs::MIN_PRICE, packs::CURRENCY)
                ),
            ));
        }
        if input.monthly_cap < input.amount || input.monthly_cap > MAX_AMOUNT {
            return Err(BillingError::invalid(
                "monthly_cap",
                "at least one top-up's amount: the cap stops a runaway loop from draining the card",
            ));
        }
        connect(db, key).await?;
        if cards::stored(db, kind, &owner).await?.1.is_none() {
            return Err(BillingError::Conflict(
                "add a card first: auto top-up charges the default card".into(),
            ));
        }
    }
    let mut tx = db.begin().await?;
    account::lock(&mut tx, kind, &owner).await?;
    let on = input.enabled;
    sqlx::query(
        "UPDATE billing_accounts SET topup_threshold = $3, topup_amount = $4, topup_monthly_cap = $5 \
         WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(&owner)
    .bind(on.then_some(input.threshold))
    .bind(on.then_some(input.amount))
    .bind(on.then_some(input.monthly_cap))
    .execute(&mut *tx)
    .await?;
    let detail = if on {
        format!(
            "on: below {} add {}, at most {} a month",
            format_amount(input.threshold, packs::CURRENCY),
            format_amount(input.amount, packs::CURRENCY),
            format_amount(input.monthly_cap, packs::CURRENCY)
        )
    } else {
        "off".to_string()
    };
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            org_id: org,
            ..ctx.audit("billing.auto_topup")
        },
    )
    .await?;
    tx.commit().await?;
    if on {
        // Already below the threshold: top up now rather than at the next run.
        if let Err(e) = top_up(db, &connect(db, key).await?, kind, &owner).await {
            tracing::info!(error = %e, "auto top-up right after it was turned on");
        }
    }
    settings(db, ctx, org).await
}

/// What a charge is for.
struct Want<'a> {
    purpose: &'static str,
    key: String,
    amount: i64,
    currency: &'a str,
    description: String,
}

/// Charges the account's default card once for `w` (see the module's notes). `Ok(false)`: a
/// charge with this key already succeeded or is under way.
async fn charge(
    db: &Db,
    stripe: &Stripe,
    (kind, owner): (OwnerKind, &str),
    account_id: &str,
    w: Want<'_>,
) -> Result<bool, BillingError> {
    let (Some(customer), Some(pm)) = cards::stored(db, kind, owner).await? else {
        return Err(BillingError::Conflict("no default card".into()));
    };
    let mut id = new_id();
    let fresh = sqlx::query(
        "INSERT INTO card_charges (id, account_id, purpose, request_key, amount, currency, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (request_key) DO NOTHING",
    )
    .bind(&id)
    .bind(account_id)
    .bind(w.purpose)
    .bind(&w.key)
    .bind(w.amount)
    .bind(w.currency)
    .bind(now_ms())
    .execute(db.pool())
    .await?
    .rows_affected();
    if fresh == 0 {
        // Charged before: done, or still under way. A charge left pending for a minute was
        // interrupted (a crash between Stripe's answer and our commit): asked again with the
        // same key, Stripe answers with the same payment, which is then credited once.
        let row =
            sqlx::query("SELECT id, status, created_at FROM card_charges WHERE request_key = $1")
                .bind(&w.key)
                .fetch_one(db.pool())
                .await?;
        let stuck = row.try_get::<String, _>("status")? == "pending"
            && row.try_get::<i64, _>("created_at")? < now_ms() - 60_000;
        if !stuck {
            return Ok(false);
        }
        id = row.try_get("id")?;
    }
    let per = super::micros_per_minor(w.currency);
    let minor = (w.amount + per - 1) / per;
    let result = stripe
        .api
        .charge(&customer, &pm, minor, w.currency, &w.description, &w.key)
        .await
        .and_then(|pi| {
            if pi.status == "succeeded" {
                Ok(pi)
            } else {
                Err(BillingError::Refused {
                    code: ops_types::ErrorCode::PaymentFailed,
                    message: format!("the card payment is {}", pi.status),
                    limit: None,
                    retry_after: None,
                })
            }
        });
    let pi = match result {
        Ok(pi) => pi,
        Err(e) => {
            sqlx::query("UPDATE card_charges SET status = 'failed', error = $2 WHERE id = $1")
                .bind(&id)
                .bind(e.to_string())
                .execute(db.pool())
                .await?;
            return Err(e);
        }
    };
    let paid = minor * per;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE card_charges SET status = 'succeeded', payment_intent = $2 WHERE id = $1")
        .bind(&id)
        .bind(&pi.id)
        .execute(&mut *tx)
        .await?;
    let ledger_key = format!("stripe:{}", pi.id);
    let entry = ledger::credit(
        &mut tx,
        (kind, owner),
        Credit {
            kind: "purchase",
            bucket: CreditBucket::Paid,
            amount: paid,
            priority: None,
            expires_at: None,
            meta: Meta {
                reason: Some(&w.description),
                reference: Some(&pi.id),
                actor_id: None,
                idempotency_key: Some(&ledger_key),
            },
        },
    )
    .await?;
    if !entry.replayed {
        invoice::issue(
            &mut tx,
            Issue {
                owner: (kind, owner),
                kind: "credits",
                currency: w.currency,
                lines: vec![(w.description.clone(), paid)],
                period: None,
                reference: Some(&pi.id),
                paid_with: "card (Stripe)",
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Tops the account up once if its rule says so. `Ok(true)`: charged.
async fn top_up(
    db: &Db,
    stripe: &Stripe,
    kind: OwnerKind,
    owner: &str,
) -> Result<bool, BillingError> {
    // Under the account's lock: the checks and the pending row, one caller at a time.
    let mut tx = db.begin().await?;
    let acct = account::lock(&mut tx, kind, owner).await?;
    let row = sqlx::query(
        "SELECT topup_threshold, topup_amount, topup_monthly_cap FROM billing_accounts WHERE id = $1",
    )
    .bind(&acct.id)
    .fetch_one(&mut *tx)
    .await?;
    let (Some(threshold), Some(amount), Some(cap)) = (
        row.try_get::<Option<i64>, _>("topup_threshold")?,
        row.try_get::<Option<i64>, _>("topup_amount")?,
        row.try_get::<Option<i64>, _>("topup_monthly_cap")?,
    ) else {
        return Ok(false);
    };
    if acct.paid >= threshold {
        return Ok(false);
    }
    let now = now_ms();
    let recent = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS used, \
         CAST(COALESCE(SUM(CASE WHEN status = 'pending' AND created_at > $3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending \
         FROM card_charges WHERE account_id = $1 AND purpose = 'topup' \
         AND status IN ('pending', 'succeeded') AND created_at >= $2",
    )
    .bind(&acct.id)
    .bind(period::month_start(now))
    .bind(now - PENDING_MS)
    .fetch_one(&mut *tx)
    .await?;
    let used: i64 = recent.try_get("used")?;
    let pending: i64 = recent.try_get("pending")?;
    if pending > 0 || used + amount > cap {
        return Ok(false);
    }
    tx.commit().await?;
    let want = Want {
        purpose: "topup",
        key: format!("topup:{}:{}", acct.id, acct.last_seq),
        amount,
        currency: &acct.currency,
        description: format!(
            "Auto top-up: {} (below {})",
            format_amount(amount, &acct.currency),
            format_amount(threshold, &acct.currency)
        ),
    };
    charge(db, stripe, (kind, owner), &acct.id, want).await
}

/// One run: every account whose auto top-up is due, then every renewal bought credits do not
/// cover (paid by card before [`subscription::renew_due`] renews it). Returns the charges made.
pub async fn run_due(db: &Db, key: &MasterKey) -> Result<usize, BillingError> {
    if !super::configured(db).await? {
        return Ok(0);
    }
    let stripe = connect(db, key).await?;
    let mut made = 0;
    let low = sqlx::query(
        "SELECT owner_kind, owner_id FROM billing_accounts WHERE topup_threshold IS NOT NULL \
         AND default_payment_method IS NOT NULL AND paid < topup_threshold LIMIT 500",
    )
    .fetch_all(db.pool())
    .await?;
    for r in &low {
        let kind = OwnerKind::parse(&r.try_get::<String, _>("owner_kind")?);
        let owner: String = r.try_get("owner_id")?;
        match top_up(db, &stripe, kind, &owner).await {
            Ok(true) => made += 1,
            Ok(false) => {}
            Err(e) => tracing::info!(owner = %owner, error = %e, "auto top-up failed"),
        }
    }
    for due in subscription::shortfalls(db).await? {
        let (kind, owner) = (due.owner.0, due.owner.1.as_str());
        if cards::stored(db, kind, owner).await?.1.is_none() {
            continue;
        }
        let mut tx = db.begin().await?;
        let acct = account::lock(&mut tx, kind, owner).await?;
        tx.commit().await?;
        let want = Want {
            purpose: "renewal",
            key: format!("renewal:{}:{}", due.subscription, due.period_start),
            amount: due.amount,
            currency: &due.currency,
            description: format!("{} plan renewal, paid by card", due.plan),
        };
        match charge(db, &stripe, (kind, owner), &acct.id, want).await {
            Ok(true) => made += 1,
            Ok(false) => {}
            Err(e) => tracing::info!(owner = %owner, error = %e, "renewal card payment failed"),
        }
    }
    Ok(made)
}

/// The scheduled job: [`run_due`] then the renewals, every `every`, forever.
pub async fn run_payments(db: Db, key: MasterKey, every: Duration) {
    loop {
        if let Err(e) = run_due(&db, &key).await {
            tracing::warn!(error = %e, "card payments");
        }
        if let Err(e) = subscription::renew_due(&db).await {
            tracing::warn!(error = %e, "subscription renewals");
        }
        tokio::time::sleep(every).await;
    }
}
