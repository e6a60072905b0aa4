//! Anthropic's Messages API and OpenAI's Chat Completions, translated both ways: requests,
//! whole answers, and streams (see [`stream`]). A request is only translated when the surface
//! it came in on and the provider that serves it speak different APIs.

pub mod stream;

use serde_json::{Map, Value, json};

/// Which API a body speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn copy(from: &Map<String, Value>, to: &mut Map<String, Value>, keys: &[(&str, &str)]) {
    for (a, b) in keys {
        if let Some(v) = from.get(*a).filter(|v| !v.is_null()) {
            to.insert((*b).to_string(), v.clone());
        }
    }
}

/// An Anthropic image block as an OpenAI `image_url` part.
fn image_to_openai(b: &Value) -> Value {
    let s = &b["source"];
    let url = match s["type"].as_str() {
        Some("base64") => format!(
            "data:{};base64,{}",
            s["media_type"].as_str().unwrap_or("image/png"),
            s["data"].as_str().unwrap_or("")
        ),
        _ => s["url"].as_str().unwrap_or("").to_string(),
    };
    json!({"type": "image_url", "image_url": {"url": url}})
}

/// An OpenAI `image_url` part as an Anthropic image block.
fn image_to_anthropic(p: &Value) -> Value {
    let url = p["image_url"]["url"].as_str().unwrap_or("");
    match url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(";base64,"))
    {
        Some((media, data)) => {
            json!({"type": "image", "source": {"type": "base64", "media_type": media, "data": data}})
        }
        None => json!({"type": "image", "source": {"type": "url", "url": url}}),
    }
}

/// An Anthropic Messages request as an OpenAI Chat Completions request.
pub fn request_to_openai(a: &Map<String, Value>) -> Map<String, Value> {
    let mut o = Map::new();
    copy(
        a,
        &mut o,
        &[
            ("model", "model"),
            ("max_tokens", "max_tokens"),
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("stop_sequences", "stop"),
            ("stream", "stream"),
        ],
    );
    if let Some(user) = a.get("metadata").and_then(|m| m.get("user_id")) {
        o.insert("user".into(), user.clone());
    }
    let mut messages = Vec::new();
    if let Some(system) = a.get("system") {
        messages.push(json!({"role": "system", "content": text_of(system)}));
    }
    for m in a
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let role = m["role"].as_str().unwrap_or("user");
        let Value::Array(blocks) = &m["content"] else {
            messages.push(json!({"role": role, "content": m["content"]}));
            continue;
        };
        let mut parts = Vec::new();
        let mut calls = Vec::new();
        for b in blocks {
            match b["type"].as_str() {
                Some("text") => parts.push(json!({"type": "text", "text": b["text"]})),
                Some("image") => parts.push(image_to_openai(b)),
                Some("tool_use") => calls.push(json!({"id": b["id"], "type": "function",
                    "function": {"name": b["name"], "arguments": b["input"].to_string()}})),
                Some("tool_result") => messages.push(json!({"role": "tool",
                    "tool_call_id": b["tool_use_id"], "content": text_of(&b["content"])})),
                _ => {}
            }
        }
        if role == "assistant" {
            let text: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
            let mut msg = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text.join("")) }});
            if !calls.is_empty() {
                msg["tool_calls"] = json!(calls);
            }
            messages.push(msg);
        } else if !parts.is_empty() {
            messages.push(json!({"role": role, "content": parts}));
        }
    }
    o.insert("messages".into(), json!(messages));
    if let Some(tools) = a.get("tools").and_then(Value::as_array) {
        let tools: Vec<Value> = tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t["name"], "description": t["description"], "parameters": t["input_schema"]}}))
            .collect();
        o.insert("tools".into(), json!(tools));
    }
    if let Some(choice) = a.get("tool_choice") {
        let c = match choice["type"].as_str() {
            Some("any") => json!("required"),
            Some("none") => json!("none"),
            Some("tool") => json!({"type": "function", "function": {"name": choice["name"]}}),
            _ => json!("auto"),
        };
        o.insert("tool_choice".into(), c);
    }
    o
}

