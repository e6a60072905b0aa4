//! One OpenAI-shaped request, end to end: authenticate, read the body, find the model, reserve
//! its worst-case cost, try the deployments in routing order (with backoff between retryable
//! failures, then the model's fallbacks), and answer — streamed chunk by chunk, or whole — with
//! the provider, credential and attempts in `x-ops-*` headers. Every outcome is logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use ops_db::{new_id, now_ms};
use serde_json::{Map, Value, json};

use crate::catalogue::{Deployment, Model};
use crate::keys::Caller;
use crate::log::Row;
use crate::meter::{Ask, Ticket};
use crate::upstream::{self, Endpoint, Verdict};
use crate::{Gateway, GatewayError};

/// Bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// How many fallback models are followed at most.
const MAX_FALLBACKS: usize = 3;

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
        Endpoint::Chat => "messages",
        Endpoint::Completions => "prompt",
        Endpoint::Embeddings => "input",
    };
    if !body.contains_key(needed) {
        return Err(GatewayError::invalid(
            needed,
            format!("`{needed}` is required"),
        ));
    }
    if endpoint == Endpoint::Chat && !body["messages"].is_array() {
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
    Ok(Parsed {
        input_estimate: ceil_div(raw.len() as i64, 3),
        body,
        model,
        stream,
        max_tokens,
    })
}

/// The worst case this request can cost on `model`.
fn estimate(p: &Parsed, model: &Model, endpoint: Endpoint) -> (i64, i64) {
    let out = match endpoint {
        Endpoint::Embeddings => 0,
        _ => p
            .max_tokens
            .unwrap_or(model.max_output_tokens)
            .min(model.max_output_tokens),
    };
    (p.input_estimate, out)
}

/// The request log row for `caller`, filled in as the request goes.
fn row(caller: &Caller, endpoint: Endpoint, model: &str, stream: bool) -> Row {
    Row {
        id: new_id(),
        at: now_ms(),
        key_id: caller.key.key_id.clone(),
        key_row: caller.key.id.clone(),
        user_id: caller.key.user_id.clone(),
        owner_kind: caller.owner.0,
        owner_id: caller.owner.1.clone(),
        endpoint: endpoint.name().into(),
        model: model.to_string(),
        stream,
        provider: String::new(),
        deployment_id: None,
        credential: "platform".into(),
        status: 0,
        error_code: None,
        input_tokens: 0,
        output_tokens: 0,
        counted: false,
        reserved: 0,
        cost: 0,
        latency_ms: 0,
        first_byte_ms: None,
        attempts: "[]".into(),
        explain: String::new(),
        overage: ops_types::Overage::Block,
        period_start: 0,
    }
}

/// One attempt, as the log and the `x-ops-attempts` header report it.
#[derive(serde::Serialize)]
struct Attempt {
    model: String,
    provider: String,
    deployment: String,
    status: Option<u16>,
    error: Option<String>,
    ms: u64,
}

/// What the chosen deployment answered with.
struct Served {
    model: Arc<Model>,
    deployment: Deployment,
    response: reqwest::Response,
    first_byte: Duration,
}

