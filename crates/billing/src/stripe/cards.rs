//! Saved cards (`/api/v1/billing/payment-methods`). The browser collects a card with Stripe.js
//! against a SetupIntent we create, so its number never reaches us; we then attach the card to
//! the account's Stripe customer (made on first use) and keep which card is the default, the
//! one renewals and auto top-ups charge. Organisations' cards are managed by their owners and
//! billing admins.

use ops_auth::AuthCtx;
use ops_db::{AuditRecord, Db, Row, record_audit};
use ops_secrets::MasterKey;
use ops_types::{CardSaved, CardSetup, OwnerKind, PaymentMethod, PaymentMethods};

use super::{Stripe, api, connect};
use crate::subscription::owner_of;
use crate::{BillingError, account};

/// The account's Stripe customer and default card, if it has them.
pub(crate) async fn stored(
    db: &Db,
    kind: OwnerKind,
    owner: &str,
) -> Result<(Option<String>, Option<String>), BillingError> {
    let row = sqlx::query(
        "SELECT stripe_customer_id, default_payment_method FROM billing_accounts \
         WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(owner)
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(r) => (
            r.try_get("stripe_customer_id")?,
            r.try_get("default_payment_method")?,
        ),
        None => (None, None),
    })
}

/// Who Stripe's customer record names: the user, or the organisation and its first owner.
async fn contact(db: &Db, kind: OwnerKind, owner: &str) -> Result<(String, String), BillingError> {
    let row = match kind {
        OwnerKind::User => {
            sqlx::query("SELECT email, display_name AS name FROM users WHERE id = $1")
                .bind(owner)
                .fetch_optional(db.pool())
                .await?
        }
        OwnerKind::Org => {
            sqlx::query(
                "SELECT u.email, o.name FROM orgs o JOIN org_members m ON m.org_id = o.id AND m.role = 'owner' \
                 JOIN users u ON u.id = m.user_id WHERE o.id = $1 ORDER BY m.joined_at LIMIT 1",
            )
            .bind(owner)
            .fetch_optional(db.pool())
            .await?
        }
    };
    let row = row.ok_or(BillingError::NotFound("account owner"))?;
    Ok((row.try_get("email")?, row.try_get("name")?))
}

/// The account's Stripe customer id, made on first use. The creation carries a key made of
/// the account, so two first payments at once make one customer.
pub(crate) async fn customer(
    db: &Db,
    stripe: &Stripe,
    kind: OwnerKind,
    owner: &str,
) -> Result<String, BillingError> {
    if let (Some(id), _) = stored(db, kind, owner).await? {
        return Ok(id);
    }
    let mut tx = db.begin().await?;
    let acct = account::lock(&mut tx, kind, owner).await?;
    tx.commit().await?;
    let (email, name) = contact(db, kind, owner).await?;
    let label = format!("{}:{owner}", kind.as_str());
    let made = stripe
        .api
        .create_customer(&email, &name, &label, &format!("customer:{}", acct.id))
        .await?;
    sqlx::query(
        "UPDATE billing_accounts SET stripe_customer_id = $2 WHERE id = $1 AND stripe_customer_id IS NULL",
    )
    .bind(&acct.id)
    .bind(&made.id)
    .execute(db.pool())
    .await?;
    match stored(db, kind, owner).await? {
        (Some(id), _) => Ok(id),
        (None, _) => Err(BillingError::Upstream(
            "the Stripe customer could not be recorded".into(),
        )),
    }
}

fn view(pm: api::PaymentMethod, default: Option<&str>) -> PaymentMethod {
    let card = pm.card.unwrap_or(api::Card {
        brand: None,
        last4: None,
        exp_month: None,
        exp_year: None,
    });
    PaymentMethod {
        default: default == Some(pm.id.as_str()),
        id: pm.id,
        brand: card.brand.unwrap_or_else(|| "card".into()),
        last4: card.last4.unwrap_or_default(),
        exp_month: card.exp_month.unwrap_or(0),
        exp_year: card.exp_year.unwrap_or(0),
    }
}

/// `GET /api/v1/billing/payment-methods`.
pub async fn list(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: Option<&str>,
) -> Result<PaymentMethods, BillingError> {
    let (kind, owner) = owner_of(db, ctx, org_id, false).await?;
    if !super::configured(db).await? {
        return Ok(PaymentMethods::default());
    }
    let (customer, default) = stored(db, kind, &owner).await?;
    let Some(customer) = customer else {
        return Ok(PaymentMethods {
            available: true,
            methods: Vec::new(),
        });
    };
    let stripe = connect(db, key).await?;
    let methods = stripe
        .api
        .payment_methods(&customer)
        .await?
        .into_iter()
        .map(|pm| view(pm, default.as_deref()))
        .collect();
    Ok(PaymentMethods {
        available: true,
        methods,
    })
}

/// `POST /api/v1/billing/payment-methods/setup-intent`: a SetupIntent for Stripe.js to confirm.
pub async fn setup(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: Option<&str>,
) -> Result<CardSetup, BillingError> {
    let (kind, owner) = owner_of(db, ctx, org_id, true).await?;
    let stripe = connect(db, key).await?;
    if stripe.publishable_key.is_empty() {
        return Err(BillingError::Conflict(
            "Stripe's publishable key is not set: an administrator can add it in Settings".into(),
        ));
    }
    let customer = customer(db, &stripe, kind, &owner).await?;
    let intent = stripe.api.create_setup_intent(&customer).await?;
    Ok(CardSetup {
        client_secret: intent
            .client_secret
            .ok_or_else(|| BillingError::Upstream("Stripe sent no client secret".into()))?,
        setup_intent: intent.id,
        publishable_key: stripe.publishable_key.clone(),
        js_url: stripe.js_url(),
    })
}