/// An OpenAI Chat Completions request as an Anthropic Messages request (`max_tokens` is
/// required there: `default_max` when the request has none).
pub fn request_to_anthropic(o: &Map<String, Value>, default_max: i64) -> Map<String, Value> {
    let mut a = Map::new();
    copy(
        o,
        &mut a,
        &[
            ("model", "model"),
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("stream", "stream"),
        ],
    );
    let max = o
        .get("max_completion_tokens")
        .or_else(|| o.get("max_tokens"))
        .and_then(Value::as_i64)
        .unwrap_or(default_max);
    a.insert("max_tokens".into(), json!(max));
    match o.get("stop") {
        Some(Value::String(s)) => {
            a.insert("stop_sequences".into(), json!([s]));
        }
        Some(Value::Array(v)) => {
            a.insert("stop_sequences".into(), json!(v));
        }
        _ => {}
    }
    if let Some(user) = o.get("user") {
        a.insert("metadata".into(), json!({"user_id": user}));
    }
    let mut system = Vec::new();
    let mut messages: Vec<Value> = Vec::new();
    for m in o
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let role = m["role"].as_str().unwrap_or("user");
        match role {
            "system" | "developer" => system.push(text_of(&m["content"])),
            "tool" => messages.push(json!({"role": "user", "content": [{"type": "tool_result",
                "tool_use_id": m["tool_call_id"], "content": text_of(&m["content"])}]})),
            _ => {
                let mut blocks = Vec::new();
                match &m["content"] {
                    Value::String(s) if !s.is_empty() => {
                        blocks.push(json!({"type": "text", "text": s}))
                    }
                    Value::Array(parts) => {
                        for p in parts {
                            match p["type"].as_str() {
                                Some("text") => {
                                    blocks.push(json!({"type": "text", "text": p["text"]}))
                                }
                                Some("image_url") => blocks.push(image_to_anthropic(p)),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                for c in m["tool_calls"].as_array().into_iter().flatten() {
                    let input: Value = c["function"]["arguments"]
                        .as_str()
                        .and_then(|s| serde_json::from_str(s).ok())
                        .unwrap_or_else(|| json!({}));
                    blocks.push(json!({"type": "tool_use", "id": c["id"], "name": c["function"]["name"], "input": input}));
                }
                let role = if role == "assistant" {
                    "assistant"
                } else {
                    "user"
                };
                messages.push(json!({"role": role, "content": blocks}));
            }
        }
    }
    if !system.is_empty() {
        a.insert("system".into(), json!(system.join("\n")));
    }
    a.insert("messages".into(), json!(messages));
    if let Some(tools) = o.get("tools").and_then(Value::as_array) {
        let tools: Vec<Value> = tools
            .iter()
            .map(|t| {
                let f = &t["function"];
                json!({"name": f["name"], "description": f["description"], "input_schema": f["parameters"]})
            })
            .collect();
        a.insert("tools".into(), json!(tools));
    }
    if let Some(choice) = o.get("tool_choice") {
        let c = match choice {
            Value::String(s) if s == "required" => json!({"type": "any"}),
            Value::String(s) if s == "none" => json!({"type": "none"}),
            Value::Object(_) => json!({"type": "tool", "name": choice["function"]["name"]}),
            _ => json!({"type": "auto"}),
        };
        a.insert("tool_choice".into(), c);
    }
    a
}

pub(crate) fn stop_to_anthropic(finish: &str) -> &'static str {
    match finish {
        "length" => "max_tokens",
        "tool_calls" | "function_call" => "tool_use",
        _ => "end_turn",
    }
}

pub(crate) fn stop_to_openai(stop: &str) -> &'static str {
    match stop {
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        _ => "stop",
    }
}

/// A whole OpenAI answer as an Anthropic message.
pub fn response_to_anthropic(o: &Value, model: &str) -> Value {
    let choice = &o["choices"][0];
    let msg = &choice["message"];
    let mut content = Vec::new();
    if let Some(t) = msg["content"].as_str().filter(|t| !t.is_empty()) {
        content.push(json!({"type": "text", "text": t}));
    }
    for c in msg["tool_calls"].as_array().into_iter().flatten() {
        let input: Value = c["function"]["arguments"]
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| json!({}));
        content.push(json!({"type": "tool_use", "id": c["id"], "name": c["function"]["name"], "input": input}));
    }
    let id = o["id"].as_str().unwrap_or("");
    json!({
        "id": format!("msg_{}", id.trim_start_matches("chatcmpl-")),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_to_anthropic(choice["finish_reason"].as_str().unwrap_or("stop")),
        "stop_sequence": null,
        "usage": {
            "input_tokens": o["usage"]["prompt_tokens"].as_i64().unwrap_or(0),
            "output_tokens": o["usage"]["completion_tokens"].as_i64().unwrap_or(0),
        },
    })
}

/// A whole Anthropic message as an OpenAI answer.
pub fn response_to_openai(a: &Value, model: &str) -> Value {
    let mut text = String::new();
    let mut calls = Vec::new();
    for b in a["content"].as_array().into_iter().flatten() {
        match b["type"].as_str() {
            Some("text") => text.push_str(b["text"].as_str().unwrap_or("")),
            Some("tool_use") => calls.push(json!({"id": b["id"], "type": "function",
                "function": {"name": b["name"], "arguments": b["input"].to_string()}})),
            _ => {}
        }
    }
    let mut message = json!({"role": "assistant", "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { json!(text) }});
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    let (input, output) = anthropic_usage(&a["usage"]);
    json!({
        "id": format!("chatcmpl-{}", a["id"].as_str().unwrap_or("").trim_start_matches("msg_")),
        "object": "chat.completion",
        "created": ops_db::now_ms() / 1000,
        "model": model,
        "choices": [{"index": 0, "message": message,
            "finish_reason": stop_to_openai(a["stop_reason"].as_str().unwrap_or("end_turn"))}],
        "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output},
    })
}

/// (input, output) tokens of an Anthropic `usage` object; cached input counts as input.
pub fn anthropic_usage(u: &Value) -> (i64, i64) {
    let n = |k: &str| u[k].as_i64().unwrap_or(0);
    (
        n("input_tokens") + n("cache_creation_input_tokens") + n("cache_read_input_tokens"),
        n("output_tokens"),
    )
}

#[cfg(test)]
mod tests;
