"""Loopback stub servers speaking Gemini's REST generateContent and the OpenAI chat-completions API."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nivesh_ml.pii import mask_pii

# Raw identifiers the tests send; none of them may ever reach a stub.
SECRETS = ["ABCDE1234F", "2345 6789 0123", "9876543210", "4111 1111 1111 1111", "a.b@example.com",
           "rahul@okhdfcbank"]
PII_MESSAGE = ("My PAN is ABCDE1234F, aadhaar 2345 6789 0123, phone 9876543210, card 4111 1111 1111 1111, "
               "mail a.b@example.com, upi rahul@okhdfcbank. What is the EMI on 30 lakh at 8.5% for 20 years?")

Responder = Callable[["StubServer", str, dict[str, Any]], tuple[int, dict[str, Any]]]


class StubServer:
    """A ThreadingHTTPServer on a free loopback port that records every request body and checks it for PII."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.mode = "ok"  # ok | error | slow
        self.delay_s = 3.0
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.pii_violations: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                stub.check_pii(raw)
                body = json.loads(raw or "{}")
                stub.requests.append(body)
                stub.paths.append(self.path)
                if stub.mode == "slow":
                    time.sleep(stub.delay_s)
                status, payload = (500, {"error": {"code": 500, "message": "stub failure", "status": "INTERNAL"}}) \
                    if stub.mode == "error" else stub.responder(stub, self.path, body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def check_pii(self, raw: str) -> None:
        decoded = json.loads(raw) if raw else {}
        text = json.dumps(decoded, ensure_ascii=False)
        self.pii_violations += [s for s in SECRETS if s.lower() in text.lower()]
        self.pii_violations += [f"pattern:{k}" for k in mask_pii(text)[1]]

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _gemini_text(text: str) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP",
                            "index": 0}], "modelVersion": "gemini-stub"}


def gemini_responder(_stub: StubServer, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """First turn with numbers: a functionCall to ``emi``; after its functionResponse: a text answer."""
    if not re.fullmatch(r"/v1beta/models/[\w.-]+:generateContent", path.split("?")[0]):
        return 404, {"error": {"code": 404, "message": f"unknown path {path}", "status": "NOT_FOUND"}}
    last = body["contents"][-1]["parts"]
    response = next((p["functionResponse"] for p in last if "functionResponse" in p), None)
    if response is not None:
        emi = response["response"]["result"]["emi"]
        return 200, _gemini_text(f"Your EMI would be about Rs {emi} a month (stub Gemini).")
    user_text = " ".join(p.get("text", "") for p in last)
    if "EMI" in user_text:
        call = {"name": "emi", "args": {"principal": 3000000, "annual_rate_pct": 8.5, "years": 20}}
        return 200, {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": call}]},
                                     "finishReason": "STOP", "index": 0}]}
    return 200, _gemini_text(f"Stub Gemini saw {len(body['contents'])} messages.")


def openai_responder(_stub: StubServer, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """First turn about a SIP: a tool call; after the tool message: a text answer."""
    if path != "/v1/chat/completions":
        return 404, {"error": {"message": f"unknown path {path}"}}
    last = body["messages"][-1]
    if last["role"] == "tool":
        value = json.loads(last["content"])["future_value"]
        message: dict[str, Any] = {"role": "assistant", "content": f"Your SIP could grow to Rs {value} (stub LLM)."}
    elif "SIP" in last["content"]:
        args = json.dumps({"monthly_investment": 5000, "annual_return_pct": 12, "years": 10})
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "sip_future_value", "arguments": args}}]}
    else:
        message = {"role": "assistant", "content": f"Stub LLM saw {len(body['messages'])} messages."}
    return 200, {"id": "chatcmpl-1", "object": "chat.completion", "model": body.get("model"),
                 "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