/// Sends to each deployment in turn until one answers.
async fn send(
    gw: &Gateway,
    first: Arc<Model>,
    parsed: &mut Parsed,
    endpoint: Endpoint,
    attempts: &mut Vec<Attempt>,
) -> Result<Served, GatewayError> {
    let cat = gw.catalogue();
    let mut chain = vec![first.clone()];
    for name in first.fallbacks.iter().take(MAX_FALLBACKS) {
        if let Some(m) = cat.find(name) {
            chain.push(m.clone());
        }
    }
    if parsed.stream
        && endpoint != Endpoint::Embeddings
        && !parsed.body.contains_key("stream_options")
    {
        parsed
            .body
            .insert("stream_options".into(), json!({"include_usage": true}));
    }
    let mut last = GatewayError::Upstream(format!("no provider serves `{}`", first.name));
    let mut tries = 0u32;
    for model in chain {
        let order: Vec<Deployment> = gw.health.order(&model).into_iter().cloned().collect();
        for d in order.into_iter().take(model.retries as usize + 1) {
            if tries > 0 {
                tokio::time::sleep(crate::route::backoff(tries)).await;
            }
            tries += 1;
            parsed
                .body
                .insert("model".into(), Value::String(d.upstream_model.clone()));
            let body = serde_json::to_vec(&parsed.body)
                .map_err(|e| GatewayError::Internal(e.to_string()))?;
            let p = &d.provider;
            let started = Instant::now();
            let req = gw
                .client(p.connect_timeout)?
                .post(upstream::url(&d, endpoint))
                .header(http::header::CONTENT_TYPE, "application/json")
                .timeout(p.total_timeout)
                .body(body);
            let req = upstream::authorise(req, p);
            let mut attempt = Attempt {
                model: model.name.clone(),
                provider: p.name.clone(),
                deployment: d.id.clone(),
                status: None,
                error: None,
                ms: 0,
            };
            let outcome = tokio::time::timeout(p.first_byte_timeout, req.send()).await;
            attempt.ms = started.elapsed().as_millis() as u64;
            match outcome {
                Err(_) => {
                    attempt.error = Some(format!(
                        "no answer within {} ms",
                        p.first_byte_timeout.as_millis()
                    ))
                }
                Ok(Err(e)) => attempt.error = Some(describe(&e)),
                Ok(Ok(res)) => {
                    let status = res.status().as_u16();
                    attempt.status = Some(status);
                    match upstream::verdict(status) {
                        Verdict::Ok => {
                            gw.health.succeeded(&d.id, started.elapsed());
                            attempts.push(attempt);
                            return Ok(Served {
                                model,
                                deployment: d,
                                response: res,
                                first_byte: started.elapsed(),
                            });
                        }
                        Verdict::Client => {
                            let bytes = res.bytes().await.unwrap_or_default();
                            let message = upstream::error_message(&bytes);
                            attempt.error = Some(message.clone());
                            attempts.push(attempt);
                            return Err(GatewayError::Client { status, message });
                        }
                        Verdict::Retry => {
                            let bytes = res.bytes().await.unwrap_or_default();
                            attempt.error = Some(upstream::error_message(&bytes));
                        }
                    }
                }
            }
            gw.health.failed(&d.id);
            last = GatewayError::Upstream(format!(
                "{} attempt(s) failed; the last, {}: {}",
                tries,
                p.name,
                attempt.error.clone().unwrap_or_default()
            ));
            attempts.push(attempt);
        }
    }
    Err(last)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "could not connect".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        "the connection failed".into()
    }
}

fn header(res: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().insert(name, v);
    }
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

