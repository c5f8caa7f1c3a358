"""A small OpenAI-compatible chat-completions server for tests, run as its own process (stdlib only).

It also answers Gemini's ``POST /v1beta/models/{model}:generateContent`` from the same script (text or a
``function_call``), so both providers can be driven through the same scenarios.

    python tests/fakes/openai_server.py [--port 0]

prints ``READY <port>`` on stdout once it listens on 127.0.0.1. Its behaviour is scripted over HTTP:

- ``POST /v1/chat/completions`` (or Gemini's path): records the request (path, headers, body, time), then answers
  with the next scripted step, or the default step once the script is used up.
- ``POST /_script`` ``{"steps": [step, ...], "default": step}``: replaces the script and the default.
- ``GET /_requests``: ``{"requests": [{"path", "headers", "body", "received_at"}, ...]}``: every completion
  request so far.
- ``POST /_reset``: empty script, default step, no recorded requests.

A step (every key optional): ``status`` (200), ``content`` (the assistant's text), ``tool_calls`` (OpenAI tool
calls), ``headers`` (extra response headers, e.g. ``Retry-After``), ``delay_s`` (sleep before answering),
``trickle_s`` (send the headers at once, then the body one byte every ``trickle_s`` seconds: every single read is
quick, only the whole response is slow), ``raw`` (a body sent as is instead of the JSON completion).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_STEP: dict[str, Any] = {"status": 200, "content": "This is the fake model's answer."}


class Script:
    """The scripted steps and the recorded requests, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: list[dict[str, Any]] = []
        self.default: dict[str, Any] = dict(DEFAULT_STEP)
        self.requests: list[dict[str, Any]] = []

    def reset(self) -> None:
        with self.lock:
            self.steps, self.default, self.requests = [], dict(DEFAULT_STEP), []

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Remember one completion request; the step that answers it."""
        with self.lock:
            self.requests.append(entry)
            return self.steps.pop(0) if self.steps else self.default


def completion(body: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    """A chat.completion object for ``step``'s content or tool calls."""
    message: dict[str, Any] = {"role": "assistant", "content": step.get("content")}
    if step.get("tool_calls"):
        message["tool_calls"] = step["tool_calls"]
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"), "usage": {"prompt_tokens": 1, "completion_tokens": 1},
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if step.get("tool_calls") else "stop"}]}


def gemini_content(step: dict[str, Any]) -> dict[str, Any]:
    """A generateContent response for ``step``'s content or ``function_call`` ({"name", "args"})."""
    part = {"functionCall": step["function_call"]} if step.get("function_call") else {"text": step.get("content")}
    return {"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}],
            "modelVersion": "fake"}


def error_body(status: int, gemini: bool) -> dict[str, Any]:
    if gemini:
        return {"error": {"code": status, "message": f"fake error {status}",
                          "status": "RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL"}}
    return {"error": {"message": f"fake error {status}", "code": status}}


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _read_json(self) -> Any:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return json.loads(raw or b"{}")

        def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None,
                  trickle_s: float = 0.0) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, str(value))
                self.end_headers()
                if trickle_s <= 0:
                    self.wfile.write(data)
                    return
                self.wfile.flush()
                for i in range(len(data)):
                    time.sleep(trickle_s)
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
            except OSError:  # the client gave up (a timeout under test)
                self.close_connection = True

        def do_GET(self) -> None:
            if self.path != "/_requests":
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            with script.lock:
                data = json.dumps({"requests": script.requests}).encode()
            self._send(200, data)

        def do_POST(self) -> None:
            try:
                body = self._read_json()
            except ValueError:
                self._send(400, b'{"error": {"message": "body is not JSON"}}')
                return
            if self.path == "/_reset":
                script.reset()
                self._send(200, b"{}")
            elif self.path == "/_script":
                with script.lock:
                    script.steps = list(body.get("steps", []))
                    script.default = {**DEFAULT_STEP, **body.get("default", {})}
                self._send(200, b"{}")
            elif self.path.endswith("/chat/completions") or self.path.split("?")[0].endswith(":generateContent"):
                gemini = not self.path.endswith("/chat/completions")
                step = script.record({"path": self.path, "headers": dict(self.headers.items()), "body": body,
                                      "received_at": time.time()})
                time.sleep(float(step.get("delay_s", 0)))
                status = int(step.get("status", 200))
                if "raw" in step:
                    data = str(step["raw"]).encode()
                elif status >= 400:
                    data = json.dumps(error_body(status, gemini)).encode()
                else:
                    data = json.dumps(gemini_content(step) if gemini else completion(body, step)).encode()
                self._send(status, data, step.get("headers"), float(step.get("trickle_s", 0)))
            else:
                self._send(404, b'{"error": {"message": "not found"}}')

        def log_message(self, *_args: Any) -> None:
            return

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(Script()))
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # pragma: no cover - manual use
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
