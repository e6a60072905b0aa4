//! Stripe Checkout for credit packs and plan changes, and the customer portal. A Checkout
//! session carries what it pays for in its metadata; it is fulfilled once, by whichever comes
//! first: Stripe's `checkout.session.completed` webhook, or the browser coming back to the
//! success page (which asks Stripe how the session ended). Both credit the bought credits with
//! the key `stripe:{session}`, so the second does nothing.
//!
//! A plan change paid by card credits the shortfall to the account's bought credits and then
//! makes the change from them, as a change paid from credits would be; should the change no
//! longer be possible (the plan was hidden meanwhile), the credits stay on the account.

use std::collections::BTreeMap;

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, Db, new_id};
use ops_secrets::MasterKey;
use ops_types::{
    CheckoutOutcome, CreditBucket, Interval, OwnerKind, PackPurchase, PlanChange, PlanCheckout,
    Redirect, format_amount,
};
use sqlx::Acquire;

use super::api::Form;
use super::{cards, connect};
use crate::invoice::{self, Issue};
use crate::ledger::{self, Credit, Meta};
use crate::subscription::{self, Expect, owner_of};
use crate::{BillingError, packs};

/// A paid session, as the webhook or the API reported it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Paid {
    pub id: String,
    pub payment_intent: Option<String>,
    /// In the currency's minor unit (cents).
    pub amount_total: i64,
    pub currency: String,
    pub metadata: BTreeMap<String, String>,
}

fn rejected(m: impl Into<String>) -> BillingError {
    BillingError::Rejected(m.into())
}

/// Where the browser comes back to: the credits or plan page of the account.
fn page(base: &str, kind: OwnerKind, owner: &str, what: &str) -> String {
    match kind {
        OwnerKind::User => format!("{base}/account/{what}"),
        OwnerKind::Org => format!("{base}/org/{owner}/{what}"),
    }
}

fn session_form(
    customer: &str,
    (kind, owner): (OwnerKind, &str),
    ctx: &AuthCtx,
    back: &str,
    purpose: &str,
) -> Form {
    Form::new()
        .set("mode", "payment")
        .set("customer", customer)
        .set(
            "success_url",
            format!("{back}?checkout={{CHECKOUT_SESSION_ID}}"),
        )
        .set("cancel_url", format!("{back}?checkout=cancelled"))
        .set("metadata[purpose]", purpose)
        .set("metadata[owner_kind]", kind.as_str())
        .set("metadata[owner_id]", owner)
        .set("metadata[user_id]", &ctx.user_id)
}

fn line(form: Form, name: &str, cents: i64, currency: &str) -> Form {
    form.set("line_items[0][quantity]", 1)
        .set(
            "line_items[0][price_data][currency]",
            currency.to_lowercase(),
        )
        .set("line_items[0][price_data][unit_amount]", cents)
        .set("line_items[0][price_data][product_data][name]", name)
}

/// Creates the Checkout session: where to send the browser.
async fn open(stripe: &super::Stripe, form: Form) -> Result<Redirect, BillingError> {
    let s = stripe
        .api
        .create_checkout(form, &format!("checkout:{}", new_id()))
        .await?;
    let url = s
        .url
        .ok_or_else(|| BillingError::Upstream("Stripe sent no Checkout address".into()))?;
    Ok(Redirect { id: s.id, url })
}

/// `POST /api/v1/credits/purchase`: a Checkout session for one pack.
pub async fn buy_pack(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: &PackPurchase,
    base: &str,
) -> Result<Redirect, BillingError> {
    let (kind, owner) = owner_of(db, ctx, input.org_id.as_deref(), true).await?;
    let pack = packs::find(db, &input.pack).await?;
    let stripe = connect(db, key).await?;
    let customer = cards::customer(db, &stripe, kind, &owner).await?;
    let back = page(base, kind, &owner, "credits");
    let form = session_form(&customer, (kind, &owner), ctx, &back, "credits")
        .set("metadata[credits]", pack.credits)
        .set("metadata[pack]", &pack.code);
    let form = line(form, &pack.name, pack.price / 10_000, packs::CURRENCY);
    open(&stripe, form).await
}

