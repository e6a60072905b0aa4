//! Reading a request once: its body, model, streaming flag and output cap; and the prices:
//! the worst case reserved before the call, and the formula explained in the request log.

use ops_types::{Amount, Plain};
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

/// What the request asks for, read once.
pub struct Parsed {
    pub body: Map<String, Value>,
    pub model: String,
    pub stream: bool,
    /// An upper bound on the prompt's tokens (a token is at least one byte of text; JSON
    /// around it only adds bytes), refined to a third of that: under-estimates are capped at
    /// the reservation.
    pub input_estimate: i64,
    pub max_tokens: Option<i64>,
}

pub fn parse(raw: &[u8], endpoint: Endpoint) -> Result<Parsed, GatewayError> {
    let body: Map<String, Value> =
        serde_json::from_slice(raw).map_err(|e| GatewayError::Invalid {
            param: None,
            message: format!("the body is not a JSON object: {e}"),
        })?;
    let model = match body.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
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
    if !body.contains_key(needed) {
        return Err(GatewayError::invalid(
            needed,
            format!("`{needed}` is required"),
        ));
    }
    if matches!(endpoint, Endpoint::Chat | Endpoint::Messages) && !body["messages"].is_array() {
        return Err(GatewayError::invalid(
            "messages",
            "`messages` must be an array",
        ));
    }
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(GatewayError::invalid(
                "stream",
                "`stream` must be true or false",
            ));
        }
    };
    let max_tokens = match body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
    {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 => Some(n),
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
        input_estimate: ceil_div(raw.len() as i64, 3),
        body,
        model,
        stream,
        max_tokens,
    })
}

/// The worst case this request can cost on `model`.
pub fn estimate(p: &Parsed, model: &Model, endpoint: Endpoint) -> (i64, i64) {
    let out = match endpoint {
        Endpoint::Embeddings => 0,
        _ => p
            .max_tokens
            .unwrap_or(model.max_output_tokens)
            .min(model.max_output_tokens),
    };
    (p.input_estimate, out)
}

/// Fills in what a served request used and is charged, with the price formula and its
/// numbers for the request log: the models' list price, times the plan's AI price when it is
/// not 100 %; or, when the caller's own key served it (`fee_percent`), only that share of the
/// list price. Never more than the reservation is charged.
pub fn bill(
    log: &mut Row,
    model: &Model,
    (input, output): (i64, i64),
    ticket: &Ticket,
    counted: bool,
    fee_percent: Option<i64>,
) {
    let reserved = ticket.amount;
    let list = price(input, model.input_price) + price(output, model.output_price);
    let share = |pct: i64| ceil_div(list.saturating_mul(pct.max(0)), 100);
    let due = match fee_percent {
        Some(f) => share(f.clamp(0, 100)),
        None => share(ticket.price_percent),
    };
    let cost = due.min(reserved);
    // Written into the log's text directly: one allocation, not one per amount.
    use std::fmt::Write;
    let (s, usd) = (&mut log.explain, |m| Amount(m, "USD"));
    let _ = write!(
        s,
        "{input} input tokens × ${}/M + {output} output tokens × ${}/M = {}",
        Plain(model.input_price),
        Plain(model.output_price),
        usd(list),
    );
    let _ = match fee_percent {
        Some(f) => write!(
            s,
            "; served by your own key: charged the platform fee of {f}% = {}",
            usd(due)
        ),
        None if ticket.price_percent != 100 => write!(
            s,
            " × {}% (your plan's AI price) = {}",
            ticket.price_percent,
            usd(due)
        ),
        None => Ok(()),
    };
    let _ = write!(s, " (reserved {})", usd(reserved));
    if counted {
        s.push_str("; tokens counted by the gateway (the provider reported none)");
    }
    if due > cost {
        let _ = write!(
            s,
            "; {} over the reservation was not charged",
            usd(due - cost)
        );
    }
    log.input_tokens = input;
    log.output_tokens = output;
    log.counted = counted;
    log.list_cost = list;
    log.cost = cost;
}
