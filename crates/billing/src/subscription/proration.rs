//! What a plan change does, computed from the subscription, both plans, the bought credits
//! held and any coupon: an upgrade now (prorated: the unused part of the period credited, the
//! new plan charged for the rest of it, or for a new period when the interval changes or the
//! account leaves the free plan), a downgrade at the period's end, a trial, or a switch to a
//! free plan. Pure: the preview and the change both call it.

use ops_types::{ChangePreview, Interval, Plan, PreviewLine, date_of_ms, format_amount};

use super::{Discount, Sub};
use crate::{BillingError, period, plans};

const DAY_MS: i64 = 86_400_000;

/// What a change does, computed from the locked row, both plans and the bought credits held.
pub(super) fn compute(
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
    // plan, one priced the same (switching back and forth would collect included credits each
    // time), or going back to monthly billing, at the period's end.
    let up = if to.code == from.code {
        interval == Interval::Year
    } else {
        plans::rank(to) > plans::rank(from)
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
        unused -= d.off_over(unused, (now, s.period_end));
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
        .map_or(0, |d| d.off_over(charge, (now, preview.period_end)));
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
            25 * M - 10 * M,
            "it ended on day 1: the unused half was paid in full, and is credited in full"
        );
    }

    #[test]
    fn a_coupon_ending_within_the_period_takes_off_only_its_part() {
        let d = super::super::Discount {
            name: "q".into(),
            percent: 50,
            until: Some(90 * DAY_MS),
            plans: Vec::new(),
        };
        assert_eq!(
            d.off_over(360 * M, (0, 360 * DAY_MS)),
            45 * M,
            "a quarter of 50%"
        );
        assert_eq!(
            d.off_over(100 * M, (0, 30 * DAY_MS)),
            50 * M,
            "all of the month"
        );
        assert_eq!(
            d.off_over(100 * M, (90 * DAY_MS, 120 * DAY_MS)),
            0,
            "after it ended"
        );
    }

    #[test]
    fn a_plan_priced_the_same_waits_for_the_period_end() {
        let (a, b) = (
            plan("a", 20 * M, 200 * M, 0, 10 * M),
            plan("b", 20 * M, 200 * M, 0, 10 * M),
        );
        let s = sub("a", "active", 0, 30 * DAY_MS);
        let p = compute(&s, (&a, &b), Interval::Month, 0, 10 * DAY_MS, None).unwrap();
        assert_eq!((p.kind.as_str(), p.credits_granted), ("downgrade", 0));
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
