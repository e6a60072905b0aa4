//! Reading a request once: its body, model, streaming flag and output cap; and the prices:
//! the worst case reserved before the call, what was charged, and the formula the request log
//! explains it with.

use std::borrow::Cow;

use ops_types::{Amount, Plain};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::GatewayError;
use crate::catalogue::Model;
use crate::log::Row;
use crate::meter::Ticket;
use crate::upstream::Endpoint;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// `a / b` rounded up, for counts (`a` ≥ 0, `b` > 0).
pub(crate) fn ceil_div(a: i64, b: i64) -> i64 {
    (a.max(0) + b - 1) / b
}

/// Prices are per million tokens; costs round up to the micro-unit.
pub fn price(tokens: i64, per_million: i64) -> i64 {
    let p = i128::from(tokens.max(0)) * i128::from(per_million.max(0));
    ((p + 999_999) / 1_000_000).min(i128::from(i64::MAX)) as i64
}

/// What the request asks for, read once. The body's members are kept as sent (each value a
/// slice of the body, checked to be JSON but not taken apart), so a body that goes to the
/// provider in the client's API is copied, not rebuilt.
pub struct Parsed<'a> {
    raw: &'a [u8],
    /// The body's members in order; a key sent twice keeps its last value.
    pub members: Vec<(Cow<'a, str>, &'a RawValue)>,
    pub model: String,
    pub stream: bool,
    /// An upper bound on the prompt's tokens (a token is at least one byte of text; JSON
    /// around it only adds bytes), refined to a third of that: under-estimates are capped at
    /// the reservation.
    pub input_estimate: i64,
    pub max_tokens: Option<i64>,
}

/// The value of member `key`.
fn member<'a>(members: &[(Cow<'a, str>, &'a RawValue)], key: &str) -> Option<&'a RawValue> {
    members.iter().find(|(k, _)| k == key).map(|m| m.1)
}

impl<'a> Parsed<'a> {
    /// The value of member `key`.
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        member(&self.members, key)
    }

    /// The whole body as JSON values, for translating it to the other API.
    pub fn object(&self) -> Map<String, Value> {
        serde_json::from_slice(self.raw).unwrap_or_default()
    }
}

