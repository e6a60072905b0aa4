//! One request, end to end, on the OpenAI surface (`/v1/chat/completions`, `/v1/completions`,
//! `/v1/embeddings`) or Anthropic's (`/v1/messages`): authenticate, read the body, find the
//! model, reserve its worst-case cost, try the deployments ([`crate::send`]), and answer —
//! streamed chunk by chunk or whole, translated when the provider speaks the other API — with
//! the provider, credential and attempts in `x-ops-*` headers. Every outcome is logged.

use std::time::Instant;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use ops_db::{new_id, now_ms};
use serde_json::Value;

use crate::anthropic::stream::{ToAnthropic, ToOpenAi};
use crate::anthropic::{self, Wire};
use crate::catalogue::Model;
use crate::keys::Caller;
use crate::log::Row;
use crate::meter::Ask;
use crate::request::{self, Parsed, bill, ceil_div, price};
use crate::send::{self, Served};
use crate::stream::{Finish, Metered, Mode, content_chars, usage_of};
use crate::upstream::Endpoint;
use crate::{Gateway, GatewayError};

pub use crate::request::MAX_BODY;

/// The error in the envelope the client's API uses.
pub fn render(e: &GatewayError, endpoint: Endpoint) -> Response {
    match endpoint.wire() {
        Wire::Anthropic => e.anthropic(),
        Wire::OpenAi => e.openai(),
    }
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
        list_cost: 0,
        latency_ms: 0,
        first_byte_ms: None,
        attempts: "[]".into(),
        prices: None,
        explain: String::new(),
        overage: ops_types::Overage::Block,
        period_start: 0,
        key_window: 0,
        limited: false,
    }
}

/// The `x-ops-*` answer headers, parsed once.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-ops-request-id");
const MODEL: HeaderName = HeaderName::from_static("x-ops-model");
const PROVIDER: HeaderName = HeaderName::from_static("x-ops-provider");
const DEPLOYMENT: HeaderName = HeaderName::from_static("x-ops-deployment");
const CREDENTIAL: HeaderName = HeaderName::from_static("x-ops-credential");
const ATTEMPTS: HeaderName = HeaderName::from_static("x-ops-attempts");
const COST: HeaderName = HeaderName::from_static("x-ops-cost");

/// Handles one request; `raw` is the body, at most [`MAX_BODY`] bytes.
pub async fn handle(gw: &Gateway, endpoint: Endpoint, headers: &HeaderMap, raw: Bytes) -> Response {
    let started = Instant::now();
    let caller = match gw.keys.resolve(&gw.db, headers).await {
        Ok(c) => c,
        Err(e) => return render(&e, endpoint),
    };
    if raw.len() > MAX_BODY {
        return render(&GatewayError::TooLarge(MAX_BODY), endpoint);
    }
    let parsed = match request::parse(&raw, endpoint) {
        Ok(p) => p,
        Err(e) => return render(&e, endpoint),
    };
    let mut log = row(&caller, endpoint, &parsed.model, parsed.stream);
    let refuse = async |mut log: Row, e: GatewayError, gw: &Gateway| {
        log.status = e.status();
        log.error_code = Some(e.code().to_string());
        log.explain = format!("refused: {e}");
        log.latency_ms = started.elapsed().as_millis() as i64;
        gw.meter.log_refusal(log).await;
        render(&e, endpoint)
    };
    let Some(model) = gw.catalogue().find(&parsed.model).cloned() else {
        let e = GatewayError::ModelNotFound(format!(
            "the model `{}` does not exist; GET /v1/models lists those you may use",
            parsed.model
        ));
        return refuse(log, e, gw).await;
    };
    let expected = if endpoint == Endpoint::Embeddings {
        "embeddings"
    } else {
        "chat"
    };
    if model.kind != expected {
        let e = GatewayError::invalid(
            "model",
            format!("`{}` is a {} model", model.name, model.kind),
        );
        return refuse(log, e, gw).await;
    }
    log.model = model.name.clone();
    if let Some(allowed) = &caller.key.limits.allowed_models
        && !allowed.contains(&model.name)
    {
        let e = GatewayError::Forbidden(format!(
            "this API key may not call `{}`; it may call: {}",
            model.name,
            allowed.join(", ")
        ));
        return refuse(log, e, gw).await;
    }
    let own = match gw.byok.of(gw, &caller.owner).await {
        Ok(k) => k,
        Err(e) => return render(&GatewayError::Internal(e.message), endpoint),
    };
    let fee = gw.settings().byok_fee_percent;
    let (input_max, output_max) = request::estimate(&parsed, &model, endpoint);
    let list = price(input_max, model.input_price) + price(output_max, model.output_price);
    // Served only by the caller's own keys: only the fee can be charged.
    let only_own = !model.deployments.is_empty()
        && model.deployments.iter().all(|d| {
            crate::byok::Byok::for_provider(&own, &d.provider)
                .is_some_and(|k| k.policy == crate::byok::Policy::Always)
        });
    let ask = Ask {
        key: &caller.key,
        tokens: input_max + output_max,
        service: endpoint.service(),
        group: &model.group,
        model: &model.name,
        estimate: list,
        fee_percent: only_own.then_some(fee),
    };
    let ticket = match gw.meter.admit(&gw.db, &caller.owner, &ask).await {
        Ok(t) => t,
        Err(e) => return refuse(log, e, gw).await,
    };
    log.reserved = ticket.amount;
    let mut attempts = Vec::new();
    let served = send::send(
        gw,
        model.clone(),
        &parsed,
        endpoint,
        (&caller.owner, &own),
        &mut attempts,
    )
    .await;
    log.attempts = send::log_text(&attempts, &log.model);
    let served = match served {
        Ok(s) => s,
        Err(e) => {
            log.status = e.status();
            log.error_code = Some(e.code().to_string());
            log.explain = format!("not charged: {e}");
            log.latency_ms = started.elapsed().as_millis() as i64;
            gw.meter.settle(&ticket, log).await;
            return render(&e, endpoint);
        }
    };
    log.provider = served.deployment.provider.name.clone();
    log.deployment_id = Some(served.deployment.id.clone());
    log.first_byte_ms = Some(served.first_byte.as_millis() as i64);
    log.status = 200;
    let fee_percent = served.byok.then_some(fee);
    if served.byok {
        log.credential = "byok".into();
    }
    if served.model.name != model.name {
        log.explain = format!("; served by the fallback `{}`", served.model.name);
    }
    // Header values made at catalogue load, or static: no allocation for most of them.
    let [deployment, provider] = served.deployment.headers.clone();
    let served_model = served.model.header.clone();
    let credential = HeaderValue::from_static(if served.byok { "byok" } else { "platform" });
    let request_id = HeaderValue::from_str(&log.id);
    let finish = Finish {
        gw: gw.clone(),
        ticket,
        log,
        model: served.model.clone(),
        input_estimate: parsed.input_estimate,
        started,
        fee_percent,
    };
    let mut res = if parsed.stream {
        let mode = match (served.wire, endpoint.wire()) {
            (a, b) if a == b => Mode::Pass(a),
            (Wire::Anthropic, _) => {
                let usage = parsed
                    .get("stream_options")
                    .and_then(|o| serde_json::from_str::<Value>(o.get()).ok())
                    .is_some_and(|o| o["include_usage"] == Value::Bool(true));
                Mode::ToOpenAi(ToOpenAi::new(&parsed.model, usage))
            }
            (Wire::OpenAi, _) => Mode::ToAnthropic(ToAnthropic::new(&parsed.model)),
        };

        let meter = Metered::new(finish, served.response, mode);
        let mut res = Response::new(Body::from_stream(meter));
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        res
    } else {
        match whole(finish, &parsed, endpoint, served).await {
            Ok((bytes, cost)) => {
                let mut res = Response::new(Body::from(bytes));
                // Room for every header this answer gets: the map is not regrown.
                *res.headers_mut() = HeaderMap::with_capacity(12);
                res.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                res.headers_mut().insert(COST, HeaderValue::from(cost));
                res
            }
            Err(e) => return render(&e, endpoint),
        }
    };
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    if let Ok(v) = request_id {
        h.insert(REQUEST_ID, v);
    }
    h.insert(MODEL, served_model);
    h.insert(PROVIDER, provider);
    h.insert(DEPLOYMENT, deployment);
    h.insert(CREDENTIAL, credential);
    h.insert(ATTEMPTS, HeaderValue::from(attempts.len()));
    res
}

