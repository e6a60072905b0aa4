"""The official OpenAI and Anthropic Python SDKs, unchanged, against the gateway.

Usage: check.py BASE_URL KEY LIMITED_KEY
KEY may call m-basic, m-claude, m-embed (and is refused m-premium by its plan);
LIMITED_KEY allows one request a minute. Exits non-zero naming the first check that failed.
"""
import sys

import anthropic
import openai

base, key, limited = sys.argv[1], sys.argv[2], sys.argv[3]
MSG = [{"role": "user", "content": "Say hello"}]


def check(what, cond, detail=""):
    if not cond:
        sys.exit(f"FAILED: {what} {detail}")
    print(f"ok: {what}")


def raises(what, exc, fn):
    try:
        fn()
    except exc as e:
        print(f"ok: {what} ({type(e).__name__} {getattr(e, 'status_code', '')})")
        return e
    except Exception as e:  # noqa: BLE001
        sys.exit(f"FAILED: {what}: expected {exc.__name__}, got {type(e).__name__}: {e}")
    sys.exit(f"FAILED: {what}: expected {exc.__name__}, got no error")


# -- OpenAI
oa = openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0)
r = oa.chat.completions.create(model="m-basic", messages=MSG, max_tokens=50)
check("chat", r.choices[0].message.content == "Hello world", r)
check("chat usage", r.usage.prompt_tokens == 10 and r.usage.completion_tokens == 5, r.usage)
raw = oa.chat.completions.with_raw_response.create(model="m-basic", messages=MSG, max_tokens=50)
check("x-ops headers", raw.headers.get("x-ops-provider") == "ok", dict(raw.headers))
chunks = list(oa.chat.completions.create(model="m-basic", messages=MSG, max_tokens=50, stream=True,
                                         stream_options={"include_usage": True}))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("chat stream", text == "Hello world", text)
check("chat stream usage", chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5)
chunks = list(oa.chat.completions.create(model="m-claude", messages=MSG, max_tokens=50, stream=True))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("chat stream from an Anthropic provider", text == "Hello world", text)
e = oa.embeddings.create(model="m-embed", input="hello")
check("embeddings", len(e.data[0].embedding) == 3 and e.usage.prompt_tokens == 8)
ids = [m.id for m in oa.models.list()]
check("models", "m-basic" in ids and "m-premium" not in ids, ids)
err = raises("unknown model", openai.NotFoundError,
             lambda: oa.chat.completions.create(model="nope", messages=MSG))
check("unknown model code", err.code == "model_not_found", err.body)
raises("model outside the plan", openai.PermissionDeniedError,
       lambda: oa.chat.completions.create(model="m-premium", messages=MSG))
raises("bad key", openai.AuthenticationError,
       lambda: openai.OpenAI(base_url=f"{base}/v1", api_key="opc_bad", max_retries=0)
       .chat.completions.create(model="m-basic", messages=MSG))
raises("upstream's own 400", openai.BadRequestError,
       lambda: oa.chat.completions.create(model="m-basic", messages=[]))
lim = openai.OpenAI(base_url=f"{base}/v1", api_key=limited, max_retries=0)
lim.chat.completions.create(model="m-basic", messages=MSG, max_tokens=50)
err = raises("rate limit", openai.RateLimitError,
             lambda: lim.chat.completions.create(model="m-basic", messages=MSG, max_tokens=50))
check("retry-after", int(err.response.headers.get("retry-after", "0")) >= 1, dict(err.response.headers))

# -- Anthropic
an = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0)
for model in ["m-claude", "m-basic"]:
    m = an.messages.create(model=model, max_tokens=50, messages=MSG)
    check(f"messages ({model})", m.content[0].text == "Hello world" and m.usage.input_tokens == 10, m)
    with an.messages.stream(model=model, max_tokens=50, messages=MSG) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    check(f"messages stream ({model})", text == "Hello world" and final.usage.output_tokens == 5,
          (text, final.usage))
raises("anthropic unknown model", anthropic.NotFoundError,
       lambda: an.messages.create(model="nope", max_tokens=10, messages=MSG))
raises("anthropic bad key", anthropic.AuthenticationError,
       lambda: anthropic.Anthropic(base_url=base, api_key="opc_bad", max_retries=0)
       .messages.create(model="m-basic", max_tokens=10, messages=MSG))
al = anthropic.Anthropic(base_url=base, api_key=limited, max_retries=0)
raises("anthropic rate limit", anthropic.RateLimitError,
       lambda: al.messages.create(model="m-basic", max_tokens=10, messages=MSG))
print("all SDK checks passed")
