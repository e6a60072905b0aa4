//! Changing plans. An upgrade applies now and is prorated: the unused part of the current
//! period is credited and the new plan charged for the rest of it (or for a new period when the
//! interval changes). A downgrade waits for the period's end. A first paid plan starts with its
//! trial when it has one. The preview and the change compute the same [`ChangePreview`].

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, Db, Row, now_ms};
use ops_types::{
    CancelRequest, ChangePreview, CreditBucket, Interval, Plan, PlanChange, PreviewLine,
    Subscription, SubscriptionQuery, date_of_ms, format_amount,
};

use super::{Discount, Sub, allowance, discount, event, lock, owner_of, save, view};
use crate::invoice::{self, Issue};
use crate::ledger::{self, Credit, Debit, Meta};
use crate::{BillingError, period, plans};

const DAY_MS: i64 = 86_400_000;

/// What a change does, computed from the locked row, both plans and the bought credits held.
fn compute(
    s: &Sub,
    (from, to): (&Plan, &Plan),
    interval: Interval,
    available: i64,
    now: i64,
    coupon: Option<&Discount>,
) -> Result<ChangePreview, BillingError> {
    if s.status == "suspended" {
        return Err(BillingError::Conflict(
            "this subscription is suspended by an administrator; contact support".into(),
        ));
    }
    let to_price = plans::price(to, interval).ok_or_else(|| {
        BillingError::invalid(
            "interval",
            format!("the {} plan is not sold {}ly", to.name, interval.as_str()),
        )
    })?;
    if to.code == from.code && interval == s.interval && s.status != "past_due" {
        return Err(BillingError::Conflict(format!(
            "already on the {} plan, billed {}ly",
            to.name,
            interval.as_str()
        )));
    }
    let mut preview = ChangePreview {
        kind: String::new(),
        from_plan: from.code.clone(),
        to_plan: to.code.clone(),
        interval,
        effective_at: now,
        lines: Vec::new(),
        total: 0,
        currency: to.currency.clone(),
        available,
        period_end: s.period_end,
        trial_end: None,
        credits_granted: 0,
    };
    let money = |m: i64| format_amount(m, &to.currency);
    let from_free = from.price_monthly == 0 && from.price_yearly == 0;
    if to.trial_days > 0 && !s.trial_used && from_free && s.paying() {
        let end = now + i64::from(to.trial_days) * DAY_MS;
        preview.kind = "trial".into();
        preview.trial_end = Some(end);
        preview.period_end = end;
        preview.credits_granted =
            period::prorate(to.included_credits, end - now, 30 * DAY_MS).min(to.included_credits);
        preview.lines.push(PreviewLine {
            description: format!(
                "{}-day free trial of {}; then {} a {} from {}",
                to.trial_days,
                to.name,
                money(to_price),
                interval.as_str(),
                date_of_ms(end)
            ),
            amount: 0,
        });
        return Ok(preview);
    }
    // A better plan, or the same one billed yearly instead of monthly, applies now; a lesser
    // plan, or going back to monthly billing, at the period's end.
    let up = if to.code == from.code {
        interval == Interval::Year
    } else {
        plans::rank(to) >= plans::rank(from)
    };
    if !s.paying() && to_price == 0 {
        // Leaving a trial or an overdue plan for a free one: now, nothing to pay.
        preview.kind = "switch".into();
        preview.period_end = period::add_months(now, 1);
        preview.credits_granted = to.included_credits;
        return Ok(preview);
    }
    if !up && s.paying() {
        preview.kind = "downgrade".into();
        preview.effective_at = s.period_end;
        preview.lines.push(PreviewLine {
            description: format!(
                "{} from {}, {} a {}; nothing to pay now",
                to.name,
                date_of_ms(s.period_end),
                money(to_price),
                interval.as_str()
            ),
            amount: 0,
        });
        return Ok(preview);
    }
    preview.kind = "upgrade".into();
    let length = s.period_end - s.period_start;
    let left = (s.period_end - now).max(0);
    let from_price = plans::price(from, s.interval).unwrap_or(0);
    let mut unused = if s.paying() {
        period::prorate(from_price, left, length)
    } else {
        0
    };
    if let Some(d) = coupon.filter(|d| d.applies(&from.code, s.period_start)) {
        // What was paid for the current period, not its list price.
        unused -= d.off(unused);
    }
    if unused > 0 {
        preview.lines.push(PreviewLine {
            description: format!(
                "Unused time on {} ({} of {} days left)",
                from.name,
                left / DAY_MS,
                length / DAY_MS
            ),
            amount: -unused,
        });
    }
    let keep_period = s.paying() && interval == s.interval && !from_free;
    let (charge, included) = if keep_period {
        let extra = to.included_credits - if s.paying() { from.included_credits } else { 0 };
        (
            period::prorate(to_price, left, length),
            period::prorate(extra.max(0), left, length),
        )
    } else {
        preview.period_end = period::add_months(now, i64::from(interval.months()));
        (to_price, to.included_credits)
    };
    preview.lines.push(PreviewLine {
        description: format!(
            "{}, billed {}ly, from today to {}",
            to.name,
            interval.as_str(),
            date_of_ms(preview.period_end)
        ),
        amount: charge,
    });
    let off = coupon
        .filter(|d| d.applies(&to.code, now))
        .map_or(0, |d| d.off(charge));
    if let Some(d) = coupon.filter(|_| off > 0) {
        preview.lines.push(PreviewLine {
            description: format!("Coupon {}: {}% off", d.name, d.percent),
            amount: -off,
        });
    }
    preview.total = charge - off - unused;
    preview.credits_granted = included;
    Ok(preview)
}

