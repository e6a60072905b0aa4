//! Trying deployments: in routing order, with a backoff pause between retryable failures,
//! then each fallback model's deployments. The body is translated once per API (OpenAI or
//! Anthropic) the providers speak, and only the model name changes between attempts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::anthropic::{self, Wire};
use crate::catalogue::{Deployment, Model};
use crate::request::Parsed;
use crate::upstream::{self, Endpoint, Verdict};
use crate::{Gateway, GatewayError};

/// How many fallback models are followed at most.
const MAX_FALLBACKS: usize = 3;

/// One attempt, as the log and the `x-ops-attempts` header report it.
#[derive(serde::Serialize)]
pub struct Attempt {
    model: String,
    provider: String,
    deployment: String,
    status: Option<u16>,
    error: Option<String>,
    ms: u64,
}

/// What the chosen deployment answered with.
pub struct Served {
    pub model: Arc<Model>,
    pub deployment: Deployment,
    /// The API the provider answered in.
    pub wire: Wire,
    pub response: reqwest::Response,
    pub first_byte: Duration,
}

/// The request body in the API `wire`, without its model (set per attempt).
fn body_for(parsed: &Parsed, endpoint: Endpoint, wire: Wire, model: &Model) -> Map<String, Value> {
    let mut body = match (endpoint.wire(), wire) {
        (Wire::Anthropic, Wire::OpenAi) => anthropic::request_to_openai(&parsed.body),
        (Wire::OpenAi, Wire::Anthropic) => {
            anthropic::request_to_anthropic(&parsed.body, model.max_output_tokens)
        }
        _ => parsed.body.clone(),
    };
    if parsed.stream
        && wire == Wire::OpenAi
        && endpoint != Endpoint::Embeddings
        && !body.contains_key("stream_options")
    {
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    body
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

/// Sends to each deployment in turn until one answers.
pub async fn send(
    gw: &Gateway,
    first: Arc<Model>,
    parsed: &Parsed,
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
    let mut last = GatewayError::Upstream(format!("no provider serves `{}`", first.name));
    let mut tries = 0u32;
    for model in chain {
        let mut bodies: [Option<Map<String, Value>>; 2] = [None, None];
        let order: Vec<Deployment> = gw.health.order(&model).into_iter().cloned().collect();
        for d in order.into_iter().take(model.retries as usize + 1) {
            let p = &d.provider;
            let wire = upstream::wire(p);
            let mut attempt = Attempt {
                model: model.name.clone(),
                provider: p.name.clone(),
                deployment: d.id.clone(),
                status: None,
                error: None,
                ms: 0,
            };
            let Some(url) = upstream::url(&d, endpoint) else {
                attempt.error = Some(format!("{} does not offer {}", p.name, endpoint.name()));
                attempts.push(attempt);
                continue;
            };
            if tries > 0 {
                tokio::time::sleep(crate::route::backoff(tries)).await;
            }
            tries += 1;
            let slot = &mut bodies[usize::from(wire == Wire::Anthropic)];
            let body = slot.get_or_insert_with(|| body_for(parsed, endpoint, wire, &model));
            body.insert("model".into(), Value::String(d.upstream_model.clone()));
            let bytes =
                serde_json::to_vec(&*body).map_err(|e| GatewayError::Internal(e.to_string()))?;
            let started = Instant::now();
            let req = gw
                .client(p.connect_timeout)?
                .post(url)
                .header(http::header::CONTENT_TYPE, "application/json")
                .timeout(p.total_timeout)
                .body(bytes);
            let req = upstream::authorise(req, p);
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
                                wire,
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

/// Why reading an answer failed, in words.
pub fn broke(e: &reqwest::Error) -> String {
    format!("the provider's answer broke off: {}", describe(e))
}
