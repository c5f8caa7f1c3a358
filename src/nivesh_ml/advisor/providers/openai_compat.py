"""Any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server) through httpx, with tool calls."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from nivesh_ml.advisor.calculators import run_tool, tool_schemas
from nivesh_ml.advisor.providers.base import (
    MAX_TOOL_ROUNDS,
    AdviceRequest,
    BoundedCalls,
    Deadline,
    Provider,
    ProviderError,
    ProviderReply,
    ToolCall,
    parse_retry_after,
)

MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # a chat completion is a few KiB; a bigger body is not one


class _Cancelled(Exception):
    """The caller stopped waiting: the background read ends at the next chunk."""


class OpenAICompatProvider(Provider):
    """POST {base_url}/chat/completions with the calculators as function tools."""

    name = "openai"

    def __init__(self, base_url: str, model: str, timeout_s: float, api_key: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.model = model
        self.timeout_s = timeout_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s,
                                   transport=transport)
        self.calls = BoundedCalls(name=self.name)

    def _send(self, payload: dict[str, Any], timeout: float,
              cancelled: threading.Event) -> tuple[int, httpx.Headers, bytes]:
        """One POST, its body read chunk by chunk (stopping when the caller gave up or the body is too big)."""
        with self.client.stream("POST", "/chat/completions", json=payload, timeout=timeout) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                if cancelled.is_set():
                    raise _Cancelled
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ProviderError(f"response over {MAX_RESPONSE_BYTES} bytes", retryable=False)
            return response.status_code, response.headers, bytes(body)

    def _post(self, payload: dict[str, Any], deadline: Deadline | None) -> dict[str, Any]:
        timeout = deadline.timeout(self.timeout_s) if deadline else self.timeout_s
        cut_short = deadline is not None and deadline.cuts(self.timeout_s)
        cancelled = threading.Event()
        try:
            # ``timeout`` bounds the whole call, not only each socket read (a trickling server never trips those)
            status, headers, data = self.calls.run(lambda: self._send(payload, timeout, cancelled), timeout)
        except (httpx.TimeoutException, TimeoutError) as exc:
            cancelled.set()
            # A timeout our turn deadline imposed says nothing about the provider's health.
            raise ProviderError(f"timeout: {type(exc).__name__}", counts_as_failure=not cut_short) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"connection failed: {type(exc).__name__}") from exc
        if status >= 400:
            unhealthy = status == 429 or status >= 500
            raise ProviderError(f"HTTP {status}", retryable=unhealthy, counts_as_failure=unhealthy,
                                retry_after_s=parse_retry_after(headers.get("retry-after")) if unhealthy else None)
        try:
            body: dict[str, Any] = json.loads(data)
            body["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError("malformed response", retryable=False) from exc
        return body

    def generate(self, request: AdviceRequest, deadline: Deadline | None = None) -> ProviderReply:
        messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
        messages += [m.as_dict() for m in request.history]
        messages.append({"role": "user", "content": request.message})
        tools = [{"type": "function", "function": schema} for schema in tool_schemas()]
        calls: list[ToolCall] = []
        for round_ in range(MAX_TOOL_ROUNDS + 1):
            payload: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0.3}
            if round_ < MAX_TOOL_ROUNDS:
                payload["tools"] = tools
            message = self._post(payload, deadline)["choices"][0]["message"]
            tool_calls = message.get("tool_calls") or []
            if not tool_calls:
                text = (message.get("content") or "").strip()
                if not text:
                    raise ProviderError("empty answer", retryable=False, counts_as_failure=False)
                return ProviderReply(text=text, provider=self.name, model=self.model, tool_calls=calls)
            messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": tool_calls})
            for call in tool_calls:
                function = call.get("function") or {}
                try:
                    arguments = json.loads(function.get("arguments") or "{}")
                except json.JSONDecodeError:
                    arguments = {}
                name = str(function.get("name", ""))
                result = run_tool(name, arguments if isinstance(arguments, dict) else {})
                calls.append(ToolCall(name, arguments, result))
                messages.append({"role": "tool", "tool_call_id": call.get("id", name), "content": json.dumps(result)})
        raise ProviderError("too many tool rounds", retryable=False, counts_as_failure=False)
