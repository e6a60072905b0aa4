//! Trying deployments: in routing order, with a backoff pause between retryable failures,
//! then each fallback model's deployments. The body is translated once per API (OpenAI or
//! Anthropic) the providers speak, and only the model name changes between attempts.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::anthropic::{self, Wire};
use crate::byok::{Byok, OwnKey, Policy};
use crate::catalogue::{Deployment, Model, Provider};
use crate::client::{Answer, Call, Failure};
use crate::meter::Owner;
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
    /// `platform` or `byok`.
    credential: &'static str,
    status: Option<u16>,
    error: Option<String>,
    ms: u64,
}

/// The attempts as the request log stores them. The common case, one attempt at the requested
/// model that succeeded, is stored as nothing: [`rebuilt`] makes it again from the row's own
/// columns, and each request writes about 130 bytes fewer.
pub fn log_text(attempts: &[Attempt], model: &str) -> String {
    match attempts {
        [a] if a.model == model && a.status == Some(200) && a.error.is_none() => String::new(),
        _ => serde_json::to_string(attempts).unwrap_or_else(|_| "[]".into()),
    }
}

/// The JSON of a served request's single attempt that [`log_text`] left out.
pub fn rebuilt(model: &str, provider: &str, deployment: &str, credential: &str, ms: i64) -> String {
    let attempt = Attempt {
        model: model.into(),
        provider: provider.into(),
        deployment: deployment.into(),
        credential: if credential == "byok" {
            "byok"
        } else {
            "platform"
        },
        status: Some(200),
        error: None,
        ms: ms.max(0) as u64,
    };
    serde_json::to_string(&[attempt]).unwrap_or_else(|_| "[]".into())
}

/// What the chosen deployment answered with.
pub struct Served {
    pub model: Arc<Model>,
    pub deployment: Deployment,
    /// The API the provider answered in.
    pub wire: Wire,
    pub response: Answer,
    pub first_byte: Duration,
    /// Served with the caller's own key.
    pub byok: bool,
}

/// The credentials to try on a deployment, in order: the platform's (`None`) and the caller's
/// own key for that provider, as its policy says. A failing own key goes after the platform's.
fn credentials<'k>(own: &'k [OwnKey], p: &Provider) -> Vec<Option<&'k OwnKey>> {
    match Byok::for_provider(own, p) {
        None => vec![None],
        Some(k) => match k.policy {
            Policy::Always => vec![Some(k)],
            Policy::Prioritized if !k.failing => vec![Some(k), None],
            _ => vec![None, Some(k)],
        },
    }
}

/// Why a provider refused the caller's own key, if that is what its answer says.
fn key_refused(status: u16, message: &str) -> Option<String> {
    match status {
        401 | 403 => Some(format!("refused with {status}: {message}")),
        402 | 429 if message.to_lowercase().contains("quota") || status == 402 => {
            Some(format!("quota exhausted ({status}): {message}"))
        }
        _ => None,
    }
}

/// The request body in the API `wire`: the client's own members when the provider speaks its
/// API (each value copied as sent), translated otherwise.
enum Fields<'p> {
    AsSent(&'p [(Cow<'p, str>, &'p RawValue)]),
    Translated(Map<String, Value>),
}

impl Fields<'_> {
    fn has(&self, key: &str) -> bool {
        match self {
            Fields::AsSent(m) => m.iter().any(|(k, _)| k == key),
            Fields::Translated(m) => m.contains_key(key),
        }
    }
}

fn body_for<'p>(
    parsed: &'p Parsed<'p>,
    endpoint: Endpoint,
    wire: Wire,
    model: &Model,
) -> Fields<'p> {
    match (endpoint.wire(), wire) {
        (Wire::Anthropic, Wire::OpenAi) => {
            Fields::Translated(anthropic::request_to_openai(&parsed.object()))
        }
        (Wire::OpenAi, Wire::Anthropic) => Fields::Translated(anthropic::request_to_anthropic(
            &parsed.object(),
            model.max_output_tokens,
        )),
        _ => Fields::AsSent(&parsed.members),
    }
}

