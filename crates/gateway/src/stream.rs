//! Streams pass through chunk by chunk; on the way the SSE `data:` lines are read for the usage
//! the provider reports at the end (we ask for it with `stream_options.include_usage`), and the
//! generated text is counted in case it reports none. When the stream ends — finished, broken,
//! or dropped because the client went away (which also drops the upstream connection, so the
//! provider stops generating) — what was generated is settled.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures::Stream;
use serde::Deserialize;
use serde_json::Value;

use crate::anthropic::Wire;
use crate::anthropic::stream::{ToAnthropic, ToOpenAi};

use crate::Gateway;
use crate::catalogue::Model;
use crate::log::Row;
use crate::meter::Ticket;
use crate::request::{bill, ceil_div};

/// Tokens a provider reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input: i64,
    pub output: i64,
}

#[derive(Deserialize)]
struct RawUsage {
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
}

#[derive(Deserialize)]
struct WithUsage {
    usage: Option<RawUsage>,
}

/// The `usage` object of an OpenAI-shaped answer or chunk, when present and not null.
pub fn usage_of(json: &[u8]) -> Option<Usage> {
    let u = serde_json::from_slice::<WithUsage>(json).ok()?.usage?;
    Some(Usage {
        input: u.prompt_tokens.unwrap_or(0),
        output: u.completion_tokens.unwrap_or(0),
    })
}

#[derive(Deserialize, Default)]
struct Text {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<Text>,
    delta: Option<Text>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Choices {
    #[serde(default)]
    choices: Vec<Choice>,
}

/// Characters of generated text in an answer or a chunk.
pub fn content_chars(json: &[u8]) -> i64 {
    let Ok(c) = serde_json::from_slice::<Choices>(json) else {
        return 0;
    };
    c.choices
        .iter()
        .map(|ch| {
            let t = ch
                .message
                .as_ref()
                .or(ch.delta.as_ref())
                .and_then(|t| t.content.as_deref())
                .or(ch.text.as_deref())
                .unwrap_or("");
            t.chars().count() as i64
        })
        .sum()
}

/// What a stream settles when it ends.
pub struct Finish {
    pub gw: Gateway,
    pub ticket: Ticket,
    pub log: Row,
    pub model: Arc<Model>,
    pub input_estimate: i64,
    pub started: Instant,
    /// Served by the caller's own key: charged this percentage of the list price.
    pub fee_percent: Option<i64>,
}

/// What happens to the provider's events on the way to the client.
pub enum Mode {
    /// Same API on both sides: bytes pass through untouched (OpenAI or Anthropic events).
    Pass(Wire),
    /// Anthropic events → OpenAI chunks.
    ToOpenAi(ToOpenAi),
    /// OpenAI chunks → Anthropic events.
    ToAnthropic(ToAnthropic),
}

/// The client's side of a streamed answer.
pub struct Metered {
    inner: crate::client::Body,
    mode: Mode,
    /// An incomplete line carried over to the next chunk.
    partial: Vec<u8>,
    /// Translated bytes waiting to be sent.
    out: Vec<u8>,
    usage: Option<Usage>,
    chars: i64,
    ended_well: bool,
    done: bool,
    finish: Option<Finish>,
    /// The settled row's journal line: the stream ends once it is on file.
    journaled: Option<crate::journal::Appended>,
}

impl Metered {
    pub fn new(finish: Finish, res: crate::client::Answer, mode: Mode) -> Metered {
        Metered {
            inner: res.body,
            mode,
            partial: Vec::new(),
            out: Vec::new(),
            usage: None,
            chars: 0,
            ended_well: false,
            done: false,
            finish: Some(finish),
            journaled: None,
        }
    }