/// Reads a whole (non-streamed) answer, translates it when the APIs differ, and settles.
async fn whole(
    f: Finish,
    parsed: &Parsed<'_>,
    endpoint: Endpoint,
    served: Served,
) -> Result<(Bytes, i64), GatewayError> {
    let Finish {
        gw,
        ticket,
        mut log,
        started,
        fee_percent,
        ..
    } = f;
    let ticket = &ticket;
    let model: &Model = &served.model;
    let bytes = match served.response.body.bytes().await {
        Ok(b) => b,
        Err(e) => {
            let err = GatewayError::Upstream(send::broke(&e));
            log.status = 502;
            log.error_code = Some(err.code().into());
            log.explain = format!("not charged: {err}");
            log.latency_ms = started.elapsed().as_millis() as i64;
            gw.meter.settle(ticket, log).await;
            return Err(err);
        }
    };
    let (usage, chars, bytes) = match served.wire {
        Wire::OpenAi => {
            let usage = usage_of(&bytes).map(|u| (u.input, u.output));
            // Counted only when the provider reported no usage.
            let chars = if usage.is_none() {
                content_chars(&bytes)
            } else {
                0
            };
            let out = if endpoint.wire() == Wire::Anthropic {
                let v: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                Bytes::from(anthropic::response_to_anthropic(&v, &parsed.model).to_string())
            } else {
                bytes
            };
            (usage, chars, out)
        }
        Wire::Anthropic => {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let usage =
                Some(anthropic::anthropic_usage(&v["usage"])).filter(|u| u.0 > 0 || u.1 > 0);
            let chars = v["content"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b["text"].as_str())
                .map(|t| t.chars().count() as i64)
                .sum();
            let out = if endpoint.wire() == Wire::OpenAi {
                Bytes::from(anthropic::response_to_openai(&v, &parsed.model).to_string())
            } else {
                bytes
            };
            (usage, chars, out)
        }
    };
    let (input, output, counted) = match usage {
        Some((i, o)) => (i, o, false),
        None => (ceil_div(parsed.input_estimate, 2), ceil_div(chars, 4), true),
    };
    log.latency_ms = started.elapsed().as_millis() as i64;
    bill(
        &mut log,
        model,
        (input, output),
        ticket,
        counted,
        fee_percent,
    );
    let cost = log.cost;
    gw.meter.settle(ticket, log).await;
    Ok((bytes, cost))
}
