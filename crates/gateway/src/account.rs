//! One account as this replica meters it: its standing (plan, period, credits, requests
//! counted), what is settled but not yet written, what requests in flight reserved, and this
//! replica's holds on its credits and on its plan's request allowance ([`crate::holds`]).
//! [`Account::admit`] is the admission rule; [`crate::meter`] runs it and claims holds.

use std::time::Instant;

use ops_billing::metered::Standing;
use ops_db::now_ms;
use ops_types::{ErrorCode, Overage, format_amount};

use crate::GatewayError;
use crate::meter::{Ask, Owner, Ticket};
use crate::rates::{PerMinute, Window};

pub(crate) struct Account {
    pub standing: Standing,
    pub synced: Instant,
    /// Settled, not yet written.
    pub pending_cost: i64,
    pub pending_requests: i64,
    pub reserved: i64,
    pub in_flight: i64,
    /// Requests admitted in the last minute (a sliding window).
    pub minute: Window,
    /// This replica's hold on the account's credits, and what it settled since the holds were
    /// last renewed.
    pub held: i64,
    pub lately: i64,
    /// This replica's hold on the plan's requests per period (only with a request limit), and
    /// the requests it counted since the last renewal.
    pub requests_held: i64,
    pub requests_lately: i64,
}

/// Why an account cannot admit a request now.
pub(crate) enum Short {
    /// Refused.
    No(GatewayError),
    /// A hold of this replica's is short.
    Hold(Claim),
}

/// The hold to claim more of.
pub(crate) enum Claim {
    /// On the account's credits: this replica needs `need` held (with the plan's overage rule).
    Credits(i64, Overage),
    /// On the plan's requests: this replica needs `need` held, of `max` requests in the period
    /// starting at `period`.
    Requests { need: i64, max: i64, period: i64 },
}

/// Claims that granted nothing, by the need they asked for: no other is made for as much.
#[derive(Default, Clone, Copy)]
pub(crate) struct Futile {
    pub credits: Option<i64>,
    pub requests: Option<i64>,
}

fn refused(status: u16, code: ErrorCode, message: String, retry: Option<i64>) -> GatewayError {
    GatewayError::Refused {
        status,
        code: code.as_str(),
        message,
        retry_after: retry.map(|ms| (ms.max(0) as u64).div_ceil(1000).max(1)),
    }
}

impl Account {
    pub fn new(standing: Standing) -> Account {
        Account {
            standing,
            synced: Instant::now(),
            pending_cost: 0,
            pending_requests: 0,
            reserved: 0,
            in_flight: 0,
            minute: Window::default(),
            held: 0,
            lately: 0,
            requests_held: 0,
            requests_lately: 0,
        }
    }

    /// What this replica may still reserve: within its hold (none while the holds cannot be
    /// renewed) and what the account held when last read.
    fn available(&self, trusted: bool) -> i64 {
        let held = if trusted { self.held } else { 0 };
        self.standing.spendable.min(held) - self.pending_cost - self.reserved
    }

    /// The plan's requests per period: refused when used up; short when this replica's hold
    /// does not cover one more request (and no claim for as much granted nothing).
    fn requests(&self, max: i64, trusted: bool, futile: Option<i64>) -> Result<(), Short> {
        let s = &self.standing;
        let mine = self.pending_requests + self.in_flight;
        let need = mine + 1;
        let held = if trusted { self.requests_held } else { 0 };
        let mut used = s.requests + mine;
        if used < max && need > held {
            if futile.is_none_or(|n| need > n) {
                return Err(Short::Hold(Claim::Requests {
                    need,
                    max,
                    period: s.period_start,
                }));
            }
            // All that was free is held: the rest is used or held by other replicas.
            used = used.max(max - (held - mine));
        }
        if used >= max {
            return Err(Short::No(refused(
                429,
                ErrorCode::QuotaExceeded,
                format!(
                    "the {} plan allows {max} requests this period; {used} used; resets at {}",
                    s.plan.name,
                    ops_types::date_time_of_ms(s.period_end)
                ),
                Some(s.period_end - now_ms()),
            )));
        }
        Ok(())
    }