/// A body as sent: its fields with `model` set to the deployment's name, and
/// `stream_options.include_usage` added where a streamed OpenAI answer should report usage.
struct Outgoing<'a> {
    body: &'a Fields<'a>,
    model: &'a str,
    ask_usage: bool,
}

impl serde::Serialize for Outgoing<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", self.model)?;
        match self.body {
            Fields::AsSent(members) => {
                for (k, v) in members.iter().filter(|(k, _)| k != "model") {
                    m.serialize_entry(k, v)?;
                }
            }
            Fields::Translated(map) => {
                for (k, v) in map.iter().filter(|(k, _)| *k != "model") {
                    m.serialize_entry(k, v)?;
                }
            }
        }
        if self.ask_usage {
            m.serialize_entry("stream_options", &json!({"include_usage": true}))?;
        }
        m.end()
    }
}

/// Sends to each deployment in turn until one answers.
pub async fn send(
    gw: &Gateway,
    first: Arc<Model>,
    parsed: &Parsed<'_>,
    endpoint: Endpoint,
    (owner, own): (&Owner, &[OwnKey]),
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
        let mut bodies: [Option<Fields>; 2] = [None, None];
        // Borrowed from a second handle on the model: only the deployment that serves is cloned.
        let m = model.clone();
        let order = gw.health.order(&m);
        for d in order.into_iter().take(model.retries as usize + 1) {
            for cred in credentials(own, &d.provider) {
                let mine;
                let p = match cred {
                    Some(k) => {
                        mine = Provider {
                            api_key: Some(k.key.clone()),
                            ..(*d.provider).clone()
                        };
                        &mine
                    }
                    None => &*d.provider,
                };
                let wire = upstream::wire(p);
                let mut attempt = Attempt {
                    model: model.name.clone(),
                    provider: p.name.clone(),
                    deployment: d.id.clone(),
                    credential: if cred.is_some() { "byok" } else { "platform" },
                    status: None,
                    error: None,
                    ms: 0,
                };
                let Some(target) = &d.urls[endpoint.index()] else {
                    attempt.error = Some(format!("{} does not offer {}", p.name, endpoint.name()));
                    attempts.push(attempt);
                    break;
                };
                if tries > 0 {
                    tokio::time::sleep(crate::route::backoff(tries)).await;
                }
                tries += 1;
                let slot = &mut bodies[usize::from(wire == Wire::Anthropic)];
                let body = slot.get_or_insert_with(|| body_for(parsed, endpoint, wire, &model));
                let outgoing = Outgoing {
                    body,
                    model: &d.upstream_model,
                    ask_usage: parsed.stream
                        && wire == Wire::OpenAi
                        && endpoint != Endpoint::Embeddings
                        && !body.has("stream_options"),
                };
                let bytes = serde_json::to_vec(&outgoing)
                    .map_err(|e| GatewayError::Internal(e.to_string()))?;
                let started = Instant::now();
                let outcome = match upstream::headers(p) {
                    Ok(headers) => {
                        gw.client
                            .send(Call {
                                method: http::Method::POST,
                                target,
                                headers,
                                body: bytes.into(),
                                connect: p.connect_timeout,
                                first_byte: p.first_byte_timeout,
                                total: p.total_timeout,
                            })
                            .await
                    }
                    Err(f) => Err(f),
                };
                // One reading for both: the log rebuilds a lone attempt's time from its
                // first-byte time.
                let took = started.elapsed();
                attempt.ms = took.as_millis() as u64;
                match outcome {
                    Err(Failure::NoAnswer) => {
                        attempt.error = Some(format!(
                            "no answer within {} ms",
                            p.first_byte_timeout.as_millis()
                        ))
                    }
                    Err(f) => attempt.error = Some(f.to_string()),
                    Ok(res) => {
                        let status = res.status;
                        attempt.status = Some(status);
                        match upstream::verdict(status) {
                            Verdict::Ok => {
                                gw.health.succeeded(&d.id, started.elapsed());
                                if let Some(k) = cred {
                                    gw.byok.report(gw, owner, k, None);
                                }
                                attempts.push(attempt);
                                return Ok(Served {
                                    model,
                                    deployment: d.clone(),
                                    wire,
                                    response: res,
                                    first_byte: took,
                                    byok: cred.is_some(),
                                });
                            }
                            Verdict::Client => {
                                let bytes = res.body.bytes().await.unwrap_or_default();
                                let message = upstream::error_message(&bytes);
                                attempt.error = Some(message.clone());
                                attempts.push(attempt);
                                return Err(GatewayError::Client { status, message });
                            }
                            Verdict::Retry => {
                                let bytes = res.body.bytes().await.unwrap_or_default();
                                let message = upstream::error_message(&bytes);
                                if let Some(k) = cred
                                    && let Some(why) = key_refused(status, &message)
                                {
                                    gw.byok.report(gw, owner, k, Some(why));
                                }
                                attempt.error = Some(message);
                            }
                        }
                    }
                }
                if cred.is_none() {
                    gw.health.failed(&d.id);
                }
                last = GatewayError::Upstream(format!(
                    "{} attempt(s) failed; the last, {}: {}",
                    tries,
                    p.name,
                    attempt.error.clone().unwrap_or_default()
                ));
                attempts.push(attempt);
            }
        }
    }
    Err(last)
}

