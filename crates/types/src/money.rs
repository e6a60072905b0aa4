//! Money: integer micro-units (1 USD = 1 000 000), never floats. Parsing and formatting of
//! amounts typed or shown as decimal dollars.

/// Micro-units per whole unit of a currency.
pub const MICROS: i64 = 1_000_000;

/// The largest amount one request may move: one billion units.
pub const MAX_AMOUNT: i64 = 1_000_000_000 * MICROS;

/// `"12.5"` → `12_500_000`. At most six decimals; no sign, no exponent, no grouping; at most
/// [`MAX_AMOUNT`]. The message says what is wrong.
pub fn parse_amount(s: &str) -> Result<i64, String> {
    let s = s.trim().trim_start_matches('$');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) {
        return Err("an amount such as 12.50".into());
    }
    if frac.len() > 6 {
        return Err("at most six decimals (one micro-unit)".into());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "too large".to_string())?
    };
    let frac: i64 = format!("{frac:0<6}")
        .parse()
        .map_err(|_| "an amount".to_string())?;
    let total = whole
        .checked_mul(MICROS)
        .and_then(|w| w.checked_add(frac))
        .filter(|t| *t <= MAX_AMOUNT)
        .ok_or_else(|| "at most 1 000 000 000".to_string())?;
    Ok(total)
}

/// `12_500_000` → `"12.500000"`: every digit, no symbol (for CSV and machines).
pub fn decimal_amount(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    format!("{sign}{}.{:06}", m / MICROS as u64, m % MICROS as u64)
}

/// Micro-units as a plain decimal without trailing zeros: `2_500_000` → `"2.5"`, `1_000_000`
/// → `"1"` (prices per million tokens, and form fields).
pub fn plain_amount(micros: i64) -> String {
    Plain(micros).to_string()
}

/// [`plain_amount`] as a `Display` value, for `write!` without a string in between.
pub struct Plain(pub i64);

impl std::fmt::Display for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let m = self.0.unsigned_abs();
        let (whole, mut frac) = (m / MICROS as u64, m % MICROS as u64);
        write!(f, "{sign}{whole}")?;
        if frac == 0 {
            return Ok(());
        }
        let mut digits = 6;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        write!(f, ".{frac:0digits$}")
    }
}

/// `12_500_000` → `"$12.50"`; sub-cent amounts keep their digits (`"$0.000125"`).
pub fn format_amount(micros: i64, currency: &str) -> String {
    Amount(micros, currency).to_string()
}

/// [`format_amount`] as a `Display` value (micro-units, currency code), for `write!` without a
/// string in between.
pub struct Amount<'c>(pub i64, pub &'c str);

impl std::fmt::Display for Amount<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Amount(micros, currency) = *self;
        let sign = if micros < 0 { "-" } else { "" };
        let m = micros.unsigned_abs();
        let (whole, mut frac) = (m / MICROS as u64, m % MICROS as u64);
        let mut digits = 6;
        while digits > 2 && frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let symbol = match currency {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            _ => "",
        };
        write!(f, "{sign}{symbol}{whole}.{frac:0digits$}")?;
        if symbol.is_empty() {
            write!(f, " {currency}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_amounts_exactly() {
        assert_eq!(parse_amount("12.5"), Ok(12_500_000));
        assert_eq!(parse_amount("$0.000001"), Ok(1));
        assert_eq!(parse_amount(".25"), Ok(250_000));
        assert_eq!(parse_amount("1000000000"), Ok(MAX_AMOUNT));
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "1,000",
            "0.0000001",
            "1000000001",
            "99999999999999999999",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_amounts_drop_trailing_zeros() {
        assert_eq!(plain_amount(2_500_000), "2.5");
        assert_eq!(plain_amount(10_000_000), "10");
        assert_eq!(plain_amount(0), "0");
        assert_eq!(plain_amount(150_000), "0.15");
    }

    #[test]
    fn formats_cents_and_below() {
        assert_eq!(format_amount(12_500_000, "USD"), "$12.50");
        assert_eq!(format_amount(125, "USD"), "$0.000125");
        assert_eq!(format_amount(-3_000_000, "EUR"), "-€3.00");
        assert_eq!(format_amount(1, "CHF"), "0.000001 CHF");
    }
}
