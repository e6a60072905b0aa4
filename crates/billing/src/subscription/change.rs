//! Changing plans. An upgrade applies now and is prorated: the unused part of the current
//! period is credited and the new plan charged for the rest of it (or for a new period when the
//! interval changes). A downgrade waits for the period's end. A first paid plan starts with its
//! trial when it has one. The preview and the change compute the same [`ChangePreview`].

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, Db, Row, now_ms};
use ops_types::{
    CancelRequest, ChangePreview, CreditBucket, Interval, OwnerKind, Plan, PlanChange,
    Subscription, SubscriptionQuery, date_of_ms, format_amount,
};

use super::proration::compute;
use super::{Sub, allowance, discount, event, lock, owner_of, save, view};
use crate::invoice::{self, Issue};
use crate::ledger::{self, Credit, Debit, Meta};
use crate::{BillingError, plans};

pub(super) async fn available(conn: &mut AnyConnection, s: &Sub) -> Result<i64, BillingError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(l.remaining), 0) AS BIGINT) AS n FROM credit_lots l \
         JOIN billing_accounts a ON a.id = l.account_id \
         WHERE a.owner_kind = $1 AND a.owner_id = $2 AND l.bucket = 'paid' AND l.remaining > 0 \
         AND (l.expires_at IS NULL OR l.expires_at > $3)",
    )
    .bind(s.kind.as_str())
    .bind(&s.owner_id)
    .bind(now_ms())
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// The locked row, both plans and the preview of `input`.
async fn prepare(
    conn: &mut AnyConnection,
    s: &Sub,
    input: &PlanChange,
) -> Result<(Plan, Plan, ChangePreview), BillingError> {
    let code = input.plan.trim();
    if code.is_empty() {
        return Err(BillingError::invalid("plan", "choose a plan"));
    }
    let from = plans::load(conn, &s.plan_code).await?;
    let to = match plans::load(conn, code).await {
        Ok(p) if p.public || p.code == s.plan_code => p,
        Ok(_) | Err(BillingError::NotFound(_)) => {
            return Err(BillingError::invalid(
                "plan",
                format!("no plan `{code}` is offered"),
            ));
        }
        Err(e) => return Err(e),
    };
    // Keep the current interval where the new plan is sold that way; else monthly.
    let interval = input
        .interval
        .unwrap_or(if plans::price(&to, s.interval).is_some() {
            s.interval
        } else {
            Interval::Month
        });
    let have = available(conn, s).await?;
    let coupon = discount(conn, s).await?;
    let preview = compute(s, (&from, &to), interval, have, now_ms(), coupon.as_ref())?;
    Ok((from, to, preview))
}

/// `GET /api/v1/subscriptions/preview-change?plan=&interval=`.
pub async fn preview(
    db: &Db,
    ctx: &AuthCtx,
    input: &PlanChange,
) -> Result<ChangePreview, BillingError> {
    let (kind, owner) = owner_of(db, ctx, input.org_id.as_deref(), false).await?;
    let mut tx = db.begin().await?;
    let s = lock(&mut tx, kind, &owner).await?;
    let (_, _, preview) = prepare(&mut tx, &s, input).await?;
    tx.commit().await?;
    Ok(preview)
}

/// Which changes a request accepts: `/change` any, `/upgrade` and `/downgrade` their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Any,
    Upgrade,
    Downgrade,
}

