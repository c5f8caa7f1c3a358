"""Gemini through the official ``google-genai`` SDK (the only module that imports it)."""

from __future__ import annotations

from typing import Any

import httpx
import httpx2
from google import genai
from google.genai import errors, types

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

_BLOCK = types.HarmBlockThreshold.BLOCK_MEDIUM_AND_ABOVE
SAFETY_SETTINGS = [types.SafetySetting(category=c, threshold=_BLOCK) for c in (
    types.HarmCategory.HARM_CATEGORY_HARASSMENT, types.HarmCategory.HARM_CATEGORY_HATE_SPEECH,
    types.HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT, types.HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT)]


def retry_after(exc: errors.APIError) -> float | None:
    """The wait Gemini asked for: a ``Retry-After`` header, else the error's RetryInfo ``retryDelay`` ("30s")."""
    headers = getattr(exc.response, "headers", None)
    seconds = parse_retry_after(headers.get("retry-after")) if headers is not None else None
    if seconds is not None:
        return seconds
    details = exc.details.get("error", exc.details) if isinstance(exc.details, dict) else {}
    for detail in details.get("details", []) if isinstance(details, dict) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            return parse_retry_after(delay[:-1])
    return None


class GeminiProvider(Provider):
    """generateContent with a system instruction, safety settings and the calculators as functions."""

    name = "gemini"

    def __init__(self, api_key: str, model: str, timeout_s: float, base_url: str | None = None) -> None:
        self.model = model
        self.timeout_s = timeout_s
        # Retries and fallback are ours (breaker.py): the SDK makes exactly one attempt.
        options = types.HttpOptions(base_url=base_url, api_version="v1beta", timeout=int(timeout_s * 1000),
                                    retry_options=types.HttpRetryOptions(attempts=1))
        self.client = genai.Client(api_key=api_key, vertexai=False, http_options=options)
        self.calls = BoundedCalls(name=self.name)  # the SDK's timeout bounds each read, not the whole call
        self.tools = [types.Tool(function_declarations=[
            types.FunctionDeclaration(name=s["name"], description=s["description"],
                                      parameters_json_schema=s["parameters"]) for s in tool_schemas()])]

    def _config(self, system: str, with_tools: bool, timeout_s: float) -> types.GenerateContentConfig:
        return types.GenerateContentConfig(
            http_options=types.HttpOptions(timeout=max(1, int(timeout_s * 1000))),
            system_instruction=system, safety_settings=SAFETY_SETTINGS, temperature=0.3,
            tools=self.tools if with_tools else None,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))

    def _call(self, contents: list[types.Content], system: str, with_tools: bool,
              deadline: Deadline | None) -> Any:
        timeout = deadline.timeout(self.timeout_s) if deadline else self.timeout_s
        cut_short = deadline is not None and deadline.cuts(self.timeout_s)
        config = self._config(system, with_tools, timeout)
        try:
            return self.calls.run(lambda: self.client.models.generate_content(
                model=self.model, contents=contents, config=config), timeout)
        except errors.APIError as exc:
            unhealthy = exc.code == 429 or (exc.code or 0) >= 500
            raise ProviderError(f"Gemini HTTP {exc.code}", retryable=unhealthy, counts_as_failure=unhealthy,
                                retry_after_s=retry_after(exc) if unhealthy else None) from exc
        except (httpx2.TimeoutException, httpx.TimeoutException, TimeoutError) as exc:
            # A timeout our turn deadline imposed says nothing about the provider's health.
            raise ProviderError(f"timeout: {type(exc).__name__}", counts_as_failure=not cut_short) from exc
        except (httpx2.HTTPError, httpx.HTTPError, OSError) as exc:
            raise ProviderError(f"connection failed: {type(exc).__name__}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(f"malformed response: {type(exc).__name__}", retryable=False) from exc

    def generate(self, request: AdviceRequest, deadline: Deadline | None = None) -> ProviderReply:
        contents = [types.Content(role="user" if m.role == "user" else "model", parts=[types.Part(text=m.content)])
                    for m in request.history]
        contents.append(types.Content(role="user", parts=[types.Part(text=request.message)]))
        calls: list[ToolCall] = []
        for round_ in range(MAX_TOOL_ROUNDS + 1):
            response = self._call(contents, request.system, round_ < MAX_TOOL_ROUNDS, deadline)
            function_calls = response.function_calls or []
            if not function_calls:
                text = (response.text or "").strip()
                if not text:
                    # a safety block is the provider's answer, not a fault: no retry, breaker untouched
                    raise ProviderError("empty or blocked answer", retryable=False, counts_as_failure=False)
                return ProviderReply(text=text, provider=self.name, model=self.model, tool_calls=calls)
            contents.append(response.candidates[0].content)
            parts = []
            for call in function_calls:
                arguments = dict(call.args or {})
                result = run_tool(call.name or "", arguments)
                calls.append(ToolCall(call.name or "", arguments, result))
                parts.append(types.Part.from_function_response(name=call.name or "", response={"result": result}))
            contents.append(types.Content(role="user", parts=parts))
        raise ProviderError("too many tool rounds", retryable=False, counts_as_failure=False)