async fn available(conn: &mut AnyConnection, s: &Sub) -> Result<i64, BillingError> {
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
    let mut s = lock(&mut tx, kind, &owner).await?;
    if let Some(k) = key {
        let seen = sqlx::query(
            "SELECT id FROM subscription_events WHERE subscription_id = $1 AND request_key = $2",
        )
        .bind(&s.id)
        .bind(k)
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_some() {
            let view = view(&mut tx, &s).await?;
            tx.commit().await?;
            return Ok((view, true));
        }
    }
    let (from, to, p) = prepare(&mut tx, &s, input).await?;
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
    let by = Some((ctx.user_id.as_str(), key));
    let reference = s.id.clone();
    let pay_key = key.map(|k| format!("change:{k}"));
    let meta = |reason: &'static str| Meta {
        reason: Some(reason),
        reference: Some(&reference),
        actor_id: Some(&ctx.user_id),
        idempotency_key: pay_key.as_deref(),
    };
    if p.total > 0 {
        ledger::debit(
            &mut tx,
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
            &mut tx,
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
            &mut tx,
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
            save(&mut tx, &s).await?;
            event(&mut tx, &s.id, "downgrade_scheduled", codes, 0, None, by).await?;
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
            save(&mut tx, &s).await?;
            let kind_name = if kind == "trial" {
                "trial_started"
            } else {
                kind
            };
            event(&mut tx, &s.id, kind_name, codes, p.total, None, by).await?;
            let start = if new_period { s.period_start } else { now };
            allowance(
                &mut tx,
                s.owner(),
                &to,
                p.credits_granted,
                (start, s.period_end),
                &s.id,
            )
            .await?;
        }
    }
    let view = view(&mut tx, &s).await?;
    tx.commit().await?;
    Ok((view, false))
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
        super::renew::to_free(&mut tx, &mut s, now_ms(), why.as_deref(), by).await?;
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
        let done = super::renew::renew(&mut tx, &mut s, now_ms(), true).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use ops_types::OwnerKind;

    fn plan(code: &str, monthly: i64, yearly: i64, trial: i32, included: i64) -> Plan {
        Plan {
            code: code.into(),
            name: code.into(),
            currency: "USD".into(),
            price_monthly: monthly,
            price_yearly: yearly,
            trial_days: trial,
            included_credits: included,
            public: true,
            ..Plan::default()
        }
    }

    fn sub(plan: &str, status: &str, start: i64, end: i64) -> Sub {
        Sub {
            id: "s".into(),
            kind: OwnerKind::User,
            owner_id: "u".into(),
            plan_code: plan.into(),
            interval: Interval::Month,
            status: status.into(),
            anchor_at: start,
            period_start: start,
            period_end: end,
            trial_end: None,
            trial_used: false,
            cancel_at_period_end: false,
            cancel_reason: None,
            next_plan: None,
            next_interval: None,
            past_due_since: None,
            coupon_batch_id: None,
            coupon_until: None,
        }
    }

    const M: i64 = 1_000_000;

    #[test]
    fn an_upgrade_halfway_credits_half_and_charges_half() {
        let (starter, pro) = (
            plan("starter", 20 * M, 200 * M, 14, 10 * M),
            plan("pro", 50 * M, 500 * M, 14, 30 * M),
        );
        let s = sub("starter", "active", 0, 30 * DAY_MS);
        let p = compute(&s, (&starter, &pro), Interval::Month, 0, 15 * DAY_MS, None).unwrap();
        assert_eq!(p.kind, "upgrade");
        assert_eq!(p.lines[0].amount, -10 * M);
        assert_eq!(p.lines[1].amount, 25 * M);
        assert_eq!(p.total, 15 * M);
        assert_eq!(p.period_end, 30 * DAY_MS);
        assert_eq!(p.credits_granted, 10 * M);
    }

    #[test]
    fn a_yearly_switch_starts_a_new_period() {
        let (starter, pro) = (
            plan("starter", 20 * M, 200 * M, 0, 0),
            plan("pro", 50 * M, 500 * M, 0, 0),
        );
        let s = sub("starter", "active", 0, 30 * DAY_MS);
        let p = compute(&s, (&starter, &pro), Interval::Year, 0, 10 * DAY_MS, None).unwrap();
        assert_eq!(p.kind, "upgrade");
        assert_eq!(
            p.total,
            500 * M - period::prorate(20 * M, 20 * DAY_MS, 30 * DAY_MS)
        );
        assert_eq!(p.period_end, period::add_months(10 * DAY_MS, 12));
    }

    #[test]
    fn a_coupon_takes_its_share_off_the_charge_and_the_credit() {
        let (starter, pro) = (
            plan("starter", 20 * M, 0, 0, 0),
            plan("pro", 50 * M, 0, 0, 0),
        );
        let s = sub("starter", "active", 0, 30 * DAY_MS);
        let half = Discount {
            name: "HALF".into(),
            percent: 50,
            until: None,
            plans: vec![],
        };
        let p = compute(
            &s,
            (&starter, &pro),
            Interval::Month,
            0,
            15 * DAY_MS,
            Some(&half),
        )
        .unwrap();
        assert_eq!(
            p.total,
            25 * M / 2 - 5 * M,
            "half of 25 charged, half of 10 credited"
        );
        let only_starter = Discount {
            plans: vec!["starter".into()],
            ..half.clone()
        };
        let p = compute(
            &s,
            (&starter, &pro),
            Interval::Month,
            0,
            15 * DAY_MS,
            Some(&only_starter),
        )
        .unwrap();
        assert_eq!(p.total, 25 * M - 5 * M);
        let over = Discount {
            until: Some(DAY_MS),
            ..half
        };
        let p = compute(
            &s,
            (&starter, &pro),
            Interval::Month,
            0,
            15 * DAY_MS,
            Some(&over),
        )
        .unwrap();
        assert_eq!(
            p.total,
            25 * M - 5 * M,
            "ended before the change, after the period began"
        );
    }

    #[test]
    fn yearly_billing_of_the_same_plan_applies_now_and_monthly_waits() {
        let pro = plan("pro", 50 * M, 500 * M, 0, 0);
        let s = sub("pro", "active", 0, 30 * DAY_MS);
        let p = compute(&s, (&pro, &pro), Interval::Year, 0, 10 * DAY_MS, None).unwrap();
        assert_eq!(p.kind, "upgrade");
        let yearly = Sub {
            interval: Interval::Year,
            ..s
        };
        let p = compute(&yearly, (&pro, &pro), Interval::Month, 0, 10 * DAY_MS, None).unwrap();
        assert_eq!(p.kind, "downgrade");
    }

    #[test]
    fn downgrades_wait_trials_start_and_mistakes_are_refused() {
        let (free, starter, pro) = (
            plan("free", 0, 0, 0, M),
            plan("starter", 20 * M, 0, 14, 10 * M),
            plan("pro", 50 * M, 500 * M, 0, 0),
        );
        let s = sub("pro", "active", 0, 30 * DAY_MS);
        let p = compute(&s, (&pro, &starter), Interval::Month, 0, DAY_MS, None).unwrap();
        assert_eq!(
            (p.kind.as_str(), p.total, p.effective_at),
            ("downgrade", 0, 30 * DAY_MS)
        );
        let f = sub("free", "active", 0, 30 * DAY_MS);
        let t = compute(&f, (&free, &starter), Interval::Month, 0, DAY_MS, None).unwrap();
        assert_eq!((t.kind.as_str(), t.total), ("trial", 0));
        assert_eq!(t.trial_end, Some(15 * DAY_MS));
        assert!(matches!(
            compute(&f, (&free, &starter), Interval::Year, 0, DAY_MS, None),
            Err(BillingError::Invalid {
                field: "interval",
                ..
            })
        ));
        assert!(matches!(
            compute(&s, (&pro, &pro), Interval::Month, 0, DAY_MS, None),
            Err(BillingError::Conflict(_))
        ));
        let used = Sub {
            trial_used: true,
            ..f
        };
        let u = compute(&used, (&free, &starter), Interval::Month, 0, DAY_MS, None).unwrap();
        assert_eq!((u.kind.as_str(), u.total), ("upgrade", 20 * M));
    }
}
