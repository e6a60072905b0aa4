//! Calendar arithmetic without a date library (the WASM bundle stays small).

/// (year, month, day) of a day counted from 1970-01-01 (UTC). Howard Hinnant's civil-from-days.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (UTC).
pub fn date_of_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days from 1970-01-01 of a `YYYY-MM-DD` date (the inverse of [`date_of_day`]); `None`
/// when it is not a real date.
pub fn day_of_date(date: &str) -> Option<i64> {
    let mut it = date.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Reject 2026-02-31 and the like: it must round-trip.
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// `YYYY-MM-DD` of a unix-millisecond instant (UTC).
pub fn date_of_ms(ms: i64) -> String {
    date_of_day(ms.div_euclid(86_400_000))
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a unix-millisecond instant (UTC).
pub fn date_time_of_ms(ms: i64) -> String {
    let secs = ms.rem_euclid(86_400_000) / 1000;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_of_ms(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_time_of_ms(86_399_000), "1970-01-01T23:59:59Z");
        assert_eq!(date_of_day(-1), "1969-12-31");
        assert_eq!(date_of_day(11_016), "2000-02-29");
        assert_eq!(day_of_date("2000-02-29"), Some(11_016));
        assert_eq!(day_of_date("1969-12-31"), Some(-1));
        assert_eq!(day_of_date("2026-02-29"), None);
        assert_eq!(day_of_date("2026-13-01"), None);
        assert_eq!(date_of_ms(1_796_000_000_000), "2026-11-30");
    }
}

/// The UTC period containing `now_ms` for a key budget: `day`, `week` (from Monday) or `month`,
/// as (start, end) in unix ms.
pub fn budget_window(period: &str, now_ms: i64) -> Option<(i64, i64)> {
    const DAY: i64 = 86_400_000;
    let day = now_ms.div_euclid(DAY);
    let (start, end) = match period {
        "day" => (day, day + 1),
        "week" => {
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            let monday = day - (day + 3).rem_euclid(7);
            (monday, monday + 7)
        }
        "month" => {
            let (y, m, _) = civil_from_days(day);
            let first = day_of_date(&format!("{y:04}-{m:02}-01"))?;
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            (first, day_of_date(&format!("{ny:04}-{nm:02}-01"))?)
        }
        _ => return None,
    };
    Some((start * DAY, end * DAY))
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn budget_windows_follow_utc_boundaries() {
        let t = day_of_date("2026-12-04").unwrap() * 86_400_000 + 5_000; // a Friday
        let d = |s: &str| day_of_date(s).unwrap() * 86_400_000;
        assert_eq!(
            budget_window("day", t),
            Some((d("2026-12-04"), d("2026-12-05")))
        );
        assert_eq!(
            budget_window("week", t),
            Some((d("2026-11-30"), d("2026-12-07")))
        );
        assert_eq!(
            budget_window("month", t),
            Some((d("2026-12-01"), d("2027-01-01")))
        );
        assert_eq!(budget_window("year", t), None);
    }
}