/// Why reading an answer failed, in words.
pub fn broke(e: &Failure) -> String {
    format!("the provider's answer broke off: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outgoing_body_names_the_deployments_model_and_asks_for_usage() {
        let raw = br#"{"model":"public", "stream": true,"messages":[{"role":"user","content":"a \"b\""}]}"#;
        let parsed = crate::request::parse(raw, Endpoint::Chat).unwrap();
        let as_sent = Fields::AsSent(&parsed.members);
        let out = |body: &Fields, ask_usage| {
            let o = Outgoing {
                body,
                model: "up-1",
                ask_usage,
            };
            String::from_utf8(serde_json::to_vec(&o).unwrap()).unwrap()
        };
        assert_eq!(
            out(&as_sent, true),
            r#"{"model":"up-1","stream":true,"messages":[{"role":"user","content":"a \"b\""}],"stream_options":{"include_usage":true}}"#
        );
        assert_eq!(
            out(&as_sent, false),
            r#"{"model":"up-1","stream":true,"messages":[{"role":"user","content":"a \"b\""}]}"#
        );
        assert!(as_sent.has("stream") && !as_sent.has("stream_options"));
        let translated = Fields::Translated(parsed.object());
        let v: Value = serde_json::from_str(&out(&translated, false)).unwrap();
        assert_eq!(
            v,
            json!({"model": "up-1", "stream": true, "messages": [{"role": "user", "content": "a \"b\""}]})
        );
    }

    #[test]
    fn a_lone_served_attempt_is_stored_as_nothing_and_rebuilt_the_same() {
        let attempt = |status, error: Option<&str>| Attempt {
            model: "m".into(),
            provider: "p".into(),
            deployment: "d".into(),
            credential: "byok",
            status,
            error: error.map(String::from),
            ms: 7,
        };
        let one = [attempt(Some(200), None)];
        assert_eq!(log_text(&one, "m"), "");
        assert_eq!(
            rebuilt("m", "p", "d", "byok", 7),
            serde_json::to_string(&one).unwrap()
        );
        // Anything else is stored whole: another model, a failure, several attempts.
        assert_ne!(log_text(&one, "alias"), "");
        assert_ne!(log_text(&[attempt(Some(500), Some("down"))], "m"), "");
        let two = [attempt(Some(500), Some("down")), attempt(Some(200), None)];
        assert_eq!(log_text(&two, "m"), serde_json::to_string(&two).unwrap());
    }
}
