"""An OpenAI-compatible upstream for the browser tests (standard library only).

GET /v1/models lists `up-small`; POST /v1/chat/completions answers "Hello world" with usage.
Keys starting with `sk-` are accepted, except `sk-bad…` (401). Usage: llm_fake.py PORT
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def _key_ok(self):
        auth = self.headers.get("authorization", "")
        key = auth.removeprefix("Bearer ")
        return key.startswith("sk-") and not key.startswith("sk-bad")

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self):
        self._send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})

    def do_GET(self):
        if not self._key_ok():
            return self._refuse()
        if self.path == "/v1/models":
            return self._send(200, {"object": "list", "data": [{"id": "up-small", "object": "model", "owned_by": "fake"}]})
        self._send(404, {"error": {"message": "not found"}})

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self._key_ok():
            return self._refuse()
        if self.path == "/v1/chat/completions":
            return self._send(200, {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello world"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            })
        self._send(404, {"error": {"message": "not found"}})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