/// `POST /api/v1/subscriptions/change` (and `/upgrade`, `/downgrade`): applies what the
/// preview showed. A retry with the same `Idempotency-Key` changes nothing and answers with the
/// subscription as it is.
pub async fn change(
    db: &Db,
    ctx: &AuthCtx,
    input: &PlanChange,
    key: Option<&str>,
    expect: Expect,
) -> Result<(Subscription, bool), BillingError> {
    let (kind, owner) = owner_of(db, ctx, input.org_id.as_deref(), true).await?;
    let mut tx = db.begin().await?;
    let out = apply(
        &mut tx,
        (kind, &owner),
        input,
        key,
        Some(&ctx.user_id),
        expect,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The change itself, inside the caller's transaction, by `actor` (none: paid by card through
/// Checkout and applied when Stripe said so).
pub(crate) async fn apply(
    tx: &mut AnyConnection,
    (kind, owner): (OwnerKind, &str),
    input: &PlanChange,
    key: Option<&str>,
    actor: Option<&str>,
    expect: Expect,
) -> Result<(Subscription, bool), BillingError> {
    let mut s = lock(tx, kind, owner).await?;
    if let Some(k) = key {
        let seen = sqlx::query(
            "SELECT to_plan FROM subscription_events WHERE subscription_id = $1 AND request_key = $2",
        )
        .bind(&s.id)
        .bind(k)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = seen {
            // The same key for another change is a client's mistake, not a retry.
            let to: Option<String> = row.try_get("to_plan")?;
            if to.as_deref() != Some(input.plan.trim()) {
                return Err(BillingError::invalid(
                    "idempotency_key",
                    "this key was used for a change to another plan",
                ));
            }
            return Ok((view(tx, &s).await?, true));
        }
    }
    let (from, to, p) = prepare(tx, &s, input).await?;
    let fits = match expect {
        Expect::Any => true,
        Expect::Upgrade => p.kind != "downgrade",
        Expect::Downgrade => p.kind == "downgrade",
    };
    if !fits {
        return Err(BillingError::invalid(
            "plan",
            format!("this change is a {}; use /change", p.kind),
        ));
    }
    let now = now_ms();
    let by = actor.map(|a| (a, key));
    let reference = s.id.clone();
    let pay_key = key.map(|k| format!("change:{k}"));
    let meta = |reason: &'static str| Meta {
        reason: Some(reason),
        reference: Some(&reference),
        actor_id: actor,
        idempotency_key: pay_key.as_deref(),
    };
    if p.total > 0 {
        ledger::debit(
            &mut *tx,
            s.owner(),
            Debit {
                kind: "subscription",
                amount: p.total,
                only: Some(CreditBucket::Paid),
                meta: meta("plan change"),
            },
        )
        .await
        .map_err(|e| explain_shortfall(e, &p))?;
        let lines = p
            .lines
            .iter()
            .map(|l| (l.description.clone(), l.amount))
            .collect();
        invoice::issue(
            &mut *tx,
            Issue {
                owner: s.owner(),
                kind: "subscription",
                currency: &p.currency,
                lines,
                period: Some((now, p.period_end)),
                reference: Some(&s.id),
                paid_with: "from account credits",
            },
        )
        .await?;
    } else if p.total < 0 {
        ledger::credit(
            &mut *tx,
            s.owner(),
            Credit {
                kind: "refund",
                bucket: CreditBucket::Paid,
                amount: -p.total,
                priority: None,
                expires_at: None,
                meta: meta("unused time on the previous plan"),
            },
        )
        .await?;
    }
    let codes = (Some(from.code.as_str()), Some(to.code.as_str()));
    match p.kind.as_str() {
        "downgrade" => {
            s.next_plan = Some(to.code.clone());
            s.next_interval = Some(p.interval);
            s.cancel_at_period_end = false;
            s.cancel_reason = None;
            save(&mut *tx, &s).await?;
            event(&mut *tx, &s.id, "downgrade_scheduled", codes, 0, None, by).await?;
        }
        kind => {
            let new_period = p.period_end != s.period_end || kind != "upgrade";
            if new_period {
                s.anchor_at = p.period_end;
                s.period_start = now;
                s.period_end = p.period_end;
                if kind != "trial" {
                    s.anchor_at = now;
                }
            }
            s.plan_code = to.code.clone();
            s.interval = p.interval;
            s.status = if kind == "trial" {
                "trialing"
            } else {
                "active"
            }
            .into();
            s.trial_end = p.trial_end;
            s.trial_used |= kind == "trial";
            s.cancel_at_period_end = false;
            s.cancel_reason = None;
            s.next_plan = None;
            s.next_interval = None;
            s.past_due_since = None;
            save(&mut *tx, &s).await?;
            let kind_name = if kind == "trial" {
                "trial_started"
            } else {
                kind
            };
            event(&mut *tx, &s.id, kind_name, codes, p.total, None, by).await?;
            let start = if new_period { s.period_start } else { now };
            allowance(
                &mut *tx,
                s.owner(),
                &to,
                p.credits_granted,
                (start, s.period_end),
                &s.id,
            )
            .await?;
        }
    }
    Ok((view(tx, &s).await?, false))
}

/// A shortfall, said in the terms of the change.
fn explain_shortfall(e: BillingError, p: &ChangePreview) -> BillingError {
    match e {
        BillingError::Insufficient { needed, available } => BillingError::Refused {
            code: ops_types::ErrorCode::InsufficientCredits,
            message: format!(
                "this change costs {} now and the account holds {} in bought credits; buy credits first",
                format_amount(needed, &p.currency),
                format_amount(available, &p.currency)
            ),
            limit: None,
            retry_after: None,
        },
        other => other,
    }
}

fn reason(r: Option<&str>) -> Result<Option<String>, BillingError> {
    let r = r.map(str::trim).filter(|r| !r.is_empty());
    if r.is_some_and(|r| r.chars().count() > 500) {
        return Err(BillingError::invalid("reason", "at most 500 characters"));
    }
    Ok(r.map(str::to_string))
}

/// `POST /api/v1/subscriptions/cancel`: the plan runs to the period's end, then the account
/// moves to the free plan. A trial ends now.
pub async fn cancel(
    db: &Db,
    ctx: &AuthCtx,
    input: &CancelRequest,
) -> Result<Subscription, BillingError> {
    let why = reason(input.reason.as_deref())?;
    let (kind, owner) = owner_of(db, ctx, input.org_id.as_deref(), true).await?;
    let mut tx = db.begin().await?;
    let mut s = lock(&mut tx, kind, &owner).await?;
    if s.plan_code == plans::FREE {
        return Err(BillingError::Conflict(
            "the free plan has nothing to cancel".into(),
        ));
    }
    if s.cancel_at_period_end {
        return Err(BillingError::Conflict(format!(
            "already cancelled; it ends on {}",
            date_of_ms(s.period_end)
        )));
    }
    let by = Some((ctx.user_id.as_str(), None));
    let from = s.plan_code.clone();
    if s.status == "trialing" || s.status == "past_due" {
        s.cancel_reason = why.clone();
        // A trial's end is not a paying customer lost (revenue's churn leaves these out).
        let detail = match (s.status.as_str(), why.as_deref()) {
            ("trialing", Some(w)) => Some(format!("the trial ended: cancelled ({w})")),
            ("trialing", None) => Some("the trial ended: cancelled".to_string()),
            (_, w) => w.map(str::to_string),
        };
        super::renew::to_free(&mut tx, &mut s, now_ms(), detail.as_deref(), by).await?;
    } else {
        s.cancel_at_period_end = true;
        s.cancel_reason = why.clone();
        s.next_plan = None;
        s.next_interval = None;
        save(&mut tx, &s).await?;
        let codes = (Some(from.as_str()), Some(plans::FREE));
        event(
            &mut tx,
            &s.id,
            "cancel_scheduled",
            codes,
            0,
            why.as_deref(),
            by,
        )
        .await?;
    }
    let view = view(&mut tx, &s).await?;
    tx.commit().await?;
    Ok(view)
}

/// `POST /api/v1/subscriptions/reactivate`: undoes a cancellation or a scheduled downgrade
/// before the period ends; for an overdue plan, tries the payment again now.
pub async fn reactivate(
    db: &Db,
    ctx: &AuthCtx,
    q: &SubscriptionQuery,
) -> Result<Subscription, BillingError> {
    let (kind, owner) = owner_of(db, ctx, q.org_id.as_deref(), true).await?;
    let mut tx = db.begin().await?;
    let mut s = lock(&mut tx, kind, &owner).await?;
    let by = Some((ctx.user_id.as_str(), None));
    if s.status == "past_due" {
        let before = s.plan_code.clone();
        let done = super::renew::renew(&mut tx, &mut s, now_ms(), true).await?;
        if done && s.plan_code == plans::FREE && before != plans::FREE {
            // The 7 days to pay were over: the plan ended (as the renewal job would), said so.
            tx.commit().await?;
            return Err(BillingError::Conflict(
                "the 7 days to pay are over: the plan has ended and the account is on the free plan; choose a plan again".into(),
            ));
        }
        if !done {
            return Err(BillingError::Refused {
                code: ops_types::ErrorCode::InsufficientCredits,
                message: "the renewal still cannot be paid: buy credits first".into(),
                limit: None,
                retry_after: None,
            });
        }
    } else if s.cancel_at_period_end || s.next_plan.is_some() {
        s.cancel_at_period_end = false;
        s.cancel_reason = None;
        s.next_plan = None;
        s.next_interval = None;
        save(&mut tx, &s).await?;
        let code = Some(s.plan_code.as_str());
        event(&mut tx, &s.id, "reactivated", (code, code), 0, None, by).await?;
    } else {
        return Err(BillingError::Conflict(
            "nothing to reactivate: no cancellation or downgrade is scheduled".into(),
        ));
    }
    let view = view(&mut tx, &s).await?;
    tx.commit().await?;
    Ok(view)
}