/// `POST /api/v1/billing/subscriptions/checkout`: pay by card what a plan change costs beyond
/// the account's bought credits.
pub async fn buy_plan(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: &PlanCheckout,
    base: &str,
) -> Result<Redirect, BillingError> {
    let (kind, owner) = owner_of(db, ctx, input.org_id.as_deref(), true).await?;
    let change = PlanChange {
        org_id: input.org_id.clone(),
        plan: input.plan.clone(),
        interval: input.interval,
    };
    let p = subscription::preview(db, ctx, &change).await?;
    if p.kind == "downgrade" || p.total <= p.available {
        return Err(BillingError::Conflict(
            "nothing to pay by card: this change is paid from the account's credits; confirm it on the Plan page".into(),
        ));
    }
    // Whole cents, at least Stripe's minimum.
    let cents = ((p.total - p.available + 9_999) / 10_000).max(packs::MIN_PRICE / 10_000);
    let stripe = connect(db, key).await?;
    let customer = cards::customer(db, &stripe, kind, &owner).await?;
    let back = page(base, kind, &owner, "plan");
    let interval = match p.interval {
        Interval::Month => "month",
        Interval::Year => "year",
    };
    let form = session_form(&customer, (kind, &owner), ctx, &back, "subscription")
        .set("metadata[credits]", cents * 10_000)
        .set("metadata[plan]", &p.to_plan)
        .set("metadata[interval]", interval);
    let name = format!("{} plan ({interval}ly)", p.to_plan);
    let form = line(form, &name, cents, &p.currency);
    open(&stripe, form).await
}

/// `GET /api/v1/billing/checkout/{id}`: how the caller's session ended; a paid one is
/// fulfilled now if the webhook has not done it yet.
pub async fn outcome(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    id: &str,
) -> Result<CheckoutOutcome, BillingError> {
    let (kind, owner) = owner_of(db, ctx, org_id, false).await?;
    if !id.starts_with("cs_") {
        return Err(BillingError::NotFound("checkout session"));
    }
    let stripe = connect(db, key).await?;
    let s = match stripe.api.checkout(id).await {
        Err(BillingError::Rejected(_)) => return Err(BillingError::NotFound("checkout session")),
        other => other?,
    };
    let metadata = s.metadata.unwrap_or_default();
    let meta = |k: &str| metadata.get(k).cloned().unwrap_or_default();
    if meta("owner_kind") != kind.as_str() || meta("owner_id") != owner {
        return Err(BillingError::NotFound("checkout session"));
    }
    let paid = s.payment_status.as_deref() == Some("paid");
    let mut outcome = CheckoutOutcome {
        id: s.id.clone(),
        status: if paid {
            "paid".into()
        } else {
            s.status.unwrap_or_else(|| "open".into())
        },
        purpose: meta("purpose"),
        credits: meta("credits").parse().unwrap_or(0),
        plan: None,
    };
    if paid {
        let p = Paid {
            id: s.id,
            payment_intent: s.payment_intent,
            amount_total: s.amount_total.unwrap_or(0),
            currency: s.currency.unwrap_or_else(|| "usd".into()),
            metadata: metadata.clone(),
        };
        // The webhook may be fulfilling the same session at this moment: wait for it, then
        // find the session applied (fulfilment is idempotent).
        let mut tx = db.begin_write().await?;
        fulfil(&mut tx, &p).await?;
        tx.commit().await?;
        if outcome.purpose == "subscription" {
            outcome.plan = Some(subscription::of_owner(db, kind, &owner).await?.plan_code);
        }
    }
    Ok(outcome)
}