    /// Admits against the account as this replica holds it, and reserves the worst case.
    pub fn admit(
        &mut self,
        owner: &Owner,
        ask: &Ask<'_>,
        trusted: bool,
        futile: Futile,
    ) -> Result<Ticket, Short> {
        let now = now_ms();
        let refused =
            |status, code, message, retry| Short::No(refused(status, code, message, retry));
        let used_rate = self.minute.used(now);
        let s = &self.standing;
        let p = &s.plan;
        if s.status == "suspended" {
            return Err(refused(
                402,
                ErrorCode::PlanRequired,
                "this subscription is suspended".into(),
                None,
            ));
        }
        if !p.services.iter().any(|x| x == ask.service) {
            return Err(refused(
                402,
                ErrorCode::PlanRequired,
                format!(
                    "the {} plan does not include `{}`; upgrade to use it",
                    p.name, ask.service
                ),
                None,
            ));
        }
        if !p.model_groups.iter().any(|g| g == ask.group) {
            return Err(Short::No(GatewayError::Forbidden(format!(
                "the {} plan does not include the model `{}` (group `{}`); upgrade to use it",
                p.name, ask.model, ask.group
            ))));
        }
        if let Some(max) = p.request_limit {
            self.requests(max, trusted, futile.requests)?;
        }
        let (s, p) = (&self.standing, &self.standing.plan);
        if let Some(rpm) = p.rate_limit_rpm
            && used_rate >= i64::from(rpm)
        {
            let limit = PerMinute::PlanRequests {
                plan: p.name.clone(),
                max: rpm.into(),
            };
            return Err(Short::No(limit.refusal(now)));
        }
        let percent = match ask.fee_percent {
            Some(f) => f,
            None => p.llm_price_percent.unwrap_or(100),
        };
        let estimate = (ask.estimate.saturating_mul(percent.max(0)) + 99) / 100;
        let available = self.available(trusted);
        let need = self.pending_cost + self.reserved + estimate;
        if available < estimate && futile.credits.is_none_or(|n| need > n) {
            return Err(Short::Hold(Claim::Credits(need, p.overage)));
        }
        if available < estimate {
            let message = format!(
                "not enough credits for this request: up to {} may be charged, {} available{}",
                format_amount(estimate, "USD"),
                format_amount(available.max(0), "USD"),
                if p.overage == Overage::Block {
                    format!(
                        " (the {} plan's included credits; they reset on {})",
                        p.name,
                        ops_types::date_of_ms(s.period_end)
                    )
                } else {
                    "; buy credits, or lower max_tokens".into()
                }
            );
            return Err(refused(402, ErrorCode::InsufficientCredits, message, None));
        }
        let ticket = Ticket {
            owner: owner.clone(),
            key_row: ask.key.id.clone(),
            amount: estimate,
            period_start: s.period_start,
            overage: p.overage,
            price_percent: p.llm_price_percent.unwrap_or(100),
            key_window: 0,
            limited: p.request_limit.is_some(),
            shared_tokens: 0,
        };
        self.reserved += estimate;
        self.in_flight += 1;
        self.minute.add(now, 1);
        Ok(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops_billing::metered::Standing;

    fn account(counted: i64) -> Account {
        let plan = ops_types::Plan {
            name: "Free".into(),
            request_limit: Some(10),
            ..Default::default()
        };
        Account::new(Standing {
            plan,
            status: "active".into(),
            period_start: 1_000,
            period_end: 2_000_000_000_000,
            spendable: 0,
            requests: counted,
        })
    }

    fn short(r: Result<(), Short>) -> Option<(i64, i64)> {
        match r {
            Err(Short::Hold(Claim::Requests { need, max, period })) => {
                assert_eq!(period, 1_000);
                Some((need, max))
            }
            Err(Short::No(e)) => panic!("refused: {e}"),
            _ => None,
        }
    }

    #[test]
    fn a_request_needs_the_hold_on_the_plans_requests_to_cover_it() {
        let mut a = account(4);
        // Nothing held: claim for one.
        assert_eq!(short(a.requests(10, true, None)), Some((1, 10)));
        a.requests_held = 2;
        assert!(a.requests(10, true, None).is_ok());
        // Held but not trusted (the holds could not be renewed): claim again.
        assert_eq!(short(a.requests(10, false, None)), Some((1, 10)));
        // Two in flight and two pending: the fifth needs 5 held.
        a.in_flight = 2;
        a.pending_requests = 2;
        a.requests_held = 4;
        assert_eq!(short(a.requests(10, true, None)), Some((5, 10)));
        // A claim for 5 granted nothing: the rest is held elsewhere, so it is refused.
        let Err(Short::No(e)) = a.requests(10, true, Some(5)) else {
            panic!("not refused")
        };
        assert!(
            e.to_string()
                .contains("allows 10 requests this period; 10 used"),
            "{e}"
        );
    }

    #[test]
    fn the_plans_requests_are_refused_once_counted() {
        let a = account(10);
        let Err(Short::No(e)) = a.requests(10, true, None) else {
            panic!("not refused")
        };
        assert_eq!(e.status(), 429);
    }
}