    fn line(&mut self, line: &[u8]) {
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        let data = data.trim_ascii();
        if data.is_empty() {
            return;
        }
        if data == b"[DONE]" {
            if let Mode::ToAnthropic(t) = &mut self.mode {
                self.out.extend(t.finish());
            }
            return;
        }
        match &mut self.mode {
            Mode::Pass(Wire::OpenAi) => {
                if memfind(data, b"\"usage\"")
                    && let Some(u) = usage_of(data)
                {
                    self.usage = Some(u);
                    return;
                }
                self.chars += content_chars(data);
            }
            Mode::Pass(Wire::Anthropic) => {
                let Ok(ev) = serde_json::from_slice::<Value>(data) else {
                    return;
                };
                self.anthropic_event(&ev);
            }
            Mode::ToOpenAi(t) => {
                let Ok(ev) = serde_json::from_slice::<Value>(data) else {
                    return;
                };
                self.out.extend(t.take(&ev));
                self.anthropic_event(&ev);
            }
            Mode::ToAnthropic(t) => {
                let Ok(chunk) = serde_json::from_slice::<Value>(data) else {
                    return;
                };
                self.out.extend(t.take(&chunk));
                if chunk.get("usage").is_some_and(|u| !u.is_null()) {
                    self.usage = usage_of(data);
                }
                self.chars += content_chars(data);
            }
        }
    }

    /// Usage and text from an Anthropic event.
    fn anthropic_event(&mut self, ev: &Value) {
        let mut u = self.usage.unwrap_or(Usage {
            input: 0,
            output: 0,
        });
        match ev["type"].as_str() {
            Some("message_start") => {
                (u.input, u.output) = crate::anthropic::anthropic_usage(&ev["message"]["usage"]);
                self.usage = Some(u);
            }
            Some("message_delta") => {
                if let Some(o) = ev["usage"]["output_tokens"].as_i64() {
                    u.output = o;
                }
                if let Some(i) = ev["usage"]["input_tokens"].as_i64().filter(|i| *i > 0) {
                    u.input = i;
                }
                self.usage = Some(u);
            }
            Some("content_block_delta") => {
                let d = &ev["delta"];
                let t = d["text"]
                    .as_str()
                    .or(d["partial_json"].as_str())
                    .unwrap_or("");
                self.chars += t.chars().count() as i64;
            }
            _ => {}
        }
    }

    fn scan(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            if self.partial.is_empty() {
                self.line(&rest[..i]);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..i]);
                self.line(&line);
            }
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() && self.partial.len() < 1 << 20 {
            self.partial.extend_from_slice(rest);
        }
    }

    fn settle(&mut self) {
        let Some(f) = self.finish.take() else { return };
        let mut log = f.log;
        let (input, output, counted) = match self.usage {
            Some(u) if u.input > 0 || u.output > 0 => (u.input, u.output, false),
            _ => (ceil_div(f.input_estimate, 2), ceil_div(self.chars, 4), true),
        };
        log.latency_ms = f.started.elapsed().as_millis() as i64;
        bill(
            &mut log,
            &f.model,
            (input, output),
            &f.ticket,
            counted,
            f.fee_percent,
        );
        if !self.ended_well {
            log.error_code = Some("stream_interrupted".into());
            log.explain
                .push_str("; the stream ended early (client gone or provider failed), billed for what was generated");
        }
        self.journaled = Some(f.gw.meter.settle(&f.ticket, log));
    }
}

fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

impl Stream for Metered {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if !self.out.is_empty() {
                let out = std::mem::take(&mut self.out);
                return Poll::Ready(Some(Ok(Bytes::from(out))));
            }
            if self.done {
                if let Some(j) = self.journaled.as_mut() {
                    std::task::ready!(Pin::new(j).poll(cx));
                    self.journaled = None;
                }
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    self.scan(&chunk);
                    if matches!(self.mode, Mode::Pass(_)) {
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    self.settle();
                    return Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))));
                }
                Poll::Ready(None) => {
                    if !self.partial.is_empty() {
                        let last = std::mem::take(&mut self.partial);
                        self.line(&last);
                    }
                    if let Mode::ToAnthropic(t) = &mut self.mode {
                        let tail = t.finish();
                        self.out.extend(tail);
                    }
                    self.ended_well = true;
                    self.done = true;
                    self.settle();
                }
            }
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        self.settle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_and_text_are_read_from_chunks() {
        let chunk = br#"{"choices":[{"delta":{"content":"hello"}}]}"#;
        assert_eq!(content_chars(chunk), 5);
        assert_eq!(usage_of(chunk), None);
        let last = br#"{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#;
        assert_eq!(
            usage_of(last),
            Some(Usage {
                input: 7,
                output: 3
            })
        );
        assert_eq!(usage_of(br#"{"usage":null}"#), None);
    }
}
