//! Talking to a provider: where each kind's endpoints are, how it wants the key, and which of
//! its failures are worth another deployment.

use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::anthropic::Wire;
use crate::catalogue::{Deployment, Kind, Provider};
use crate::client::Failure;

/// The OpenAI-shaped operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Completions,
    Embeddings,
    /// Anthropic's Messages API (`/v1/messages`).
    Messages,
}

impl Endpoint {
    pub const ALL: [Endpoint; 4] = [
        Endpoint::Chat,
        Endpoint::Completions,
        Endpoint::Embeddings,
        Endpoint::Messages,
    ];

    /// The position in [`Endpoint::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The path on an OpenAI-shaped provider.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Chat | Endpoint::Messages => "chat/completions",
            Endpoint::Completions => "completions",
            Endpoint::Embeddings => "embeddings",
        }
    }

    /// The API the client speaks.
    pub fn wire(self) -> Wire {
        match self {
            Endpoint::Messages => Wire::Anthropic,
            _ => Wire::OpenAi,
        }
    }

    /// The request log's name, and the plan service it uses.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Chat => "chat",
            Endpoint::Completions => "completions",
            Endpoint::Embeddings => "embeddings",
            Endpoint::Messages => "messages",
        }
    }

    pub fn service(self) -> &'static str {
        match self {
            Endpoint::Embeddings => "embeddings",
            _ => "chat",
        }
    }
}

fn base(p: &Provider) -> &str {
    p.base_url.trim_end_matches('/')
}

/// The API a provider speaks.
pub fn wire(p: &Provider) -> Wire {
    match p.kind {
        Kind::Anthropic => Wire::Anthropic,
        _ => Wire::OpenAi,
    }
}

/// The URL of `endpoint` on deployment `d`; none when the provider does not offer it.
pub fn url(d: &Deployment, endpoint: Endpoint) -> Option<String> {
    let p = &d.provider;
    Some(match p.kind {
        Kind::Azure => format!(
            "{}/openai/deployments/{}/{}?api-version={}",
            base(p),
            d.upstream_model,
            endpoint.path(),
            p.api_version.as_deref().unwrap_or("2024-10-21")
        ),
        Kind::Anthropic => match endpoint {
            Endpoint::Chat | Endpoint::Messages => format!("{}/v1/messages", base(p)),
            Endpoint::Completions | Endpoint::Embeddings => return None,
        },
        _ => format!("{}/{}", base(p), endpoint.path()),
    })
}

/// The models-list URL (the connection test).
pub fn models_url(p: &Provider) -> String {
    match p.kind {
        Kind::Azure => format!(
            "{}/openai/models?api-version={}",
            base(p),
            p.api_version.as_deref().unwrap_or("2024-10-21")
        ),
        Kind::Anthropic => format!("{}/v1/models", base(p)),
        _ => format!("{}/models", base(p)),
    }
}

/// The headers a call to the provider carries: its credentials (marked sensitive) and, for
/// Anthropic, the API version. A key a header cannot carry is refused.
pub fn headers(p: &Provider) -> Result<HeaderMap, Failure> {
    let mut h = HeaderMap::with_capacity(4);
    let value = |v: &str| {
        let mut v = HeaderValue::from_str(v)
            .map_err(|_| Failure::Invalid("the key has characters a header cannot carry".into()))?;
        v.set_sensitive(true);
        Ok::<_, Failure>(v)
    };
    if p.kind == Kind::Anthropic {
        let version = p.api_version.as_deref().unwrap_or("2023-06-01");
        h.insert("anthropic-version", value(version)?);
    }
    let Some(key) = &p.api_key else { return Ok(h) };
    match p.kind {
        Kind::Azure => h.insert("api-key", value(key)?),
        Kind::Anthropic => h.insert("x-api-key", value(key)?),
        _ => h.insert(AUTHORIZATION, value(&format!("Bearer {key}"))?),
    };
    Ok(h)
}

/// What an upstream status means for routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Try another deployment (rate limited, overloaded, broken, or our credential refused).
    Retry,
    /// The request itself is wrong: answer the client with it.
    Client,
}

pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Ok,
        401 | 403 | 404 | 408 | 409 | 429 => Verdict::Retry,
        400..=499 => Verdict::Client,
        _ => Verdict::Retry,
    }
}

/// The message inside an upstream error body (OpenAI or Anthropic shape), or the body itself.
pub fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Inner {
        message: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Option<Inner>,
    }
    if let Ok(Envelope {
        error: Some(Inner { message: Some(m) }),
    }) = serde_json::from_slice(body)
    {
        return m;
    }
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_route_as_expected() {
        assert_eq!(verdict(200), Verdict::Ok);
        assert_eq!(verdict(429), Verdict::Retry);
        assert_eq!(verdict(503), Verdict::Retry);
        assert_eq!(verdict(401), Verdict::Retry);
        assert_eq!(verdict(400), Verdict::Client);
        assert_eq!(verdict(422), Verdict::Client);
    }

    #[test]
    fn error_messages_are_read_from_either_shape() {
        assert_eq!(error_message(br#"{"error":{"message":"nope"}}"#), "nope");
        assert_eq!(
            error_message(br#"{"type":"error","error":{"type":"x","message":"busy"}}"#),
            "busy"
        );
        assert_eq!(error_message(b"plain"), "plain");
    }
}
