use serde_json::{Map, Value, json};

use super::stream::{ToAnthropic, ToOpenAi};
use super::*;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn an_anthropic_request_becomes_an_openai_one() {
    let a = obj(json!({
        "model": "claude", "max_tokens": 64, "system": "Be brief.", "stop_sequences": ["END"],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "What is in this?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "look", "input": {"q": 1}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "a cat"}]},
        ],
        "tools": [{"name": "look", "description": "Look", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any"},
    }));
    let o = request_to_openai(&a);
    assert_eq!(o["max_tokens"], 64);
    assert_eq!(o["stop"], json!(["END"]));
    let m = o["messages"].as_array().unwrap();
    assert_eq!(m[0], json!({"role": "system", "content": "Be brief."}));
    assert_eq!(
        m[1]["content"][1]["image_url"]["url"],
        "data:image/png;base64,AAA"
    );
    assert_eq!(m[2]["tool_calls"][0]["function"]["arguments"], "{\"q\":1}");
    assert_eq!(
        m[3],
        json!({"role": "tool", "tool_call_id": "t1", "content": "a cat"})
    );
    assert_eq!(
        o["tools"][0]["function"]["parameters"],
        json!({"type": "object"})
    );
    assert_eq!(o["tool_choice"], "required");
}

#[test]
fn an_openai_request_becomes_an_anthropic_one() {
    let o = obj(json!({
        "model": "gpt", "stop": "END", "user": "u1",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "look", "arguments": "{\"q\":1}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ],
    }));
    let a = request_to_anthropic(&o, 1024);
    assert_eq!(a["max_tokens"], 1024, "required by Anthropic");
    assert_eq!(a["system"], "Be brief.");
    assert_eq!(a["stop_sequences"], json!(["END"]));
    assert_eq!(a["metadata"]["user_id"], "u1");
    let m = a["messages"].as_array().unwrap();
    assert_eq!(
        m[0],
        json!({"role": "user", "content": [{"type": "text", "text": "Hi"}]})
    );
    assert_eq!(m[1]["content"][0]["input"], json!({"q": 1}));
    assert_eq!(m[2]["content"][0]["type"], "tool_result");
}

#[test]
fn whole_answers_translate_both_ways() {
    let o = json!({"id": "chatcmpl-9", "choices": [{"message": {"role": "assistant", "content": "Hello"},
        "finish_reason": "length"}], "usage": {"prompt_tokens": 7, "completion_tokens": 2}});
    let a = response_to_anthropic(&o, "m");
    assert_eq!(a["content"], json!([{"type": "text", "text": "Hello"}]));
    assert_eq!(
        (a["stop_reason"].clone(), a["usage"]["input_tokens"].clone()),
        (json!("max_tokens"), json!(7))
    );
    let back = response_to_openai(&a, "m");
    assert_eq!(back["choices"][0]["message"]["content"], "Hello");
    assert_eq!(back["choices"][0]["finish_reason"], "length");
    assert_eq!(back["usage"]["total_tokens"], 9);
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[test]
fn anthropic_events_become_openai_chunks() {
    let mut t = ToOpenAi::new("m", true);
    let mut out = Vec::new();
    for ev in [
        json!({"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}}),
        json!({"type": "message_stop"}),
    ] {
        out.extend(t.take(&ev));
    }
    let chunks = lines(&out);
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "Hi");
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[3]["usage"]["completion_tokens"], 3);
    assert!(String::from_utf8_lossy(&out).ends_with("data: [DONE]\n\n"));
    assert_eq!(t.usage(), (12, 3));
}

#[test]
fn openai_chunks_become_anthropic_events() {
    let mut t = ToAnthropic::new("m");
    let mut out = Vec::new();
    for c in [
        json!({"id": "chatcmpl-1", "choices": [{"delta": {"role": "assistant", "content": "Hel"}}]}),
        json!({"id": "chatcmpl-1", "choices": [{"delta": {"content": "lo"}, "finish_reason": "stop"}]}),
        json!({"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}),
    ] {
        out.extend(t.take(&c));
    }
    out.extend(t.finish());
    let events: Vec<String> = lines(&out)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let delta = &lines(&out)[5];
    assert_eq!(delta["usage"]["output_tokens"], 2);
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
}