/// A member's key: borrowed from the body unless it has escapes.
#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// A JSON object's members, in order, a repeated key replacing the earlier value.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut out: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::with_capacity(8);
                while let Some((Key(k), v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    match out.iter_mut().find(|(seen, _)| *seen == k) {
                        Some(m) => m.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

pub fn parse(raw: &[u8], endpoint: Endpoint) -> Result<Parsed<'_>, GatewayError> {
    let Members(members) = serde_json::from_slice(raw).map_err(|e| GatewayError::Invalid {
        param: None,
        message: format!("the body is not a JSON object: {e}"),
    })?;
    let get = |key: &str| member(&members, key).map(RawValue::get);
    let model = match get("model").map(serde_json::from_str::<String>) {
        Some(Ok(m)) if !m.is_empty() => m,
        _ => {
            return Err(GatewayError::invalid(
                "model",
                "`model` is required (a model name)",
            ));
        }
    };
    let needed = match endpoint {
        Endpoint::Chat | Endpoint::Messages => "messages",
        Endpoint::Completions => "prompt",
        Endpoint::Embeddings => "input",
    };
    let Some(value) = get(needed) else {
        return Err(GatewayError::invalid(
            needed,
            format!("`{needed}` is required"),
        ));
    };
    if matches!(endpoint, Endpoint::Chat | Endpoint::Messages) && !value.starts_with('[') {
        return Err(GatewayError::invalid(
            "messages",
            "`messages` must be an array",
        ));
    }
    let stream = match get("stream") {
        None | Some("null") => false,
        Some("true") => true,
        Some("false") => false,
        Some(_) => {
            return Err(GatewayError::invalid(
                "stream",
                "`stream` must be true or false",
            ));
        }
    };
    let max_tokens = match get("max_completion_tokens").or_else(|| get("max_tokens")) {
        None | Some("null") => None,
        Some(v) => match serde_json::from_str::<i64>(v) {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err(GatewayError::invalid(
                    "max_tokens",
                    "`max_tokens` must be a positive integer",
                ));
            }
        },
    };
    if endpoint == Endpoint::Messages && max_tokens.is_none() {
        return Err(GatewayError::invalid(
            "max_tokens",
            "`max_tokens` is required (a positive integer)",
        ));
    }
    Ok(Parsed {
        raw,
        input_estimate: ceil_div(raw.len() as i64, 3),
        members,
        model,
        stream,
        max_tokens,
    })
}

/// The worst case this request can cost on `model`.
pub fn estimate(p: &Parsed<'_>, model: &Model, endpoint: Endpoint) -> (i64, i64) {
    let out = match endpoint {
        Endpoint::Embeddings => 0,
        _ => p
            .max_tokens
            .unwrap_or(model.max_output_tokens)
            .min(model.max_output_tokens),
    };
    (p.input_estimate, out)
}

/// Fills in what a served request used and is charged: the models' list price, times the
/// plan's AI price when it is not 100 %; or, when the caller's own key served it
/// (`fee_percent`), only that share of the list price. Never more than the reservation is
/// charged. The log keeps the numbers ([`Prices`]); [`explain`] makes the formula from them
/// when the log is read.
pub fn bill(
    log: &mut Row,
    model: &Model,
    (input, output): (i64, i64),
    ticket: &Ticket,
    counted: bool,
    fee_percent: Option<i64>,
) {
    let list = price(input, model.input_price) + price(output, model.output_price);
    let percent = match fee_percent {
        Some(f) => f.clamp(0, 100),
        None => ticket.price_percent.max(0),
    };
    log.prices = Some(Prices {
        input: model.input_price,
        output: model.output_price,
        percent,
    });
    log.input_tokens = input;
    log.output_tokens = output;
    log.counted = counted;
    log.list_cost = list;
    log.cost = due(list, percent).min(ticket.amount);
}

/// The prices a request was billed at: per million input and output tokens (micro-units), and
/// the percentage of the list price charged (the plan's AI price, or the platform fee when the
/// caller's own key served it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Prices {
    pub input: i64,
    pub output: i64,
    pub percent: i64,
}

/// `percent` % of `list`, rounded up to the micro-unit.
fn due(list: i64, percent: i64) -> i64 {
    ceil_div(list.saturating_mul(percent.max(0)), 100)
}

/// A billed request as the log holds it.
pub struct Billed {
    pub prices: Prices,
    pub input: i64,
    pub output: i64,
    pub list: i64,
    pub cost: i64,
    pub reserved: i64,
    pub counted: bool,
    /// Served by the caller's own key (the percentage is the platform fee).
    pub byok: bool,
}