/// Applies a paid session once: credits in (and an invoice for a pack; a plan change issues its
/// own), then the plan change it paid for. Returns `processed` or `ignored`.
pub(crate) async fn fulfil(tx: &mut AnyConnection, p: &Paid) -> Result<&'static str, BillingError> {
    let meta = |k: &str| p.metadata.get(k).map(String::as_str);
    let purpose = meta("purpose");
    if !matches!(purpose, Some("credits" | "subscription")) {
        return Ok("ignored");
    }
    let kind = match meta("owner_kind") {
        Some("user") => OwnerKind::User,
        Some("org") => OwnerKind::Org,
        _ => return Err(rejected("metadata.owner_kind must be user or org")),
    };
    let owner = meta("owner_id").ok_or_else(|| rejected("metadata.owner_id is missing"))?;
    exists(tx, kind, owner).await?;
    let credits: i64 = meta("credits")
        .and_then(|c| c.parse().ok())
        .filter(|c| *c > 0)
        .ok_or_else(|| rejected("metadata.credits must be a positive number of micro-units"))?;
    let currency = p.currency.to_uppercase();
    let paid_micros = p
        .amount_total
        .saturating_mul(super::micros_per_minor(&currency));
    let reference = p.payment_intent.as_deref().unwrap_or(&p.id);
    let key = format!("stripe:{}", p.id);
    let reason = match purpose {
        Some("subscription") => format!(
            "paid by card for the {} plan ({})",
            meta("plan").unwrap_or("new"),
            format_amount(paid_micros, &currency)
        ),
        _ => format!("bought by card ({})", format_amount(paid_micros, &currency)),
    };
    let entry = ledger::credit(
        tx,
        (kind, owner),
        Credit {
            kind: "purchase",
            bucket: CreditBucket::Paid,
            amount: credits,
            priority: None,
            expires_at: None,
            meta: Meta {
                reason: Some(&reason),
                reference: Some(reference),
                actor_id: None,
                idempotency_key: Some(&key),
            },
        },
    )
    .await?;
    if entry.replayed {
        return Ok("processed");
    }
    if purpose == Some("credits") && paid_micros > 0 {
        invoice::issue(
            tx,
            Issue {
                owner: (kind, owner),
                kind: "credits",
                currency: &currency,
                lines: vec![(
                    format!("{} of credits", format_amount(credits, &currency)),
                    paid_micros,
                )],
                period: None,
                reference: Some(reference),
                paid_with: "card (Stripe)",
            },
        )
        .await?;
    }
    if purpose == Some("subscription") {
        let change = PlanChange {
            org_id: None,
            plan: meta("plan").unwrap_or_default().to_string(),
            interval: match meta("interval") {
                Some("year") => Some(Interval::Year),
                _ => Some(Interval::Month),
            },
        };
        // In a savepoint: a change no longer possible leaves the credits bought.
        let mut inner = tx.begin().await?;
        let actor = meta("user_id");
        match subscription::apply(
            &mut inner,
            (kind, owner),
            &change,
            Some(&key),
            actor,
            Expect::Upgrade,
        )
        .await
        {
            Ok(_) => inner.commit().await?,
            Err(e) => {
                inner.rollback().await?;
                tracing::warn!(session = %p.id, error = %e, "a plan paid by card could not be applied; the credits stay on the account");
            }
        }
    }
    Ok("processed")
}

/// The owner a session names must exist (metadata can be forged only with our key, but an
/// account may have been deleted since).
async fn exists(
    conn: &mut AnyConnection,
    kind: OwnerKind,
    owner: &str,
) -> Result<(), BillingError> {
    let table = match kind {
        OwnerKind::User => "users",
        OwnerKind::Org => "orgs",
    };
    let found = sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1"))
        .bind(owner)
        .fetch_optional(conn)
        .await?;
    if found.is_none() {
        return Err(rejected(format!(
            "metadata.owner_id: no such {}",
            kind.as_str()
        )));
    }
    Ok(())
}

/// `POST /api/v1/billing/portal/create`: a Stripe customer portal session to manage cards and
/// see Stripe's receipts.
pub async fn portal(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    base: &str,
) -> Result<Redirect, BillingError> {
    let (kind, owner) = owner_of(db, ctx, org_id, true).await?;
    let stripe = connect(db, key).await?;
    let customer = cards::customer(db, &stripe, kind, &owner).await?;
    let back = match kind {
        OwnerKind::User => page(base, kind, &owner, "payment-methods"),
        OwnerKind::Org => page(base, kind, &owner, "credits"),
    };
    let s = stripe.api.create_portal(&customer, &back).await?;
    Ok(Redirect {
        id: customer,
        url: s.url,
    })
}
