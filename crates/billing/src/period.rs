//! Billing periods: whole calendar months counted from an anchor instant (UTC), clamped to the
//! month's last day (an anchor on the 31st renews on the 30th in April and on the 28th or 29th
//! in February, and on the 31st again in May).

use ops_types::{civil_from_days, day_of_date};

const DAY_MS: i64 = 86_400_000;

/// `anchor` plus `months` calendar months.
pub fn add_months(anchor: i64, months: i64) -> i64 {
    let days = anchor.div_euclid(DAY_MS);
    let time = anchor.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let index = y * 12 + i64::from(m) - 1 + months;
    let (ny, nm) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let mut day = d;
    loop {
        if let Some(n) = day_of_date(&format!("{ny:04}-{nm:02}-{day:02}")) {
            return n * DAY_MS + time;
        }
        day -= 1;
    }
}

/// The first instant of the calendar month (UTC) that `at` falls in.
pub fn month_start(at: i64) -> i64 {
    let (y, m, _) = civil_from_days(at.div_euclid(DAY_MS));
    day_of_date(&format!("{y:04}-{m:02}-01")).map_or(at, |d| d * DAY_MS)
}

/// The period of `step` months (counted from `anchor`) that contains `at`: `(start, end)`,
/// with `start <= at < end`. Before the anchor, the first period.
pub fn containing(anchor: i64, step: u32, at: i64) -> (i64, i64) {
    let step = i64::from(step.max(1));
    if at < anchor {
        return (anchor, add_months(anchor, step));
    }
    // A month is 28 to 31 days: start from an estimate and walk to the right period.
    let mut k = (at - anchor) / (31 * DAY_MS * step);
    loop {
        let end = add_months(anchor, (k + 1) * step);
        if end > at {
            return (add_months(anchor, k * step), end);
        }
        k += 1;
    }
}

/// `part / whole` of `amount`, rounded down, without overflow.
pub fn prorate(amount: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 || part <= 0 {
        return 0;
    }
    let part = part.min(whole);
    (i128::from(amount) * i128::from(part) / i128::from(whole)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(date: &str) -> i64 {
        day_of_date(date).unwrap() * DAY_MS
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        assert_eq!(add_months(ms("2026-01-31"), 1), ms("2026-02-28"));
        assert_eq!(add_months(ms("2028-01-31"), 1), ms("2028-02-29"));
        assert_eq!(add_months(ms("2026-01-31"), 3), ms("2026-04-30"));
        assert_eq!(add_months(ms("2026-01-31"), 4), ms("2026-05-31"));
        assert_eq!(
            add_months(ms("2026-12-15") + 3_600_000, 1),
            ms("2027-01-15") + 3_600_000
        );
        assert_eq!(add_months(ms("2026-03-10"), 12), ms("2027-03-10"));
        assert_eq!(add_months(ms("2026-03-10"), -3), ms("2025-12-10"));
    }

    #[test]
    fn the_period_containing_an_instant() {
        let a = ms("2026-01-31");
        assert_eq!(containing(a, 1, a), (a, ms("2026-02-28")));
        assert_eq!(
            containing(a, 1, ms("2026-03-30")),
            (ms("2026-02-28"), ms("2026-03-31"))
        );
        assert_eq!(
            containing(a, 1, ms("2026-05-31")),
            (ms("2026-05-31"), ms("2026-06-30"))
        );
        assert_eq!(
            containing(a, 12, ms("2027-02-01")),
            (ms("2027-01-31"), ms("2028-01-31"))
        );
        assert_eq!(containing(a, 1, a - 5), (a, ms("2026-02-28")));
    }

    #[test]
    fn proration_rounds_down_and_never_overflows() {
        assert_eq!(prorate(19_000_000, 15, 30), 9_500_000);
        assert_eq!(prorate(10, 1, 3), 3);
        assert_eq!(prorate(i64::MAX, i64::MAX - 1, i64::MAX), i64::MAX - 1);
        assert_eq!(prorate(100, 5, 0), 0);
        assert_eq!(prorate(100, 50, 10), 100);
    }
}