/// The price formula with its numbers, e.g. `10 input tokens × $1/M + 20 output tokens × $2/M
/// = $0.00005 (reserved $0.00025)`.
pub fn explain(b: &Billed) -> String {
    use std::fmt::Write;
    let usd = |m| Amount(m, "USD");
    let due = due(b.list, b.prices.percent);
    let mut s = String::with_capacity(128);
    let _ = write!(
        s,
        "{} input tokens × ${}/M + {} output tokens × ${}/M = {}",
        b.input,
        Plain(b.prices.input),
        b.output,
        Plain(b.prices.output),
        usd(b.list),
    );
    let percent = b.prices.percent;
    if b.byok {
        let _ = write!(
            s,
            "; served by your own key: charged the platform fee of {percent}% = {}",
            usd(due)
        );
    } else if percent != 100 {
        let _ = write!(s, " × {percent}% (your plan's AI price) = {}", usd(due));
    }
    let _ = write!(s, " (reserved {})", usd(b.reserved));
    if b.counted {
        s.push_str("; tokens counted by the gateway (the provider reported none)");
    }
    if due > b.cost {
        let _ = write!(
            s,
            "; {} over the reservation was not charged",
            usd(due - b.cost)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn billed(percent: i64, byok: bool, counted: bool, cost: i64) -> Billed {
        Billed {
            prices: Prices {
                input: 1_000_000,
                output: 2_500_000,
                percent,
            },
            input: 10,
            output: 20,
            list: 60,
            cost,
            reserved: 300,
            counted,
            byok,
        }
    }

    #[test]
    fn a_body_is_read_as_its_members_and_checked() {
        let raw = br#" {"model" : "m", "max_tokens": 7 ,"messages":[ {"a":1} ],"st\u0072eam":true,"model":"n"}"#;
        let p = parse(raw, Endpoint::Chat).unwrap();
        let keys: Vec<&str> = p.members.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["model", "max_tokens", "messages", "stream"]);
        assert_eq!(p.model, "n", "a repeated key keeps its last value");
        assert_eq!(p.get("messages").map(RawValue::get), Some(r#"[ {"a":1} ]"#));
        assert!(p.stream);
        assert_eq!(p.max_tokens, Some(7));
        assert_eq!(p.object()["max_tokens"], 7);
        let refused = |body: &str, endpoint| match parse(body.as_bytes(), endpoint) {
            Err(GatewayError::Invalid { param, .. }) => param.unwrap_or_default(),
            _ => panic!("{body} was accepted"),
        };
        assert_eq!(refused("[1]", Endpoint::Chat), "");
        assert_eq!(refused(r#"{"model":"m","messages":[]"#, Endpoint::Chat), "");
        assert_eq!(
            refused(r#"{"model":1,"messages":[]}"#, Endpoint::Chat),
            "model"
        );
        assert_eq!(
            refused(r#"{"model":"","messages":[]}"#, Endpoint::Chat),
            "model"
        );
        assert_eq!(
            refused(r#"{"model":"m","messages":{}}"#, Endpoint::Chat),
            "messages"
        );
        assert_eq!(refused(r#"{"model":"m"}"#, Endpoint::Embeddings), "input");
        let chat = |extra: &str| format!(r#"{{"model":"m","messages":[],{extra}}}"#);
        assert_eq!(refused(&chat(r#""stream":1"#), Endpoint::Chat), "stream");
        assert_eq!(
            refused(&chat(r#""max_tokens":1.5"#), Endpoint::Chat),
            "max_tokens"
        );
        assert_eq!(
            refused(&chat(r#""max_tokens":0"#), Endpoint::Chat),
            "max_tokens"
        );
        assert_eq!(
            refused(&chat(r#""max_tokens":null"#), Endpoint::Messages),
            "max_tokens"
        );
        let body = chat(r#""stream":null"#);
        let p = parse(body.as_bytes(), Endpoint::Chat).unwrap();
        assert!(!p.stream && p.max_tokens.is_none());
    }

    #[test]
    fn the_formula_is_made_from_the_numbers() {
        assert_eq!(
            explain(&billed(100, false, false, 60)),
            "10 input tokens × $1/M + 20 output tokens × $2.5/M = $0.00006 (reserved $0.0003)"
        );
        let plan = explain(&billed(150, false, true, 90));
        assert!(
            plan.contains("× 150% (your plan's AI price) = $0.00009"),
            "{plan}"
        );
        assert!(plan.ends_with("(the provider reported none)"), "{plan}");
        let own = explain(&billed(10, true, false, 6));
        assert!(
            own.contains("served by your own key: charged the platform fee of 10% = $0.000006"),
            "{own}"
        );
        let short = explain(&billed(100, false, false, 50));
        assert!(
            short.ends_with("; $0.00001 over the reservation was not charged"),
            "{short}"
        );
    }
}
