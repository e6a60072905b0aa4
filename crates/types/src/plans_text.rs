//! Words for plans and subscriptions, shared by the pages that show them.

use crate::{Interval, Plan, format_amount};

/// `"$19.00 a month"`, `"Free"`, or `None` when the plan is not sold at `interval`.
pub fn price_label(plan: &Plan, interval: Interval) -> Option<String> {
    let free = plan.price_monthly == 0 && plan.price_yearly == 0;
    if free {
        return Some("Free".into());
    }
    let price = match interval {
        Interval::Month => plan.price_monthly,
        Interval::Year => plan.price_yearly,
    };
    (price > 0).then(|| {
        format!(
            "{} a {}",
            format_amount(price, &plan.currency),
            interval.as_str()
        )
    })
}

/// A subscription status as people say it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "trialing" => "Trial",
        "active" => "Active",
        "past_due" => "Payment overdue",
        "suspended" => "Suspended",
        _ => "Unknown",
    }
}

/// An allowance name as people say it.
pub fn limit_label(name: &str) -> &'static str {
    match name {
        "requests" => "Requests this period",
        "included_credits" => "Included credits",
        "rate" => "Requests per minute",
        _ => "Allowance",
    }
}

/// A count or, for credits, an amount.
pub fn limit_value(name: &str, n: i64) -> String {
    if name == "included_credits" {
        format_amount(n, "USD")
    } else {
        n.to_string()
    }
}