/// Handles one request on the OpenAI surface.
pub async fn openai(gw: &Gateway, endpoint: Endpoint, headers: &HeaderMap, raw: Bytes) -> Response {
    let started = Instant::now();
    let caller = match gw.keys.resolve(&gw.db, headers).await {
        Ok(c) => c,
        Err(e) => return e.openai(),
    };
    if raw.len() > MAX_BODY {
        return GatewayError::TooLarge(MAX_BODY).openai();
    }
    let mut parsed = match parse(&raw, endpoint) {
        Ok(p) => p,
        Err(e) => return e.openai(),
    };
    let mut log = row(&caller, endpoint, &parsed.model, parsed.stream);
    let refuse = |mut log: Row, e: GatewayError, gw: &Gateway| {
        log.status = e.status();
        log.error_code = Some(e.code().to_string());
        log.explain = format!("refused: {e}");
        log.latency_ms = started.elapsed().as_millis() as i64;
        gw.meter.log_refusal(log);
        e.openai()
    };
    let Some(model) = gw.catalogue().find(&parsed.model).cloned() else {
        let e = GatewayError::ModelNotFound(format!(
            "the model `{}` does not exist; GET /v1/models lists those you may use",
            parsed.model
        ));
        return refuse(log, e, gw);
    };
    let expected_kind = if endpoint == Endpoint::Embeddings {
        "embeddings"
    } else {
        "chat"
    };
    if model.kind != expected_kind {
        let e = GatewayError::invalid(
            "model",
            format!("`{}` is a {} model", model.name, model.kind),
        );
        return refuse(log, e, gw);
    }
    log.model = model.name.clone();
    let (input_max, output_max) = estimate(&parsed, &model, endpoint);
    let reserve = price(input_max, model.input_price) + price(output_max, model.output_price);
    if let Some(allowed) = &caller.key.limits.allowed_models
        && !allowed.contains(&model.name)
    {
        let e = GatewayError::Forbidden(format!(
            "this API key may not call `{}`; it may call: {}",
            model.name,
            allowed.join(", ")
        ));
        return refuse(log, e, gw);
    }
    let ask = Ask {
        key: &caller.key,
        tokens: input_max + output_max,
        service: endpoint.service(),
        group: &model.group,
        model: &model.name,
        estimate: reserve,
    };
    let ticket = match gw.meter.admit(&gw.db, &caller.owner, &ask).await {
        Ok(t) => t,
        Err(e) => return refuse(log, e, gw),
    };
    log.reserved = reserve;
    let mut attempts = Vec::new();
    let served = send(gw, model.clone(), &mut parsed, endpoint, &mut attempts).await;
    log.attempts = serde_json::to_string(&attempts).unwrap_or_else(|_| "[]".into());
    let served = match served {
        Ok(s) => s,
        Err(e) => {
            log.status = e.status();
            log.error_code = Some(e.code().to_string());
            log.explain = format!("not charged: {e}");
            log.latency_ms = started.elapsed().as_millis() as i64;
            gw.meter.settle(&ticket, log);
            return e.openai();
        }
    };
    log.provider = served.deployment.provider.name.clone();
    log.deployment_id = Some(served.deployment.id.clone());
    log.first_byte_ms = Some(served.first_byte.as_millis() as i64);
    log.status = served.response.status().as_u16();
    if served.model.name != model.name {
        log.explain = format!("served by the fallback `{}`; ", served.model.name);
    }
    let content_type = served
        .response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/json"));
    let mut res = if parsed.stream {
        let meter = crate::stream::Metered::new(
            gw.clone(),
            ticket,
            log.clone(),
            served.model.clone(),
            parsed.input_estimate,
            started,
            served.response,
        );
        Response::new(Body::from_stream(meter))
    } else {
        match whole(
            gw,
            &ticket,
            log.clone(),
            &served.model,
            &parsed,
            started,
            served.response,
        )
        .await
        {
            Ok((bytes, cost)) => {
                let mut res = Response::new(Body::from(bytes));
                header(&mut res, "x-ops-cost", &cost.to_string());
                res
            }
            Err(e) => return e.openai(),
        }
    };
    *res.status_mut() = StatusCode::OK;
    res.headers_mut()
        .insert(http::header::CONTENT_TYPE, content_type);
    header(&mut res, "x-ops-request-id", &log.id);
    header(&mut res, "x-ops-model", &served.model.name);
    header(&mut res, "x-ops-provider", &served.deployment.provider.name);
    header(&mut res, "x-ops-deployment", &served.deployment.id);
    header(&mut res, "x-ops-credential", &log.credential);
    header(&mut res, "x-ops-attempts", &attempts.len().to_string());
    res
}

/// Reads a whole (non-streamed) answer and settles its cost.
async fn whole(
    gw: &Gateway,
    ticket: &Ticket,
    mut log: Row,
    model: &Model,
    parsed: &Parsed,
    started: Instant,
    res: reqwest::Response,
) -> Result<(Bytes, i64), GatewayError> {
    let bytes = match res.bytes().await {
        Ok(b) => b,
        Err(e) => {
            let err = GatewayError::Upstream(format!(
                "the provider's answer broke off: {}",
                describe(&e)
            ));
            log.status = 502;
            log.error_code = Some(err.code().into());
            log.explain = format!("not charged: {err}");
            log.latency_ms = started.elapsed().as_millis() as i64;
            gw.meter.settle(ticket, log);
            return Err(err);
        }
    };
    let (input, output, counted) = match crate::stream::usage_of(&bytes) {
        Some(u) => (u.input, u.output, false),
        None => (
            ceil_div(parsed.input_estimate, 2),
            ceil_div(crate::stream::content_chars(&bytes), 4),
            true,
        ),
    };
    let full = price(input, model.input_price) + price(output, model.output_price);
    let cost = full.min(ticket.amount);
    log.input_tokens = input;
    log.output_tokens = output;
    log.counted = counted;
    log.cost = cost;
    log.latency_ms = started.elapsed().as_millis() as i64;
    log.explain
        .push_str(&explain(model, input, output, cost, ticket.amount, counted));
    gw.meter.settle(ticket, log);
    Ok((bytes, cost))
}