/// `POST /api/v1/billing/payment-methods`: records the card of a confirmed SetupIntent, which
/// must be this account's; the first card becomes the default.
pub async fn save(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: &CardSaved,
) -> Result<PaymentMethods, BillingError> {
    let (kind, owner) = owner_of(db, ctx, input.org_id.as_deref(), true).await?;
    let id = input.setup_intent.trim();
    if !id.starts_with("seti_") {
        return Err(BillingError::invalid(
            "setup_intent",
            "a SetupIntent id (seti_…)",
        ));
    }
    let stripe = connect(db, key).await?;
    let customer = customer(db, &stripe, kind, &owner).await?;
    let intent = stripe.api.setup_intent(id).await?;
    if intent.customer.as_deref() != Some(customer.as_str()) {
        return Err(BillingError::NotFound("setup intent"));
    }
    if intent.status != "succeeded" {
        return Err(BillingError::invalid(
            "setup_intent",
            format!("the card is not confirmed yet (status {})", intent.status),
        ));
    }
    let pm_id = intent
        .payment_method
        .ok_or_else(|| BillingError::invalid("setup_intent", "it holds no card"))?;
    let pm = stripe.api.payment_method(&pm_id).await?;
    match pm.customer.as_deref() {
        Some(c) if c == customer => {}
        Some(_) => return Err(BillingError::NotFound("payment method")),
        None => {
            stripe.api.attach(&pm_id, &customer).await?;
        }
    }
    let (_, default) = stored(db, kind, &owner).await?;
    if default.is_none() {
        make_default(db, &stripe, kind, &owner, &customer, &pm_id).await?;
    }
    audit(
        db,
        ctx,
        "billing.card_added",
        &pm_id,
        input.org_id.as_deref(),
    )
    .await?;
    list(db, key, ctx, input.org_id.as_deref()).await
}

async fn make_default(
    db: &Db,
    stripe: &Stripe,
    kind: OwnerKind,
    owner: &str,
    customer: &str,
    pm: &str,
) -> Result<(), BillingError> {
    stripe.api.set_default_method(customer, pm).await?;
    sqlx::query(
        "UPDATE billing_accounts SET default_payment_method = $3 WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(kind.as_str())
    .bind(owner)
    .bind(pm)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// One of the account's cards, or 404.
async fn own_card(
    db: &Db,
    stripe: &Stripe,
    kind: OwnerKind,
    owner: &str,
    pm: &str,
) -> Result<String, BillingError> {
    let (Some(customer), _) = stored(db, kind, owner).await? else {
        return Err(BillingError::NotFound("payment method"));
    };
    if !pm.starts_with("pm_") && !pm.starts_with("card_") {
        return Err(BillingError::NotFound("payment method"));
    }
    let found = stripe.api.payment_method(pm).await;
    match found {
        Ok(p) if p.customer.as_deref() == Some(customer.as_str()) => Ok(customer),
        Ok(_) | Err(BillingError::Rejected(_)) => Err(BillingError::NotFound("payment method")),
        Err(e) => Err(e),
    }
}

/// `POST /api/v1/billing/payment-methods/{id}/set-default`.
pub async fn set_default(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    pm: &str,
) -> Result<PaymentMethods, BillingError> {
    let (kind, owner) = owner_of(db, ctx, org_id, true).await?;
    let stripe = connect(db, key).await?;
    let customer = own_card(db, &stripe, kind, &owner, pm).await?;
    make_default(db, &stripe, kind, &owner, &customer, pm).await?;
    audit(db, ctx, "billing.card_default", pm, org_id).await?;
    list(db, key, ctx, org_id).await
}

/// `DELETE /api/v1/billing/payment-methods/{id}`: detaches the card; when it was the default,
/// another card (if any) becomes the default.
pub async fn remove(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    org_id: Option<&str>,
    pm: &str,
) -> Result<PaymentMethods, BillingError> {
    let (kind, owner) = owner_of(db, ctx, org_id, true).await?;
    let stripe = connect(db, key).await?;
    let customer = own_card(db, &stripe, kind, &owner, pm).await?;
    stripe.api.detach(pm).await?;
    let (_, default) = stored(db, kind, &owner).await?;
    if default.as_deref() == Some(pm) {
        sqlx::query(
            "UPDATE billing_accounts SET default_payment_method = NULL WHERE owner_kind = $1 AND owner_id = $2",
        )
        .bind(kind.as_str())
        .bind(&owner)
        .execute(db.pool())
        .await?;
        let rest = stripe.api.payment_methods(&customer).await?;
        if let Some(next) = rest.first() {
            make_default(db, &stripe, kind, &owner, &customer, &next.id).await?;
        }
    }
    audit(db, ctx, "billing.card_removed", pm, org_id).await?;
    list(db, key, ctx, org_id).await
}

async fn audit(
    db: &Db,
    ctx: &AuthCtx,
    action: &str,
    pm: &str,
    org_id: Option<&str>,
) -> Result<(), BillingError> {
    let mut tx = db.begin().await?;
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(pm),
            org_id,
            ..ctx.audit(action)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
