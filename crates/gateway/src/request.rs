//! Reading a request once: its body, model, streaming flag and output cap; and the prices:
//! the worst case reserved before the call, and the formula explained in the request log.

use serde_json::{Map, Value};

use crate::GatewayError;
use crate::catalogue::Model;
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

/// The price formula with its numbers, for the request log.
pub fn explain(
    model: &Model,
    input: i64,
    output: i64,
    cost: i64,
    reserved: i64,
    counted: bool,
) -> String {
    let mut s = format!(
        "{input} input tokens × ${}/M + {output} output tokens × ${}/M = {} (reserved {}){}",
        ops_types::decimal_amount(model.input_price),
        ops_types::decimal_amount(model.output_price),
        ops_types::format_amount(cost, "USD"),
        ops_types::format_amount(reserved, "USD"),
        if counted {
            "; tokens counted by the gateway (the provider reported none)"
        } else {
            ""
        }
    );
    let full = price(input, model.input_price) + price(output, model.output_price);
    if full > cost {
        s.push_str(&format!(
            "; {} over the reservation was not charged",
            ops_types::format_amount(full - cost, "USD")
        ));
    }
    s
}
