//! Streams translated event by event: Anthropic's `message_start … content_block_delta …
//! message_stop` events into OpenAI `chat.completion.chunk`s ending in `[DONE]`, and back.
//! Each translator takes one upstream SSE `data:` payload at a time and returns the bytes to
//! send on (possibly none).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{stop_to_anthropic, stop_to_openai};

fn data(v: &Value) -> Vec<u8> {
    format!("data: {v}\n\n").into_bytes()
}

fn event(kind: &str, v: &Value) -> Vec<u8> {
    format!("event: {kind}\ndata: {v}\n\n").into_bytes()
}

/// Anthropic events from the provider → OpenAI chunks for the client.
pub struct ToOpenAi {
    id: String,
    model: String,
    created: i64,
    include_usage: bool,
    input: i64,
    output: i64,
    tools: HashMap<i64, usize>,
    finish: String,
}

impl ToOpenAi {
    pub fn new(model: &str, include_usage: bool) -> ToOpenAi {
        ToOpenAi {
            id: String::new(),
            model: model.to_string(),
            created: ops_db::now_ms() / 1000,
            include_usage,
            input: 0,
            output: 0,
            tools: HashMap::new(),
            finish: "stop".into(),
        }
    }

    fn chunk(&self, delta: Value, finish: Option<&str>) -> Vec<u8> {
        data(
            &json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        )
    }

    pub fn take(&mut self, ev: &Value) -> Vec<u8> {
        match ev["type"].as_str().unwrap_or("") {
            "message_start" => {
                let m = &ev["message"];
                self.id = format!(
                    "chatcmpl-{}",
                    m["id"].as_str().unwrap_or("").trim_start_matches("msg_")
                );
                (self.input, self.output) = super::anthropic_usage(&m["usage"]);
                self.chunk(json!({"role": "assistant", "content": ""}), None)
            }
            "content_block_start" if ev["content_block"]["type"] == "tool_use" => {
                let n = self.tools.len();
                self.tools.insert(ev["index"].as_i64().unwrap_or(0), n);
                let b = &ev["content_block"];
                self.chunk(
                    json!({"tool_calls": [{"index": n, "id": b["id"], "type": "function",
                        "function": {"name": b["name"], "arguments": ""}}]}),
                    None,
                )
            }
            "content_block_delta" => {
                let d = &ev["delta"];
                match d["type"].as_str() {
                    Some("text_delta") => self.chunk(json!({"content": d["text"]}), None),
                    Some("input_json_delta") => {
                        let n = self
                            .tools
                            .get(&ev["index"].as_i64().unwrap_or(0))
                            .copied()
                            .unwrap_or(0);
                        self.chunk(
                            json!({"tool_calls": [{"index": n, "function": {"arguments": d["partial_json"]}}]}),
                            None,
                        )
                    }
                    _ => Vec::new(),
                }
            }
            "message_delta" => {
                if let Some(s) = ev["delta"]["stop_reason"].as_str() {
                    self.finish = stop_to_openai(s).into();
                }
                if let Some(o) = ev["usage"]["output_tokens"].as_i64() {
                    self.output = o;
                }
                if let Some(i) = ev["usage"]["input_tokens"].as_i64().filter(|i| *i > 0) {
                    self.input = i;
                }
                Vec::new()
            }
            "message_stop" => {
                let mut out = self.chunk(json!({}), Some(&self.finish.clone()));
                if self.include_usage {
                    out.extend(data(
                        &json!({"id": self.id, "object": "chat.completion.chunk",
                        "created": self.created, "model": self.model, "choices": [],
                        "usage": {"prompt_tokens": self.input, "completion_tokens": self.output,
                            "total_tokens": self.input + self.output}}),
                    ));
                }
                out.extend(b"data: [DONE]\n\n");
                out
            }
            "error" => data(
                &json!({"error": {"message": ev["error"]["message"], "type": ev["error"]["type"]}}),
            ),
            _ => Vec::new(),
        }
    }

    /// Tokens the provider reported so far: (input, output).
    pub fn usage(&self) -> (i64, i64) {
        (self.input, self.output)
    }
}

/// OpenAI chunks from the provider → Anthropic events for the client.
pub struct ToAnthropic {
    model: String,
    started: bool,
    /// The open content block: (index, is text).
    open: Option<(usize, bool)>,
    blocks: usize,
    tools: HashMap<i64, usize>,
    stop: String,
    input: i64,
    output: i64,
    finished: bool,
}

impl ToAnthropic {
    pub fn new(model: &str) -> ToAnthropic {
        ToAnthropic {
            model: model.to_string(),
            started: false,
            open: None,
            blocks: 0,
            tools: HashMap::new(),
            stop: "end_turn".into(),
            input: 0,
            output: 0,
            finished: false,
        }
    }

    fn start(&mut self, id: &str, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        out.extend(event("message_start", &json!({"type": "message_start", "message": {
            "id": format!("msg_{}", id.trim_start_matches("chatcmpl-")), "type": "message", "role": "assistant",
            "model": self.model, "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 0, "output_tokens": 0}}})));
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if let Some((i, _)) = self.open.take() {
            out.extend(event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": i}),
            ));
        }
    }

    fn open_block(&mut self, block: Value, text: bool, out: &mut Vec<u8>) -> usize {
        self.close(out);
        let i = self.blocks;
        self.blocks += 1;
        self.open = Some((i, text));
        out.extend(event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": i, "content_block": block}),
        ));
        i
    }

    pub fn take(&mut self, chunk: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        self.start(chunk["id"].as_str().unwrap_or(""), &mut out);
        if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
            self.input = u["prompt_tokens"].as_i64().unwrap_or(self.input);
            self.output = u["completion_tokens"].as_i64().unwrap_or(self.output);
        }
        let Some(choice) = chunk["choices"].get(0) else {
            return out;
        };
        let d = &choice["delta"];
        if let Some(t) = d["content"].as_str().filter(|t| !t.is_empty()) {
            let i = match self.open {
                Some((i, true)) => i,
                _ => self.open_block(json!({"type": "text", "text": ""}), true, &mut out),
            };
            out.extend(event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": i,
                "delta": {"type": "text_delta", "text": t}}),
            ));
        }
        for tc in d["tool_calls"].as_array().into_iter().flatten() {
            let n = tc["index"].as_i64().unwrap_or(0);
            let i = match self.tools.get(&n) {
                Some(i) if tc.get("id").is_none_or(Value::is_null) => *i,
                _ => {
                    let block = json!({"type": "tool_use", "id": tc["id"], "name": tc["function"]["name"], "input": {}});
                    let i = self.open_block(block, false, &mut out);
                    self.tools.insert(n, i);
                    i
                }
            };
            if let Some(args) = tc["function"]["arguments"]
                .as_str()
                .filter(|a| !a.is_empty())
            {
                out.extend(event(
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": i,
                    "delta": {"type": "input_json_delta", "partial_json": args}}),
                ));
            }
        }
        if let Some(f) = choice["finish_reason"].as_str() {
            self.stop = stop_to_anthropic(f).into();
        }
        out
    }

    /// The end of the provider's stream (`[DONE]` or its close): the closing events, once.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        self.finished = true;
        self.start("", &mut out);
        self.close(&mut out);
        out.extend(event(
            "message_delta",
            &json!({"type": "message_delta",
            "delta": {"stop_reason": self.stop, "stop_sequence": null},
            "usage": {"input_tokens": self.input, "output_tokens": self.output}}),
        ));
        out.extend(event("message_stop", &json!({"type": "message_stop"})));
        out
    }
}
